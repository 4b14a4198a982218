"""What MessagingService knows of its conversation beyond its state.

``ConversationRecord`` is the conversation machine's own (``machine.ConversationMachine``):
read and written on the loop thread only. It outlives a socket (a reconnection keeps
it) and ends with the session (a clear, a reset or ``clearSession`` starts a new one).
The session token and the JWT are secrets: neither shows in its repr.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import attrs

from .guest_api import JwtResponse, SessionResponse
from .payloads import MessageBody, StartedData

__all__ = ["Asked", "ConversationRecord", "GuestFile", "UploadState"]


class UploadState(enum.Enum):
    READING = "reading"  # the file is being read
    REQUESTED = "requested"  # onAttachment sent
    UPLOADING = "uploading"  # the PUT to the presigned URL is under way
    UPLOADED = "uploaded"  # the server said so: the next message carries it


@attrs.define
class GuestFile:
    """A file the guest uploads, until a message carries it (or it is deleted)."""

    attachment_id: str
    name: str
    state: UploadState = UploadState.READING
    data: bytes = attrs.field(default=b"", repr=False)


@attrs.define
class Asked:
    """Why a request was sent: what its answer is for, and the command waiting on it."""

    kind: str
    """configure, message, join, typing, jwt, upload, file, delete, clear, close"""
    ticket: int | None = None
    detail: Any = None


@attrs.define
class ConversationRecord:
    """One session, from its token to its end."""

    token: str | None = attrs.field(default=None, repr=False)
    session: SessionResponse | None = None
    """The last answer to configureSession."""
    seen: set[str] = attrs.field(factory=set)
    """Ids (and channel.messageIds) of the messages published so far."""
    files: dict[str, GuestFile] = attrs.field(factory=dict)
    """The guest's uploads no message carries yet, in the order they were asked for."""
    carriers: dict[str, MessageBody] = attrs.field(factory=dict)
    """Attachment id -> the body of the message that carries it (for getFile)."""
    jwt: JwtResponse | None = None
    jwt_waiting: list[Callable[[JwtResponse | None], None]] = attrs.field(factory=list)
    """What to do with the JWT once getJwt answers (``None``: it was refused)."""
    jwt_asked: bool = False
    """A getJwt is on its way (a lost socket drops it: the next need asks again)."""
    last_typing: float = float("-inf")
    history_page: int = 0
    """The last page fetchHistory (or restored) gave."""
    history_complete: bool = False
    history_tickets: list[int] = attrs.field(factory=list)
    """fetchHistory commands waiting, the first one's page under way."""
    sent_attributes: dict[str, str] = attrs.field(factory=dict)
    """The custom attributes the server has (the last ones a message carried)."""
    expiration_date: int | None = None
    duration_told: bool = False
    closed_by_server: bool = False
    """A ConnectionClosedEvent came on the socket in use: when it closes, it is not
    reopened. Opening a socket (``ConversationConnection.connect``) clears it."""

    @property
    def read_only(self) -> bool:
        return self.session is not None and self.session.read_only

    def started_data(self) -> StartedData:
        """The data of ``started`` and ``conversationReset``."""
        session = self.session
        data: StartedData = {
            "newSession": bool(session and session.new_session),
            "authenticated": False,
            "readOnly": bool(session and session.read_only),
        }
        if session is not None and session.duration_seconds is not None:
            data["durationSeconds"] = session.duration_seconds
        if session is not None and session.expiration_date is not None:
            data["expirationDate"] = session.expiration_date
        return data

    def uploaded_files(self) -> list[str]:
        """The attachment ids the next message carries."""
        return [f.attachment_id for f in self.files.values() if f.state is UploadState.UPLOADED]
