"""Conversations with the emulator's demo bot (Web Messaging) and demo agent (guest chat,
GMS) over real sockets, through the pytest plugin's fixtures.

What the demo answers is the emulator's: "hello" gets "You said: hello" from the bot and
"Hello again! ..." from the agent; "bye" ends the conversation; the bot offers quick
replies on "options" and a card on "card".
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from cxbus import Bus
from cxbus_conversations import (
    AsyncConversation,
    Conversation,
    ConversationEnded,
    NotOffered,
    WaitTimeout,
)
from cxbus_conversations.testing import CHANNELS, Conversations
from cxbus_emulator import Emulator

pytestmark = pytest.mark.integration

HELLO = {
    "messaging": "You said: hello",
    "webchat": "Hello again! What can I do for you?",
    "gms": "Hello again! What can I do for you?",
}


def answered(chat: Conversation) -> Conversation:
    """``chat``, once someone is there to answer: on guest chat and GMS the demo agent
    answers only what is said after it joined."""
    if chat.channel != "messaging":
        chat.wait_for_joined()
    return chat


def marked(conversations: Conversations, channel: str) -> tuple[Conversation, str]:
    """A started conversation that the emulator can tell apart: its nickname (web chat) or
    its custom attribute (Web Messaging, sent with its first message) is ``mark``."""
    mark = f"test-{uuid.uuid4().hex[:12]}"
    made = conversations(channel, nickname=mark, attributes={"test": mark})
    return answered(made), mark


def ended_on_server(emulator: Emulator, channel: str, mark: str) -> bool:
    """Whether the emulator has ended the conversation marked ``mark``."""
    if channel == "messaging":
        messaging = emulator.messaging
        states = [
            described["state"]
            for described in map(messaging.describe, messaging.sessions())
            if described["customAttributes"].get("test") == mark
        ]
        return states == ["ended"]
    if channel == "webchat":
        [chat] = [c for c in emulator.server.conversations.values() if c.guest.display_name == mark]
        return chat.ended
    [gms] = [c for c in emulator.gms_server.chats.values() if c.client.nickname == mark]
    return gms.ended


@pytest.mark.parametrize("conversation_channel", CHANNELS)
def test_say_and_wait_for_the_reply(conversation: Conversation, conversation_channel: str) -> None:
    answered(conversation).say("hello")
    reply = conversation.wait_for(equals=HELLO[conversation_channel])
    assert reply.sender == ("bot" if conversation_channel == "messaging" else "agent")
    assert reply.channel == conversation_channel
    said = [m.text for m in conversation.messages if m.sender == "customer"]
    assert said == ["hello"]  # the customer's own echo, once


@pytest.mark.parametrize("channel", ["webchat", "gms"])
def test_the_demo_agent_joins_greets_and_leaves_on_bye(
    conversations: Conversations, channel: str
) -> None:
    chat = conversations(channel, nickname="Ada")
    joined = chat.wait_for_joined()
    assert (joined.sender, joined.sender_name) == ("agent", "Alex")
    assert (
        chat.wait_for(contains="How can I help").text
        == "Hi Ada, I'm Alex. How can I help you today?"
    )
    chat.say("bye")
    assert chat.wait_for(equals="Goodbye, and thanks for chatting!").sender_name == "Alex"
    assert chat.wait_for_left().sender_name == "Alex"
    assert chat.wait_for_end().event == "ended"
    assert chat.state == "ended"


def test_the_demo_bot_disconnects_on_bye(conversation: Conversation) -> None:
    conversation.say("bye")
    assert conversation.wait_for_left(sender="bot").sender_name == "Alex"
    assert conversation.wait_for_end().text == "The conversation ended: Alex disconnected it."
    with pytest.raises(ConversationEnded, match="no bot or agent message came meanwhile"):
        conversation.wait_for(contains="more")


def test_a_human_agent_joins_web_messaging_with_its_first_message(
    conversations: Conversations, emulator: Emulator
) -> None:
    chat, mark = marked(conversations, "messaging")
    chat.say("agent please")
    chat.wait_for(contains="You said")
    [session] = [
        s
        for s in emulator.messaging.sessions()
        if emulator.messaging.describe(s)["customAttributes"].get("test") == mark
    ]
    emulator.messaging.agent_send(session, "Hi, Kate here.", "Kate")
    assert chat.wait_for_joined().sender_name == "Kate"
    assert chat.wait_for(sender="agent").text == "Hi, Kate here."


def test_choose_a_quick_reply(conversation: Conversation) -> None:
    conversation.say("options")
    offer = conversation.wait_for(quick_reply="Blue")
    assert (offer.text, offer.choices) == ("Pick a colour:", ("Red", "Green", "Blue"))
    conversation.choose("Blue")
    assert conversation.wait_for(contains="You chose").text == "You chose Blue."
    assert [m.text for m in conversation.messages if m.sender == "customer"] == ["options", "Blue"]


def test_choose_a_cards_button(conversation: Conversation) -> None:
    conversation.say("card")
    card = conversation.wait_for(card="cxbus")
    assert [b.label for b in card.buttons] == ["Tell me more", "Genesys Cloud"]
    conversation.choose("Tell me more")
    assert conversation.wait_for(contains="You chose").text == "You chose Tell me more."


def test_choosing_what_was_not_offered_lists_what_was(conversation: Conversation) -> None:
    with pytest.raises(NotOffered, match=r"none has been offered yet\.$"):
        conversation.choose("Blue")
    conversation.say("options")
    conversation.wait_for(quick_reply=True)
    with pytest.raises(NotOffered) as raised:
        conversation.choose("Purple")
    assert str(raised.value) == (
        "choose: no quick reply or button labelled 'Purple' was offered; "
        "offered: 'Red', 'Green', 'Blue'."
    )
    assert raised.value.offered == ("Red", "Green", "Blue")
    with pytest.raises(NotOffered, match="offered: 'Red', 'Green', 'Blue'"):
        conversation.choose("Genesys Cloud")  # not a link either: no card yet


@pytest.mark.parametrize("conversation_channel", CHANNELS)
def test_send_a_file(conversation: Conversation, conversation_channel: str, tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("my notes")
    conversation.send_file(file)
    sent = conversation.wait_for(sender="customer", attachment="notes.txt")
    assert sent.attachments[0].name == "notes.txt"
    if conversation_channel == "messaging":
        assert conversation.wait_for(contains="Thanks").text == "Thanks, I got notes.txt."


def test_a_refused_file_says_why(conversation: Conversation, tmp_path: Path) -> None:
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ")
    with pytest.raises(Exception, match=r"^send_file: MessagingService refused: "):
        conversation.send_file(program)


@pytest.mark.parametrize("channel", CHANNELS)
def test_ending_here_ends_it_on_the_server(
    conversations: Conversations, emulator: Emulator, channel: str
) -> None:
    chat, mark = marked(conversations, channel)
    chat.say("hello")
    chat.wait_for(equals=HELLO[channel])
    chat.end()
    assert ended_on_server(emulator, channel, mark)
    if channel == "gms":  # the attributes rode as userData (on Web Messaging: see marked)
        [gms] = [c for c in emulator.gms_server.chats.values() if c.client.nickname == mark]
        assert gms.user_data["test"] == mark
    assert chat.state == "ended" and chat.transcript[-1].message.event == "ended"
    chat.end()


@pytest.mark.parametrize("conversation_channel", CHANNELS)
def test_a_timeout_names_the_nearest_reply(
    conversation: Conversation, conversation_channel: str
) -> None:
    answered(conversation).say("hello")
    conversation.wait_for(equals=HELLO[conversation_channel])
    conversation.say("my order")
    with pytest.raises(WaitTimeout) as raised:
        conversation.wait_for(contains="order number", timeout=0.5)
    assert re.fullmatch(
        r"No bot or agent message containing 'order number' within 0\.\d s; "
        r"the nearest: (bot|agent Alex) at \d+\.\d\d s: 'You said: my order'\.",
        str(raised.value),
    ), str(raised.value)


def test_a_conversation_on_a_bus_of_ones_own(emulator: Emulator) -> None:
    with Bus(config={"messaging": emulator.messaging_config()}) as bus:
        for text in ("first", "second"):  # the bus holds one conversation after another
            with Conversation("messaging", bus=bus) as chat:
                chat.say(text)
                assert chat.wait_for(contains="You said").text == f"You said: {text}"
        assert "MessagingService" in bus.plugins


def test_many_conversations_at_once_in_asyncio(conversations: Conversations) -> None:
    async def talk(channel: str, number: int) -> str:
        async with AsyncConversation(channel, conversations.config(channel)) as chat:
            if channel != "messaging":
                await chat.wait_for_joined()
            await chat.say(f"hello {number}")
            reply = await chat.wait_for(contains=f"hello {number}")
            await chat.say("bye")
            await chat.wait_for_end()
            assert chat.state == "ended"
            return reply.text

    async def main() -> list[str]:
        return await asyncio.gather(*(talk(CHANNELS[n % 3], n) for n in range(12)))

    assert asyncio.run(main()) == [f"You said: hello {n}" for n in range(12)]


def test_async_bad_use_and_timeouts(conversations: Conversations) -> None:
    async def main() -> Any:
        chat = AsyncConversation("messaging", conversations.config("messaging"))
        await chat.start()
        try:
            await chat.say("options")
            await chat.wait_for(quick_reply="Red")
            with pytest.raises(NotOffered):
                await chat.choose("Purple")
            with pytest.raises(WaitTimeout, match="within 0.2 s"):
                await chat.wait_for(contains="never", timeout=0.2)
            waiting = asyncio.ensure_future(chat.wait_for(contains="never"))
            await asyncio.sleep(0)  # the wait begins
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            await chat.choose("Red")  # a cancelled wait leaves room for the next one
            return (await chat.wait_for(contains="You chose")).text
        finally:
            await chat.end()

    assert asyncio.run(main()) == "You chose Red."


def test_where_clearing_is_not_allowed_the_session_is_closed_and_a_warning_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from cxbus_conversations import channels
    from cxbus_emulator.web_messaging import Deployment

    channels._told_clear_off.clear()  # said once per process: this test wants to hear it
    with Emulator(
        agent_join_delay=0.05,
        agent_typing_delay=0.02,
        messaging_deployment=Deployment(clear_enabled=False),
    ) as emulator:
        for _ in range(2):
            with Conversation("messaging", emulator.messaging_config()) as chat:
                chat.say("hello")
                chat.wait_for(contains="You said")
            assert chat.transcript[-1].message.text == "The session was closed here."
        sessions = [emulator.messaging.describe(s) for s in emulator.messaging.sessions()]
    assert [s["state"] for s in sessions] == ["active", "active"]  # open on the platform
    warnings = [r.getMessage() for r in caplog.records if r.name == "cxbus.conversations"]
    assert warnings == [
        "This Web Messaging deployment does not let the guest clear its conversation: the "
        "session is closed here, but the conversation stays open on the platform until its "
        "flow or an agent ends it, or the platform API disconnects it (give cxbus test's "
        "target a platform section)."
    ]
