"""The platform's view of the emulator's conversations: the JSON shapes of Genesys Cloud.

The shapes are the official SDKs' models (MyPureCloud/platform-client-sdk-python,
``build/docs/Conversation.md``, ``Participant.md``, ``Message.md``,
``ConversationChat.md`` and ``MessageData.md``), with the fields the emulator can
fill:

- a ``Conversation``: ``id``, ``startTime``, ``endTime`` once it is over,
  ``participants``, ``recordingState``, ``selfUri``;
- each ``Participant``: ``id``, ``name``, ``purpose`` (``customer``, ``workflow``,
  ``acd``, ``agent``), ``participantType``, ``startTime``, ``endTime``, ``attributes``
  (the participant data), and its communications: ``messages`` on Web Messaging,
  ``chats`` on guest chat, each with an ``id`` and a ``state`` (``alerting``,
  ``connected``, ``disconnected``);
- a message's ``MessageData``: ``id``, ``conversationId``, ``timestamp``,
  ``direction`` (``inbound``, ``outbound``), ``messengerType`` ``webmessaging``,
  ``textBody``, ``status``, ``normalizedMessage``, ``selfUri``.

The customer's ``attributes`` are the custom attributes the guest sent (Web Messaging
``customAttributes``, guest chat ``customFields``) with what the flow set on top: the
Architect "Set Participant Data" action writes to the customer participant (the
Resource Center's "Attach custom conversation attributes to participant data in
Architect"). Only on the customer is ours; so are the ids of the Web Messaging
participants (stable, derived from the conversation's id) and, for a Web Messaging
conversation that ended without a Disconnect (cleared, expired), an ``endTime`` that is
its last message's time.

Read on the emulator's loop.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from ..cloud import iso_time
from ..guest_chat.conversations import Conversation as GuestChat
from ..guest_chat.conversations import Member
from ..web_messaging.sessions import Message, Session

__all__ = [
    "CONVERSATIONS",
    "MESSAGE_CONVERSATIONS",
    "chat_conversation",
    "disconnected_at",
    "message_data",
    "messaging_conversation",
]

CONVERSATIONS = "/api/v2/conversations"
MESSAGE_CONVERSATIONS = f"{CONVERSATIONS}/messages"
CHAT_CONVERSATIONS = f"{CONVERSATIONS}/chats"
# The guest chat member roles as the platform's participant purposes.
PURPOSES = {"CUSTOMER": "customer", "WORKFLOW": "workflow", "ACD": "acd", "AGENT": "agent"}


def disconnected_at(session: Session) -> float | None:
    """When a Web Messaging conversation was disconnected: the time of the Presence
    Disconnect its agent, bot or the platform sent, or of its last message when it ended
    otherwise; ``None`` while it is open."""
    for message in reversed(session.messages):
        if message.direction == "Outbound" and _is_disconnect(message):
            return message.time
    if not session.open and session.messages:
        return session.messages[-1].time
    return None


def _is_disconnect(message: Message) -> bool:
    return any(
        event.get("eventType") == "Presence"
        and (event.get("presence") or {}).get("type") == "Disconnect"
        for event in message.events
    )


def messaging_conversation(session: Session) -> dict[str, Any]:
    """A Web Messaging conversation (a session that has begun) as a ``Conversation``."""
    start = session.messages[0].time
    end = disconnected_at(session)
    customer_name = "Customer"
    if session.user is not None:
        names = (session.user.first_name, session.user.last_name)
        customer_name = " ".join(name for name in names if name) or session.user.login
    attributes = {**session.custom_attributes, **session.participant_data}
    participants = [
        _messaging_participant(session, "customer", customer_name, start, end, attributes),
        _messaging_participant(session, "workflow", "Inbound message flow", start, end),
    ]
    agents: dict[str, float] = {}
    for message in session.messages:
        if message.originating_entity == "Human" and message.sender is not None:
            agents.setdefault(message.sender, message.time)
    for name, joined in agents.items():
        participants.append(_messaging_participant(session, "agent", name, joined, end))
    return _conversation(session.id, start, end, participants)


def _messaging_participant(
    session: Session,
    purpose: str,
    name: str,
    start: float,
    end: float | None,
    attributes: dict[str, str] | None = None,
) -> dict[str, Any]:
    participant_id = _derived_id(session.id, purpose, name)
    communication: dict[str, Any] = {
        "id": _derived_id(participant_id, "message"),
        "state": "connected" if end is None else "disconnected",
        "direction": "inbound",
        "type": "webmessaging",
        "connectedTime": iso_time(start),
    }
    if end is not None:
        communication["disconnectedTime"] = iso_time(end)
    participant: dict[str, Any] = {
        "id": participant_id,
        "name": name,
        "purpose": purpose,
        "participantType": "External" if purpose == "customer" else "Internal",
        "startTime": iso_time(start),
        "attributes": attributes or {},
        "messages": [communication],
    }
    if end is not None:
        participant["endTime"] = iso_time(end)
    return participant


def chat_conversation(chat: GuestChat) -> dict[str, Any]:
    """A guest chat as a ``Conversation``: each member a participant with one chat."""
    guest = chat.guest
    start = _seconds(guest.join_date)
    end = _seconds(guest.leave_date) if chat.ended and guest.leave_date else None
    participants = []
    for member in chat.members.values():
        attributes = {**member.custom_fields, **chat.participant_data} if member is guest else {}
        participants.append(_chat_participant(chat, member, attributes))
    return _conversation(chat.id, start, end, participants)


def _chat_participant(
    chat: GuestChat, member: Member, attributes: dict[str, str]
) -> dict[str, Any]:
    communication: dict[str, Any] = {
        "id": member.id,
        "state": member.state.lower(),
        "direction": "inbound",
        "connectedTime": member.join_date,
    }
    participant: dict[str, Any] = {
        "id": member.id,
        "name": member.display_name,
        "purpose": PURPOSES.get(member.role, member.role.lower()),
        "participantType": "External" if member is chat.guest else "Internal",
        "startTime": member.join_date,
        "attributes": attributes,
        "chats": [communication],
    }
    if member.leave_date is not None:
        communication["disconnectedTime"] = member.leave_date
        participant["endTime"] = member.leave_date
    return participant


def _conversation(
    conversation_id: str, start: float, end: float | None, participants: list[dict[str, Any]]
) -> dict[str, Any]:
    conversation: dict[str, Any] = {
        "id": conversation_id,
        "startTime": iso_time(start),
        "participants": participants,
        "recordingState": "none",
        "selfUri": f"{CONVERSATIONS}/{conversation_id}",
    }
    if end is not None:
        conversation["endTime"] = iso_time(end)
    return conversation


def message_data(session: Session, message: Message, normalized_only: bool) -> dict[str, Any]:
    """One message of a Web Messaging conversation as ``MessageData``; with
    ``normalized_only`` (``useNormalizedMessage=true``) without the deprecated fields."""
    data: dict[str, Any] = {
        "id": message.id,
        "conversationId": session.id,
        "timestamp": iso_time(message.time),
        "direction": message.direction.lower(),
        "messengerType": "webmessaging",
        "status": "received" if message.direction == "Inbound" else "sent",
        "normalizedMessage": message.history_entity(),
        "selfUri": f"{MESSAGE_CONVERSATIONS}/{session.id}/messages/{message.id}",
    }
    if not normalized_only:
        data["textBody"] = message.text or ""
    return data


def _derived_id(*parts: str) -> str:
    """An id that is the same on every read of the same conversation."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _seconds(genesys_time: str) -> float:
    """A time as Genesys writes it (``cloud.iso_time``) in seconds since the epoch."""
    moment = datetime.datetime.fromisoformat(genesys_time.replace("Z", "+00:00"))
    return moment.timestamp()
