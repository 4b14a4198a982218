"""The Web Messaging demo bot: greets, answers, offers quick replies and a card, types,
disconnects and clears."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from cxbus_emulator import Emulator
from cxbus_emulator.web_messaging import Deployment

from .messenger import Frame, Messenger, of_class, outbound


@pytest.fixture(scope="module")
def bot_emulator() -> Iterator[Emulator]:
    with Emulator(agent_join_delay=0.01, agent_typing_delay=0.01) as running:
        yield running


@pytest.fixture
def chat(bot_emulator: Emulator) -> Iterator[Messenger]:
    guest = Messenger(bot_emulator)
    yield guest
    guest.close()


def said(chat: Messenger, kind: str = "Text") -> Frame:
    """The bot's next message of ``kind``, after the Typing event that comes before it."""
    typing = chat.frame(outbound("Event"))
    assert typing["body"]["events"][0]["eventType"] == "Typing"
    return chat.frame(outbound(kind))["body"]


def test_the_bot_greets_then_answers_the_first_message(chat: Messenger) -> None:
    chat.say("hello there")
    greeting = said(chat)
    assert greeting["text"].startswith("Hi, I'm Alex, the demo bot.")
    assert greeting["originatingEntity"] == "Bot"
    assert said(chat)["text"] == "You said: hello there"


def test_the_bot_greets_a_join_without_a_message(chat: Messenger) -> None:
    chat.event({"eventType": "Presence", "presence": {"type": "Join"}})
    assert said(chat)["text"].startswith("Hi, I'm Alex")


def test_the_bot_offers_quick_replies_and_takes_the_choice(chat: Messenger) -> None:
    chat.say("Options!")
    said(chat)
    offer = said(chat, "Structured")
    replies = [c["quickReply"] for c in offer["content"]]
    assert [(r["text"], r["payload"]) for r in replies] == [
        ("Red", "RED"),
        ("Green", "GREEN"),
        ("Blue", "BLUE"),
    ]
    pressed = {"text": "Green", "payload": "GREEN", "type": "QuickReply"}
    chat.request(
        "onMessage",
        message={
            "type": "Structured",
            "text": "Green",
            "content": [{"contentType": "ButtonResponse", "buttonResponse": pressed}],
        },
    )
    assert said(chat)["text"] == "You chose Green."


def test_the_bot_sends_a_card(chat: Messenger) -> None:
    chat.say("card")
    said(chat)
    card = said(chat, "Structured")["content"][0]
    assert card["contentType"] == "Card"
    assert {a["type"] for a in card["card"]["actions"]} == {"Postback", "Link"}


def test_the_bot_thanks_for_a_file(bot_emulator: Emulator, chat: Messenger) -> None:
    chat.say("hi")
    said(chat)
    said(chat)
    body = chat.request(
        "onAttachment",
        attachmentId="doc-1",
        fileName="notes.txt",
        fileType="text/plain",
        fileSize=2,
    )["body"]
    requests.put(body["url"], data=b"hi", headers=body["headers"], timeout=5)
    chat.frame(of_class("UploadSuccessEvent"))
    chat.say("here", content=[{"contentType": "Attachment", "attachment": {"id": "doc-1"}}])
    assert said(chat)["text"] == "Thanks, I got notes.txt."


def test_the_bot_disconnects_on_request_and_the_session_turns_read_only(
    bot_emulator: Emulator, chat: Messenger
) -> None:
    chat.say("disconnect")
    said(chat)
    assert said(chat)["text"] == "Goodbye, and thanks for chatting!"
    disconnect = chat.frame(outbound("Event"))["body"]
    assert disconnect["events"] == [{"eventType": "Presence", "presence": {"type": "Disconnect"}}]
    assert disconnect["metadata"] == {"readOnly": "true"}
    assert disconnect["channel"]["from"] == {"nickname": "Alex"}
    assert chat.say("wait")["code"] == 409


def test_the_bot_clears_on_request(chat: Messenger) -> None:
    chat.say("clear")
    said(chat)
    assert [f["class"] for f in chat.closed() if f["class"] != "StructuredMessage"] == [
        "SessionClearedEvent",
        "ConnectionClosedEvent",
    ]


def test_the_bot_disconnects_without_read_only_when_the_deployment_says_send() -> None:
    with Emulator(
        agent_join_delay=0.01,
        agent_typing_delay=0.01,
        messaging_deployment=Deployment(disconnect_type="Send"),
    ) as emulator:
        chat = Messenger(emulator)
        chat.say("bye")
        said(chat)
        said(chat)
        assert "metadata" not in chat.frame(outbound("Event"))["body"]
        assert chat.say("still open")["class"] == "StructuredMessage"
        chat.close()
