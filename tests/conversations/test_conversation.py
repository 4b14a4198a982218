"""The conversation object on WebChatService's fake transport: its states, bad use, the
end, and a bus of the user's own (in process: the fake transport plays the agent).

Each ``FakeTransport`` command resolves once WebChatService has published what
follows, and the conversation reads the events as they are published: no test waits
on its own.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxbus import Bus, WaitTimedOut
from cxbus_conversations import (
    Conversation,
    ConversationEnded,
    ConversationError,
    NotReceived,
    WaitTimeout,
    WrongState,
)

FAKE = {"transport": {"type": "fake"}}


@pytest.fixture
def bus() -> Iterator[Bus]:
    with Bus(config={"webchat": FAKE}) as bus:
        yield bus


@pytest.fixture
def chat(bus: Bus) -> Iterator[Conversation]:
    with Conversation("webchat", bus=bus, nickname="Ada", timeout=5) as chat:
        yield chat


def agent(bus: Bus, command: str, data: Any = None) -> None:
    bus.command(f"FakeTransport.{command}", data).result(timeout=5)


def test_say_and_wait_for_the_agent(bus: Bus, chat: Conversation) -> None:
    agent(bus, "agentJoin", {"name": "Alex"})
    joined = chat.wait_for_joined()
    assert (joined.sender, joined.sender_name) == ("agent", "Alex")
    chat.say("Where is my order?")
    agent(bus, "agentSend", {"text": "Your order number, please?"})
    reply = chat.wait_for(contains="order number")
    assert (reply.sender, reply.sender_name, reply.text) == (
        "agent",
        "Alex",
        "Your order number, please?",
    )
    mine = [m for m in chat.messages if m.sender == "customer"]
    assert [(m.sender_name, m.text) for m in mine] == [("Ada", "Where is my order?")]


def test_choose_sends_the_label_as_text_where_there_are_no_quick_replies(
    chat: Conversation,
) -> None:
    chat.choose("Blue")
    assert chat.wait_for(sender="customer").text == "Blue"


def test_the_agent_leaving(bus: Bus, chat: Conversation) -> None:
    agent(bus, "agentJoin", {"name": "Alex"})
    agent(bus, "agentLeave")
    left = chat.wait_for_left()
    assert (left.sender_name, left.event) == ("Alex", "left")


def test_a_wait_that_times_out_says_what_it_waited_for(bus: Bus, chat: Conversation) -> None:
    agent(bus, "agentJoin", {"name": "Alex"})
    agent(bus, "agentSend", {"text": "Your order nmber?"})
    with pytest.raises(WaitTimeout) as raised:
        chat.wait_for(contains="order number", timeout=0.05)
    assert re.fullmatch(
        r"No bot or agent message containing 'order number' within 0\.\d s; "
        r"the nearest: agent Alex at \d+\.\d\d s: 'Your order nmber\?'\.",
        str(raised.value),
    )


def test_one_except_catches_a_timed_out_wait_on_the_bus_and_in_a_conversation(
    chat: Conversation,
) -> None:
    with pytest.raises(WaitTimedOut) as raised:
        chat.wait_for(contains="never said", timeout=0.01)
    error = raised.value
    for kind in (WaitTimeout, NotReceived, TimeoutError, ConversationError):
        assert isinstance(error, kind)
    assert error.reason == str(error) and error.waited >= 0.0
    assert str(error).startswith("No bot or agent message containing 'never said' within")


def test_ending_here_ends_the_conversation_and_leaves_the_users_bus(bus: Bus) -> None:
    chat = Conversation("webchat", bus=bus).start()
    mine = set(bus.plugins) - {"WebChatService", "FakeTransport"}
    chat.end()
    assert chat.state == "ended"
    assert chat.wait_for_end().text == "The chat ended."
    assert "WebChatService" in bus.plugins and not mine & set(bus.plugins)
    chat.end()  # again: nothing happens
    again = Conversation("webchat", bus=bus).start()  # the bus can hold the next one
    again.end()


def test_a_wait_under_way_ends_with_the_conversation(bus: Bus, chat: Conversation) -> None:
    chat.end()
    with pytest.raises(ConversationEnded, match="The conversation ended before a bot or agent"):
        chat.wait_for(contains="anything")


@pytest.mark.parametrize(
    ("operation", "error"),
    [
        (lambda chat: chat.say("hi"), "say: the conversation has not started: start() it first"),
        (lambda chat: chat.choose("Red"), "choose: the conversation has not started"),
        (lambda chat: chat.wait_for(contains="x"), "wait_for: the conversation has not started"),
        (lambda chat: chat.wait_for_end(), "wait_for_end: the conversation has not started"),
    ],
)
def test_nothing_before_the_start(bus: Bus, operation: Any, error: str) -> None:
    with pytest.raises(WrongState, match=re.escape(error)):
        operation(Conversation("webchat", bus=bus))


def test_starting_twice(chat: Conversation) -> None:
    with pytest.raises(
        WrongState,
        match=r"^start: the conversation has started already; a Conversation starts once\.$",
    ):
        chat.start()
    assert chat.state == "active"


def test_nothing_is_said_after_the_end(chat: Conversation, tmp_path: Path) -> None:
    chat.end()
    file = tmp_path / "notes.txt"
    file.write_text("notes")
    for operation, call in (
        ("say", lambda: chat.say("hi")),
        ("choose", lambda: chat.choose("Red")),
        ("send_file", lambda: chat.send_file(file)),
        ("start", chat.start),
    ):
        with pytest.raises(
            WrongState,
            match=re.escape(
                f"{operation}: the conversation has ended; a new Conversation starts a new one."
            ),
        ):
            call()


def test_a_file_that_does_not_exist(chat: Conversation, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pdf"
    with pytest.raises(
        FileNotFoundError,
        match=re.escape(f"send_file: {str(missing)!r} is not a file that exists."),
    ):
        chat.send_file(missing)
    with pytest.raises(FileNotFoundError):
        chat.send_file(tmp_path)


def test_ending_a_conversation_that_never_started(bus: Bus) -> None:
    chat = Conversation("webchat", bus=bus)
    chat.end()
    assert chat.state == "ended"
    with pytest.raises(WrongState, match="start: the conversation has ended"):
        chat.start()


def test_a_refused_start_ends_the_conversation() -> None:
    chat = Conversation("webchat", {"transport": {"type": "fake", "timeout": -1}})
    with pytest.raises(
        ConversationError, match=r"^start: WebChatService refused: webchat\.transport\.timeout"
    ):
        chat.start()
    assert chat.state == "ended"


def test_the_with_block_ends_it_when_the_test_fails(bus: Bus) -> None:
    with pytest.raises(RuntimeError), Conversation("webchat", bus=bus) as chat:
        raise RuntimeError("a failing step")
    assert chat.state == "ended"


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (
            {"channel": "sms", "config": {}},
            "channel must be one of 'messaging', 'webchat', 'gms'; got 'sms'.",
        ),
        ({"channel": "messaging"}, "exactly one of them"),
        ({"channel": "messaging", "config": {}, "bus": Bus()}, "exactly one of them"),
        (
            {"channel": "webchat", "config": {"dataURL": "http://h/genesys/2/chat/s"}},
            "use channel 'gms'",
        ),
        ({"channel": "gms", "config": FAKE}, "use channel 'webchat'"),
        (
            {"channel": "webchat", "config": FAKE, "nickname": " "},
            "nickname must be a non-empty string",
        ),
        (
            {"channel": "webchat", "config": FAKE, "timeout": 0},
            "timeout must be a finite number of seconds above 0; got 0.",
        ),
        (
            {"channel": "webchat", "config": FAKE, "attributes": {"plan": 1}},
            "attributes must map strings to strings",
        ),
        (
            {"channel": "webchat", "config": "webchat"},
            "config must be the channel's configuration section",
        ),
    ],
)
def test_bad_arguments_are_named(arguments: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        Conversation(**arguments)


def test_bad_wait_arguments_are_named(chat: Conversation) -> None:
    with pytest.raises(
        ValueError, match=re.escape("wait_for: matches must be a regular expression; got '('")
    ):
        chat.wait_for(matches="(")
    with pytest.raises(
        ValueError, match=re.escape("timeout must be a number of seconds above 0; got -1.")
    ):
        chat.wait_for(contains="x", timeout=-1)
    with pytest.raises(TypeError, match=re.escape("say: text must be a string; got None.")):
        chat.say(None)  # type: ignore[arg-type]


def test_the_repr_tells_no_words(chat: Conversation) -> None:
    chat.say("my secret")
    assert repr(chat) == "<Conversation webchat active>"


def test_two_ends_at_once_end_the_chat_once_and_close_the_bus_after_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A runner ends a conversation from its thread while the conversation's own thread
    ends it too: neither closes the bus under the other's endChat (which would fail it:
    the chat would stay open on the server, and a warning would say so)."""
    for _ in range(20):
        chat = Conversation("webchat", FAKE, timeout=5).start()
        other = threading.Thread(target=chat.end)
        other.start()
        chat.end()
        other.join(timeout=10)
        assert chat.state == "ended" and chat.wait_for_end().text == "The chat ended."
    assert not [r for r in caplog.records if "ending the chat failed" in r.getMessage()]
