"""The errors of cxbus: one small hierarchy, every message a sentence a user can act on."""

from __future__ import annotations

from typing import Any

__all__ = ["CommandRejected", "CxbusError", "EventsLost", "PluginError", "WaitTimedOut"]


class CxbusError(Exception):
    """Base class of every error cxbus raises."""


class PluginError(CxbusError):
    """A plugin could not be registered, found, loaded or configured as asked."""


class CommandRejected(CxbusError):
    """A command was rejected; ``reason`` is what the command rejected with.

    A handler raises it to reject its command with ``reason`` (a sentence, or any
    object such as a server's error body). ``Deferred.result()`` and ``await`` raise
    it when the deferred was rejected.
    """

    def __init__(self, reason: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return str(self.reason)


class WaitTimedOut(CommandRejected, TimeoutError):
    """No matching event came within a wait's timeout (``Bus.wait_for``, ``Bus.events``).

    A ``TimeoutError``, as asyncio's timeouts and ``Deferred.result(timeout)``'s are, and
    a ``CommandRejected`` whose ``reason`` is the sentence, as every rejected deferred's
    is: catch whichever reads best. ``result()`` and ``await`` raise it as it is.
    """


class EventsLost(CxbusError):
    """A ``Bus.events`` stream dropped ``count`` events: its reader fell behind its buffer.

    The stream raises it at the place in the order of events where they were lost, so
    that no loss goes unseen; reading on gives the events that came after.
    """

    def __init__(self, count: int, pattern: str, buffer: int) -> None:
        kind = "" if pattern == "*" else f"{pattern} "
        super().__init__(
            f"{count} {kind}event{'s were' if count != 1 else ' was'} lost here: the "
            f"stream's buffer of {buffer} was full (read faster, or give bus.events a larger "
            "buffer)."
        )
        self.count = count
        self.pattern = pattern
