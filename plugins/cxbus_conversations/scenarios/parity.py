"""Parity: the same scenario on two channels, compared step by step.

Genesys tells every web chat customer to rebuild its chat flows as message flows and
test them side by side: this is that test. Each step's outcome on each channel is
put in words (what came that met it: who, the text, the quick replies, cards and
files, not the sender's name, and of an event only what happened, which channels
word differently; or the failure; or that it was not reached), and the steps whose
words differ are the differences.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ..message import Message
from ..transcript import describe
from .player import Play
from .steps import Step

__all__ = ["Difference", "differences", "parity_report"]


@attrs.frozen
class Difference:
    """A step whose outcome differs between channels: ``outcomes`` by channel."""

    index: int
    step: Step
    outcomes: tuple[tuple[str, str], ...]


def _said(message: Message) -> str:
    """A message in words that do not depend on the channel: no sender's name, and an
    event only as what happened (each channel words an end its own way)."""
    if message.event == "ended":
        return "ended"
    if message.event is not None:
        return f"{message.sender} {message.event}"
    return describe(attrs.evolve(message, sender_name=None))


def _outcome(play: Play, index: int) -> str:
    if index < len(play.steps):
        return " / ".join(_said(message) for message in play.steps[index].messages) or "done"
    if play.failed_step == index:
        return f"failed: {play.problem}"
    return "not reached"


def differences(plays: Sequence[Play]) -> list[Difference]:
    """Where the plays of one scenario (one per channel) differ, step by step."""
    scenario = plays[0].scenario
    found = []
    for index, step in enumerate(scenario.steps):
        outcomes = tuple((play.channel, _outcome(play, index)) for play in plays)
        if len({outcome for _, outcome in outcomes}) > 1:
            found.append(Difference(index, step, outcomes))
    return found


def parity_report(plays: Sequence[Play]) -> list[str]:
    """The lines that tell how the plays of one scenario differ (none: they agree)."""
    found = differences(plays)
    if not found:
        return []
    scenario = plays[0].scenario
    names = [play.channel for play in plays]
    channels = ", ".join(names[:-1]) + " and " + names[-1]
    lines = [f"{scenario.name}: {channels} differ at {len(found)} of {len(scenario.steps)} steps"]
    width = max(len(play.channel) for play in plays)
    for difference in found:
        step = difference.step
        lines.append(f"  step {difference.index + 1} (line {step.line}) {step.written}")
        lines.extend(
            f"    {channel:<{width}}  {outcome}" for channel, outcome in difference.outcomes
        )
    return lines
