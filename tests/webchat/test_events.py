"""Every event of the Genesys WebChatService page, with the data shapes the page gives."""

from __future__ import annotations

import threading
from pathlib import Path

from cxbus import Bus, Event

from .conftest import Chat, webchat_config


def wait_for(bus: Bus, event: str, timeout: float = 5) -> Event:
    """Subscribe, then wait for ``event``: for retained events, which a new subscriber gets."""
    seen: list[Event] = []
    arrived = threading.Event()

    def record(received: Event) -> None:
        seen.append(received)
        arrived.set()

    subscription = bus.register_plugin(f"Waiter{id(seen)}").subscribe(event, record)
    try:
        assert arrived.wait(timeout), f"{event} not published within {timeout} s"
    finally:
        subscription()
    return seen[0]


def test_ready_is_published_once_configured_and_reaches_late_subscribers(chat: Chat) -> None:
    """ready is retained, so a plugin subscribing afterwards still hears it."""
    assert wait_for(chat.bus, "WebChatService.ready").publisher == "WebChatService"


def test_started_carries_the_session_data(chat: Chat) -> None:
    """started: the chat is on, with its session data."""
    session = chat("startChat", {"nickname": "Ada"})
    assert chat.data("started") == [session]


def test_client_connected_carries_message_agents_and_count(chat: Chat) -> None:
    """clientConnected: {message, agents, numAgentsConnected}."""
    chat("startChat", {"nickname": "Ada"})
    (data,) = chat.data("clientConnected")
    assert data["message"]["type"] == "ParticipantJoined"
    assert data["message"]["from"] == {"name": "Ada", "type": "Client"}
    assert data["agents"] == [] and data["numAgentsConnected"] == 0


def test_agent_connected_and_disconnected_carry_message_agents_and_count(chat: Chat) -> None:
    """agentConnected and agentDisconnected: {message, agents, numAgentsConnected}."""
    chat("startChat", {"nickname": "Ada"})
    chat("FakeTransport.agentJoin", {"name": "Alex"})
    (joined,) = chat.data("agentConnected")
    assert joined["message"]["text"] == "Alex joined the chat"
    assert [a["name"] for a in joined["agents"]] == ["Alex"] and joined["numAgentsConnected"] == 1
    chat("FakeTransport.agentLeave")
    (left,) = chat.data("agentDisconnected")
    assert left["message"]["type"] == "ParticipantLeft"
    assert left["agents"][0]["connected"] is False and left["numAgentsConnected"] == 0


def test_message_received_carries_originals_messages_restoring_and_session(started: Chat) -> None:
    """messageReceived: {originalMessages, messages, restoring, sessionData}."""
    started("FakeTransport.agentSend", {"text": "Hello!"})
    (data,) = started.data("messageReceived")
    assert data["restoring"] is False
    assert data["sessionData"] == started("getSessionData")
    assert data["originalMessages"][0]["body"] == "Hello!"
    (message,) = data["messages"]
    assert message["type"] == "Message" and message["text"] == "Hello!"
    assert message["from"] == {"name": "Alex", "type": "Agent"}
    assert message["index"] == 2 and message["timestamp"]  # after Ada and Alex joining


def test_the_guests_own_messages_come_back_once(started: Chat) -> None:
    """The guest's message is received once (the server's echo), as from the Client."""
    started("sendMessage", {"message": "hi"})
    messages = [m for d in started.data("messageReceived") for m in d["messages"]]
    assert [(m["text"], m["from"]["type"]) for m in messages] == [("hi", "Client")]


def test_agent_typing_started_then_stopped_by_the_message(started: Chat) -> None:
    """agentTypingStarted when the agent types; agentTypingStopped when the message comes."""
    started("FakeTransport.agentTyping")
    started("FakeTransport.agentSend", {"text": "done typing"})
    assert started.names() == ["agentTypingStarted", "agentTypingStopped", "messageReceived"]
    assert started.data("agentTypingStarted")[0]["name"] == "Alex"


def test_agent_typing_times_out_without_a_message(tmp_path: Path) -> None:
    """agentTypingTimeout when no message follows within agentTypingTimeout."""
    config = webchat_config(tmp_path, agentTypingTimeout=0.05)
    with Bus(config={"webchat": config}) as bus:
        chat = Chat(bus)
        chat("startChat", {})
        chat("FakeTransport.agentJoin", {"name": "Alex"})
        chat("FakeTransport.agentTyping")
        assert chat.wait("agentTypingTimeout")["name"] == "Alex"
        assert "agentTypingStopped" not in chat.names()


def test_client_typing_stops_after_the_countdown(tmp_path: Path) -> None:
    """clientTypingStarted on sendTyping; clientTypingStopped when the countdown ends."""
    config = webchat_config(tmp_path, clientTypingTimeout=0.05)
    with Bus(config={"webchat": config}) as bus:
        chat = Chat(bus)
        chat("startChat", {})
        chat("sendTyping")
        chat.wait("clientTypingStopped")
        assert chat.names()[-2:] == ["clientTypingStarted", "clientTypingStopped"]


def test_client_typing_stops_when_the_message_is_sent(started: Chat) -> None:
    """Sending the message ends the guest's typing."""
    started("sendTyping")
    started("sendMessage", {"message": "hi"})
    assert started.names() == ["clientTypingStarted", "messageReceived", "clientTypingStopped"]


def test_disconnected_then_reconnected_then_the_missed_messages(started: Chat) -> None:
    """A dropped connection publishes disconnected; its return reconnected, then what was missed."""
    started("FakeTransport.dropConnection")
    started("FakeTransport.agentSend", {"text": "while you were away"})
    assert started.names() == ["disconnected"]
    started("FakeTransport.restoreConnection")
    assert started.names() == ["disconnected", "reconnected", "messageReceived"]
    assert started.data("messageReceived")[0]["messages"][0]["text"] == "while you were away"


def test_reconnected_only_ever_follows_disconnected(started: Chat) -> None:
    """A connection reported back that was never lost publishes nothing."""
    started("FakeTransport.restoreConnection")
    started("verifySession")
    assert "reconnected" not in started.names()


def test_error_is_published_when_the_server_fails(started: Chat) -> None:
    """error: the server's answer, when a call to it fails."""
    started("FakeTransport.failNext", {"reason": {"message": "Internal", "status": 500}})
    started.rejection("sendTyping")
    started("verifySession")
    assert started.data("error") == [{"message": "Internal", "status": 500}]


def test_client_disconnected_and_ended_when_the_chat_is_ended(started: Chat) -> None:
    """Ending the chat publishes clientDisconnected, then ended."""
    started("endChat")
    assert started.names() == ["clientDisconnected", "ended"]
