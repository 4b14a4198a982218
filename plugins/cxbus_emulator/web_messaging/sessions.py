"""The emulator's Web Messaging sessions: their state, messages, attachments and rate windows.

A ``Session`` is one conversation of one session token. The token outlives it: a
guest who starts anew (``startNew``), clears, or comes back after expiry gets a
new ``Session`` (a new conversation id) for the same token. Everything here is
touched on the emulator's loop only.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import math
import time
import uuid
from typing import Any

import attrs
from aiohttp import web

from ..cloud import iso_time
from .identity import User

__all__ = [
    "Attachment",
    "AttachmentState",
    "Connection",
    "Message",
    "RateWindow",
    "Session",
    "SessionState",
]


class SessionState(enum.Enum):
    """Where a session is: it takes messages, it is read-only, or it is over for good."""

    ACTIVE = "active"
    READ_ONLY = "read-only"
    ENDED = "ended"  # expired, cleared, or replaced by a new session of its token


class AttachmentState(enum.Enum):
    REQUESTED = "requested"  # a presigned upload URL was handed out
    UPLOADED = "uploaded"
    FAILED = "failed"
    SENT = "sent"  # carried by a message; no longer deletable
    DELETED = "deleted"


@attrs.define
class RateWindow:
    """At most ``limit`` events in any ``seconds``: a sliding log of their times."""

    limit: int
    seconds: float
    times: collections.deque[float] = attrs.field(factory=collections.deque)

    def take(self, now: float) -> int | None:
        """Count one event at ``now`` (monotonic); when over the limit, the seconds to wait."""
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) < self.limit:
            self.times.append(now)
            return None
        return max(1, math.ceil(self.times[0] + self.seconds - now))


@attrs.define(eq=False)
class Message:
    """A message body (a ``StructuredMessage``), kept once and written in two shapes."""

    direction: str  # "Inbound" (from the guest) or "Outbound"
    type: str  # "Text", "Structured" or "Event"
    text: str | None = None
    content: list[dict[str, Any]] = attrs.field(factory=list)
    events: list[dict[str, Any]] = attrs.field(factory=list)
    metadata: dict[str, str] = attrs.field(factory=dict)
    originating_entity: str | None = None  # "Bot" or "Human", for outbound messages
    sender: str | None = None  # the nickname an outbound message names in channel.from
    signed_in: User | None = None  # the user a SignIn presence event names in channel.from
    custom_attributes: dict[str, str] = attrs.field(factory=dict)  # what the guest sent with it
    id: str = attrs.field(factory=lambda: uuid.uuid4().hex)
    message_id: str | None = None  # channel.messageId of an inbound message
    time: float = attrs.field(factory=time.time)

    def body(self) -> dict[str, Any]:
        """The body of the StructuredMessage frame that carries it over the socket."""
        channel: dict[str, Any] = {"time": iso_time(self.time)}
        if self.message_id is not None:
            channel["messageId"] = self.message_id
        if self.direction == "Outbound":
            channel["type"] = "Private"
        channel.update(self._from())
        if self.sender is not None and self.type == "Event":
            channel["to"] = {}
        body: dict[str, Any] = {"direction": self.direction, "id": self.id, "channel": channel}
        body["type"] = self.type
        if self.text is not None:
            body["text"] = self.text
        if self.content:
            body["content"] = self.content
        if self.events:
            body["events"] = self.events
        if self.metadata:
            body["metadata"] = self.metadata
        if self.originating_entity is not None:
            body["originatingEntity"] = self.originating_entity
        return body

    def agent_view(self) -> dict[str, Any]:
        """The message as the agent's side sees it: its body, and the custom attributes the
        guest sent with it in ``channel.metadata.customAttributes``."""
        body = self.body()
        if self.custom_attributes:
            body["channel"]["metadata"] = {"customAttributes": dict(self.custom_attributes)}
        return body

    def history_entity(self) -> dict[str, Any]:
        """The entity of the history REST answer: ``content`` always, no channel type, and
        the ``metadata`` the message has (the Java SDK's ``WebMessagingMessage``)."""
        channel: dict[str, Any] = {"time": iso_time(self.time)}
        if self.message_id is not None:
            channel["messageId"] = self.message_id
        channel.update(self._from())
        entity: dict[str, Any] = {"id": self.id, "channel": channel, "type": self.type}
        if self.text is not None:
            entity["text"] = self.text
        entity["content"] = self.content
        if self.events:
            entity["events"] = self.events
        entity["direction"] = self.direction
        if self.metadata:
            entity["metadata"] = dict(self.metadata)
        if self.originating_entity is not None:
            entity["originatingEntity"] = self.originating_entity
        return entity

    def _from(self) -> dict[str, Any]:
        """``channel.from``: an agent's nickname, or the names of a user who signed in."""
        if self.sender is not None:
            return {"from": {"nickname": self.sender}}
        if self.signed_in is not None:
            names = {"firstName": self.signed_in.first_name, "lastName": self.signed_in.last_name}
            return {"from": {key: value for key, value in names.items() if value}}
        return {}


@attrs.define(eq=False)
class Attachment:
    """A file of a session: the guest's upload, or a file an agent sent."""

    session_id: str
    file_name: str
    file_type: str
    file_size: int
    id: str = attrs.field(factory=lambda: str(uuid.uuid4()))
    state: AttachmentState = AttachmentState.REQUESTED
    data: bytes = attrs.field(default=b"", repr=False)

    @property
    def media_type(self) -> str:
        """The ``mediaType`` of the message content that carries it."""
        kind = self.file_type.split("/", 1)[0]
        return {"image": "Image", "video": "Video", "audio": "Audio"}.get(kind, "File")


@attrs.define(eq=False)
class Connection:
    """One guest WebSocket and the session it configured, if any."""

    socket: web.WebSocketResponse
    request_rate: RateWindow
    health_rate: RateWindow
    session: Session | None = None


@attrs.define(eq=False)
class Session:
    """One conversation of a session token, and everything the server keeps for it."""

    token: str = attrs.field(repr=False)
    message_rate: RateWindow
    configure_rate: RateWindow
    history_rate: RateWindow
    id: str = attrs.field(factory=lambda: str(uuid.uuid4()))
    state: SessionState = SessionState.ACTIVE
    started: bool = False  # the conversation exists: a first message or a Join came
    auto_started: bool = False  # a Join (the Messenger's autoStart) started it
    user: User | None = None  # the signed-in user of an authenticated session
    messages: list[Message] = attrs.field(factory=list)
    custom_attributes: dict[str, str] = attrs.field(factory=dict)
    participant_data: dict[str, str] = attrs.field(factory=dict)  # what the flow-file bot set
    attachments: dict[str, Attachment] = attrs.field(factory=dict)
    connections: list[Connection] = attrs.field(factory=list)  # oldest first
    expires_at: float = 0.0  # time.time()
    expiry: asyncio.TimerHandle | None = attrs.field(default=None, repr=False)
    guest_typing: int = 0  # Typing events the guest sent
    reorder_left: int = 0  # pushed messages still to hold back (out-of-order fault)
    held: list[str] = attrs.field(factory=list, repr=False)

    @property
    def open(self) -> bool:
        return self.state is not SessionState.ENDED

    @property
    def authenticated(self) -> bool:
        return self.user is not None

    def keep(self, message: Message) -> None:
        """Add ``message`` to the conversation, a millisecond at least after the one before,
        so that ``channel.time`` alone orders the conversation."""
        if self.messages:
            message.time = max(message.time, self.messages[-1].time + 0.001)
        self.messages.append(message)
