"""cxbus --debug chat: the debug log goes to stderr, as --help says, wherever stderr goes."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pexpect

from .conftest import ENV, finish

LOGGED = "cxbus.bus plugin WebChatService registered"


def debug_chat(home: Path, stderr: Path | None) -> pexpect.spawn:
    """``cxbus --debug chat --name Ada`` in a pseudo-terminal, its stderr into ``stderr``
    (a file) or, when ``None``, the terminal itself."""
    command = 'exec "$0" -m cxbus --debug chat --name Ada' + (' 2> "$1"' if stderr else "")
    chat = pexpect.spawn(
        "/bin/sh",
        ["-c", command, sys.executable, str(stderr)],
        env={**ENV, "HOME": str(home)},
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )
    chat.logfile_read = io.StringIO()
    return chat


def chat_and_end(chat: pexpect.spawn) -> str:
    """Wait for the demo agent's greeting, end the chat; what the terminal showed."""
    chat.expect(r"Alex: Hi Ada")
    chat.sendline("/end")
    chat.expect(r"\* the chat has ended")
    status, _ = finish(chat)
    assert status == 0
    shown: str = chat.logfile_read.getvalue()
    return shown


def test_a_debug_log_sent_elsewhere_stays_out_of_the_chat(tmp_path: Path) -> None:
    """2> debug.log: the log is in the file, none of it in the chat (it went to stdout)."""
    log = tmp_path / "debug.log"
    shown = chat_and_end(debug_chat(tmp_path, log))
    assert LOGGED in log.read_text()
    assert "cxbus.bus" not in shown and "cxbus.webchat" not in shown


def test_a_debug_log_on_the_chat_s_terminal_goes_above_the_prompt(tmp_path: Path) -> None:
    """stderr on the same terminal: the log lines are shown there, with the chat."""
    shown = chat_and_end(debug_chat(tmp_path, None))
    assert LOGGED in shown
