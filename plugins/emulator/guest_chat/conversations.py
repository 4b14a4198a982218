"""The emulator's chats: conversations, members and messages, and their JSON shapes.

Field names are the guest chat API's (``WebChatMemberInfo``, ``WebChatMessage``,
``WebChatTyping``, the event-stream frames); see the package docstring.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import attrs

from ..cloud import error_body, now

__all__ = ["Conversation", "Member", "Message", "error_body", "frame", "now"]

_sequence = itertools.count(1)


def new_id() -> str:
    return str(uuid.uuid4())


@attrs.define
class Member:
    """A WebChatMemberInfo."""

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
    """A WebChatMessage."""

    conversation_id: str
    sender_id: str
    body: str
    body_type: str = "standard"
    id: str = attrs.field(factory=new_id)
    timestamp: str = attrs.field(factory=now)
    order: int = attrs.field(factory=lambda: next(_sequence))

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
    """A WebChatGuestMediaRequest, with the bytes of the file it carried."""

    types: list[str]
    name: str
    content: bytes = attrs.field(repr=False)
    id: str = attrs.field(factory=new_id)
    state: str = "ACCEPTED"

    def to_json(self, base: str, conversation_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "types": self.types,
            "state": self.state,
            "communicationId": conversation_id,
            "selfUri": f"{base}/conversations/{conversation_id}/mediarequests/{self.id}",
        }


@attrs.define
class Conversation:
    """One guest chat: its members, its messages and its event stream's id."""

    guest: Member
    queue: str
    id: str = attrs.field(factory=new_id)
    stream_id: str = attrs.field(factory=lambda: uuid.uuid4().hex)
    members: dict[str, Member] = attrs.field(factory=dict)
    messages: list[Message] = attrs.field(factory=list)
    media: dict[str, MediaRequest] = attrs.field(factory=dict)
    routed: bool = False

    def __attrs_post_init__(self) -> None:
        self.members[self.guest.id] = self.guest

    @property
    def agent(self) -> Member | None:
        """The connected agent, if any."""
        return next(
            (m for m in self.members.values() if m.role == "AGENT" and m.state == "CONNECTED"),
            None,
        )

    @property
    def ended(self) -> bool:
        return self.guest.state == "DISCONNECTED"


def frame(conversation_id: str | None, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """One event-stream frame: ``kind`` is message, typing-indicator or member-change."""
    topic = "members" if kind == "member-change" else "messages"
    return {
        "topicName": f"v2.conversations.chats.{conversation_id}.{topic}",
        "version": "2",
        "eventBody": body,
        "metadata": {"CorrelationId": new_id(), "type": kind},
    }


def notice_frame(topic: str, message: str | None = None) -> dict[str, Any]:
    """A channel frame: heartbeat, pong or the socket-closing notice."""
    return {
        "topicName": topic,
        "version": "2",
        "eventBody": {"message": message} if message is not None else {},
        "metadata": {"CorrelationId": new_id()},
    }
