"""MessagingService under every fault switch of the emulator's Web Messaging API, over real
sockets: the conversation comes back, and no message is lost or received twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cxbus_emulator import Emulator
from cxbus_emulator.web_messaging import Limits
from cxbus_messaging.testing import MessagingDriver, messaging_on

pytestmark = pytest.mark.integration

FAST = {"reconnectInterval": 0.05, "timeout": 5}


class EmulatorLog(logging.Handler):
    """The emulator's Web Messaging debug lines (one per request it answers), to wait on."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._changed:
            self.lines.append(record.getMessage())
            self._changed.notify_all()

    def count(self, start: str) -> int:
        with self._changed:
            return sum(line.startswith(start) for line in self.lines)

    def wait(self, ready: Callable[[], bool], timeout: float = 10) -> None:
        with self._changed:
            assert self._changed.wait_for(ready, timeout), self.lines[-5:]


@pytest.fixture
def emulator_log() -> Iterator[EmulatorLog]:
    logger = logging.getLogger("cxbus.emulator.web_messaging")
    handler, level = EmulatorLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def started(messaging: MessagingDriver) -> MessagingDriver:
    messaging("startConversation")
    messaging.wait("started")
    return messaging


def agent_texts(messaging: MessagingDriver) -> list[str]:
    return [
        m["text"]
        for d in messaging.data("messagesReceived")
        for m in d["messages"]
        if m["direction"] == "Outbound" and m.get("text")
    ]


# Lost sockets -------------------------------------------------------------------------------


@pytest.mark.messaging_config(**FAST)
def test_a_dropped_socket_comes_back_and_what_was_missed_comes_once_in_order(
    started: MessagingDriver, emulator: Emulator
) -> None:
    started.agent_send("before")
    session_id = started.session_id
    emulator.messaging.refuse_connections()
    emulator.messaging.drop_sockets(session_id)
    started.wait("reconnecting")
    missed = [emulator.messaging.agent_send(session_id, f"missed {n}") for n in range(3)]
    # It resolves once the server has it: after the socket is back.
    away = started.bus.command("MessagingService.sendMessage", {"message": "sent while away"})
    emulator.messaging.allow_connections()
    assert away.result(timeout=10)["text"] == "sent while away"
    started.wait("reconnected")
    started.received(missed[-1])
    started.agent_send("after")
    assert started.names().count("offline") == 1
    assert agent_texts(started) == ["before", "missed 0", "missed 1", "missed 2", "after"]
    inbound = [
        m["text"]
        for m in emulator.messaging.describe(session_id)["messages"]
        if m["direction"] == "Inbound"
    ]
    assert inbound == ["sent while away"]
    assert emulator.messaging.sockets(session_id) == 1


@pytest.mark.messaging_config(reconnectInterval=0.05, reconnectTimeout=0.5)
def test_a_socket_that_stays_refused_is_given_up_after_reconnecttimeout(
    started: MessagingDriver, emulator: Emulator
) -> None:
    emulator.messaging.refuse_connections()
    emulator.messaging.drop_sockets(started.session_id)
    failed = started.wait("error", lambda d: d["error"]["body"] == "Failed to reconnect.")
    assert failed["error"]["class"] == "string"
    emulator.messaging.allow_connections()
    started("sendMessage", {"message": "back"})  # the token is kept: the session resumes
    started.wait("started", lambda d: not d["newSession"])


@pytest.mark.messaging_config(**FAST)
def test_a_session_limit_close_is_not_fought_back(
    started: MessagingDriver, emulator: Emulator
) -> None:
    emulator.messaging.signed_in_elsewhere(started.session_id)
    started.wait("error", lambda d: "socket was closed" in d["error"]["body"])
    assert "reconnecting" not in started.names()


# Refusals and rates --------------------------------------------------------------------------


def test_a_message_refused_as_too_many_is_sent_again_after_its_retryafter(
    started: MessagingDriver, emulator: Emulator
) -> None:
    emulator.messaging.fail_action("onMessage", count=1, code=429, retry_after=1)
    started("sendMessage", {"message": "patience"})
    started.wait("messagesReceived", lambda d: d["messages"][0].get("text") == "patience")
    assert started.data("error") == []


def test_a_message_refused_by_the_server_is_an_error(
    started: MessagingDriver, emulator: Emulator
) -> None:
    emulator.messaging.fail_action("onMessage", count=1, code=500)
    refused = started.rejection("sendMessage", {"message": "lost"})
    assert refused == "onMessage failed (a fault switch of the emulator)"  # the server's words
    assert started.wait("error")["error"]["code"] == 500


def test_a_burst_of_messages_is_paced_under_the_limits_and_none_is_refused(
    started: MessagingDriver, emulator: Emulator
) -> None:
    texts = [f"burst {n}" for n in range(12)]
    for text in texts:
        started.bus.command("MessagingService.sendMessage", {"message": text})
    started.wait("messagesReceived", lambda d: d["messages"][0].get("text") == texts[-1], 20)
    assert started.data("error") == []
    inbound = [m["text"] for m in emulator.messaging.describe(started.session_id)["messages"]]
    assert inbound == texts


@pytest.mark.messaging_config(healthCheckInterval=0.2)
def test_the_health_check_goes_at_its_pace_and_one_over_the_limit_holds_nothing_up(
    started: MessagingDriver, emulator_log: EmulatorLog
) -> None:
    emulator_log.wait(lambda: emulator_log.count("echo -> ('TooManyRequestsErrorMessage'") >= 1)
    assert emulator_log.count("echo -> ('StructuredMessage', 200)") == 2  # 2 a minute
    started("sendMessage", {"message": "not held up"})
    started.wait("messagesReceived", lambda d: d["messages"][0].get("text") == "not held up")
    assert "offline" not in started.names()


def test_the_jwt_for_history_is_reused_while_good_and_renewed_before_it_expires(
    tmp_path: Path, emulator_log: EmulatorLog
) -> None:
    def two_pages(emulator: Emulator, session_file: Path) -> None:
        with messaging_on(emulator, session_file, historyPageSize=1) as messaging:
            messaging("startConversation")
            messaging.agent_send("one")
            messaging.agent_send("two")
            assert messaging("fetchHistory")["messages"][0]["text"] == "two"
            assert messaging("fetchHistory")["messages"][0]["text"] == "one"

    with Emulator(demo_agent=False, messaging_limits=Limits(jwt_seconds=5)) as short_lived:
        two_pages(short_lived, tmp_path / "short.json")
    assert emulator_log.count("getJwt") == 2  # 5 s is within the margin: a new one each time
    emulator_log.lines.clear()
    with Emulator(demo_agent=False) as long_lived:
        two_pages(long_lived, tmp_path / "long.json")
    assert emulator_log.count("getJwt") == 1


# What the server sends --------------------------------------------------------------------------


def test_a_malformed_frame_is_skipped(started: MessagingDriver, emulator: Emulator) -> None:
    emulator.messaging.send_malformed_frame(started.session_id)
    started.agent_send("still here")
    assert "offline" not in started.names()


def test_messages_delivered_out_of_order_are_each_received_once(
    started: MessagingDriver, emulator: Emulator
) -> None:
    session_id = started.session_id
    emulator.messaging.deliver_out_of_order(session_id, count=3)
    ids = [emulator.messaging.agent_send(session_id, f"n{n}") for n in range(3)]
    for message_id in ids:
        started.received(message_id)
    assert sorted(agent_texts(started)) == ["n0", "n1", "n2"]


def test_an_expired_session_ends_and_the_next_start_is_a_new_one(
    started: MessagingDriver, emulator: Emulator
) -> None:
    first = started.session_id
    emulator.messaging.expire_session(first)
    started.wait("sessionExpired")
    started("startConversation")
    started.wait("started", lambda d: d["newSession"])
    assert started.session_id != first


def test_a_logout_ends_the_session_with_an_error(
    started: MessagingDriver, emulator: Emulator
) -> None:
    emulator.messaging.log_out(started.session_id)
    assert started.wait("error")["error"]["class"] == "LogoutEvent"


@pytest.mark.messaging_config(**FAST)
def test_history_refused_during_a_catch_up_is_asked_again(
    started: MessagingDriver, emulator: Emulator
) -> None:
    session_id = started.session_id
    emulator.messaging.refuse_connections()
    emulator.messaging.drop_sockets(session_id)
    started.wait("reconnecting")
    missed = emulator.messaging.agent_send(session_id, "missed")
    emulator.messaging.fail_rest("*/webmessaging/messages", status=503, count=5)
    emulator.messaging.allow_connections()
    started.received(missed)
    assert agent_texts(started) == ["missed"]


# All at once ------------------------------------------------------------------------------------


@pytest.mark.messaging_config(**FAST)
def test_no_message_is_lost_or_received_twice_under_the_faults(
    started: MessagingDriver, emulator: Emulator
) -> None:
    session_id = started.session_id
    controls = emulator.messaging
    faults: list[Callable[[], object]] = [
        lambda: controls.drop_sockets(session_id),
        lambda: controls.deliver_out_of_order(session_id, count=3),
        lambda: controls.send_malformed_frame(session_id),
        lambda: controls.fail_rest("*/webmessaging/messages", status=503, count=4),
        lambda: controls.fail_action("onMessage", count=1, code=429, retry_after=1),
    ]
    agent: list[str] = []
    guest = [f"guest {n}" for n in range(10)]
    for n, text in enumerate(guest):
        faults[n % len(faults)]()
        agent += [controls.agent_send(session_id, f"agent {n}.{k}") for k in range(4)]
        started.bus.command("MessagingService.sendMessage", {"message": text})
        if n % len(faults) == 0:  # a drop: let it come back before the next fault
            drops = n // len(faults) + 1
            started.wait(
                "reconnected", lambda d, drops=drops: started.names().count("reconnected") >= drops
            )
    for message_id in agent:
        started.received(message_id, timeout=15)
    started.wait("messagesReceived", lambda d: d["messages"][0].get("text") == guest[-1], 15)
    received = [m["id"] for d in started.data("messagesReceived") for m in d["messages"]]
    assert sorted(i for i in received if i in agent) == sorted(agent)  # each once
    assert len(received) == len(set(received))
    inbound = [
        m["text"] for m in controls.describe(session_id)["messages"] if m["direction"] == "Inbound"
    ]
    assert inbound == guest  # each once, in the order sent
