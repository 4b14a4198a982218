"""What the chat state machine asks of the transport: the actions of its ``Call`` effects.

``ChatMachine.handle`` returns ``cxbus.runtime.machine_runner`` effects; a ``Call`` carries one
of these actions, which ``transport_calls.perform`` carries out on the chat's I/O lane.
Its outcome comes back to the machine as ``CallSucceeded`` or ``CallFailed``.

A part of the machine that does not make calls itself (``chat_polling.ChatPolling``)
says what it wants done as ``Do``, with its purpose; the machine makes the call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import attrs

from .inputs import CallPurpose
from .transport import SessionData, StartRequest

__all__ = [
    "Action",
    "CloseTransport",
    "Do",
    "Download",
    "Leave",
    "Refresh",
    "Resume",
    "SendText",
    "Start",
    "TellTyping",
    "TellUserData",
    "Upload",
]


@attrs.frozen
class Start:
    """Create the conversation and attach its stream; succeeds with ``SessionData``."""

    request: StartRequest


@attrs.frozen
class Resume:
    """Attach to the stored conversation and read it back; succeeds with
    ``(members, pages, offline)``: every member, the history in pages of
    ``page_size`` (one page when ``paginated`` is off), and whether the server said
    it is offline for now."""

    session: SessionData
    page_size: int
    paginated: bool


@attrs.frozen
class SendText:
    """Post a message; succeeds with the ``ChatMessage`` the server made of it."""

    text: str
    body_type: str


@attrs.frozen
class TellTyping:
    """Tell the agent the guest is typing, or (``started`` off, GMS) has stopped."""

    started: bool = True


@attrs.frozen
class TellUserData:
    """Update the chat's user data on the server; succeeds with its answer."""

    user_data: Any


@attrs.frozen
class Upload:
    """Read a regular file (up to the transport's limit) and upload it."""

    source: Path | BinaryIO
    name: str


@attrs.frozen
class Download:
    """Download a file of the chat; succeeds with the bytes, or the path written."""

    file_id: str
    path: Path | None


@attrs.frozen
class Leave:
    """The guest leaves the conversation (bounded by the transport's timeout)."""


@attrs.frozen
class Refresh:
    """Poll the server once (a polling transport); succeeds with ``Refreshed``."""


@attrs.frozen
class CloseTransport:
    """Stop the transport's connections for the chat; no call to the server."""


Action = (
    Start
    | Resume
    | SendText
    | TellTyping
    | TellUserData
    | Upload
    | Download
    | Leave
    | Refresh
    | CloseTransport
)


@attrs.frozen
class Do:
    """Make a call of ``action`` for ``purpose``."""

    action: Action
    purpose: CallPurpose
