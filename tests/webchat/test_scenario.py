"""A whole chat as a plugin author would drive it, and a restore in a second bus."""

from __future__ import annotations

import contextlib
import json
import re
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxbus import Bus, CommandRejected
from cxbus_webchat import MemorySessionStore, StoredSession, register_transport
from cxbus_webchat import machine as machine_module
from cxbus_webchat.transports.fake import FakeTransport

from .conftest import Chat, webchat_config


def texts(chat: Chat) -> list[str]:
    return [m["text"] for m in chat("getTranscript")["messages"]]


def test_a_whole_chat(chat: Chat) -> None:
    """Start, agent joins, typing, messages both ways, a hidden message, agent leaves, end."""
    chat("startChat", {"nickname": "Ada", "subject": "billing"})
    assert chat("getAgents") == []

    chat("FakeTransport.agentJoin", {"name": "Alex"})
    assert [a["name"] for a in chat("getAgents")] == ["Alex"]

    chat("FakeTransport.agentTyping")
    chat("FakeTransport.agentSend", {"text": "Hi Ada, how can I help?"})
    chat("sendMessage", {"message": "My invoice is wrong."})
    chat("sendFilteredMessage", {"message": "account 991-22", "regex": r"account \d+"})
    chat("FakeTransport.agentSend", {"text": "Found it, fixed."})
    assert texts(chat) == [
        "Ada joined the chat",
        "Alex joined the chat",
        "Hi Ada, how can I help?",
        "My invoice is wrong.",
        "Found it, fixed.",
    ]
    assert [m["index"] for m in chat("getTranscript")["messages"]] == [0, 1, 2, 3, 4]

    chat("FakeTransport.agentLeave")
    (agent,) = chat("getAgents")
    assert agent["connected"] is False and agent["disconnectedTime"] >= agent["connectedTime"]
    assert chat("getStats")["endTime"] is None

    chat("endChat")
    stats = chat("getStats")
    assert stats["endTime"] is not None and stats["duration"] >= 0
    assert chat.names() == [
        "started",
        "clientConnected",
        "messageReceived",
        "agentConnected",
        "agentTypingStarted",
        "agentTypingStopped",
        "messageReceived",
        "messageReceived",
        "messageReceived",
        "messageReceived",
        "agentDisconnected",
        "clientDisconnected",
        "ended",
    ]


def test_the_session_file_is_private_and_gone_when_the_chat_ends(tmp_path: Path) -> None:
    """Session data is kept in a 0600 file during the chat and removed at its end."""
    session_file = tmp_path / "session.json"
    with Bus(config={"webchat": webchat_config(tmp_path)}) as bus:
        chat = Chat(bus)
        chat("startChat", {})
        assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
        assert json.loads(session_file.read_text())["session"]["jwt"].startswith("fake-jwt-")
        chat("endChat")
        assert not session_file.exists()


def test_a_second_bus_restores_the_chat_with_what_it_missed(tmp_path: Path) -> None:
    """A restarted program (a new bus) restores the chat, history restoring, filters kept."""
    config = {"webchat": webchat_config(tmp_path)}
    with Bus(config=config) as first:
        chat = Chat(first)
        chat("startChat", {"nickname": "Ada"})
        chat("FakeTransport.agentJoin", {"name": "Alex"})
        chat("addPrefilter", {"filters": "secret"})
        chat("FakeTransport.agentSend", {"text": "before the restart"})
        chat("FakeTransport.dropConnection")  # the program goes away without ending the chat
        chat("FakeTransport.agentSend", {"text": "while you were gone"})
        chat("FakeTransport.agentSend", {"text": "a secret code"})

    with Bus(config=config) as second:
        recorder = Chat(second)
        second.load_plugin("WebChatService").result(timeout=5)
        recorder.wait("restored")
        received = recorder.data("messageReceived")
        assert all(data["restoring"] for data in received)
        shown = [m["text"] for data in received for m in data["messages"]]
        assert shown == [
            "Ada joined the chat",  # history holds the joins, as on Genesys Cloud
            "Alex joined the chat",
            "before the restart",
            "while you were gone",
        ]
        assert recorder("verifySession") == {"sessionActive": True}
        recorder("FakeTransport.agentSend", {"text": "welcome back"})
        assert texts(recorder)[-1] == "welcome back"
        assert recorder.data("messageReceived")[-1]["restoring"] is False


def test_a_restored_filter_keeps_its_flags(tmp_path: Path) -> None:
    """A compiled filter with flags hides the same messages after a restore."""
    config = {"webchat": webchat_config(tmp_path)}
    with Bus(config=config) as first:
        chat = Chat(first)
        chat("startChat", {})
        chat("FakeTransport.agentJoin", {"name": "Alex"})
        chat("addPrefilter", {"filters": re.compile("secret", re.IGNORECASE)})
    with Bus(config=config) as second:
        chat = Chat(second)
        second.load_plugin("WebChatService").result(timeout=5)
        chat.wait("restored")
        chat("FakeTransport.agentSend", {"text": "A SECRET code"})
        chat("FakeTransport.agentSend", {"text": "shown"})
        assert texts(chat)[-1] == "shown"
        assert "A SECRET code" not in texts(chat)


def restored_pages(tmp_path: Path, **transport: Any) -> list[list[str]]:
    """Five agent messages in one bus, restored in a second: the texts of each page."""
    config = {"webchat": webchat_config(tmp_path, transport={"type": "fake", **transport})}
    with Bus(config=config) as first:
        chat = Chat(first)
        chat("startChat", {})
        chat("FakeTransport.agentJoin", {"name": "Alex"})
        for n in range(5):
            chat("FakeTransport.agentSend", {"text": f"m{n}"})
    with Bus(config=config) as second:
        recorder = Chat(second)
        second.load_plugin("WebChatService").result(timeout=5)
        recorder.wait("restored")
        return [[m["text"] for m in d["messages"]] for d in recorder.data("messageReceived")]


def test_restore_pages_follow_max_message_page_size(tmp_path: Path) -> None:
    """With pagination on, restored history comes in pages of maxMessagePageSize."""
    pages = restored_pages(tmp_path, maxMessagePageSize=2)
    joins = ["Guest joined the chat", "Alex joined the chat"]
    assert pages == [joins, ["m0", "m1"], ["m2", "m3"], ["m4"]]


def test_restore_all_at_once_without_pagination(tmp_path: Path) -> None:
    """With pagination off, restored history comes in one messageReceived."""
    pages = restored_pages(tmp_path, maxMessagePageSize=2, pagination=False)
    joins = ["Guest joined the chat", "Alex joined the chat"]
    assert pages == [[*joins, "m0", "m1", "m2", "m3", "m4"]]


def restore_in_new_bus(config: dict[str, Any], event: str) -> Chat:
    """Load WebChatService on a new bus and wait for ``event``; the recorder of that bus."""
    chat = Chat(Bus(config=config))
    chat.bus.load_plugin("WebChatService").result(timeout=5)
    chat.wait(event)
    return chat


def test_restore_of_an_ended_conversation_fails(tmp_path: Path) -> None:
    """restoreFailed when the stored conversation is gone; the stored session is dropped."""
    config = {"webchat": webchat_config(tmp_path)}
    with Bus(config=config) as first:
        Chat(first)("startChat", {})
    (tmp_path / "session.json").write_text(
        (tmp_path / "session.json")
        .read_text()
        .replace('"conversation_id": "', '"conversation_id": "gone-')
    )
    chat = restore_in_new_bus(config, "restoreFailed")
    try:
        assert chat("verifySession") == {"sessionActive": False}
    finally:
        chat.bus.close()  # returns once the chat's store work is done
    assert not (tmp_path / "session.json").exists()


def test_restore_of_a_stale_session_times_out(tmp_path: Path) -> None:
    """restoreTimeout when the stored chat is older than restoreTimeout."""
    config = {"webchat": webchat_config(tmp_path)}
    with Bus(config=config) as first:
        Chat(first)("startChat", {})
    age_stored_session(tmp_path, 61)
    chat = restore_in_new_bus(config, "restoreTimeout")
    try:
        assert chat("verifySession") == {"sessionActive": False}
    finally:
        chat.bus.close()


def age_stored_session(tmp_path: Path, seconds: float) -> None:
    """Make the stored session look saved ``seconds`` ago."""
    stored = json.loads((tmp_path / "session.json").read_text())
    stored["savedAt"] = time.time() - seconds
    (tmp_path / "session.json").write_text(json.dumps(stored))


def test_restore_timeout_counts_from_when_the_bus_closed(tmp_path: Path) -> None:
    """A chat that ran longer than restoreTimeout is still restored: closing renews the time."""
    config = {"webchat": webchat_config(tmp_path)}
    with Bus(config=config) as first:
        Chat(first)("startChat", {})
        age_stored_session(tmp_path, 3600)  # an hour-long chat
    chat = restore_in_new_bus(config, "restored")
    try:
        assert chat("verifySession") == {"sessionActive": True}
    finally:
        chat.bus.close()


class RecordingStore(MemorySessionStore):
    """A session store that tells when it saves."""

    def __init__(self) -> None:
        super().__init__()
        self.saved = threading.Condition()
        self.saves: list[StoredSession] = []

    def save(self, stored: StoredSession) -> None:
        super().save(stored)
        with self.saved:
            self.saves.append(stored)
            self.saved.notify_all()


def test_arriving_messages_renew_the_stored_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """While messages flow the store's time is renewed, so a killed process can be restored."""
    monkeypatch.setattr(machine_module, "SESSION_RENEWAL_INTERVAL", 0.0)
    store = RecordingStore()
    with Bus(config={"webchat": {"transport": {"type": "fake"}, "sessionStore": store}}) as bus:
        chat = Chat(bus)
        chat("startChat", {})
        chat("FakeTransport.agentJoin", {"name": "Alex"})
        with store.saved:
            before = len(store.saves)
        chat("FakeTransport.agentSend", {"text": "still here"})
        with store.saved:
            assert store.saved.wait_for(lambda: len(store.saves) > before, timeout=5)
            assert time.time() - store.saves[-1].saved_at < 60


@contextlib.contextmanager
def restoring_only_when_told(tmp_path: Path) -> Iterator[Chat]:
    """A second bus (a restarted program) whose WebChatService has autoRestore off."""
    with Bus(config={"webchat": webchat_config(tmp_path, autoRestore=False)}) as bus:
        bus.load_plugin("WebChatService").result(timeout=5)
        yield Chat(bus)


def test_with_auto_restore_off_a_plugin_restores_the_chat_when_it_chooses(
    tmp_path: Path,
) -> None:
    """autoRestore false: nothing is restored by itself; the restore command does it."""
    config = {"webchat": webchat_config(tmp_path)}
    with Bus(config=config) as first:
        chat = Chat(first)
        chat("startChat", {})
        chat("FakeTransport.agentJoin", {"name": "Alex"})
        chat("FakeTransport.agentSend", {"text": "before the restart"})
    with restoring_only_when_told(tmp_path) as chat:
        assert chat("verifySession") == {"sessionActive": False}
        chat("restore")
        chat.wait("restored")
        [history] = chat.data("messageReceived")
        assert history["restoring"] is True
        said = [m["text"] for m in history["messages"] if m["type"] == "Message"]
        assert said == ["before the restart"]


def test_a_restored_chat_knows_its_agents_and_when_it_started(tmp_path: Path) -> None:
    """A restored chat lists its agents, publishes the agent leaving, and keeps startTime."""
    config = {"webchat": webchat_config(tmp_path)}
    with Bus(config=config) as first:
        chat = Chat(first)
        chat("startChat", {})
        chat("FakeTransport.agentJoin", {"name": "Alex"})
        started_at = chat("getStats")["startTime"]
    with Bus(config=config) as second:
        chat = Chat(second)
        second.load_plugin("WebChatService").result(timeout=5)
        chat.wait("restored")
        assert [(a["name"], a["connected"]) for a in chat("getAgents")] == [("Alex", True)]
        assert chat("getStats")["startTime"] == started_at
        chat("FakeTransport.agentLeave")
        assert chat.wait("agentDisconnected")["numAgentsConnected"] == 0


def test_a_server_error_while_restoring_keeps_the_chat_for_another_try(tmp_path: Path) -> None:
    """restoreFailed on a 5xx leaves the stored chat: a second restore picks it up."""
    config = {"webchat": webchat_config(tmp_path)}
    with Bus(config=config) as first:
        Chat(first)("startChat", {})
    with restoring_only_when_told(tmp_path) as chat:
        chat("FakeTransport.failNext", {"reason": {"message": "Unavailable", "status": 503}})
        assert chat.rejection("restore") == {"message": "Unavailable", "status": 503}
        chat.wait("restoreFailed")
        chat("restore")
        assert chat("verifySession") == {"sessionActive": True}


def test_filters_last_as_long_as_the_chat_and_a_restore_adds_the_stored_ones(
    tmp_path: Path,
) -> None:
    """An ended chat takes its filters along; restored filters join those added since."""
    config = {"webchat": webchat_config(tmp_path)}
    with Bus(config=config) as first:
        chat = Chat(first)
        chat("startChat", {})
        chat("addPrefilter", {"filters": "order"})
        chat("endChat")
        assert chat("addPrefilter", {"filters": "card"}) == [re.compile("card")]
        chat("startChat", {})
    with restoring_only_when_told(tmp_path) as chat:
        chat("addPrefilter", {"filters": "secret"})
        chat("restore")
        assert chat("addPrefilter", {"filters": "card"}) == [
            re.compile("secret"),
            re.compile("card"),
        ]


class SlowStart(FakeTransport):
    """A fake whose start waits until the test lets it go."""

    type = "fake-slow-start"
    entered = threading.Event()
    release = threading.Event()

    def start(self, request: Any, listener: Any) -> Any:
        self.entered.set()
        assert self.release.wait(timeout=5)
        return super().start(request, listener)


register_transport(SlowStart)


def test_restore_while_a_chat_is_starting_rejects(tmp_path: Path) -> None:
    """restore while startChat is under way rejects as for an active chat: never two chats."""
    config = {"webchat": webchat_config(tmp_path)}
    with Bus(config=config) as first:
        Chat(first)("startChat", {})
    slow = webchat_config(tmp_path, autoRestore=False, transport={"type": "fake-slow-start"})
    with Bus(config={"webchat": slow}) as bus:
        chat = Chat(bus)
        bus.load_plugin("WebChatService").result(timeout=5)
        starting = bus.command("WebChatService.startChat", {})
        assert SlowStart.entered.wait(timeout=5)
        assert chat.rejection("restore") == (
            "Chat session is already active, ignoring restore command."
        )
        SlowStart.release.set()
        session = starting.result(timeout=5)
        assert chat("getSessionData") == session


class SlowResume(FakeTransport):
    """A fake whose resume waits until the test lets it go."""

    type = "fake-slow-resume"
    release = threading.Event()

    def resume(self, session: Any, listener: Any) -> None:
        assert self.release.wait(timeout=5)
        super().resume(session, listener)


register_transport(SlowResume)


def test_a_second_restore_while_restoring_is_ignored(tmp_path: Path) -> None:
    """restore while one is in progress rejects with the page's sentence."""
    config = {"webchat": webchat_config(tmp_path)}
    with Bus(config=config) as first:
        Chat(first)("startChat", {})
    slow = {"webchat": webchat_config(tmp_path, transport={"type": "fake-slow-resume"})}
    with Bus(config=slow) as bus:
        bus.load_plugin("WebChatService").result(timeout=5)
        service = bus.plugins["WebChatService"]
        with pytest.raises(CommandRejected, match="Already restoring. Ignoring request."):
            service.command("WebChatService.restore").result(timeout=5)
        SlowResume.release.set()


class HeldStart(FakeTransport):
    """A fake whose start waits until the test lets it go."""

    type = "fake-held-start"
    entered = threading.Event()
    release = threading.Event()

    def start(self, request: Any, listener: Any) -> Any:
        self.entered.set()
        assert self.release.wait(timeout=5)
        return super().start(request, listener)


register_transport(HeldStart)


def test_a_chat_starting_when_the_bus_closes_is_refused_never_left_pending(
    tmp_path: Path,
) -> None:
    """startChat under way when the bus closes settles: rejected, as the service stopped."""
    bus = Bus(config={"webchat": webchat_config(tmp_path, transport={"type": "fake-held-start"})})
    bus.load_plugin("WebChatService").result(timeout=5)
    starting = bus.command("WebChatService.startChat", {})
    assert HeldStart.entered.wait(timeout=5)
    closing = threading.Thread(target=bus.close)
    closing.start()
    HeldStart.release.set()
    closing.join(timeout=10)
    with pytest.raises(CommandRejected, match="WebChatService has stopped"):
        starting.result(timeout=5)
