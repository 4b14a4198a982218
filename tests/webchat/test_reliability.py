"""What a reliability review of WebChatService found, each pinned by the behaviour at stake."""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest

from cxbus import Bus, CommandRejected, Event
from cxbus.runtime.threads import USER_THREADS_MOST, runtime
from cxbus_webchat import (
    FileSessionStore,
    MemorySessionStore,
    StoredSession,
    parse_config,
    parse_gms,
    register_transport,
)
from cxbus_webchat.transport import ChatEnded, Member, SessionData
from cxbus_webchat.transports.fake import FakeTransport

from .conftest import Chat, webchat_config

ALREADY_ACTIVE = "There is already an active chat session."


def chat_on(bus: Bus) -> Chat:
    """WebChatService loaded on ``bus``, with a driver that records from now on."""
    bus.load_plugin("WebChatService").result(timeout=5)
    chat = Chat(bus)
    chat.forget_events()
    return chat


# A new chat is never ended by the previous one -----------------------------------------


class RememberingListeners(FakeTransport):
    """A fake that keeps every listener it was given, to report late frames with them."""

    type = "fake-remembering"
    listeners: ClassVar[list[Any]] = []

    def start(self, request: Any, listener: Any) -> Any:
        self.listeners.append(listener)
        return super().start(request, listener)


register_transport(RememberingListeners)


def test_a_late_leave_of_the_previous_chat_does_not_end_the_next_one(tmp_path: Path) -> None:
    config = webchat_config(tmp_path, transport={"type": "fake-remembering"})
    with Bus(config={"webchat": config}) as bus:
        chat = chat_on(bus)
        first = chat("startChat", {"nickname": "Ada"})
        chat("endChat")
        chat("startChat", {"nickname": "Ada"})
        chat.forget_events()
        # The first chat's last words, late: its guest's leaving, and its end.
        previous = RememberingListeners.listeners[-2]
        previous(Member(first["memberId"], "CUSTOMER", "DISCONNECTED", "Ada"))
        previous(ChatEnded("the first chat is over"))
        previous.settled().result(timeout=5)
        chat.settle()
        assert chat("verifySession") == {"sessionActive": True}
        assert chat.names() == []


# A refused second startChat leaves the first whole ------------------------------------------


class HeldStart(FakeTransport):
    """A fake whose start waits until the test lets it go."""

    type = "fake-held-start-once"
    entered = threading.Event()
    release = threading.Event()

    def start(self, request: Any, listener: Any) -> Any:
        self.entered.set()
        assert self.release.wait(timeout=5)
        return super().start(request, listener)


register_transport(HeldStart)


def test_a_refused_second_startchat_leaves_the_first_start_whole(tmp_path: Path) -> None:
    config = webchat_config(tmp_path, transport={"type": "fake-held-start-once"})
    with Bus(config={"webchat": config}) as bus:
        chat = chat_on(bus)
        first = bus.command("WebChatService.startChat", {"nickname": "Ada"})
        assert HeldStart.entered.wait(timeout=5)
        assert chat.rejection("startChat", {"nickname": "Ada"}) == ALREADY_ACTIVE
        HeldStart.release.set()
        first.result(timeout=5)
        chat.settle()
        assert chat.names()[:2] == ["started", "clientConnected"]


# The session store: deliberate, claimed, never trusting leftovers ---------------------------


def test_a_session_file_that_is_a_directory_fails_the_load_naming_it(tmp_path: Path) -> None:
    config = {"webchat": webchat_config(tmp_path, sessionFile=str(tmp_path))}
    with Bus(config=config) as bus, pytest.raises(CommandRejected) as refused:
        bus.load_plugin("WebChatService").result(timeout=5)
    assert (
        refused.value.reason == f"webchat.sessionFile: The session file {tmp_path} is a directory."
    )


class UnwritableStore(MemorySessionStore):
    """A store whose disk refuses every write."""

    def save(self, stored: StoredSession) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")


def test_a_store_that_cannot_save_costs_the_chat_nothing_and_says_so_once() -> None:
    config = {"transport": {"type": "fake"}, "sessionStore": UnwritableStore()}
    with Bus(config={"webchat": config}) as bus:
        chat = chat_on(bus)
        chat("startChat", {"nickname": "Ada"})
        chat("FakeTransport.agentJoin", {"name": "Alex"})
        chat("addPrefilter", {"filters": "secret"})  # another save, another failure
        assert chat("sendMessage", {"message": "still here"})["body"] == "still here"
        (error,) = chat.data("error")
        assert error["message"].startswith(
            "The chat could not be saved in its session store (MemorySessionStore()): "
            "Permission denied. The chat goes on"
        )
        chat("endChat")
        assert chat.names()[-1] == "ended"


def test_buses_without_a_session_file_share_no_chat() -> None:
    config = {"webchat": {"transport": {"type": "fake"}}}
    with Bus(config=config) as first, Bus(config=config) as second:
        one, two = chat_on(first), chat_on(second)
        one("startChat", {"nickname": "Ada"})
        assert two("verifySession") == {"sessionActive": False}
        two("startChat", {"nickname": "Bob"})
        two("endChat")
        assert one("verifySession") == {"sessionActive": True}


def test_a_session_file_is_claimed_by_one_bus_at_a_time(tmp_path: Path) -> None:
    config = {"webchat": webchat_config(tmp_path)}
    with Bus(config=config) as first:
        chat_on(first)("startChat", {})
        with Bus(config=config) as second, pytest.raises(CommandRejected) as refused:
            second.load_plugin("WebChatService").result(timeout=5)
        assert refused.value.reason == (
            f"webchat.sessionFile: The session file {tmp_path / 'session.json'} "
            "is in use by another bus or process."
        )
    with Bus(config=config) as third:  # the first let it go when it closed
        chat = chat_on(third)
        chat.wait("restored")


def test_nothing_is_written_to_home_without_a_session_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with Bus(config={"webchat": {"transport": {"type": "fake"}}}) as bus:
        chat_on(bus)("startChat", {})
    assert list(tmp_path.iterdir()) == []


def stored_session() -> StoredSession:
    session = SessionData("c", "g", "a.jwt.secret", "wss://stream")
    return StoredSession(session, started_at=1, saved_at=1_700_000_000.0)


def test_a_leftover_partial_file_or_symlink_is_never_written_through(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path / "session.json")
    target = tmp_path / "elsewhere.txt"
    target.write_text("untouched")
    (tmp_path / "session.json.partial").symlink_to(target)
    leftover = tmp_path / ".session.json.partial"
    leftover.write_text("{}")
    leftover.chmod(0o644)
    store.save(stored_session())
    assert target.read_text() == "untouched"
    assert stat.S_IMODE((tmp_path / "session.json").stat().st_mode) == 0o600
    assert store.load() == stored_session()


def test_saves_from_two_threads_at_once_never_fail(tmp_path: Path) -> None:
    stores = [FileSessionStore(tmp_path / "session.json") for _ in range(2)]
    failures: list[BaseException] = []

    def save_many(store: FileSessionStore) -> None:
        try:
            for _ in range(200):
                store.save(stored_session())
        except BaseException as failure:
            failures.append(failure)

    threads = [threading.Thread(target=save_many, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert stores[0].load() == stored_session()
    assert [p.name for p in tmp_path.iterdir()] == ["session.json"]


def corrupted(change: dict[str, Any]) -> dict[str, Any]:
    good = stored_session().to_json()
    good["savedAt"] = time.time()
    return {**good, **change}


@pytest.mark.parametrize(
    "change",
    [
        {"filters": [["(", 0]]},
        {"startedAt": "yesterday"},
        {"savedAt": math.nan},
        {"savedAt": time.time() + 3600},
        {"session": {"conversation_id": 7}},
    ],
    ids=["filter", "startedAt", "savedAt-nan", "savedAt-future", "session"],
)
def test_a_corrupt_stored_session_is_discarded_with_restorefailed_and_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, change: dict[str, Any]
) -> None:
    (tmp_path / "session.json").write_text(json.dumps(corrupted(change)))
    with (
        caplog.at_level(logging.WARNING, logger="cxbus"),
        Bus(config={"webchat": webchat_config(tmp_path)}) as bus,
    ):
        chat = Chat(bus)
        bus.load_plugin("WebChatService").result(timeout=5)
        chat.wait("restoreFailed")
        assert chat("verifySession") == {"sessionActive": False}
        chat("startChat", {"nickname": "Ada"})
        assert chat("getStats")["startTime"] > 0
    discarded = [r for r in caplog.records if "discarded" in r.getMessage()]
    assert len(discarded) == 1, [r.getMessage() for r in caplog.records]


# User code never stops the service ------------------------------------------------------


def test_a_subscriber_that_calls_sys_exit_stops_nothing(started: Chat) -> None:
    def leave(event: Event) -> None:
        sys.exit("a subscriber gave up")

    started.bus.register_plugin("Quitter").subscribe("WebChatService.messageReceived", leave)
    started("FakeTransport.agentSend", {"text": "first"})
    started("FakeTransport.agentSend", {"text": "second"})
    assert started("verifySession") == {"sessionActive": True}
    assert started.texts()[-2:] == ["first", "second"]
    assert len(started.data("messageReceived")) == 2


# sendFile reads only regular files, off the caller's thread, no further than its limit -------


def test_sendfile_refuses_a_fifo_without_blocking_anyone(started: Chat, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    sending = started.bus.command("WebChatService.sendFile", {"files": fifo})
    with pytest.raises(CommandRejected, match="sendFile can only send a regular file"):
        sending.result(timeout=5)
    assert started("verifySession") == {"sessionActive": True}


class SlowFile:
    """A binary file object whose read waits until the test lets it go."""

    name = "slow.txt"

    def __init__(self) -> None:
        self.reading = threading.Event()
        self.release = threading.Event()
        self.reader: threading.Thread | None = None

    def read(self, size: int = -1) -> bytes:
        self.reader = threading.current_thread()
        self.reading.set()
        assert self.release.wait(timeout=5)
        return b""


def test_sendfile_reads_a_file_object_off_the_caller_s_thread(started: Chat) -> None:
    slow = SlowFile()
    sending = started.bus.command("WebChatService.sendFile", {"files": slow})
    assert slow.reading.wait(timeout=5)  # the command has returned, and the read waits
    assert started("verifySession") == {"sessionActive": True}
    slow.release.set()
    sending.result(timeout=5)
    assert slow.reader is not threading.current_thread()


def test_sendfile_refuses_a_device(started: Chat) -> None:
    reason = started.rejection("sendFile", {"files": "/dev/zero"})
    assert reason == "sendFile can only send a regular file; 'zero' is not one."


class EndlessFile:
    """A binary file object that never ends, and remembers how much it was asked for."""

    name = "endless.bin"

    def __init__(self) -> None:
        self.asked: list[int] = []

    def read(self, size: int = -1) -> bytes:
        self.asked.append(size)
        return b"x" * max(size, 0)


def test_sendfile_reads_a_file_object_no_further_than_the_limit(started: Chat) -> None:
    endless = EndlessFile()
    reason = started.rejection("sendFile", {"files": endless})
    assert reason == "sendFile sends files of up to 10485760 bytes; 'endless.bin' is larger."
    assert endless.asked == [10 * 2**20 + 1]


# Options: an explicit null means the default; numbers are finite ---------------------------


def test_null_options_take_their_defaults() -> None:
    config = parse_config(
        {
            "transport": {"type": "fake", "timeout": None, "interactionData": None},
            "userData": None,
            "restoreTimeout": None,
            "agentTypingTimeout": None,
        }
    )
    assert config.transport.timeout == 10.0 and config.user_data == {}
    assert config.restore_timeout == 60.0 and config.agent_typing_timeout == 10.0


@pytest.mark.parametrize(
    ("section", "sentence"),
    [
        (
            {"transport": {"type": "fake", "timeout": math.inf}},
            "webchat.transport.timeout must be a finite number of seconds above 0; got inf.",
        ),
        (
            {"transport": {"type": "fake"}, "restoreTimeout": math.nan},
            "webchat.restoreTimeout must be a finite number of seconds above 0; got nan.",
        ),
        (
            {"transport": {"type": "fake", "interactionData": {"routing": {"skills": "abc"}}}},
            "webchat.transport.interactionData.routing.skills must be a list of strings; "
            "got 'abc'.",
        ),
        (
            {"transport": None, "dataURL": "http://127.0.0.1:1/genesys/2/chat/s", "ajaxTimeout": 0},
            "webchat.ajaxTimeout must be a finite number of milliseconds above 0; got 0.",
        ),
        (
            {"transport": {"type": "fake", "caBundle": "/no/such/bundle.pem"}},
            "webchat.transport.caBundle must be the path of an existing CA bundle file; "
            "got '/no/such/bundle.pem'.",
        ),
        (  # a secret's value is never shown, only its type
            {"transport": {"type": "fake", "deploymentKey": ["s3cr3t-key"]}},
            "webchat.transport.deploymentKey must be a non-empty string; got a list.",
        ),
    ],
)
def test_bad_numbers_and_mistyped_options_are_refused_naming_them(
    section: dict[str, Any], sentence: str
) -> None:
    with pytest.raises(Exception) as refused:
        parse_config(section)
        parse_gms(section)
    assert str(refused.value) == sentence


# Closing many chats is quiet -------------------------------------------------------------------


def test_closing_many_buses_with_chats_logs_no_unhandled_rejection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    buses = [Bus(config={"webchat": {"transport": {"type": "fake"}}}) for _ in range(50)]
    with caplog.at_level(logging.WARNING, logger="cxbus"):
        for bus in buses:
            chat = chat_on(bus)
            chat("startChat", {})
            chat("FakeTransport.agentJoin", {"name": "Alex"})
        for bus in buses:
            bus.close()
    assert [r.getMessage() for r in caplog.records] == []


def test_a_slow_subscriber_delays_later_events_in_order_but_never_a_command(
    started: Chat,
) -> None:
    gate = threading.Event()
    seen: list[str] = []

    def slow(event: Event) -> None:
        seen.extend(m["text"] for m in event.data["messages"])
        gate.wait(timeout=10)

    started.bus.register_plugin("Slow").subscribe("WebChatService.messageReceived", slow)
    for n in range(5):  # each resolves once delivered: not waited for here
        started.bus.command("FakeTransport.agentSend", {"text": f"m{n}"})
    sent = started.bus.command("WebChatService.sendMessage", {"message": "hi"})
    assert sent.result(timeout=2)["body"] == "hi"
    verified = started.bus.command("WebChatService.verifySession")
    assert verified.result(timeout=2) == {"sessionActive": True}
    assert seen == ["m0"]  # the subscriber still holds the first event
    gate.set()
    started.settle(timeout=10)
    assert seen == ["m0", "m1", "m2", "m3", "m4", "hi"]


def test_a_command_answers_while_every_thread_that_runs_subscribers_is_held(
    started: Chat,
) -> None:
    """Answers settle on a pool of their own: subscribers holding all the threads the
    delivery pool may grow to (the limit its docstring names) hold no command."""
    gate, entered = threading.Event(), threading.Semaphore(0)

    def held() -> None:
        entered.release()
        gate.wait(timeout=30)

    delivery = runtime().delivery
    try:
        for _ in range(USER_THREADS_MOST):
            delivery.submit(held)
        for _ in range(USER_THREADS_MOST):
            assert entered.acquire(timeout=10)
        sent = started.bus.command("WebChatService.sendMessage", {"message": "hi"})
        assert sent.result(timeout=5)["body"] == "hi"
    finally:
        gate.set()


# A chat closed at any moment of its life closes cleanly ------------------------------------


class HeldResume(FakeTransport):
    """A fake whose resume waits until the test lets it go."""

    type = "fake-held-resume-once"
    entered = threading.Event()
    release = threading.Event()

    def resume(self, session: Any, listener: Any) -> None:
        self.entered.set()
        assert self.release.wait(timeout=5)
        super().resume(session, listener)


register_transport(HeldResume)


@pytest.fixture
def thread_failures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What threads died of during the test (threading.excepthook's arguments)."""
    failures: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", failures.append)
    return failures


def test_a_bus_closed_before_webchatservice_is_configured_closes_quietly(
    thread_failures: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cxbus"):
        bus = Bus(config={"webchat": {"transport": {"type": "fake"}}})
        from cxbus_webchat import WebChatService

        WebChatService(bus)  # registered, never made ready
        bus.close()
    assert thread_failures == [] and caplog.records == []


def test_a_bus_closed_while_a_chat_starts_or_restores_closes_quietly(
    tmp_path: Path, thread_failures: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    config = webchat_config(tmp_path)
    with Bus(config={"webchat": config}) as first:
        chat_on(first)("startChat", {})
    HeldStart.release.clear()
    HeldStart.entered.clear()
    with caplog.at_level(logging.WARNING, logger="cxbus"):
        resuming = Bus(
            config={"webchat": {**config, "transport": {"type": "fake-held-resume-once"}}}
        )
        resuming.load_plugin("WebChatService").result(timeout=5)  # restores by itself
        assert HeldResume.entered.wait(timeout=5)
        starting = Bus(config={"webchat": {"transport": {"type": "fake-held-start-once"}}})
        starting.command("WebChatService.startChat", {})
        assert HeldStart.entered.wait(timeout=5)
        closers = [threading.Thread(target=bus.close) for bus in (resuming, starting)]
        for closer in closers:
            closer.start()
        HeldResume.release.set()
        HeldStart.release.set()
        for closer in closers:
            closer.join(timeout=15)
    assert thread_failures == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_chat_created_as_its_bus_closed_is_stored_and_restored_by_the_next(
    tmp_path: Path,
) -> None:
    config = webchat_config(tmp_path, transport={"type": "fake-held-start-once"})
    HeldStart.release.clear()
    HeldStart.entered.clear()
    starting = Bus(config={"webchat": config})
    starting.command("WebChatService.startChat", {"nickname": "Ada"})
    assert HeldStart.entered.wait(timeout=5)
    closer = threading.Thread(target=starting.close)
    closer.start()
    HeldStart.release.set()
    closer.join(timeout=15)
    assert not closer.is_alive()
    with Bus(config={"webchat": webchat_config(tmp_path)}) as next_bus:
        chat = chat_on(next_bus)
        chat.wait("restored")
        assert chat("verifySession") == {"sessionActive": True}
