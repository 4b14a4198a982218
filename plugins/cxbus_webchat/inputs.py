"""Every input of the chat machine, each of one *kind*: a column of its table.

- the commands, each with the ``ticket`` its answer goes to (the service's shell has
  checked their options);
- the purposes of the machine's calls: a call's outcome comes back as ``Settled``, of
  the kind of its purpose;
- its timers (``Timer``).

Besides, the machine is told what the transport reports (``transport.TransportUpdate``:
a message, typing, a member, the connection, the chat's end), of the kind of its
class, and the runner's ``Close`` and ``StoreFailed``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Generic, Literal, TypeVar

import attrs

from cxbus.runtime.machine_runner import CallFailed, CallSucceeded

from .payloads import TranscriptMessage
from .transport import StartRequest

__all__ = [
    "AddPrefilter",
    "CallPurpose",
    "Command",
    "Creation",
    "Departure",
    "DownloadFile",
    "EndChat",
    "FileDownload",
    "FileUpload",
    "FilteredPost",
    "Poll",
    "PollNow",
    "Post",
    "Question",
    "Read",
    "Reattachment",
    "RegisterPreprocessor",
    "ResetPollExceptions",
    "Restore",
    "SendFile",
    "SendFilteredMessage",
    "SendMessage",
    "SendTyping",
    "Settled",
    "StartChat",
    "StartPoll",
    "StopPoll",
    "Teardown",
    "Timer",
    "TypingEnd",
    "TypingNotice",
    "UpdateUserData",
    "UserDataUpdate",
]

P = TypeVar("P")

# Commands ---------------------------------------------------------------------------------


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


Question = Literal["getTranscript", "getAgents", "getStats", "getSessionData", "verifySession"]
"""The commands answered from what the machine knows."""


@attrs.frozen
class Read:
    """A ``Question``, answered from what the machine knows."""

    ticket: int
    what: Question


@attrs.frozen
class PollNow:
    """poll (private): one refresh now, on a polling transport."""

    ticket: int


@attrs.frozen
class StartPoll:
    ticket: int


@attrs.frozen
class StopPoll:
    """Resolves once no refresh is under way."""

    ticket: int


@attrs.frozen
class ResetPollExceptions:
    ticket: int


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
    | PollNow
    | StartPoll
    | StopPoll
    | ResetPollExceptions
)


# Why a call was made: its outcome comes back as ``Settled`` of that kind -----------------


@attrs.frozen
class Creation:
    """startChat: the chat is created and its stream attached (``actions.Start``)."""

    ticket: int


@attrs.frozen
class Reattachment:
    """restore: the stored chat is attached to and read back (``actions.Resume``)."""

    ticket: int


@attrs.frozen
class Post:
    """sendMessage or sendCustomNotice: the message is posted (``actions.SendText``)."""

    ticket: int


@attrs.frozen
class FilteredPost:
    """sendFilteredMessage: the message is posted, and the filter ``pattern`` is on
    (``new``: it was not already, and goes should the post fail)."""

    ticket: int
    pattern: re.Pattern[str]
    new: bool


@attrs.frozen
class TypingNotice:
    """sendTyping: the agent is told the guest types (``actions.TellTyping``)."""

    ticket: int


@attrs.frozen
class TypingEnd:
    """The guest's typing countdown ended: the server is told (GMS)."""


@attrs.frozen
class UserDataUpdate:
    """updateUserData during a chat (``actions.TellUserData``)."""

    ticket: int


@attrs.frozen
class FileUpload:
    """sendFile (``actions.Upload``)."""

    ticket: int


@attrs.frozen
class FileDownload:
    """downloadFile (``actions.Download``)."""

    ticket: int


@attrs.frozen
class Departure:
    """endChat: the guest leaves (``actions.Leave``)."""

    ticket: int


@attrs.frozen
class Poll:
    """A refresh of a polling transport (``actions.Refresh``): due, or ``poll``'s ``ticket``."""

    ticket: int | None


@attrs.frozen
class Teardown:
    """The transport's connections for a chat are stopped (``actions.CloseTransport``)."""


CallPurpose = (
    Creation
    | Reattachment
    | Post
    | FilteredPost
    | TypingNotice
    | TypingEnd
    | UserDataUpdate
    | FileUpload
    | FileDownload
    | Departure
    | Poll
    | Teardown
)


@attrs.frozen
class Settled(Generic[P]):
    """A call made for ``purpose``, for the chat of ``generation``, settled."""

    purpose: P
    generation: int
    outcome: CallSucceeded | CallFailed


# Timers ---------------------------------------------------------------------------------


class Timer(str, enum.Enum):
    """The machine's timers: each is the name ``SetTimer`` and ``TimerFired`` give it
    (an agent's typing's is ``agentTyping:<member id>``)."""

    POLL = "poll"
    """The next refresh of a polling transport is due."""
    CLIENT_TYPING = "clientTyping"
    """The guest's typing indicator is over."""
    AGENT_TYPING = "agentTyping"
    """An agent's typing indicator is over."""
