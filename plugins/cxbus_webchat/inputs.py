"""The commands the chat state machine is told, as plain values.

Each carries the ``ticket`` its answer goes to (``cxbus.runtime.machine_runner.Answer``). The
machine is also told the outcomes of its calls, updates and timers: those are
``cxbus.runtime.machine_runner``'s ``CallSucceeded``, ``CallFailed``, ``Updated``,
``TimerFired``, ``StoreFailed`` and ``Close``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import attrs

from .payloads import TranscriptMessage
from .transport import StartRequest

__all__ = [
    "AddPrefilter",
    "Command",
    "DownloadFile",
    "EndChat",
    "Polling",
    "Read",
    "RegisterPreprocessor",
    "Restore",
    "SendFile",
    "SendFilteredMessage",
    "SendMessage",
    "SendTyping",
    "StartChat",
    "UpdateUserData",
]


@attrs.frozen
class StartChat:
    ticket: int
    request: StartRequest
    """The guest's form; its ``user_data`` is merged over the configured userData."""


@attrs.frozen
class EndChat:
    ticket: int


@attrs.frozen
class SendMessage:
    ticket: int
    text: str
    body_type: str = "standard"
    """``"notice"`` for sendCustomNotice."""


@attrs.frozen
class SendFilteredMessage:
    ticket: int
    text: str
    pattern: re.Pattern[str]


@attrs.frozen
class AddPrefilter:
    ticket: int
    patterns: tuple[re.Pattern[str], ...]


@attrs.frozen
class SendTyping:
    ticket: int


@attrs.frozen
class UpdateUserData:
    ticket: int
    user_data: Mapping[str, Any]


@attrs.frozen
class Restore:
    ticket: int


@attrs.frozen
class SendFile:
    ticket: int
    source: Path | BinaryIO
    """A path, or a binary file object: read off the chat's thread, on its I/O lane."""
    name: str


@attrs.frozen
class DownloadFile:
    ticket: int
    file_id: str
    path: Path | None = None
    """Where to write the bytes; ``None`` answers with the bytes."""


@attrs.frozen
class RegisterPreprocessor:
    ticket: int
    preprocessor: Callable[[TranscriptMessage], Any]


@attrs.frozen
class Read:
    """getTranscript, getAgents, getStats, getSessionData or verifySession."""

    ticket: int
    what: str


@attrs.frozen
class Polling:
    """poll, startPoll, stopPoll or resetPollExceptions (``what``), on a polling transport."""

    ticket: int
    what: str


Command = (
    StartChat
    | EndChat
    | SendMessage
    | SendFilteredMessage
    | AddPrefilter
    | SendTyping
    | UpdateUserData
    | Restore
    | SendFile
    | DownloadFile
    | RegisterPreprocessor
    | Read
    | Polling
)
