"""The errors of a conversation: one small hierarchy, each message a sentence to act on.

``WaitTimeout`` (a ``cxbus.WaitTimedOut`` too) and ``ConversationEnded`` (both
``NotReceived``) say what was waited for, how long, and which message came nearest:
what a failure report needs. The customer's own words never appear in them; the bot's
and the agent's do, as the nearest message, since they are what a test is about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cxbus import CommandRejected, WaitTimedOut

from .transcript import Entry, speaker

if TYPE_CHECKING:
    from .conditions import Condition

__all__ = [
    "ConversationEnded",
    "ConversationError",
    "NotOffered",
    "NotReceived",
    "WaitTimeout",
    "WrongState",
    "reason_text",
    "refused",
    "without_article",
]

# How much of the nearest message an error shows (all of it is in ``nearest``).
SHOWN = 200


class ConversationError(Exception):
    """Base class of what a conversation raises; also a channel's refusal (the reason given)."""


class WrongState(ConversationError):
    """An operation that the conversation's state does not allow (saying after the end,
    starting twice, waiting before the start, two waits at once)."""


class NotOffered(ConversationError):
    """``choose(label)`` with a label that no message offered; ``offered`` is what was."""

    def __init__(self, label: str, offered: tuple[str, ...]) -> None:
        self.label = label
        self.offered = offered
        if offered:
            listed = ", ".join(repr(choice) for choice in offered)
            super().__init__(
                f"choose: no quick reply or button labelled {label!r} was offered; "
                f"offered: {listed}."
            )
        else:
            super().__init__(
                f"choose: no quick reply or button labelled {label!r} was offered; "
                "none has been offered yet."
            )


class NotReceived(ConversationError):
    """A wait ended with nothing that matched: ``condition``, ``waited`` (seconds) and
    the ``nearest`` message of those that arrived while it waited (or ``None``)."""

    def __init__(
        self, sentence: str, condition: Condition, waited: float, nearest: Entry | None
    ) -> None:
        self.condition = condition
        self.waited = waited
        self.nearest = nearest
        super().__init__(f"{sentence}; {_nearest(condition, nearest)}.")


class WaitTimeout(NotReceived, WaitTimedOut):
    """Nothing matched within the timeout.

    A ``cxbus.WaitTimedOut`` too (so a ``TimeoutError``), as ``bus.wait_for``'s timeouts
    are: one ``except`` catches a wait that timed out, on the bus or in a conversation.
    """

    def __init__(self, condition: Condition, waited: float, nearest: Entry | None) -> None:
        super().__init__(
            f"No {without_article(condition)} within {waited:.1f} s", condition, waited, nearest
        )


class ConversationEnded(NotReceived):
    """The conversation ended before anything matched."""

    def __init__(self, condition: Condition, waited: float, nearest: Entry | None) -> None:
        super().__init__(
            f"The conversation ended before {condition} came (waited {waited:.1f} s)",
            condition,
            waited,
            nearest,
        )


def without_article(condition: Condition) -> str:
    """``condition`` in words without its article: "bot message containing 'order'"."""
    said = str(condition)
    return said.split(" ", 1)[1] if said.startswith(("a ", "an ")) else said


def _nearest(condition: Condition, nearest: Entry | None) -> str:
    if nearest is None and condition.event is not None:
        return "nothing came meanwhile"
    if nearest is None:
        return f"no {' or '.join(condition.sender)} message came meanwhile"
    said = nearest.message
    text = said.text if len(said.text) <= SHOWN else said.text[: SHOWN - 3] + "..."
    return f"the nearest: {speaker(said)} at {nearest.at:.2f} s: {text!r}"


def reason_text(reason: Any) -> str:
    """A command's rejection as a sentence: the service's own, or the server's message."""
    if isinstance(reason, dict):
        for key in ("message", "errorMessage", "error"):
            if isinstance(reason.get(key), str):
                return str(reason[key])
    return str(reason)


def refused(operation: str, service: str) -> Callable[[Any], Any]:
    """A rejection handler that rejects with a ``ConversationError`` naming ``operation``."""

    def refuse(reason: Any) -> Any:
        if isinstance(reason, ConversationError):
            raise CommandRejected(reason)
        raise CommandRejected(
            ConversationError(f"{operation}: {service} refused: {reason_text(reason)}")
        )

    return refuse
