"""WebChatService in GMS mode under the emulator's faults, and restored by a second process:
poll exceptions, outages, refusals, the chat ended under it, nothing lost or shown twice,
and the secure key in no log line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxbus_emulator import Emulator
from cxbus_webchat import FileSessionStore
from cxbus_webchat.testing import ChatDriver

from .gms_chat import chat_id, gms_chat, gms_config, message_texts, private, said

pytestmark = pytest.mark.integration


@pytest.fixture
def quiet_chat(emulator: Emulator, tmp_path: Path) -> Iterator[ChatDriver]:
    """A chat started as Ada whose polling is stopped: each refresh is a poll command."""
    with gms_chat(emulator, tmp_path, pollExceptionLimit=2) as chat:
        chat("startChat", {"nickname": "Ada"})
        chat("stopPoll")
        private(chat, "poll").result(timeout=10)
        chat.forget_events()
        yield chat


def poll(chat: ChatDriver) -> None:
    private(chat, "poll").result(timeout=10)
    chat.settle()


def test_poll_exceptions_over_the_limit_go_offline_and_a_good_poll_comes_back(
    emulator: Emulator, quiet_chat: ChatDriver
) -> None:
    emulator.gms.answer_busy(count=3)
    for _ in range(2):
        poll(quiet_chat)
    assert quiet_chat.names() == []  # the count is at the limit, not over it
    poll(quiet_chat)
    assert quiet_chat.names() == ["chatServerWentOffline"]
    poll(quiet_chat)
    assert quiet_chat.names() == [
        "chatServerWentOffline",
        "chatServerBackOnline",
        "reconnected",
    ]


def test_reset_poll_exceptions_starts_the_count_again(
    emulator: Emulator, quiet_chat: ChatDriver
) -> None:
    emulator.gms.answer_busy(count=3)
    poll(quiet_chat)
    poll(quiet_chat)
    quiet_chat("resetPollExceptions")
    poll(quiet_chat)
    assert quiet_chat.names() == []


def test_a_refresh_unanswered_is_disconnected_and_the_next_answer_reconnected(
    emulator: Emulator, quiet_chat: ChatDriver
) -> None:
    emulator.gms.cut_connection("*/refresh", count=2)
    for _ in range(2):
        with pytest.raises(Exception, match="could not be reached for refresh"):
            private(quiet_chat, "poll").result(timeout=10)
    quiet_chat.settle()
    assert quiet_chat.names() == ["disconnected"]  # once per outage
    poll(quiet_chat)
    assert quiet_chat.names() == ["disconnected", "reconnected"]


@pytest.mark.parametrize(
    ("status", "reason"), [(500, "InvalidService"), (404, "InvalidService"), (503, None)]
)
def test_a_refresh_refused_by_http_is_an_error_event(
    emulator: Emulator, quiet_chat: ChatDriver, status: int, reason: str | None
) -> None:
    emulator.gms.fail_next("*/refresh", status=status)
    with pytest.raises(Exception, match=f"HTTP {status}"):
        private(quiet_chat, "poll").result(timeout=10)
    quiet_chat.settle()
    (error,) = quiet_chat.data("error")
    assert error.get("errorReason") == reason and error["status"] == status
    assert quiet_chat("verifySession") == {"sessionActive": True}


def test_the_chat_ended_under_a_refresh_ends_it_here(
    emulator: Emulator, quiet_chat: ChatDriver
) -> None:
    emulator.gms.end_at_next("*/refresh")
    poll(quiet_chat)
    assert quiet_chat.names()[-2:] == ["clientDisconnected", "ended"]  # polling was stopped
    assert quiet_chat("verifySession") == {"sessionActive": False}


def test_the_agent_ending_the_chat_is_read_while_polling(
    emulator: Emulator, tmp_path: Path
) -> None:
    with gms_chat(emulator, tmp_path) as chat:
        chat("startChat", {"nickname": "Ada"})
        emulator.gms.agent_join(chat_id(chat), "Kate")
        chat.wait("agentConnected", timeout=10)
        emulator.gms.end_chat(chat_id(chat))
        chat.wait("ended", timeout=10)
        names = chat.names()
        assert names.index("agentDisconnected") < names.index("ended")


def test_a_chat_the_server_has_lost_ends_once_and_polls_no_more(
    emulator: Emulator, tmp_path: Path
) -> None:
    """After a server restart the chat is unknown there (404, statusCode 2): one error,
    ended, and no refresh after it."""
    with gms_chat(emulator, tmp_path) as chat:
        chat("startChat", {"nickname": "Ada"})
        chat.wait("pollingStarted")
        emulator.gms.forget_chat(chat_id(chat))
        chat.wait("ended", timeout=10)
        chat.settle()
        (error,) = chat.data("error")
        assert "statusCode 2" in error["message"] and error["status"] == 404
        assert chat.names()[-4:] == ["error", "clientDisconnected", "pollingStopped", "ended"]
        with pytest.raises(AssertionError):  # polling every 100 ms at most, were it on
            chat.wait("error", lambda _: len(chat.data("error")) > 1, timeout=1.0)
        assert chat("verifySession") == {"sessionActive": False}


def test_a_send_to_an_ended_chat_ends_it_here(emulator: Emulator, quiet_chat: ChatDriver) -> None:
    emulator.gms.end_chat(chat_id(quiet_chat))
    with pytest.raises(Exception, match="statusCode 2"):
        quiet_chat("sendMessage", {"message": "anyone?"})
    quiet_chat.wait("ended")


def test_nothing_is_lost_or_shown_twice_across_refreshes_under_faults(
    emulator: Emulator, tmp_path: Path
) -> None:
    sent = [f"message {n}" for n in range(12)]
    with gms_chat(emulator, tmp_path, ajaxTimeout=300) as chat:
        chat("startChat", {"nickname": "Ada"})
        cid = chat_id(chat)
        emulator.gms.agent_join(cid, "Kate")
        faults = [
            lambda: emulator.gms.answer_busy(count=2),
            lambda: emulator.gms.cut_connection("*/refresh"),
            lambda: emulator.gms.fail_next("*/refresh", status=502),
            lambda: emulator.gms.delay("*/refresh", 0.6),  # past ajaxTimeout: answered late
        ]
        for number, text in enumerate(sent):
            faults[number % len(faults)]()
            emulator.gms.agent_send(cid, text)
        said(chat, sent[-1])
        private(chat, "poll").result(timeout=10)  # the server may repeat: it shows nothing new
        chat.settle()
        assert message_texts(chat) == sent
        shown = [
            m["original"]["index"]
            for data in chat.data("messageReceived")
            for m in data["messages"]
        ]
        assert len(shown) == len(set(shown))


def test_the_secure_key_is_in_no_log_line(
    emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="cxbus"), gms_chat(emulator, tmp_path) as chat:
        key = chat("startChat", {"nickname": "Ada"})["secureKey"]
        emulator.gms.fail_next("*/send", status=401)
        chat.rejection("sendMessage", {"message": "refused"})
        emulator.gms.cut_connection("*/refresh")
        chat.wait("disconnected", timeout=10)
        chat("getSessionData")
        chat("endChat")
        shown = repr(chat("getTranscript")) + repr(chat.bus)
    assert caplog.records
    assert not [r for r in caplog.records if key in r.getMessage()]
    assert key not in shown


# Restore ------------------------------------------------------------------------------------

# The first program: it chats, and ends with its chat left open (its bus closes).
FIRST_PROGRAM = """
import json, sys
from cxbus import Bus
from cxbus_webchat.testing import ChatDriver

with Bus(config={"webchat": json.loads(sys.argv[1])}) as bus:
    chat = ChatDriver(bus)
    chat("startChat", {"nickname": "Ada"})
    chat("sendMessage", {"message": "before the restart"})
    chat.wait("messageReceived", lambda d: d["messages"][-1]["text"] == "before the restart", 10)
    print(chat("getSessionData")["sessionID"])
"""


def first_program(config: dict[str, object]) -> str:
    """Run the first program; the chat id it left open."""
    done = subprocess.run(
        [sys.executable, "-c", FIRST_PROGRAM, json.dumps(config)],
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def test_a_second_process_restores_the_chat_with_its_whole_transcript(
    emulator: Emulator, tmp_path: Path
) -> None:
    cid = first_program(gms_config(emulator, tmp_path))
    stored = FileSessionStore(tmp_path / "session.json").load()
    assert stored is not None and stored.session.conversation_id == cid
    assert int(stored.session.last_message_id or 0) > 1  # the position is kept
    emulator.gms.agent_join(cid, "Kate")
    emulator.gms.agent_send(cid, "while it was away")
    with gms_chat(emulator, tmp_path) as chat:
        chat.wait("restored", timeout=10)
        restored = chat.data("messageReceived")[0]
        assert restored["restoring"] is True
        assert [m["text"] for m in restored["messages"] if m["type"] == "Message"] == [
            "before the restart",
            "while it was away",
        ]
        assert chat("getAgents")[0]["name"] == "Kate"
        names = chat.names()
        assert names.index("restored") < names.index("pollingStarted")
        emulator.gms.agent_send(cid, "welcome back")
        said(chat, "welcome back")
        assert message_texts(chat) == ["before the restart", "while it was away", "welcome back"]


def test_a_stored_chat_older_than_restore_timeout_is_not_restored(
    emulator: Emulator, tmp_path: Path
) -> None:
    first_program(gms_config(emulator, tmp_path))
    with gms_chat(emulator, tmp_path, restoreTimeout=1) as chat:  # milliseconds, in GMS mode
        chat.wait("restoreTimeout", timeout=10)
    assert FileSessionStore(tmp_path / "session.json").load() is None  # forgotten


def test_a_stored_chat_the_server_ended_is_a_restore_timeout(
    emulator: Emulator, tmp_path: Path
) -> None:
    cid = first_program(gms_config(emulator, tmp_path))
    emulator.gms.end_chat(cid)
    with gms_chat(emulator, tmp_path) as chat:
        chat.wait("restoreTimeout", timeout=10)
        assert "restored" not in chat.names()


def test_a_busy_server_restores_offline(emulator: Emulator, tmp_path: Path) -> None:
    first_program(gms_config(emulator, tmp_path))
    emulator.gms.answer_busy()
    with gms_chat(emulator, tmp_path) as chat:
        chat.wait("restoredOffline", timeout=10)
        chat.wait("chatServerBackOnline", timeout=10)
        names = chat.names()
        assert names.index("restored") < names.index("restoredOffline")
