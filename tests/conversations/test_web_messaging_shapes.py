"""Web Messaging's message bodies as messages: who sent them, what they offer and carry.

The bodies are the reference's own examples (tests/data/web_messaging_examples.json),
the emulator's demo bot's quick replies and card, and the attachment shape of a
file's echo.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from cxbus import Event
from cxbus_conversations import (
    Attachment,
    Button,
    Card,
    Carousel,
    Message,
    MessagingReader,
    QuickReply,
)
from cxbus_emulator.web_messaging.agent import CARD, QUICK_REPLIES

EXAMPLES = json.loads(
    (Path(__file__).parents[1] / "data" / "web_messaging_examples.json").read_text()
)


def example(situation: str) -> dict[str, Any]:
    """The body of the example frame of ``situation``."""
    frame = next(f for f in EXAMPLES["frames"] if f["situation"] == situation)
    body: dict[str, Any] = frame["json"]["body"]
    return body


def received(*bodies: dict[str, Any], reader: MessagingReader | None = None) -> list[Message]:
    """What a conversation makes of ``messagesReceived`` events carrying ``bodies``."""
    reader = reader or MessagingReader()
    messages: list[Message] = []
    for body in bodies:
        event = Event(
            "MessagingService.messagesReceived", {"messages": [body]}, "MessagingService", 0.0
        )
        messages.extend(reader.read(event))
    return messages


def outbound(**fields: Any) -> dict[str, Any]:
    """An outbound body, a bot's unless ``fields`` say otherwise."""
    return {
        "id": "m1",
        "type": "Structured",
        "direction": "Outbound",
        "originatingEntity": "Bot",
        **fields,
    }


def test_the_guests_own_echo_is_the_customers_message() -> None:
    [message] = received(example("guest_text"))
    assert (message.sender, message.text, message.event) == ("customer", "Hello world!", None)
    assert message.time == datetime.datetime(2022, 8, 22, 19, 24, 26, 704000, datetime.timezone.utc)
    assert message.channel == "messaging"
    assert message.raw == example("guest_text")


def test_a_bot_text_is_the_bots() -> None:
    [message] = received(example("bot_text"))
    assert (message.sender, message.sender_name, message.text) == ("bot", None, "Hi")


def test_a_disconnect_is_its_sender_leaving_and_the_end() -> None:
    left, ended = received(example("disconnect_read_only"))
    assert (left.sender, left.sender_name, left.event) == ("bot", "Robot Friend", "left")
    assert (ended.sender, ended.event) == ("system", "ended")
    assert ended.text == "The conversation ended: Robot Friend disconnected it."


def test_quick_replies_are_offered_by_label() -> None:
    fragments = [f["json"] for f in EXAMPLES["fragments"] if f["kind"] == "content"]
    [message] = received(outbound(text="Pick one", content=fragments))
    assert message.quick_replies == (QuickReply("Red", "RED"), QuickReply("text_a", "payload_a"))
    assert message.choices == ("Red", "text_a")


def test_the_demo_bots_card_has_a_postback_button_and_a_link() -> None:
    [message] = received(outbound(text="Here is a card:", content=[CARD]))
    more = Button("Tell me more", "MORE")
    link = Button("Genesys Cloud", url="https://developer.genesys.cloud/")
    assert message.cards == (
        Card("cxbus", "A CXBus for Python, with Genesys Cloud chat plugins.", None, (more, link)),
    )
    assert message.buttons == (more, link)
    assert message.choices == ("Tell me more",)  # a link is no choice


def test_a_carousels_cards_and_buttons() -> None:
    carousel = {"contentType": "Carousel", "carousel": {"cards": [CARD["card"], CARD["card"]]}}
    [message] = received(outbound(content=[carousel]))
    [single] = received(outbound(content=[CARD]))
    assert message.cards == ()
    assert message.carousels == (Carousel(single.cards * 2),)
    assert len(message.buttons) == 4
    assert message.choices == ("Tell me more", "Tell me more")


def test_an_attachment_has_its_name_url_and_media_type() -> None:
    attachment = {
        "contentType": "Attachment",
        "attachment": {
            "id": "a1",
            "filename": "invoice.pdf",
            "fileSize": 12,
            "mediaType": "File",
            "mime": "application/pdf",
            "url": "https://files.example/a1",
        },
    }
    [message] = received(outbound(type="Text", content=[attachment], originatingEntity="Bot"))
    assert message.attachments == (
        Attachment("invoice.pdf", "https://files.example/a1", "application/pdf", "a1"),
    )


def test_a_human_agents_first_message_is_its_joining() -> None:
    reader = MessagingReader()
    first = outbound(
        text="Hi, Kate here", originatingEntity="Human", channel={"from": {"nickname": "Kate"}}
    )
    second = {**first, "id": "m2", "text": "How can I help?"}
    joined, said, again = received(first, second, reader=reader)
    assert (joined.sender, joined.sender_name, joined.event) == ("agent", "Kate", "joined")
    assert (said.sender, said.text) == ("agent", "Hi, Kate here")
    assert (again.event, again.text) == (None, "How can I help?")


def test_a_join_presence_is_the_join_and_no_second_one_follows() -> None:
    join = outbound(
        type="Event",
        originatingEntity="Human",
        channel={"from": {"firstName": "Kate", "lastName": "Lee"}},
        events=[{"eventType": "Presence", "presence": {"type": "Join"}}],
    )
    said = outbound(
        id="m2",
        text="Hello",
        originatingEntity="Human",
        channel={"from": {"firstName": "Kate", "lastName": "Lee"}},
    )
    joined, message = received(join, said)
    assert (joined.sender_name, joined.event) == ("Kate Lee", "joined")
    assert message.event is None


def test_an_outbound_message_that_says_no_origin_is_an_agents() -> None:
    [joined, message] = received({**outbound(text="Hello"), "originatingEntity": None})
    assert (joined.event, message.sender) == ("joined", "agent")


def test_typing_receipts_and_the_guests_own_presence_make_no_message() -> None:
    typing = outbound(type="Event", events=[EXAMPLES["fragments"][2]["json"]])
    receipt = outbound(type="Receipt", status="Delivered")
    join = {
        "id": "m3",
        "type": "Event",
        "direction": "Inbound",
        "events": [{"eventType": "Presence", "presence": {"type": "Join"}}],
    }
    assert received(typing, receipt, join) == []


def test_the_guests_choice_is_its_button_text() -> None:
    choice = {
        "id": "m4",
        "type": "Structured",
        "direction": "Inbound",
        "content": [
            {
                "contentType": "ButtonResponse",
                "buttonResponse": {"text": "Blue", "payload": "BLUE", "type": "QuickReply"},
            }
        ],
    }
    [message] = received(choice)
    assert (message.sender, message.text) == ("customer", "Blue")


def test_clearing_expiry_and_closing_end_the_conversation() -> None:
    reader = MessagingReader()
    for name, text in (
        ("conversationCleared", "The conversation was cleared."),
        ("sessionExpired", "The session expired."),
        ("sessionCleared", "The session was closed here."),
    ):
        [ended] = reader.read(Event(f"MessagingService.{name}", {}, "MessagingService", 0.0))
        assert (ended.sender, ended.event, ended.text) == ("system", "ended", text)


def test_the_demo_bots_quick_replies() -> None:
    [message] = received(
        outbound(text="Pick a colour:", content=QUICK_REPLIES, originatingEntity="Bot")
    )
    assert message.choices == ("Red", "Green", "Blue")
