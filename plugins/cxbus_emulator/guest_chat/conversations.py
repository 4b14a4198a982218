"""The emulator's chats: conversations, members, messages, media requests and uploads.

Field names and JSON shapes are the guest chat API's (``WebChatMemberInfo``,
``WebChatMessage``, ``WebChatGuestMediaRequest``); ``Upload`` is the emulator's own.
Nothing here does anything: ``ChatServer`` (``server.py``) changes these on its loop.
"""

from __future__ import annotations

import enum
import secrets
import uuid
from typing import Any

import attrs

from ..cloud import now

__all__ = [
    "MEDIA_TYPES",
    "Conversation",
    "MediaRequest",
    "Member",
    "Message",
    "Phase",
    "Upload",
    "new_id",
]

# WebChatGuestMediaRequest.types (the Java SDK's enum).
MEDIA_TYPES = ("COBROWSE", "SCREENSHARE")


def new_id() -> str:
    return str(uuid.uuid4())


class Phase(enum.Enum):
    """Where a conversation is in its life; it only ever moves down this list."""

    WAITING = "created, waiting for its event stream to be attached (not routed yet)"
    ACTIVE = "routed: in queue or with an agent"
    ENDED = "over for the guest"


@attrs.define
class Member:
    """A WebChatMemberInfo. ``state`` is ALERTING, CONNECTED or DISCONNECTED."""

    role: str
    display_name: str
    id: str = attrs.field(factory=new_id)
    state: str = "CONNECTED"
    join_date: str = attrs.field(factory=now)
    leave_date: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    custom_fields: dict[str, str] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "id": self.id,
            "displayName": self.display_name,
            "role": self.role,
            "joinDate": self.join_date,
            "state": self.state,
            "authenticatedGuest": False,
        }
        optional = {
            "leaveDate": self.leave_date,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": self.email,
            "phoneNumber": self.phone_number,
            "customFields": self.custom_fields or None,
        }
        info.update({key: value for key, value in optional.items() if value is not None})
        return info


@attrs.define
class Message:
    """A WebChatMessage: ``body_type`` standard, notice, member-join, member-leave or
    media-request."""

    conversation_id: str
    sender_id: str
    body: str
    body_type: str = "standard"
    id: str = attrs.field(factory=new_id)
    timestamp: str = attrs.field(factory=now)

    def to_json(self, base: str, sender: Member) -> dict[str, Any]:
        """The REST shape: unlike a stream frame, it describes the sender in full."""
        path = f"{base}/conversations/{self.conversation_id}"
        return {
            "id": self.id,
            "name": self.id,
            "conversation": {"id": self.conversation_id, "selfUri": path},
            "sender": sender.to_json(),
            "body": self.body,
            "bodyType": self.body_type,
            "timestamp": self.timestamp,
            "selfUri": f"{path}/messages/{self.id}",
        }

    def stream_body(self) -> dict[str, Any]:
        """The eventBody of the message frame: the sender by id only."""
        return {
            "id": self.id,
            "conversation": {"id": self.conversation_id},
            "sender": {"id": self.sender_id},
            "body": self.body,
            "bodyType": self.body_type,
            "timestamp": self.timestamp,
        }


@attrs.define
class MediaRequest:
    """A WebChatGuestMediaRequest: an agent's co-browse or screen-share offer."""

    media_type: str  # one of MEDIA_TYPES
    id: str = attrs.field(factory=new_id)
    state: str = "PENDING"
    security_key: str = attrs.field(factory=lambda: secrets.token_hex(8), repr=False)

    def to_json(self, base: str, conversation_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.media_type.lower(),
            "types": [self.media_type],
            "state": self.state,
            "communicationId": conversation_id,
            "securityKey": self.security_key,
            "selfUri": f"{base}/conversations/{conversation_id}/mediarequests/{self.id}",
        }


@attrs.define
class Upload:
    """A file the guest gave the emulator (its own flow: Genesys has no upload)."""

    name: str
    content_type: str
    content: bytes = attrs.field(repr=False)
    id: str = attrs.field(factory=new_id)

    def to_json(self, base: str, conversation_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "contentType": self.content_type,
            "size": len(self.content),
            "selfUri": f"{base}/{conversation_id}/{self.id}",
        }


@attrs.define
class Conversation:
    """One guest chat: its members, messages, media requests, uploads and participant data."""

    guest: Member
    queue: str
    id: str = attrs.field(factory=new_id)
    phase: Phase = Phase.WAITING
    members: dict[str, Member] = attrs.field(factory=dict)
    messages: list[Message] = attrs.field(factory=list)
    media: dict[str, MediaRequest] = attrs.field(factory=dict)
    uploads: dict[str, Upload] = attrs.field(factory=dict)
    tokens_expired: bool = False
    participant_data: dict[str, str] = attrs.field(factory=dict)
    """What the flow-file bot set on the conversation (Genesys Cloud's participant data)."""

    def __attrs_post_init__(self) -> None:
        self.members[self.guest.id] = self.guest

    @property
    def routed(self) -> bool:
        return self.phase is not Phase.WAITING

    @property
    def ended(self) -> bool:
        return self.phase is Phase.ENDED

    def member(self, role: str, state: str = "CONNECTED") -> Member | None:
        """The first member of ``role`` in ``state``, if any."""
        return next((m for m in self.members.values() if m.role == role and m.state == state), None)

    @property
    def agent(self) -> Member | None:
        """The connected agent, if any."""
        return self.member("AGENT")

    def message(self, message_id: str) -> Message | None:
        return next((m for m in self.messages if m.id == message_id), None)
