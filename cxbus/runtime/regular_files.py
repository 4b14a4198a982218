"""Reading a file a guest sends: a regular file only, and no more bytes than a limit.

Shared by the chat plugins' uploads. Blocking: call it on an I/O lane, never on the
loop thread. Every failure is a ``FileProblem`` whose message is one sentence naming
the command and the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

__all__ = ["FileProblem", "FileTooLarge", "read_regular_file"]


class FileProblem(Exception):
    """A file cannot be read or written for a command: the message is the sentence."""


class FileTooLarge(FileProblem):
    """The file has more bytes than the limit."""


def read_regular_file(source: Path | BinaryIO, name: str, limit: int, command: str) -> bytes:
    """The bytes of ``source`` (a path, or a binary file object named ``name``), for
    ``command``: a regular file only, and at most ``limit`` bytes of it."""
    if isinstance(source, Path):
        try:
            # Non-blocking, so that a FIFO is refused rather than waited on; checked
            # once opened, so that nothing can be swapped in between.
            descriptor = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as error:
            raise FileProblem(
                f"{command} could not read {str(source)!r}: {error.strerror}."
            ) from None
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise FileProblem(f"{command} can only send a regular file; {name!r} is not one.")
            content = file.read(limit + 1)
    else:
        fileno = getattr(source, "fileno", None)
        try:
            regular = stat.S_ISREG(os.fstat(fileno()).st_mode) if callable(fileno) else True
        except (OSError, ValueError):  # io.BytesIO and its kind have no descriptor
            regular = True
        if not regular:
            raise FileProblem(f"{command} can only send a regular file; {name!r} is not one.")
        try:
            content = source.read(limit + 1)
        except (OSError, ValueError) as error:
            raise FileProblem(f"{command} could not read {name!r}: {error}.") from None
        if not isinstance(content, bytes):
            raise FileProblem(f"{command} needs a binary file object (opened with 'rb').")
    if len(content) > limit:
        raise FileTooLarge(f"{command} sends files of up to {limit} bytes; {name!r} is larger.")
    return content
