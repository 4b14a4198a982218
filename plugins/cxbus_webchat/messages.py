"""The transcript's message: one normalized shape for every kind of line in a chat.

What subscribers of ``messageReceived`` and callers of ``getTranscript`` get, as
plain dicts (``Message.to_dict``)::

    {"index": 3, "type": "Message", "from": {"name": "Alex", "type": "Agent"},
     "text": "Hello!", "timestamp": "2026-11-25T10:00:00.000Z", "original": {...}}

``type`` is one of the Genesys widgets' message types: ``"Message"``, ``"Notice"``
(a custom notice), ``"ParticipantJoined"`` and ``"ParticipantLeft"``; and ours,
``"MediaRequest"``: an offer of co-browse or screen share, whose text is what the
server sent (the media request's id), never shown as the agent's words. Through GMS,
the transcript's other types keep their GMS names (``"PushUrl"``, ``"CustomNotice"``,
``"IdleAlert"``, ``"IdleClose"``, ``"FileUploaded"``, ...). ``from.type``
is ``"Client"`` (the guest), ``"Agent"``, or ``"External"`` (a flow or bot); through
GMS also ``"Supervisor"`` and ``"Bot"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Union

import attrs

from .payloads import TranscriptMessage
from .transport import ChatMessage, Member

__all__ = ["Filters", "Message", "sender_type"]

_TYPES = {
    "standard": "Message",
    "notice": "Notice",
    "member-join": "ParticipantJoined",
    "member-leave": "ParticipantLeft",
    "media-request": "MediaRequest",
}
# GMS transcript types that are neither messages nor joins and leaves: kept as they are.
_GMS_TYPES = frozenset(
    {
        "PushUrl",
        "Notice",
        "CustomNotice",
        "IdleAlert",
        "IdleClose",
        "FileUploaded",
        "FileDeleted",
        "NicknameUpdated",
    }
)


def sender_type(member: Member, own_member_id: str | None) -> str:
    """``"Client"`` for the guest, ``"Agent"`` for an agent (GMS: ``"Supervisor"``,
    ``"Bot"``), else ``"External"``."""
    if member.id == own_member_id or member.role == "CUSTOMER":
        return "Client"
    return _SENDER_TYPES.get(member.role, "External")


_SENDER_TYPES = {"AGENT": "Agent", "SUPERVISOR": "Supervisor", "BOT": "Bot"}


@attrs.frozen
class Message:
    """One line of the transcript. Preprocessors may change ``text`` (and only that)."""

    index: int
    type: str
    from_name: str
    from_type: str
    text: str
    timestamp: str
    original: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_chat(cls, index: int, message: ChatMessage, own_member_id: str | None) -> Message:
        """Normalize a message as the transport reported it."""
        sender = message.sender
        kind = sender_type(sender, own_member_id)
        return cls(
            index=index,
            type=(
                message.body_type
                if message.body_type in _GMS_TYPES
                else _TYPES.get(message.body_type, "Message")
            ),
            from_name=sender.display_name or ("You" if kind == "Client" else kind),
            from_type=kind,
            text=message.body,
            timestamp=message.timestamp,
            original=message.original,
        )

    @classmethod
    def participant(
        cls, index: int, member: Member, joined: bool, own_member_id: str | None
    ) -> Message:
        """A member joining or leaving, as a transcript line."""
        name = member.display_name or sender_type(member, own_member_id)
        return cls(
            index=index,
            type="ParticipantJoined" if joined else "ParticipantLeft",
            from_name=name,
            from_type=sender_type(member, own_member_id),
            text=f"{name} {'joined' if joined else 'left'} the chat",
            timestamp=member.time or "",
            original=attrs.asdict(member),
        )

    def to_dict(self) -> TranscriptMessage:
        """The JSON-like form subscribers and commanders get."""
        return {
            "index": self.index,
            "type": self.type,
            "from": {"name": self.from_name, "type": self.from_type},
            "text": self.text,
            "timestamp": self.timestamp,
            "original": dict(self.original),
        }


Pattern = Union[str, "re.Pattern[str]"]


class Filters:
    """Regular expressions whose matching messages are hidden from the transcript."""

    def __init__(self) -> None:
        # A tuple (empty most of the time): an empty list is still an object the garbage
        # collector walks, one a chat.
        self._patterns: tuple[re.Pattern[str], ...] = ()

    def add(self, pattern: Pattern) -> bool:
        """Add a filter (a pattern string or a compiled ``re.Pattern``); once is enough.

        Returns whether it was new.
        """
        compiled = re.compile(pattern)
        if compiled in self._patterns:
            return False
        self._patterns += (compiled,)
        return True

    def remove(self, pattern: Pattern) -> None:
        """Take a filter away again; one that is not there is ignored."""
        compiled = re.compile(pattern)
        self._patterns = tuple(p for p in self._patterns if p != compiled)

    def hides(self, text: str) -> bool:
        """Whether any filter matches ``text``."""
        return any(pattern.search(text) for pattern in self._patterns)

    @property
    def patterns(self) -> list[re.Pattern[str]]:
        """Every filter, in the order added."""
        return list(self._patterns)

    def sources(self) -> list[tuple[str, int]]:
        """The filters as (pattern, flags) pairs, for the session store."""
        return [(pattern.pattern, pattern.flags) for pattern in self._patterns]


def is_pattern(value: Any) -> bool:
    """Whether ``value`` is a regular expression: a compiled one, or a string that compiles."""
    if isinstance(value, re.Pattern):
        return isinstance(value.pattern, str)
    if not isinstance(value, str) or not value:
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True
