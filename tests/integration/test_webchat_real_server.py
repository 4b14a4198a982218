"""WebChatService against what the real guest chat server sends, over real sockets: joins
that come twice, queue and flow members, an agent offered the chat before answering, the
agent's leaving, media requests, long messages, expired tokens, a guest who steps away."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxbus import Bus
from cxbus_emulator import Emulator
from cxbus_webchat.testing import ChatDriver

pytestmark = pytest.mark.integration


@pytest.fixture
def chat(emulator: Emulator, tmp_path: Path) -> Iterator[ChatDriver]:
    """A chat started as Ada: the guest in, the queue's ACD member with it, no agent yet."""
    config = {**emulator.webchat_config(), "sessionFile": str(tmp_path / "session.json")}
    with Bus(config={"webchat": config}) as bus:
        driver = ChatDriver(bus)
        driver("startChat", {"nickname": "Ada"})
        driver.wait("clientConnected")
        yield driver


def conversation_of(chat: ChatDriver) -> str:
    return str(chat("getSessionData")["conversationId"])


def lines(chat: ChatDriver) -> list[str]:
    return [m["text"] for m in chat("getTranscript")["messages"]]


def count(chat: ChatDriver, name: str) -> int:
    return chat.names().count(name)


def test_a_queue_wait_then_an_alerting_agent_who_answers_is_one_join(
    emulator: Emulator, chat: ChatDriver
) -> None:
    cid = conversation_of(chat)
    emulator.agent_alert(cid, "Alex")  # offered the chat: not connected yet
    emulator.agent_join(cid, "Alex")  # answers; the ACD member leaves
    chat.wait("agentConnected")
    emulator.agent_send(cid, "Hello Ada")
    chat.wait("messageReceived", lambda d: d["messages"][-1]["text"] == "Hello Ada")
    assert count(chat, "agentConnected") == 1 and count(chat, "clientConnected") == 1
    assert lines(chat) == ["Ada joined the chat", "Alex joined the chat", "Hello Ada"]
    assert [agent["name"] for agent in chat("getAgents")] == ["Alex"]


def test_a_flow_member_is_no_agent(emulator: Emulator, tmp_path: Path) -> None:
    emulator.configure(workflow_member=True)
    with Bus(config={"webchat": emulator.webchat_config()}) as bus:
        chat = ChatDriver(bus)
        cid = chat("startChat", {"nickname": "Ada"})["conversationId"]
        emulator.agent_join(cid, "Alex")
        chat.wait("agentConnected")
        assert count(chat, "agentConnected") == 1
        assert [agent["name"] for agent in chat("getAgents")] == ["Alex"]


@pytest.mark.parametrize("message_first", [False, True], ids=["change-first", "message-first"])
def test_each_join_and_leave_is_one_line_and_one_event_whichever_frame_comes_first(
    emulator: Emulator, chat: ChatDriver, message_first: bool
) -> None:
    emulator.configure(member_message_first=message_first)
    cid = conversation_of(chat)
    emulator.agent_join(cid, "Alex")
    chat.wait("agentConnected")
    emulator.agent_leave(cid)  # the agent's leaving ends the chat for the guest
    chat.wait("ended")
    assert chat.names().count("agentDisconnected") == 1
    assert chat.names().count("clientDisconnected") == 1
    assert lines(chat) == [
        "Ada joined the chat",
        "Alex joined the chat",
        "Alex left the chat",
        "Ada left the chat",
    ]


def test_an_agent_who_joined_while_the_stream_was_down_is_one_line_after_the_catch_up(
    emulator: Emulator, chat: ChatDriver
) -> None:
    cid = conversation_of(chat)
    emulator.fail_next("/v1/token/*", status=503, count=10_000)
    emulator.drop_sockets(cid)
    chat.wait("disconnected")
    emulator.agent_join(cid, "Sam")
    emulator.agent_send(cid, "Sam here")
    emulator.clear_faults("/v1/token/*")
    chat.wait("messageReceived", lambda d: d["messages"][-1]["text"] == "Sam here")
    assert count(chat, "agentConnected") == 1
    assert lines(chat).count("Sam joined the chat") == 1


def test_a_restored_history_has_one_line_per_join(emulator: Emulator, tmp_path: Path) -> None:
    config = {**emulator.webchat_config(), "sessionFile": str(tmp_path / "session.json")}
    with Bus(config={"webchat": config}) as first:
        cid = ChatDriver(first)("startChat", {"nickname": "Ada"})["conversationId"]
        emulator.agent_join(cid, "Alex")
        emulator.agent_send(cid, "before the restart")
    with Bus(config={"webchat": config}) as second:
        chat = ChatDriver(second)
        second.load_plugin("WebChatService").result(timeout=5)
        chat.wait("restored")
        assert lines(chat) == ["Ada joined the chat", "Alex joined the chat", "before the restart"]
        assert [(a["name"], a["connected"]) for a in chat("getAgents")] == [("Alex", True)]


def test_a_media_request_is_a_message_of_its_own_type(emulator: Emulator, chat: ChatDriver) -> None:
    cid = conversation_of(chat)
    emulator.agent_join(cid, "Alex")
    request_id = emulator.agent_request_media(cid, "COBROWSE")
    offer = chat.wait("messageReceived", lambda d: d["messages"][-1]["type"] == "MediaRequest")
    (message,) = offer["messages"]
    assert (message["text"], message["from"]["name"]) == (request_id, "Alex")


def test_a_message_over_4000_characters_is_refused_before_the_network(
    emulator: Emulator, chat: ChatDriver
) -> None:
    mark = emulator.requests_served()
    assert chat.rejection("sendMessage", {"message": "x" * 4001}) == (
        "sendMessage sends messages of up to 4,000 characters; this one has 4,001."
    )
    cid = conversation_of(chat)
    sent = [path for method, path, _ in emulator.requests_seen(mark) if method == "POST"]
    assert [path for path in sent if cid in path] == []
    assert chat("sendMessage", {"message": "x" * 4000})["body"] == "x" * 4000


def test_a_reattach_refused_for_an_expired_token_ends_the_chat_with_no_retry_loop(
    emulator: Emulator, chat: ChatDriver, tmp_path: Path
) -> None:
    cid = conversation_of(chat)
    jwt = json.loads((tmp_path / "session.json").read_text())["session"]["jwt"]
    mark = emulator.requests_served()
    emulator.expire_tokens(cid)
    emulator.drop_sockets(cid)
    chat.wait("ended")
    assert chat("verifySession") == {"sessionActive": False}
    since = emulator.requests_seen(mark)
    # One reattach at most: refused, no more. (None when a member lookup met the expired
    # token first: that ends the chat as well.)
    assert len([path for _, path, _ in since if jwt in path]) <= 1


def test_the_stream_address_is_a_secret_like_the_jwt(
    emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config: dict[str, Any] = {
        **emulator.webchat_config(),
        "sessionFile": str(tmp_path / "session.json"),
    }
    with caplog.at_level(logging.DEBUG, logger="cxbus"), Bus(config={"webchat": config}) as bus:
        chat = ChatDriver(bus)
        cid = chat("startChat", {"nickname": "Ada"})["conversationId"]
        emulator.drop_sockets(cid)
        chat.wait("reconnected")
        stored = json.loads((tmp_path / "session.json").read_text())["session"]
        chat("endChat")
    uri = stored["event_stream_uri"]
    assert uri.startswith("ws://") and stored["jwt"] in uri  # kept like the JWT
    assert uri not in caplog.text and stored["jwt"] not in caplog.text
