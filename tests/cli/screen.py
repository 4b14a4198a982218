"""A program in a real pseudo-terminal (pexpect), read through a screen model (pyte).

What the test sees is what a person would see: the screen after every escape
sequence has been applied, not the raw bytes the program wrote.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence

import pexpect
import pyte

__all__ = ["Screen"]

ROWS, COLUMNS = 30, 100


class Screen:
    """``python -m cxbus ARGS`` in a ``ROWS`` x ``COLUMNS`` pseudo-terminal."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str]) -> None:
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.process = pexpect.spawn(
            sys.executable, ["-m", "cxbus", *args], env=dict(env), dimensions=(ROWS, COLUMNS)
        )
        self.ended = False

    def lines(self) -> list[str]:
        """The screen's lines, trailing blanks cut, blank lines at the bottom left out."""
        lines = [line.rstrip() for line in self.screen.display]
        while lines and not lines[-1]:
            lines.pop()
        return lines

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_for(self, condition: Callable[[list[str]], bool], timeout: float = 20) -> list[str]:
        """Read the program's output until ``condition(lines)`` holds; the lines then."""
        deadline = time.monotonic() + timeout
        while not condition(self.lines()):
            if self.ended:
                raise AssertionError(f"the program ended; the screen:\n{self.text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"not on the screen in {timeout} s:\n{self.text()}")
            self._read(deadline - time.monotonic())
        return self.lines()

    def wait_for_text(self, text: str, timeout: float = 20) -> list[str]:
        return self.wait_for(lambda lines: any(text in line for line in lines), timeout)

    def _read(self, timeout: float) -> None:
        try:
            self.stream.feed(self.process.read_nonblocking(4096, timeout=max(timeout, 0.01)))
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            self.ended = True

    def type(self, text: str) -> None:
        """Type ``text`` as keys (no Enter)."""
        self.process.send(text)

    def enter(self, line: str) -> None:
        self.process.send(line + "\r")

    def wait_for_exit(self, timeout: float = 30) -> int:
        """Read to the end; the exit status."""
        deadline = time.monotonic() + timeout
        while not self.ended:
            if time.monotonic() > deadline:
                raise AssertionError(f"still running after {timeout} s:\n{self.text()}")
            self._read(deadline - time.monotonic())
        self.process.close()
        status = self.process.exitstatus
        assert status is not None, f"ended by signal {self.process.signalstatus}"
        return int(status)

    def close(self) -> None:
        if not self.ended:
            self.process.close(force=True)
