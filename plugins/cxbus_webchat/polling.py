"""When a GMS chat polls, and what its refreshes' answers mean for the events it publishes.

``PollSchedule`` is a plain object: no thread, no timer and no clock of its own.
The one thread that runs a chat asks it when the next refresh is due
(``next_poll_at``, on the clock it was given), tells it when a refresh begins and
how it ended, and publishes the events that ``finish`` and the ``call_*`` methods
return. The rules are the Genesys Widgets' GMS module's
(``webchatservicelegacy.mod.js``: its poll scheduler and poll exceptions):

- One refresh in flight at a time: ``begin`` while one is raises ``PollInFlight``
  (the ``poll`` command's "previous poll has not finished").
- The interval starts at ``min_interval`` (``pollRateMin``), is multiplied by
  ``multiplier`` (``pollRateMult``) after each refresh that brought nothing new,
  up to ``max_interval`` (``pollRateMax``), and is back at ``min_interval`` after
  a send or an upload (``sent``). With ``dynamic`` (``dynamicPolling``) off it is
  ``fixed_interval`` (``pollRate``) throughout. It runs from one refresh's start
  to the next.
- Poll exceptions: only a refresh answered 200 with ``statusCode`` 1 counts. When
  the count goes over ``exception_limit`` (``pollExceptionLimit``),
  ``chatServerWentOffline``, and the count starts again from 0; polling goes on. A
  ``statusCode`` 0 refresh sets the count to 0 and, after an offline event,
  publishes ``chatServerBackOnline`` and ``reconnected``. ``reset_exceptions``
  sets the count to 0 and forgets the offline event, publishing nothing.
- No HTTP answer, to a refresh or any call: ``disconnected``; the next HTTP 200
  publishes ``reconnected``.

Ours, where the Widgets differ or say nothing:

- A refresh that brought news sets the interval back to ``min_interval`` (the
  Widgets grow it after every refresh): an agent who has just typed or written
  is likely to write again soon. A refresh that failed grows it, as a quiet one.
- Back online follows only an offline event (the Widgets mark the server offline
  on every ``statusCode`` 1, so one such refresh and a good one publish
  ``chatServerBackOnline`` with no ``chatServerWentOffline`` before it).
- ``disconnected`` is published once per outage, not once per failed call, and
  one good refresh after both an outage and an offline event publishes
  ``reconnected`` once.
- ``start`` makes the first refresh due at once.

Not thread-safe: one thread drives a schedule.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import attrs

__all__ = ["PollEvent", "PollInFlight", "PollResult", "PollSchedule", "PollingOptions"]


class PollInFlight(Exception):
    """A refresh was begun while another was still in flight."""

    def __init__(self) -> None:
        super().__init__("previous poll has not finished")


class PollResult(enum.Enum):
    """How a refresh ended."""

    NEWS = "news"
    """HTTP 200, ``statusCode`` 0, and something new in the transcript."""
    QUIET = "quiet"
    """HTTP 200, ``statusCode`` 0, nothing new."""
    BUSY = "busy"
    """HTTP 200 with ``statusCode`` 1: a poll exception."""
    UNREACHABLE = "unreachable"
    """No HTTP answer (the Widgets' status 0)."""
    REFUSED = "refused"
    """Any other answer: an HTTP error, ``statusCode`` 2."""


class PollEvent(enum.Enum):
    """An event WebChatService publishes because of what the polls found; the value is
    its name."""

    WENT_OFFLINE = "chatServerWentOffline"
    BACK_ONLINE = "chatServerBackOnline"
    DISCONNECTED = "disconnected"
    RECONNECTED = "reconnected"


_ANSWERED = frozenset({PollResult.NEWS, PollResult.QUIET, PollResult.BUSY})


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{attribute.name} must be a number of seconds above 0; got {value!r}.")


@attrs.frozen
class PollingOptions:
    """The schedule's options, in seconds (the Widgets' options are in milliseconds)."""

    min_interval: float = attrs.field(default=0.5, validator=_positive)
    max_interval: float = attrs.field(default=3.0, validator=_positive)
    multiplier: float = attrs.field(default=1.2)
    fixed_interval: float = attrs.field(default=3.0, validator=_positive)
    dynamic: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    exception_limit: int = attrs.field(default=5)

    @max_interval.validator
    def _not_below_min(self, attribute: attrs.Attribute[float], value: float) -> None:
        if value < self.min_interval:
            raise ValueError(
                f"max_interval must be at least min_interval ({self.min_interval}); got {value!r}."
            )

    @multiplier.validator
    def _growing(self, attribute: attrs.Attribute[float], value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 1:
            raise ValueError(f"multiplier must be a number above 1; got {value!r}.")

    @exception_limit.validator
    def _count(self, attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"exception_limit must be a whole number from 0; got {value!r}.")


class PollSchedule:
    """The polling of one chat: its interval, its refresh in flight, its poll exceptions.

    ``clock`` gives the time in seconds (``time.monotonic`` in a service, a fake one
    in tests); ``next_poll_at`` is on that clock.
    """

    def __init__(self, options: PollingOptions, clock: Callable[[], float]) -> None:
        self.options = options
        self._clock = clock
        self.running = False
        self.in_flight = False
        self.interval = self._first_interval()
        self.exceptions = 0
        """Poll exceptions since the last good refresh (or offline event, or reset)."""
        self.offline = False
        """Whether ``chatServerWentOffline`` was published and no good refresh came since."""
        self.unreachable = False
        """Whether ``disconnected`` was published and no HTTP 200 came since."""
        self._last_start: float | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (
            f"<PollSchedule {state} interval={self.interval:.3f}s "
            f"in_flight={self.in_flight} exceptions={self.exceptions}>"
        )

    def _first_interval(self) -> float:
        options = self.options
        return options.min_interval if options.dynamic else options.fixed_interval

    # Timing ---------------------------------------------------------------------------

    def start(self) -> bool:
        """Start polling, the first refresh due at once; ``False`` if it already was."""
        if self.running:
            return False
        self.running = True
        self.interval = self._first_interval()
        self._last_start = None
        return True

    def stop(self) -> bool:
        """Stop polling; ``False`` if it was not polling. A refresh in flight may still
        ``finish``."""
        if not self.running:
            return False
        self.running = False
        return True

    def next_poll_at(self) -> float | None:
        """When the next refresh is due; ``None`` while stopped or a refresh is in flight."""
        if not self.running or self.in_flight:
            return None
        if self._last_start is None:
            return self._clock()
        return self._last_start + self.interval

    def due(self) -> bool:
        """Whether a refresh should begin now."""
        due_at = self.next_poll_at()
        return due_at is not None and self._clock() >= due_at

    def sent(self) -> None:
        """The client sent a message or a file: poll soon again."""
        self.interval = self._first_interval()

    # Refreshes ------------------------------------------------------------------------

    def begin(self) -> None:
        """A refresh begins (due, or asked for by the ``poll`` command)."""
        if self.in_flight:
            raise PollInFlight
        self.in_flight = True
        self._last_start = self._clock()

    def finish(self, result: PollResult) -> tuple[PollEvent, ...]:
        """The refresh in flight ended so; the events to publish, in order."""
        if not self.in_flight:
            raise RuntimeError("finish() without begin(): no refresh is in flight.")
        self.in_flight = False
        self._adjust_interval(result)
        events: list[PollEvent] = []
        after_outage = result in _ANSWERED and bool(self.call_answered())
        if result is PollResult.UNREACHABLE:
            events.extend(self.call_unreachable())
        elif result is PollResult.BUSY:
            if after_outage:
                events.append(PollEvent.RECONNECTED)
            self.exceptions += 1
            if self.exceptions > self.options.exception_limit:
                self.exceptions = 0
                self.offline = True
                events.append(PollEvent.WENT_OFFLINE)
        elif result in (PollResult.NEWS, PollResult.QUIET):
            self.exceptions = 0
            if self.offline:
                self.offline = False
                events.append(PollEvent.BACK_ONLINE)
            if events or after_outage:
                events.append(PollEvent.RECONNECTED)
        return tuple(events)

    def _adjust_interval(self, result: PollResult) -> None:
        options = self.options
        if not options.dynamic:
            return
        if result is PollResult.NEWS:
            self.interval = options.min_interval
        else:
            self.interval = min(self.interval * options.multiplier, options.max_interval)

    # Any call ---------------------------------------------------------------------------

    def call_answered(self) -> tuple[PollEvent, ...]:
        """A call (any, refreshes included) got an HTTP 200: back from an outage?"""
        if not self.unreachable:
            return ()
        self.unreachable = False
        return (PollEvent.RECONNECTED,)

    def call_unreachable(self) -> tuple[PollEvent, ...]:
        """A call (any, refreshes included) got no HTTP answer."""
        if self.unreachable:
            return ()
        self.unreachable = True
        return (PollEvent.DISCONNECTED,)

    # Commands ---------------------------------------------------------------------------

    def reset_exceptions(self) -> None:
        """``resetPollExceptions``: the count to 0 and the offline event forgotten."""
        self.exceptions = 0
        self.offline = False

    def mark_offline(self) -> None:
        """The server was found offline another way (a restore answered ``statusCode`` 1,
        ``restoredOffline``): the next good refresh publishes back online."""
        self.offline = True
