"""The event stream's frames, as JSON-ready dicts.

Chat frames (message, typing-indicator, member-change) are on the conversation's
topics; channel frames (heartbeat, pong) and the socket-closing notice are not.
"""

from __future__ import annotations

from typing import Any

from ..cloud import now
from .conversations import Member, new_id

__all__ = ["channel_frame", "frame", "member_change", "socket_closing", "typing"]

CLOSING_TOPIC = "v2.system.socket_closing"


def frame(conversation_id: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """One chat frame: ``kind`` is message, typing-indicator or member-change."""
    topic = "members" if kind == "member-change" else "messages"
    return {
        "topicName": f"v2.conversations.chats.{conversation_id}.{topic}",
        "version": "2",
        "eventBody": body,
        "metadata": {"CorrelationId": new_id(), "type": kind},
    }


def member_change(conversation_id: str, member: Member) -> dict[str, Any]:
    """A member's new state, by id only, with the time of the change (as captured)."""
    body = {
        "member": {"id": member.id, "state": member.state},
        "conversation": {"id": conversation_id},
        "timestamp": now(),
    }
    return frame(conversation_id, "member-change", body)


def typing(conversation_id: str, member: Member) -> dict[str, Any]:
    body = {
        "id": member.id,
        "conversation": {"id": conversation_id},
        "sender": {"id": member.id},
        "timestamp": now(),
    }
    return frame(conversation_id, "typing-indicator", body)


def channel_frame(message: str) -> dict[str, Any]:
    """A heartbeat (``"WebSocket Heartbeat"``) or the answer to a ping (``"pong"``)."""
    return {
        "topicName": "channel.metadata",
        "version": "2",
        "eventBody": {"message": message},
        "metadata": {"CorrelationId": new_id()},
    }


def socket_closing(channel_id: str, delay: float) -> dict[str, Any]:
    """The notice that the server closes this socket in ``delay`` seconds.

    The field names are Genesys's (captured notices); their values are ours.
    """
    correlation = new_id()
    return {
        "topicName": CLOSING_TOPIC,
        "version": "2",
        "eventBody": {
            "channelId": channel_id,
            "systemTopicType": "socket_closing",
            "correlationId": correlation,
            "reason": "socket lifetime reached",
            "message": f"This socket closes in {delay:g} seconds: reconnect.",
            "data": {},
        },
        "metadata": {"CorrelationId": correlation},
    }
