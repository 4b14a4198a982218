"""``Condition``: what a wait is for, as a test reads it, and which message came nearest.

A condition is every criterion given at once (they all must hold): the sender (a bot
or an agent unless told), the text (``contains``, ``matches`` a regular expression,
``equals`` ignoring surrounding whitespace), what the message offers or carries
(``quick_reply``, ``button``, ``card``, ``attachment``: ``True`` for any, a string for
one labelled, titled or named so; for quick replies and buttons, a list of labels for
exactly those, in that order), or an event (joined, left, ended). ``str()`` says
it in words, for errors and reports: "a bot or agent message containing 'order'".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

import attrs

from .message import EVENTS, SENDERS, Message
from .transcript import Entry

__all__ = ["Condition"]

Wanted = bool | str
Offered = bool | str | tuple[str, ...]


def _pattern(value: str | re.Pattern[str] | None) -> re.Pattern[str] | None:
    if value is None or isinstance(value, re.Pattern):
        return value
    try:
        return re.compile(value)
    except (re.error, TypeError) as error:
        raise ValueError(
            f"matches must be a regular expression; got {value!r} ({error})."
        ) from None


def _text_or_none(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a string; got {value!r}.")


def _wanted(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, (bool, str)):
        raise TypeError(
            f"{attribute.name} must be True (any), False (no matter) or a string; got {value!r}."
        )


def _labels(value: Any) -> Any:
    """Labels (a list) as a tuple (the condition is frozen); anything else as it is."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _offered_wanted(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, tuple) and all(isinstance(label, str) for label in value):
        return
    if not isinstance(value, (bool, str)):
        raise TypeError(
            f"{attribute.name} must be True (any), False (no matter), a label or a list of "
            f"labels (exactly those); got {value!r}."
        )


def _senders(value: str | Sequence[str] | None) -> tuple[str, ...]:
    chosen = ("bot", "agent") if value is None else (value,) if isinstance(value, str) else value
    unknown = [sender for sender in chosen if sender not in SENDERS]
    if unknown or not chosen:
        raise ValueError(f"sender must be one of {', '.join(SENDERS)} (or several); got {value!r}.")
    return tuple(chosen)


@attrs.frozen
class Condition:
    """What a wait matches: every criterion given holds for the message."""

    contains: str | None = attrs.field(default=None, validator=_text_or_none)
    matches: re.Pattern[str] | None = attrs.field(default=None, converter=_pattern)
    equals: str | None = attrs.field(default=None, validator=_text_or_none)
    quick_reply: Offered = attrs.field(default=False, converter=_labels, validator=_offered_wanted)
    button: Offered = attrs.field(default=False, converter=_labels, validator=_offered_wanted)
    card: Wanted = attrs.field(default=False, validator=_wanted)
    attachment: Wanted = attrs.field(default=False, validator=_wanted)
    sender: tuple[str, ...] = attrs.field(default=None, converter=_senders)
    """Who may send it: a bot or an agent unless told."""
    event: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.in_(EVENTS))
    )
    """``None``: words; ``"joined"``, ``"left"``, ``"ended"``: that event."""

    def __str__(self) -> str:
        if self.event == "ended":
            return "the end of the conversation"
        who = " or ".join(self.sender)
        who = f"{'an' if who[0] in 'aeiou' else 'a'} {who}"
        if self.event is not None:
            return f"{who} {'joining' if self.event == 'joined' else 'leaving'}"
        parts = [f"{who} message"]
        if self.contains is not None:
            parts.append(f"containing {self.contains!r}")
        if self.matches is not None:
            parts.append(f"matching /{self.matches.pattern}/")
        if self.equals is not None:
            parts.append(f"equal to {self.equals!r}")
        for wanted, any_, one, exactly, none in (
            (
                self.quick_reply,
                "offering quick replies",
                "offering the quick reply {!r}",
                "offering the quick replies {}",
                "offering no quick reply",
            ),
            (
                self.button,
                "with a button",
                "with the button {!r}",
                "with the buttons {}",
                "with no button",
            ),
            (self.card, "with a card", "with the card {!r}", "", ""),
            (self.attachment, "with an attachment", "with the attachment {!r}", "", ""),
        ):
            if wanted is True:
                parts.append(any_)
            elif isinstance(wanted, str):
                parts.append(one.format(wanted))
            elif isinstance(wanted, tuple):
                labels = ", ".join(repr(label) for label in wanted)
                parts.append(exactly.format(labels) if wanted else none)
        return " ".join(parts[:1]) + (" " if len(parts) > 1 else "") + " and ".join(parts[1:])

    def test(self, message: Message) -> bool:
        """Whether ``message`` is what this condition waits for."""
        if message.event != self.event:
            return False
        if self.event == "ended":
            return True
        if message.sender not in self.sender:
            return False
        text = message.text
        if self.contains is not None and self.contains not in text:
            return False
        if self.matches is not None and self.matches.search(text) is None:
            return False
        if self.equals is not None and text.strip() != self.equals.strip():
            return False
        cards = [*message.cards, *(c for carousel in message.carousels for c in carousel.cards)]
        return (
            _offered(self.quick_reply, [reply.label for reply in message.quick_replies])
            and _offered(self.button, [button.label for button in message.buttons])
            and _offered(self.card, [card.title for card in cards])
            and _offered(self.attachment, [file.name or "" for file in message.attachments])
        )

    def could_be(self, message: Message) -> bool:
        """Whether ``message`` is a candidate for the nearest: a message of a sender
        waited for (for a wait on words), or anything (for a wait on an event)."""
        return self.event is not None or (message.event is None and message.sender in self.sender)

    def nearest(self, arrived: Sequence[Entry]) -> Entry | None:
        """Of the messages that ``arrived`` while waiting, the candidate closest to this
        condition's text (by similarity; the latest of equals), else the latest candidate."""
        candidates = [entry for entry in arrived if self.could_be(entry.message)]
        expected = self.equals or self.contains or (self.matches and self.matches.pattern)
        if not candidates:
            return None
        if not expected:
            return candidates[-1]
        return max(
            reversed(candidates),
            key=lambda entry: difflib.SequenceMatcher(None, expected, entry.message.text).ratio(),
        )


def _offered(wanted: Offered, labels: list[str]) -> bool:
    if wanted is False:
        return True
    if wanted is True:
        return bool(labels)
    if isinstance(wanted, tuple):
        return list(wanted) == labels
    return wanted in labels
