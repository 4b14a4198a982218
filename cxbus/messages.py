"""What a command handler and an event subscriber receive."""

from __future__ import annotations

from typing import Any

import attrs

from cxbus.deferred import Deferred

__all__ = ["CommandCall", "Event"]


@attrs.define(slots=True, eq=False)
class CommandCall:
    """One call of a command, as its ``before`` hooks and its handler see it.

    A hook may replace ``data``; the handler answers by returning a value, raising
    ``CommandRejected``, or settling ``deferred`` (and returning it) later.
    """

    command: str
    """The full name, ``"WebChatService.startChat"``."""
    data: Any
    """The options the commander passed (``None`` for none)."""
    commander: str | None
    """The calling plugin's name; ``None`` for ``Bus.command``."""
    deferred: Deferred[Any]
    """The answer the commander is waiting on."""
    time: float
    """When the call was made (``time.time()``)."""


@attrs.define(slots=True, eq=False)
class Event:
    """One published event, as a subscriber sees it.

    Every subscriber gets the same object: treat it as read-only. (It is not
    frozen because a frozen class costs more to build than a whole fan-out.)
    """

    name: str
    """The full name, ``"WebChatService.messageReceived"``."""
    data: Any
    """What the publisher attached (``None`` for nothing)."""
    publisher: str
    """The publishing plugin's name."""
    time: float
    """When it was published (``time.time()``)."""
