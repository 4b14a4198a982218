"""A scenario as the player reads it: its steps and their expectations, checked already.

``scenario_files`` makes these from a file (the format is on the documentation's
Scenarios page); the player plays them. Every step knows the line it was written on
and shows itself as written (``expect {contains: order number, within: 10}``), so a
report points at the file, and never shows a variable's value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ..conditions import Condition
from .variables import Text

__all__ = [
    "AnyOrder",
    "Choose",
    "Collect",
    "DataCheck",
    "Expect",
    "Expectation",
    "Say",
    "Scenario",
    "SendFile",
    "Silence",
    "Step",
]

Offered = bool | Text | tuple[Text, ...]
"""What an expectation asks of the quick replies or buttons offered: ``False`` nothing,
``True`` some, a label one of them, a tuple exactly these in this order."""


@attrs.frozen
class Values:
    """What a conversation renders its texts with: the environment and the run's values."""

    environ: Mapping[str, str] = attrs.field(repr=False)
    run: Mapping[str, str]

    def text(self, text: Text) -> str:
        return text.render(self.environ, self.run)

    def pattern(self, text: Text) -> str:
        """A ``matches`` text: its variables' values match as written (escaped)."""
        return text.render(self.environ, self.run, escape=True)


@attrs.frozen
class DataCheck:
    """One participant data value's check: ``how`` is ``equals``, ``contains`` or ``matches``."""

    how: str
    text: Text

    def holds(self, value: str | None, values: Values) -> bool:
        if value is None:
            return False
        if self.how == "matches":
            return re.search(values.pattern(self.text), value) is not None
        if self.how == "contains":
            return values.text(self.text) in value
        return value.strip() == values.text(self.text).strip()


@attrs.frozen
class Expectation:
    """What one message must be (or an event, or participant data); ``within`` seconds
    (``None``: the file's or the run's default)."""

    written: str
    line: int
    contains: Text | None = None
    matches: Text | None = None
    equals: Text | None = None
    sender: tuple[str, ...] | None = None
    quick_replies: Offered = False
    buttons: Offered = False
    card: bool | Text = False
    attachment: bool | Text = False
    event: str | None = None
    """``"joined"``, ``"left"``, ``"ended"``, or ``None`` for a message."""
    participant_data: Mapping[str, DataCheck] | None = None
    within: float | None = None

    def criteria(self, values: Values) -> dict[str, Any]:
        """The keywords of ``Conversation.wait_for`` for this expectation's message."""
        return {
            "contains": None if self.contains is None else values.text(self.contains),
            "matches": None if self.matches is None else values.pattern(self.matches),
            "equals": None if self.equals is None else values.text(self.equals),
            "quick_reply": _offered(self.quick_replies, values),
            "button": _offered(self.buttons, values),
            "card": _named(self.card, values),
            "attachment": _named(self.attachment, values),
            "sender": self.sender or (("agent",) if self.event in ("joined", "left") else None),
        }

    def condition(self, values: Values) -> Condition:
        """The conversation's ``Condition`` for this expectation (not participant data)."""
        return Condition(**self.criteria(values), event=self.event)


def _offered(wanted: Offered, values: Values) -> bool | str | tuple[str, ...]:
    if isinstance(wanted, bool):
        return wanted
    if isinstance(wanted, Text):
        return values.text(wanted)
    return tuple(values.text(label) for label in wanted)


def _named(wanted: bool | Text, values: Values) -> bool | str:
    return wanted if isinstance(wanted, bool) else values.text(wanted)


@attrs.frozen
class Say:
    """The customer sends ``text``."""

    written: str
    line: int
    text: Text


@attrs.frozen
class Choose:
    """The customer chooses the quick reply or button labelled ``label``."""

    written: str
    line: int
    label: Text


@attrs.frozen
class SendFile:
    """The customer sends the file at ``path`` (from ``folder``), with ``text``."""

    written: str
    line: int
    path: Text
    folder: Path
    text: Text | None = None


@attrs.frozen
class Expect:
    """The next message (or event) meets ``expectation`` within its time."""

    written: str
    line: int
    expectation: Expectation


@attrs.frozen
class AnyOrder:
    """Messages meet each of ``expectations``, in any order."""

    written: str
    line: int
    expectations: tuple[Expectation, ...]


@attrs.frozen
class Collect:
    """The first reply, then every reply until the bot or agent is ``quiet`` seconds (all
    within ``within``); then their number (``fewest`` to ``most``) and each of
    ``expectations`` met by one of them."""

    written: str
    line: int
    quiet: float
    within: float | None = None
    fewest: int = 0
    most: int | None = None
    expectations: tuple[Expectation, ...] = ()


@attrs.frozen
class Silence:
    """No bot or agent message for ``seconds``."""

    written: str
    line: int
    seconds: float


Step = Say | Choose | SendFile | Expect | AnyOrder | Collect | Silence


@attrs.frozen
class Scenario:
    """One scenario of a file: a name, steps, and what its conversations start with."""

    name: str
    source: str
    """The file it was read from, as given."""
    line: int
    steps: tuple[Step, ...]
    within: float | None = None
    """The file's (or the scenario's) default ``within``; ``None``: the run's."""
    nickname: Text | None = None
    attributes: Mapping[str, Text] = attrs.field(factory=dict)
    channels: tuple[str, ...] | None = None
    """The channels it runs on (``None``: every channel); elsewhere it is skipped."""

    def runs_on(self, channel: str) -> bool:
        return self.channels is None or channel in self.channels
