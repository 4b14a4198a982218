"""WebChatService's transcript lines as messages, on the guest chat API and on GMS.

The lines are shaped as WebChatService publishes them (``messageReceived``'s
``messages``, docs/webchat.md); the GMS ones carry, as ``original``, the transcript
entries of the GMS Chat API's refresh reply.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from cxbus import Event
from cxbus_conversations import Attachment, Message, QuickReply, WebChatReader

# A GMS refresh reply's messages (the GMS Chat API v2's ChatV2Message), and a file.
KATE = {"nickname": "Kate", "participantId": 2, "type": "Agent"}
GMS_JOINED = {"from": KATE, "index": 2, "type": "ParticipantJoined", "utcTime": 1432845095000}
GMS_SAID = {
    "from": KATE,
    "index": 4,
    "type": "Message",
    "text": "Hello, how can I help?",
    "utcTime": 1432845099000,
}
GMS_FILE = {
    "from": {"nickname": "Ada", "participantId": 1, "type": "Client"},
    "index": 5,
    "type": "FileUploaded",
    "userData": {"file-id": "00f1e2d3c4b5a697", "file-name": "receipt.png", "file-size": "512"},
    "utcTime": 1432845100000,
}


def line(
    kind: str, sender: str, name: str | None, text: str, original: Any = None
) -> dict[str, Any]:
    """A transcript line as WebChatService publishes it."""
    return {
        "index": 0,
        "type": kind,
        "from": {"name": name, "type": sender},
        "text": text,
        "timestamp": "2026-11-25T10:00:00.000Z",
        "original": original or {},
    }


def read(channel: str, *lines: dict[str, Any]) -> list[Message]:
    event = Event(
        "WebChatService.messageReceived", {"messages": list(lines)}, "WebChatService", 0.0
    )
    return WebChatReader(channel).read(event)


@pytest.mark.parametrize(
    ("kind", "sender"),
    [("Client", "customer"), ("Agent", "agent"), ("Supervisor", "agent"), ("Bot", "bot")],
)
def test_who_sent_it(kind: str, sender: str) -> None:
    for channel in ("webchat", "gms"):
        [message] = read(channel, line("Message", kind, "Kate", "Hi"))
        assert (message.sender, message.sender_name, message.text) == (sender, "Kate", "Hi")
        assert message.channel == channel


def test_an_external_member_is_a_flows_bot_on_guest_chat_and_the_system_on_gms() -> None:
    [guest_chat] = read("webchat", line("Message", "External", None, "Welcome"))
    [gms] = read("gms", line("Message", "External", None, "Welcome"))
    assert (guest_chat.sender, gms.sender) == ("bot", "system")


def test_joins_and_leaves() -> None:
    joined, left = read(
        "gms",
        line("ParticipantJoined", "Agent", "Kate", "Kate joined the chat", GMS_JOINED),
        line("ParticipantLeft", "Agent", "Kate", "Kate left the chat"),
    )
    assert (joined.sender, joined.sender_name, joined.event) == ("agent", "Kate", "joined")
    assert (left.event, left.text) == ("left", "Kate left the chat")
    assert joined.raw["original"] == GMS_JOINED


def test_the_time_is_the_lines_timestamp() -> None:
    [message] = read("gms", line("Message", "Agent", "Kate", "Hello, how can I help?", GMS_SAID))
    assert message.time == datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.timezone.utc)
    [untimed] = read("webchat", {**line("Message", "Agent", "Kate", "Hi"), "timestamp": ""})
    assert untimed.time is None


def test_a_pushed_url_is_a_link() -> None:
    [message] = read("gms", line("PushUrl", "Agent", "Kate", "https://example.com/faq"))
    assert message.sender == "agent"
    assert message.attachments == (Attachment(None, url="https://example.com/faq"),)


def test_a_gms_file_has_its_name_and_id() -> None:
    [message] = read("gms", line("FileUploaded", "Client", "Ada", "receipt.png", GMS_FILE))
    assert message.sender == "customer"
    assert message.attachments == (Attachment("receipt.png", id="00f1e2d3c4b5a697"),)


@pytest.mark.parametrize("kind", ["IdleAlert", "IdleClose", "MediaRequest", "CustomNotice"])
def test_other_lines_come_from_the_system(kind: str) -> None:
    [message] = read("gms", line(kind, "Agent", "Kate", "something"))
    assert (message.sender, message.event) == ("system", None)


GREETING = "Hi, I'm Ava. What can I do for you?\n1. Track my order\n2. Talk to an agent"
CARD = (
    "Order 12345 is on its way.\nYour parcel\nShipped on Monday.\n1. Another order\n2. Done\n"
    "Track the parcel: https://example.com/track"
)


@pytest.mark.parametrize(("channel", "sender"), [("webchat", "External"), ("gms", "Bot")])
def test_a_bots_numbered_lines_are_its_quick_replies(channel: str, sender: str) -> None:
    [greeting, card] = read(
        channel, line("Message", sender, "Ava", GREETING), line("Message", sender, "Ava", CARD)
    )
    assert greeting.quick_replies == (QuickReply("Track my order"), QuickReply("Talk to an agent"))
    assert greeting.text == GREETING  # as it came
    assert card.choices == ("Another order", "Done")


def test_an_agents_numbered_lines_are_its_quick_replies_too() -> None:
    [message] = read("gms", line("Message", "Agent", "Kate", "Pick one:\n1. Yes\n 2.  No "))
    assert message.choices == ("Yes", "No")


@pytest.mark.parametrize(
    "text",
    [
        "Steps:\n1. Restart\n3. Retry",  # one skipped
        "Steps:\n2. Restart\n3. Retry",  # not from 1
        "Call 1.800.555 or 2. never",  # no numbered line
        "Version 1.2 is out",
    ],
)
def test_lines_that_do_not_count_from_one_offer_nothing(text: str) -> None:
    [message] = read("webchat", line("Message", "Agent", "Kate", text))
    assert message.quick_replies == ()


def test_the_customers_and_the_systems_numbered_lines_offer_nothing() -> None:
    mine, system = read(
        "gms",
        line("Message", "Client", "Ada", GREETING),
        line("Message", "External", None, GREETING),
    )
    assert (mine.sender, mine.quick_replies) == ("customer", ())
    assert (system.sender, system.quick_replies) == ("system", ())


def test_the_end() -> None:
    [ended] = WebChatReader("webchat").read(
        Event("WebChatService.ended", None, "WebChatService", 0.0)
    )
    assert (ended.sender, ended.event, ended.text) == ("system", "ended", "The chat ended.")
