"""The timed transcript: every message of a conversation with the time it arrived, printable.

``str(transcript)`` (or ``format``, or an f-string) gives one readable line per message,
for a failure report::

      0.00 s  customer: options
      0.31 s  bot Alex: Hi, I'm Alex, the demo bot. ...
      0.52 s  bot Alex: Pick a colour:  [quick replies: Red | Green | Blue]
      0.60 s  customer: Blue
      0.83 s  bot Alex: You chose Blue.
      1.10 s  ended: The session was closed here.

The times are seconds since the conversation started, by this process's clock: when
each message reached it, which is what a test waits on (the server's own time is the
message's ``time``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import attrs

from .message import Message

__all__ = ["Entry", "Transcript", "describe", "speaker"]


@attrs.frozen
class Entry:
    """A message and when it arrived: ``at`` seconds after the conversation started."""

    at: float
    message: Message

    def __str__(self) -> str:
        return f"{self.at:7.2f} s  {describe(self.message)}"


def speaker(message: Message) -> str:
    """Who sent ``message``, as a line says it: ``"bot Alex"``, ``"customer"``."""
    name = message.sender_name
    return message.sender if name is None else f"{message.sender} {name}"


def describe(message: Message) -> str:
    """One message as a transcript line says it (without the time)."""
    who = speaker(message)
    if message.event == "ended":
        return f"ended: {message.text}"
    if message.event is not None:
        return f"{who} {message.event}"
    extras = []
    if message.quick_replies:
        extras.append("quick replies: " + " | ".join(r.label for r in message.quick_replies))
    for card in (*message.cards, *(c for carousel in message.carousels for c in carousel.cards)):
        buttons = " | ".join(b.label + (f" <{b.url}>" if b.url else "") for b in card.buttons)
        extras.append(f"card: {card.title}" + (f" ({buttons})" if buttons else ""))
    for file in message.attachments:
        extras.append(f"file: {file.name or file.url or file.id}")
    line = f"{who}: {message.text}"
    return line + "".join(f"  [{extra}]" for extra in extras)


@attrs.frozen
class Transcript(Sequence[Entry]):
    """Every message so far, in the order it arrived (a snapshot: it does not grow)."""

    entries: tuple[Entry, ...] = ()

    def __str__(self) -> str:
        if not self.entries:
            return "(no messages)"
        return "\n".join(str(entry) for entry in self.entries)

    @property
    def messages(self) -> tuple[Message, ...]:
        return tuple(entry.message for entry in self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    @overload
    def __getitem__(self, index: int) -> Entry: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Entry]: ...

    def __getitem__(self, index: int | slice) -> Entry | Sequence[Entry]:
        return self.entries[index]
