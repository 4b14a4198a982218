"""The cxbus command run as a user runs it: a separate process, with its real entry points."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pexpect

__all__ = ["ENV", "cxbus", "finish", "spawn_chat"]

# No GENESYS_* variable of the machine's reaches a test; no cursor-position requests
# (a pseudo-terminal that is not a real terminal does not answer them).
ENV = {
    **{key: value for key, value in os.environ.items() if not key.startswith("GENESYS_")},
    "PROMPT_TOOLKIT_NO_CPR": "1",
}


def cxbus(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m cxbus ARGS`` to its end; its output, exit status and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "cxbus", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**ENV, **(env or {})},
    )


def spawn_chat(home: Path, *args: str) -> pexpect.spawn:
    """``cxbus chat ARGS`` in a pseudo-terminal, ``home`` its HOME; everything it prints
    is kept in ``logfile_read``."""
    chat = pexpect.spawn(
        sys.executable,
        ["-m", "cxbus", "chat", *args],
        env={**ENV, "HOME": str(home)},
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )
    chat.logfile_read = io.StringIO()
    return chat


def finish(chat: pexpect.spawn) -> tuple[int, str]:
    """Read to the end; the exit status and what was printed last."""
    rest = chat.read()
    chat.close()
    assert chat.exitstatus is not None, f"ended by signal {chat.signalstatus}"
    return chat.exitstatus, rest
