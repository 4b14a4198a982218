"""A GMS chat's transcript as WebChatService's updates, each event once and in order.

``Transcript`` keeps the Widgets' position ``L`` (the highest index seen + 1, from
1) and turns each reply's messages into ``transport`` updates: those whose index is
below ``L`` were seen already and are dropped, so a server that repeats messages,
or a refresh that is answered twice, shows nothing twice; and the next refresh reads
from ``L``, so nothing is lost. The message types are GMS's (*Chat API Version 2*);
the events they become are those of the Genesys Widgets' GMS module
(``webchatservicelegacy.mod.js``):

- ``ParticipantJoined`` / ``ParticipantLeft``: a ``ChatMessage`` of body type
  ``member-join`` / ``member-leave`` whose sender is the participant (``Client`` is
  the guest, role ``CUSTOMER``; ``Agent``, ``Supervisor``: roles ``AGENT``,
  ``SUPERVISOR``; a sender whose ``eventAttributes`` say ``GCTI_SYSTEM`` ->
  ``party-info`` -> ``style`` ``BOT`` is a bot, role ``BOT``, as the widgets read it;
  ``External`` is the system).
- ``Message``: a ``standard`` message; ``TypingStarted`` / ``TypingStopped`` of
  anyone but the guest: ``Typing`` (the guest's own are dropped).
- Any other type (``PushUrl``, ``Notice``, ``CustomNotice``, ``IdleAlert``,
  ``IdleClose``, ``FileUploaded``, ``FileDeleted``, ``NicknameUpdated``): a
  ``ChatMessage`` whose body type is the GMS type itself, its text the body.

Ours: a message without an ``index`` (deployments without
``enable-fast-chat-transcript-refresh``) is given the one after the message before
it, the first the position the call read from: the server answers from there.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..transport import ChatMessage, Member, TransportUpdate, Typing
from .gms_replies import TranscriptMessage

__all__ = ["ROLES", "Transcript"]

ROLES = {"Client": "CUSTOMER", "Agent": "AGENT", "Supervisor": "SUPERVISOR", "Bot": "BOT"}
PRESENCE = {"ParticipantJoined": "member-join", "ParticipantLeft": "member-leave"}
TYPING = {"TypingStarted": True, "TypingStopped": False}


def iso_time(utc_ms: int | None) -> str:
    """Epoch milliseconds as ISO-8601 UTC (the guest chat's form); empty when unknown."""
    if utc_ms is None:
        return ""
    moment = datetime.datetime.fromtimestamp(utc_ms / 1000, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(value: Any) -> Any:
    """A value the widgets accept as an object or as JSON text of one."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def is_bot(message: TranscriptMessage) -> bool:
    """Whether ``eventAttributes`` say the sender is a bot (``GCTI_SYSTEM.party-info.style``)."""
    system = _json(message.event_attributes)
    system = _json(system.get("GCTI_SYSTEM")) if isinstance(system, Mapping) else None
    party = _json(system.get("party-info")) if isinstance(system, Mapping) else None
    return isinstance(party, Mapping) and party.get("style") == "BOT"


def member(message: TranscriptMessage, state: str = "CONNECTED") -> Member:
    """The message's sender as a member; its id is its ``participantId`` (else its name)."""
    sender = message.sender
    kind = "Bot" if is_bot(message) else sender.type or "External"
    ident = sender.participant_id if sender.participant_id is not None else sender.nickname
    return Member(
        str(ident if ident is not None else kind),
        ROLES.get(kind, kind.upper()),
        state,
        sender.nickname,
        iso_time(message.utc_time) or None,
    )


class Transcript:
    """The position of one chat's transcript, and the reading of its replies."""

    def __init__(self, position: int = 1) -> None:
        self.position = position
        """Where the next refresh reads from: the highest index seen + 1."""
        self.members: dict[str, Member] = {}
        """Every participant seen, as its last join or leave left it."""

    def read(self, messages: Iterable[TranscriptMessage], read_from: int) -> list[TransportUpdate]:
        """The updates of the messages of a reply that read from ``read_from``: only the
        new ones, in order."""
        updates: list[TransportUpdate] = []
        expected = read_from
        for message in messages:
            index = message.index if message.index is not None else expected
            expected = index + 1
            if index < self.position:
                continue
            self.position = index + 1
            update = self._update(message, index)
            if update is not None:
                updates.append(update)
        return updates

    def _update(self, message: TranscriptMessage, index: int) -> TransportUpdate | None:
        kind = message.type
        presence = PRESENCE.get(kind)
        sender = member(message, "DISCONNECTED" if kind == "ParticipantLeft" else "CONNECTED")
        if presence is not None:
            self.members[sender.id] = sender
            body_type = presence
        elif kind in TYPING:
            if sender.role == "CUSTOMER":
                return None
            return Typing(sender, iso_time(message.utc_time), started=TYPING[kind])
        else:
            body_type = "standard" if kind == "Message" else kind
        return ChatMessage(
            id=str(index),
            sender=sender,
            body=message.text or "",
            body_type=body_type,
            timestamp=iso_time(message.utc_time),
            original=message.original,
        )
