"""cxbus chat driven for real in a pseudo-terminal: the demo, leaving, and coming back."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest

from cxbus_emulator import Emulator
from cxbus_webchat.session_store import FileSessionStore, StoredSession
from cxbus_webchat.transport import SessionData

from .conftest import finish
from .conftest import spawn_chat as chat_in_terminal


def spawn_chat(tmp_path: Path, *args: str) -> pexpect.spawn:
    """cxbus chat as Ada."""
    return chat_in_terminal(tmp_path, "--name", "Ada", *args)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(agent_join_delay=0.1, agent_typing_delay=0.1) as running:
        yield running


@pytest.fixture(params=["guest chat", "gms"])
def config(request: pytest.FixtureRequest, tmp_path: Path, emulator: Emulator) -> Path:
    """A --config file for ``emulator``, with a session file of its own: its guest chat,
    or its GMS chat service (a top-level dataURL and no transport section)."""
    section = emulator.gms_config() if request.param == "gms" else emulator.webchat_config()
    path = tmp_path / "widgets.json"
    path.write_text(json.dumps({**section, "sessionFile": str(tmp_path / "chat.json")}))
    return path


def open_chats(emulator: Emulator) -> list[Any]:
    """The chats the emulator holds, on either API (each with ``ended``)."""
    return [*emulator.server.conversations.values(), *emulator.gms_server.chats.values()]


def test_chat_with_the_demo_agent_on_the_embedded_emulator(tmp_path: Path) -> None:
    """cxbus chat: greeting, typing indicator, an answer, /agents, /end, exit status 0."""
    chat = spawn_chat(tmp_path)
    chat.expect("chatting with the demo agent of the embedded emulator")
    chat.expect("Starting a chat as Ada. Type a message, or /help.")
    chat.expect(r"\* Alex joined the chat")
    chat.expect(r"\[\d\d:\d\d\] Alex: Hi Ada, I'm Alex")
    chat.sendline("what is cxbus?")
    chat.expect("Alex is typing")
    chat.expect(r"\[\d\d:\d\d\] Alex: You said: what is cxbus\?")
    chat.sendline("/agents")
    chat.expect(r"Alex \(connected\)")
    chat.sendline("/transcript")
    chat.expect("Ada: what is cxbus?")
    chat.sendline("/end")
    chat.expect(r"\* the chat has ended")
    status, rest = finish(chat)
    assert status == 0 and "Traceback" not in rest


def test_ctrl_c_in_the_demo_ends_the_chat_and_says_there_is_nothing_to_restore(
    tmp_path: Path,
) -> None:
    """The demo's emulator dies with the process: Ctrl-C ends the chat, and says so."""
    chat = spawn_chat(tmp_path)
    chat.expect(r"Alex: Hi Ada")
    chat.sendintr()
    chat.expect(r"\* you left the chat")
    chat.expect("the demo's emulator ends with cxbus chat: there is nothing to restore")
    status, rest = finish(chat)
    assert status == 0 and "Traceback" not in rest


def test_ctrl_d_ends_the_chat(tmp_path: Path, config: Path, emulator: Emulator) -> None:
    """Ctrl-D is /end: the chat ends on the server and nothing is left to restore."""
    chat = spawn_chat(tmp_path, "--config", str(config))
    chat.expect(r"Alex: Hi Ada")
    chat.sendeof()
    chat.expect(r"\* you left the chat")
    assert finish(chat)[0] == 0
    (conversation,) = open_chats(emulator)
    assert conversation.ended
    assert not (tmp_path / "chat.json").exists()


@pytest.mark.parametrize("stop", ["ctrl-c", "kill"])
def test_a_chat_left_open_is_picked_up_with_restore(
    tmp_path: Path, config: Path, emulator: Emulator, stop: str
) -> None:
    """Ctrl-C (said on screen) or a crash leaves the chat open; started again, cxbus chat
    offers /restore, which brings it back to go on."""
    first = spawn_chat(tmp_path, "--config", str(config))
    first.expect(r"Alex: Hi Ada")
    first.sendline("remember me")
    first.expect(r"Alex: You said: remember me")
    if stop == "ctrl-c":
        first.sendintr()
        first.expect(
            r"\* you stepped away; the chat stays open: run cxbus chat again within 60 s"
            " and /restore picks it up"
        )
        assert finish(first)[0] == 0
    else:
        first.kill(signal.SIGKILL)
        first.close()
    (conversation,) = open_chats(emulator)
    assert not conversation.ended

    second = spawn_chat(tmp_path, "--config", str(config))
    second.expect(r"\* Your last chat is still open: /restore picks it up")
    second.sendline("/restore")
    second.expect(r"\[\d\d:\d\d\] Ada: remember me")
    second.expect(r"\* your last chat is back")
    second.sendline("and again")
    second.expect(r"Alex: You said: and again")
    second.sendline("/end")
    second.expect(r"\* the chat has ended")
    assert finish(second)[0] == 0
    assert not (tmp_path / "chat.json").exists()


def test_a_stored_chat_older_than_restore_timeout_is_not_offered(
    tmp_path: Path, config: Path
) -> None:
    """A chat left open an hour ago is past restoreTimeout: a new chat starts at once."""
    session = SessionData("gone", "member", "jwt", "ws://127.0.0.1:9/stream")
    stale = StoredSession(session, saved_at=time.time() - 3600)
    FileSessionStore(tmp_path / "chat.json").save(stale)
    chat = spawn_chat(tmp_path, "--config", str(config))
    chat.expect("Starting a chat as Ada")
    chat.expect(r"Alex: Hi Ada")
    chat.sendline("/end")
    assert finish(chat)[0] == 0
    assert "/restore" not in chat.logfile_read.getvalue()


def test_chat_over_gms_with_the_embedded_emulators_demo_agent(tmp_path: Path) -> None:
    """cxbus chat --gms: the same demo, through the emulator's GMS chat service, polled."""
    chat = spawn_chat(tmp_path, "--gms")
    chat.expect("chatting over GMS with the demo agent of the embedded emulator")
    chat.expect(r"\* Alex joined the chat")
    chat.expect(r"\[\d\d:\d\d\] Alex: Hi Ada, I'm Alex")
    chat.sendline("what is cxbus?")
    chat.expect(r"\[\d\d:\d\d\] Alex: You said: what is cxbus\?")
    chat.sendline("/end")
    chat.expect(r"\* the chat has ended")
    status, rest = finish(chat)
    assert status == 0 and "Traceback" not in rest
