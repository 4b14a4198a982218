"""What the chat state machine asks for: events, answers, calls, saves and timers.

``ChatMachine.handle`` returns a list of these, in the order they are to be carried
out. ``Call`` names work for the transport (an ``Action``); its outcome comes back
to the machine as ``inputs.CallSucceeded`` or ``inputs.CallFailed`` with the same id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import attrs

from .session_store import StoredSession
from .transport import SessionData, StartRequest

__all__ = [
    "Action",
    "Answer",
    "Call",
    "CancelTimer",
    "CloseTransport",
    "Download",
    "Effect",
    "Forget",
    "Leave",
    "Publish",
    "Refuse",
    "Resume",
    "Save",
    "SendText",
    "SetTimer",
    "Start",
    "TellTyping",
    "TellUserData",
    "Upload",
]


@attrs.frozen
class Publish:
    """Publish ``WebChatService.<name>`` with ``data``."""

    name: str
    data: Any = None


@attrs.frozen
class Answer:
    """Resolve the command of ``ticket`` with ``value``."""

    ticket: int
    value: Any = None


@attrs.frozen
class Refuse:
    """Reject the command of ``ticket`` with ``reason``."""

    ticket: int
    reason: Any


# Actions: what a Call asks of the transport. ----------------------------------------


@attrs.frozen
class Start:
    """Create the conversation and attach its stream; succeeds with ``SessionData``."""

    request: StartRequest


@attrs.frozen
class Resume:
    """Attach to the stored conversation and read it back; succeeds with
    ``(members, pages)``: every member, and the history in pages of ``page_size``
    (one page when ``paginated`` is off)."""

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
    """Tell the agent the guest is typing."""


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
    | CloseTransport
)


@attrs.frozen
class Call:
    """Carry out ``action`` off the chat's thread; ``generation`` is the chat it is for."""

    id: int
    generation: int
    action: Action


@attrs.frozen
class Save:
    """Keep ``stored`` in the session store."""

    stored: StoredSession


@attrs.frozen
class Forget:
    """Clear the session store."""


@attrs.frozen
class SetTimer:
    """Fire ``inputs.TimerFired(name)`` in ``seconds``, replacing a timer of that name."""

    name: str
    seconds: float


@attrs.frozen
class CancelTimer:
    name: str


Effect = Publish | Answer | Refuse | Call | Save | Forget | SetTimer | CancelTimer
