"""The polling of a chat on a polling transport (GMS): when to refresh, and what it found.

Each chat that starts or is restored gets a ``polling.PollSchedule`` on the machine's
monotonic clock; the next refresh is a ``SetTimer("poll")`` of the shared loop, and a
refresh is an ``actions.Refresh`` call (on the chat's second lane, beside its other
calls), one in flight at a time. ``ChatPolling`` never calls the machine: each method
returns its steps, the effects to carry out and the calls (``actions.Do``) to make, in
order; ``on`` says whether the chat is on (active, or ending). The commands, as the
widgets' GMS module has them (``docs/webchat.md``, GMS mode):

- ``startPoll`` / ``stopPoll``: start or stop the schedule, publishing
  ``pollingStarted`` / ``pollingStopped``; a chat that starts or is restored starts
  polling, and one that ends stops. ``startPoll`` publishes only when polling was
  stopped, and ``stopPoll`` while not polling rejects "Not currently polling. Ignoring
  command.".
- ``poll`` (private): one refresh now; it answers with the server's reply, and
  rejects "previous poll has not finished" while one is in flight.
- ``resetPollExceptions``: the count of poll exceptions to 0 and the offline mark
  forgotten, publishing nothing; it always resolves.

Ours: ``stopPoll`` resolves once no refresh is under way (one in flight is let finish,
so that nothing polls after it resolves); with no chat, ``poll``, ``startPoll`` and
``stopPoll`` reject with the page's "No active chat session.".
"""

from __future__ import annotations

from collections.abc import Callable

from cxbus.runtime.machine_runner import Answer, CancelTimer, Effect, Publish, Refuse, SetTimer

from . import actions
from .inputs import Poll, Timer
from .polling import PollEvent, PollInFlight, PollingOptions, PollResult, PollSchedule
from .sentences import NO_ACTIVE_SESSION, NOT_POLLING

__all__ = ["ChatPolling", "Step"]

Step = Effect | actions.Do


class ChatPolling:
    """A chat's polling with ``options`` (``None``: the transport does not poll), on the
    ``monotonic`` clock (see the module docstring)."""

    def __init__(self, options: PollingOptions | None, monotonic: Callable[[], float]) -> None:
        self.options = options
        self.monotonic = monotonic
        self.schedule: PollSchedule | None = None
        self._generation = 0
        """The chat the schedule polls."""
        self._stopping: tuple[int, ...] = ()
        """Tickets of stopPoll commands waiting for the refresh in flight (a tuple: empty
        most of the time, and an empty list is still an object the collector walks)."""

    def begin(self, generation: int, on: bool) -> list[Step]:
        """A chat started or was restored: a schedule of its own, running."""
        if self.options is None:
            return []
        self.schedule = PollSchedule(self.options, self.monotonic)
        self._generation = generation
        return self._start(on)

    def stop(self) -> list[Step]:
        """stopPoll, or the chat ended: polling stops."""
        schedule = self.schedule
        if schedule is not None and schedule.stop():
            return [CancelTimer(Timer.POLL), Publish("pollingStopped")]
        return []

    def arm(self, on: bool) -> list[Step]:
        """Set the timer for the next refresh, if one is due some day."""
        schedule = self.schedule
        due_at = schedule.next_poll_at() if schedule is not None and on else None
        if due_at is None:
            return []
        return [SetTimer(Timer.POLL, max(0.0, due_at - self.monotonic()))]

    def due(self, on: bool) -> list[Step]:
        """The poll timer fired: refresh, if it is time."""
        schedule = self.schedule
        if schedule is None or not on:
            return []
        return self._refresh(None) if schedule.due() else self.arm(on)

    def _start(self, on: bool) -> list[Step]:
        assert self.schedule is not None
        started: list[Step] = [Publish("pollingStarted")] if self.schedule.start() else []
        return started + self.arm(on)

    def _refresh(self, ticket: int | None) -> list[Step]:
        assert self.schedule is not None
        self.schedule.begin()
        return [actions.Do(actions.Refresh(), Poll(ticket))]

    # Commands ---------------------------------------------------------------------------

    def reset_exceptions(self, ticket: int) -> list[Step]:
        if self.schedule is not None:
            self.schedule.reset_exceptions()
        return [Answer(ticket)]

    def poll_now(self, ticket: int, on: bool) -> list[Step]:
        if self.schedule is None or not on:
            return [Refuse(ticket, NO_ACTIVE_SESSION)]
        try:
            return self._refresh(ticket)
        except PollInFlight as in_flight:
            return [Refuse(ticket, str(in_flight))]

    def start_poll(self, ticket: int, on: bool) -> list[Step]:
        if self.schedule is None or not on:
            return [Refuse(ticket, NO_ACTIVE_SESSION)]
        return [*self._start(on), Answer(ticket)]

    def stop_poll(self, ticket: int, on: bool) -> list[Step]:
        schedule = self.schedule
        if schedule is None or not on:
            return [Refuse(ticket, NO_ACTIVE_SESSION)]
        if not schedule.running:
            return [Refuse(ticket, NOT_POLLING)]
        steps = self.stop()
        if schedule.in_flight:
            self._stopping += (ticket,)
        else:
            steps.append(Answer(ticket))
        return steps

    # Outcomes ---------------------------------------------------------------------------

    def refreshed(self, generation: int, result: PollResult) -> tuple[bool, list[Step]]:
        """A refresh of the chat of ``generation`` came back: whether it is this chat's
        (its news are to be taken), and the events it makes."""
        steps = self._no_refresh_under_way()
        schedule = self.schedule
        if schedule is None or generation != self._generation or not schedule.in_flight:
            return False, steps  # a refresh of a chat that has ended
        return True, steps + _events(schedule.finish(result))

    def refresh_failed(self, generation: int, on: bool) -> list[Step]:
        """A refresh that raised (it should not): it counts as refused, polling goes on."""
        steps = self._no_refresh_under_way()
        schedule = self.schedule
        if schedule is None or generation != self._generation or not schedule.in_flight:
            return steps
        return steps + _events(schedule.finish(PollResult.REFUSED)) + self.arm(on)

    def call_done(self, answered: bool, on: bool) -> list[Step]:
        """Another call of the chat got an HTTP answer (or none): back, or away?"""
        schedule = self.schedule
        if schedule is None or not on:
            return []
        return _events(schedule.call_answered() if answered else schedule.call_unreachable())

    def sent(self, on: bool) -> list[Step]:
        """A message or a file went out: the agent may answer soon, poll sooner."""
        schedule = self.schedule
        if schedule is None or not on:
            return []
        schedule.sent()
        return [] if schedule.in_flight else self.arm(on)

    def restored_offline(self) -> list[Step]:
        """The restore's reply said statusCode 1: the next good refresh is back online."""
        if self.schedule is None:
            return []
        self.schedule.mark_offline()
        return [Publish("restoredOffline")]

    def _no_refresh_under_way(self) -> list[Step]:
        stopping, self._stopping = self._stopping, ()
        return [Answer(ticket) for ticket in stopping]


def _events(events: tuple[PollEvent, ...]) -> list[Step]:
    return [Publish(event.value) for event in events]
