"""Every input of the conversation machine, each of one *kind*: a column of its table.

- the commands, each with the ``ticket`` its answer goes to (the service's shell has
  checked their options);
- what the socket reports unasked (``Answered``, ``Pushed``, ``HealthChecked``,
  ``SocketLost``), handed in through the ``report`` of the ``Connect`` call that opened
  it, so it carries that socket's generation;
- the purposes of the machine's calls and requests: a call's outcome comes back as
  ``Settled`` and a request's answer as ``Replied``, of the kind of their purpose;
  a message frame, whatever it answers, as ``MessageFrame``;
- its timers (``Timer``), and the runner's ``Close`` and ``StoreFailed``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO, Generic, TypeVar

import attrs

from cxbus.runtime.machine_runner import CallFailed, CallSucceeded

from .guest_api import Frame, Request

__all__ = [
    "Answered",
    "AttachmentDelete",
    "ButtonReply",
    "CallPurpose",
    "CatchUpPage",
    "ClearConversation",
    "ClearRequest",
    "ClearSession",
    "ClearTypingTimeout",
    "CloseSocket",
    "Command",
    "Configure",
    "DeleteFile",
    "DownloadFile",
    "FetchHistory",
    "FetchHistoryPage",
    "FileUrl",
    "GetFile",
    "GuestMessage",
    "HandOver",
    "HealthChecked",
    "JoinConversation",
    "JwtNeed",
    "JwtRequest",
    "LoadConfig",
    "MessageFrame",
    "OpenSocket",
    "Pushed",
    "PutUpload",
    "ReadUpload",
    "RefreshFiles",
    "Replied",
    "RequestPurpose",
    "RequestUpload",
    "ResetConversation",
    "Restore",
    "SaveDownload",
    "SendMessage",
    "SendTyping",
    "SessionRequest",
    "Settled",
    "SocketLost",
    "StartConversation",
    "Timer",
    "Update",
    "UploadUrl",
]

P = TypeVar("P")

# Commands ---------------------------------------------------------------------------------


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


# What the socket reports ------------------------------------------------------------------


@attrs.frozen
class Answered:
    """``frame`` answers ``request`` (its tracingId, or its class: see ``PendingRequests``);
    an error frame too. A 429 never gets here: the socket waits and sends again."""

    request: Request
    frame: Frame


@attrs.frozen
class Pushed:
    """The server sent ``frame`` on its own: a message, typing, an upload's outcome..."""

    frame: Frame


@attrs.frozen
class HealthChecked:
    """The echo health check came back (its metadata has the session's timing)."""

    frame: Frame


@attrs.frozen
class SocketLost:
    """The socket is gone (closed, failed, silent, or a request went unanswered).

    ``unfinished``: the requests sent and not answered, then those not sent yet, in
    the order they were handed over: the machine decides what to send again.
    """

    reason: str
    unfinished: tuple[Request, ...] = ()


Update = Answered | Pushed | HealthChecked | SocketLost


@attrs.frozen
class MessageFrame:
    """A message from the socket: pushed, or the echo of one of the guest's (its request's
    purpose is looked up when it is taken). While the history is read, it waits."""

    update: Answered | Pushed


# Why a call was made: its outcome comes back as ``Settled`` of that kind -----------------


@attrs.frozen
class LoadConfig:
    """``configure`` reads the deployment's ``config.json``."""

    ticket: int


@attrs.frozen
class OpenSocket:
    """A socket is opened and ``configureSession`` sent on it (``calls.Connect``)."""


@attrs.frozen
class HandOver:
    """``requests`` are handed to the socket (``calls.Send``)."""

    requests: tuple[Request, ...]


@attrs.frozen
class CloseSocket:
    """The socket in use is closed (``calls.Disconnect``)."""


@attrs.frozen
class CatchUpPage:
    """Page ``number`` of the history, for the catch-up of the socket of ``generation``
    (a JWT is asked for first, if need be)."""

    generation: int
    number: int


@attrs.frozen
class FetchHistoryPage:
    """Page ``number`` of the history, for ``fetchHistory`` in the session numbered
    ``session`` (``ConversationRecord.serial``; a JWT first, if need be)."""

    session: int
    number: int


@attrs.frozen
class ReadUpload:
    """The guest's file is read, to be uploaded as ``attachment_id``."""

    attachment_id: str


@attrs.frozen
class PutUpload:
    """The file's bytes are PUT to the presigned URL of ``attachment_id``."""

    attachment_id: str


@attrs.frozen
class SaveDownload:
    """``downloadFile``: a file is downloaded."""

    command: DownloadFile


CallPurpose = (
    LoadConfig
    | OpenSocket
    | HandOver
    | CloseSocket
    | CatchUpPage
    | FetchHistoryPage
    | ReadUpload
    | PutUpload
    | SaveDownload
)
JwtNeed = CatchUpPage | FetchHistoryPage
"""What waits for a JWT (``getJwt``) before its page of history is read."""


@attrs.frozen
class Settled(Generic[P]):
    """A call made for ``purpose``, for the socket of ``generation``, settled."""

    purpose: P
    generation: int
    outcome: CallSucceeded | CallFailed


# Why a request was sent: its answer comes back as ``Replied`` of that kind ---------------


@attrs.frozen
class SessionRequest:
    """``configureSession`` (or ``closeSession``, while resetting): a ``SessionResponse``."""


@attrs.frozen
class JwtRequest:
    """``getJwt``: a ``JwtResponse``."""


@attrs.frozen
class GuestMessage:
    """A message, Join or Typing of the guest's. ``attributes``: the custom attributes
    it carries, which the server has once it is echoed."""

    attributes: Mapping[str, str] | None = None


@attrs.frozen
class ClearRequest:
    """``clearConversation``'s Clear presence: a ``SessionClearedEvent``."""

    ticket: int


@attrs.frozen
class UploadUrl:
    """``onAttachment``: the presigned URL to upload ``attachment_id`` to."""

    attachment_id: str


@attrs.frozen
class FileUrl:
    """``getAttachment``: a fresh URL of ``attachment_id``; ``received``: for ``getFile``,
    which publishes ``fileReceived`` too (``refreshFiles`` does not)."""

    attachment_id: str
    received: bool


@attrs.frozen
class AttachmentDelete:
    """``deleteAttachment``, for ``deleteFile``."""

    ticket: int
    attachment_id: str


RequestPurpose = (
    SessionRequest
    | JwtRequest
    | GuestMessage
    | ClearRequest
    | UploadUrl
    | FileUrl
    | AttachmentDelete
)


@attrs.frozen
class Replied(Generic[P]):
    """The server answered ``request``, sent for ``purpose``, with ``frame``."""

    purpose: P
    request: Request
    frame: Frame


# Timers ---------------------------------------------------------------------------------


class Timer(str, enum.Enum):
    """The machine's timers: each is the name ``SetTimer`` and ``TimerFired`` give it."""

    RECONNECT = "reconnect"
    """Open the socket again, while reconnecting."""
    RECONNECT_DEADLINE = "reconnectDeadline"
    """reconnectTimeout is over: give up."""
    HISTORY = "history"
    """Read the catch-up's page again (the last try failed)."""
    AGENT_TYPING = "agentTyping"
    """The agent's typing indicator is over."""
    SESSION_WARNING = "sessionWarning"
    """The session expires in five minutes."""
