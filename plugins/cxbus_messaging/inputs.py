"""The commands the conversation machine is told, as plain values.

Each carries the ``ticket`` its answer goes to (``cxbus.runtime.machine_runner.Answer``). The
service's shell has checked their options already. The machine is also told the
outcomes of its calls, the transport's updates (``transport_updates``) and timers:
those are ``cxbus.runtime.machine_runner``'s ``CallSucceeded``, ``CallFailed``, ``Updated``,
``TimerFired``, ``StoreFailed`` and ``Close``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import attrs

__all__ = [
    "ButtonReply",
    "ClearConversation",
    "ClearSession",
    "ClearTypingTimeout",
    "Command",
    "Configure",
    "DeleteFile",
    "DownloadFile",
    "FetchHistory",
    "GetFile",
    "JoinConversation",
    "RefreshFiles",
    "RequestUpload",
    "ResetConversation",
    "Restore",
    "SendMessage",
    "SendTyping",
    "StartConversation",
]


@attrs.frozen
class Configure:
    """Read the deployment's configuration; answered once it is read."""

    ticket: int


@attrs.frozen
class Restore:
    """Resume the stored conversation, if there is one (after ``ready``)."""

    ticket: int


@attrs.frozen
class StartConversation:
    """``startConversation`` (``join``: send the Join presence when autoStart is on) or
    ``configureConversation`` (never sends it)."""

    ticket: int
    join: bool = True


@attrs.frozen
class JoinConversation:
    ticket: int


@attrs.frozen
class ButtonReply:
    """The guest's answer to a quick reply, card, date picker, list picker or form."""

    button_type: str  # QuickReply, Button, DatePicker, ListPicker, Form
    text: str
    payload: str
    parent_message_id: str | None = None


@attrs.frozen
class SendMessage:
    ticket: int
    text: str
    reply: ButtonReply | None = None
    custom_attributes: Mapping[str, str] = attrs.field(factory=dict)
    """What the Database plugin holds now; sent when it changed since the last message."""


@attrs.frozen
class SendTyping:
    ticket: int


@attrs.frozen
class ClearTypingTimeout:
    ticket: int


@attrs.frozen
class RequestUpload:
    ticket: int
    source: Path | BinaryIO | bytes
    """Read on the conversation's I/O lane, never on the loop thread."""
    name: str


@attrs.frozen
class GetFile:
    ticket: int
    attachment_id: str


@attrs.frozen
class RefreshFiles:
    ticket: int
    attachment_ids: tuple[str, ...]


@attrs.frozen
class DownloadFile:
    ticket: int
    url: str = attrs.field(repr=False)  # a presigned URL is as good as a key
    name: str
    path: Path | None = None
    """Where to write the bytes; ``None`` answers with the bytes."""


@attrs.frozen
class DeleteFile:
    ticket: int
    attachment_id: str


@attrs.frozen
class FetchHistory:
    ticket: int


@attrs.frozen
class ClearSession:
    ticket: int


@attrs.frozen
class ResetConversation:
    ticket: int


@attrs.frozen
class ClearConversation:
    ticket: int


Command = (
    Configure
    | Restore
    | StartConversation
    | JoinConversation
    | SendMessage
    | SendTyping
    | ClearTypingTimeout
    | RequestUpload
    | GetFile
    | RefreshFiles
    | DownloadFile
    | DeleteFile
    | FetchHistory
    | ClearSession
    | ResetConversation
    | ClearConversation
)
