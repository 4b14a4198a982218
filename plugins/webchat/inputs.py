"""What the chat state machine is told: commands, outcomes of its calls, updates, timers.

Each is a plain value. A command carries the ``ticket`` its answer goes to (see
``effects.Answer``); the outcome of a call names the call by the id the machine gave
it (``effects.Call``); an update names the chat (``generation``) it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import attrs

from .transport import StartRequest, TransportUpdate

__all__ = [
    "AddPrefilter",
    "CallFailed",
    "CallSucceeded",
    "Close",
    "Command",
    "DownloadFile",
    "EndChat",
    "Input",
    "Read",
    "RegisterPreprocessor",
    "Restore",
    "SendFile",
    "SendFilteredMessage",
    "SendMessage",
    "SendTyping",
    "StartChat",
    "StoreFailed",
    "TimerFired",
    "UpdateUserData",
    "Updated",
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
    preprocessor: Callable[[dict[str, Any]], Any]


@attrs.frozen
class Read:
    """getTranscript, getAgents, getStats, getSessionData or verifySession."""

    ticket: int
    what: str


@attrs.frozen
class Close:
    """The bus is closing: stop, keep the chat restorable."""


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
)


@attrs.frozen
class CallSucceeded:
    call: int
    value: Any


@attrs.frozen
class CallFailed:
    call: int
    reason: Any
    """What the command rejects with: the server's error body, or a sentence."""
    status: int | None = None
    """The HTTP status, when the server answered."""
    from_server: bool = True
    """False when the call failed before reaching the server (a file not readable)."""


@attrs.frozen
class StoreFailed:
    """The session store could not save or clear; ``sentence`` says why."""

    sentence: str


@attrs.frozen
class Updated:
    generation: int
    update: TransportUpdate


@attrs.frozen
class TimerFired:
    name: str


Input = Command | Close | CallSucceeded | CallFailed | StoreFailed | Updated | TimerFired
