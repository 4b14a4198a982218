"""``Message``: one shape for what every channel says, whoever says it.

Web Messaging's structured messages, guest chat's member messages and GMS transcript
entries all become a ``Message``: who sent it (``sender``: ``"bot"``, ``"agent"``,
``"system"`` or ``"customer"``, and ``sender_name``), its text, the quick replies
and cards it offers, the files it carries, when the server says it was sent, and the
channel's own payload (``raw``). A member coming or going and the conversation's end
are messages too (``event``: ``"joined"``, ``"left"``, ``"ended"``), so that one
ordered list tells the whole conversation.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "EVENTS",
    "SENDERS",
    "Attachment",
    "Button",
    "Card",
    "Carousel",
    "Message",
    "QuickReply",
]

SENDERS = ("bot", "agent", "system", "customer")
"""Who can send a message: the contact centre's bot, a human agent (or supervisor), the
platform itself (notices, idle alerts, the end), and the customer (the guest: us)."""
EVENTS = ("joined", "left", "ended")
"""What a message can stand for besides words: its sender joined, left, or the
conversation ended."""


@attrs.frozen
class QuickReply:
    """A choice offered under a message; ``choose(label)`` picks it."""

    label: str
    payload: str | None = None


@attrs.frozen
class Button:
    """A card's button: a postback (``choose(label)`` presses it) or a link (``url``)."""

    label: str
    payload: str | None = None
    url: str | None = None

    @property
    def is_link(self) -> bool:
        """A link opens ``url``; it is no choice to send back."""
        return self.url is not None


@attrs.frozen
class Card:
    title: str
    description: str | None = None
    image: str | None = None
    buttons: tuple[Button, ...] = ()


@attrs.frozen
class Carousel:
    """Cards side by side, in one message."""

    cards: tuple[Card, ...]


@attrs.frozen
class Attachment:
    """A file a message carries. ``media_type`` is its MIME type when the channel says it;
    ``url`` is where to fetch it (``None`` where the channel downloads by ``id``)."""

    name: str | None
    url: str | None = None
    media_type: str | None = None
    id: str | None = None


def _sender(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in SENDERS:
        raise ValueError(f"Message.sender must be one of {', '.join(SENDERS)}; got {value!r}.")


@attrs.frozen
class Message:
    """One thing that happened in the conversation, in the same shape on every channel."""

    sender: str = attrs.field(validator=_sender)
    """``"bot"``, ``"agent"``, ``"system"`` or ``"customer"`` (see ``SENDERS``)."""
    sender_name: str | None = None
    text: str = ""
    event: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.in_(EVENTS))
    )
    """``None`` for words; ``"joined"``, ``"left"`` or ``"ended"`` (see ``EVENTS``)."""
    quick_replies: tuple[QuickReply, ...] = ()
    cards: tuple[Card, ...] = ()
    carousels: tuple[Carousel, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    time: datetime.datetime | None = None
    """When the server says it was sent (an aware datetime), when it says."""
    channel: str = ""
    """``"messaging"``, ``"webchat"`` or ``"gms"``."""
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    """What the channel's service published for it, untouched."""

    @property
    def buttons(self) -> tuple[Button, ...]:
        """Every button of the message's cards and carousels, in order."""
        cards = [*self.cards, *(card for carousel in self.carousels for card in carousel.cards)]
        return tuple(button for card in cards for button in card.buttons)

    @property
    def choices(self) -> tuple[str, ...]:
        """The labels ``choose`` can pick here: quick replies, then postback buttons."""
        labels = [reply.label for reply in self.quick_replies]
        labels += [button.label for button in self.buttons if not button.is_link]
        return tuple(labels)
