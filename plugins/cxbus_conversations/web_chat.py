"""WebChatService's events as messages: guest chat's member messages, GMS transcript entries.

WebChatService publishes both in one shape (``messageReceived``'s ``messages``:
``type``, ``from {name, type}``, ``text``, ``timestamp``, ``original``), and says who
sent each in ``from.type``, which it reads from the member's role (guest chat: the
member's ``role``; GMS: the transcript's ``from.type``, and a ``BOT`` party style):

- ``Client`` is the customer (its own messages come back: they are kept);
- ``Agent`` and ``Supervisor`` are agents; ``Bot`` is a bot;
- ``External`` is a member that is neither: on guest chat a flow's (``WORKFLOW``)
  member, which is how a bot speaks there, so a bot; on GMS the system.

``Message`` and ``Notice`` are words of their sender; ``PushUrl`` a link it sends (an
attachment with the URL); ``FileUploaded`` (GMS) a file (an attachment with the
``file-id`` and ``file-name`` of its ``userData``); ``ParticipantJoined`` and
``ParticipantLeft`` its joining and leaving. Anything else (``IdleAlert``,
``IdleClose``, ``MediaRequest``, ``CustomNotice``, ...) comes from the system. The
``ended`` event ends the conversation.

Guest chat and GMS carry text only, so a bot there offers its choices as numbered
lines, as the emulator's flow bot does::

    What can I do for you?
    1. Track my order
    2. Talk to an agent

A bot's or an agent's message whose numbered lines count 1, 2, 3... with none skipped
offers those labels as its ``quick_replies`` (its text stays as it came), so that a
wait for a quick reply works on every channel. The convention is this project's, not
the APIs'.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

import attrs

from cxbus import Event

from .message import Attachment, Message, QuickReply

__all__ = ["EVENTS", "WebChatReader"]

EVENTS = ("WebChatService.messageReceived", "WebChatService.ended")
"""What a conversation subscribes to on WebChatService."""
SENDERS = {"Client": "customer", "Agent": "agent", "Supervisor": "agent", "Bot": "bot"}
PRESENCE = {"ParticipantJoined": "joined", "ParticipantLeft": "left"}
SAID = frozenset({"Message", "Notice", "PushUrl", "FileUploaded"})
CHOICE = re.compile(r"(\d+)\.\s+(\S.*)")
"""A numbered line: ``1. Track my order``."""


class WebChatReader:
    """Turns WebChatService's events into messages, for one conversation on ``channel``
    (``"webchat"``: the guest chat API; ``"gms"``: GMS)."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._external = "system" if channel == "gms" else "bot"

    def read(self, event: Event) -> list[Message]:
        """The messages ``event`` brings, in order."""
        if event.name == "WebChatService.ended":
            return [Message("system", text="The chat ended.", event="ended", channel=self.channel)]
        return [self.read_line(line) for line in event.data["messages"]]

    def read_line(self, line: Mapping[str, Any]) -> Message:
        """One transcript line (a ``messageReceived`` message)."""
        kind = str(line.get("type") or "Message")
        sender_of = line.get("from") or {}
        sender = SENDERS.get(str(sender_of.get("type")), self._external)
        name = sender_of.get("name") or None
        text = str(line.get("text") or "")
        original = line.get("original") or {}
        base = Message(
            sender,
            name,
            text,
            time=_time(line.get("timestamp")),
            channel=self.channel,
            raw=line,
        )
        if kind in PRESENCE:
            return attrs.evolve(base, event=PRESENCE[kind])
        if kind not in SAID:
            return attrs.evolve(base, sender="system")
        if kind == "PushUrl":
            return attrs.evolve(base, attachments=(Attachment(None, url=text),))
        if kind == "FileUploaded":
            data = original.get("userData") or {}
            file = Attachment(data.get("file-name"), id=data.get("file-id"))
            return attrs.evolve(base, attachments=(file,))
        if kind == "Message" and sender in ("bot", "agent"):
            return attrs.evolve(base, quick_replies=numbered_choices(text))
        return base


def numbered_choices(text: str) -> tuple[QuickReply, ...]:
    """The choices that ``text`` offers as numbered lines (``1. Track my order``), when
    they count from 1 with none skipped; none otherwise."""
    labels: list[str] = []
    for line in text.splitlines():
        numbered = CHOICE.fullmatch(line.strip())
        if numbered is None:
            continue
        if int(numbered[1]) != len(labels) + 1:
            return ()
        labels.append(numbered[2])
    return tuple(QuickReply(label) for label in labels)


def _time(value: Any) -> datetime.datetime | None:
    """An ISO-8601 time as an aware datetime; ``None`` when missing or not a time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.timezone.utc)
