"""Deadlines: a job run if something is not done in time, for the bus layer.

The bus gives a plugin it loads ``Bus.ready_timeout`` seconds to become ready. One
daemon thread (``cxbus-deadlines``), started on first need, sleeps until the nearest
deadline; ``cancel()`` is a flag that it reads when the deadline falls due. A job that
falls due runs on a thread of its own: failing a load runs the plugin's
``on_unregister``, user code that must not hold back the deadlines after it. (The bus
sits below ``cxbus.runtime`` and its loop, so it keeps this one small thread itself.)
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Deadline", "call_after"]

log = logging.getLogger("cxbus.deadlines")

Job = Callable[[], object]


class Deadline:
    """A job due at ``due`` (``time.monotonic()``); ``cancel()`` it when done in time."""

    __slots__ = ("cancelled", "due", "job")

    def __init__(self, due: float, job: Job) -> None:
        self.due = due
        self.job = job
        self.cancelled = False

    def cancel(self) -> None:
        """Make sure the job does not run (from any thread; harmless once it ran)."""
        self.cancelled = True
        # It stays in the heap until it is due: let go of what the job holds (a wait,
        # its event and its bus) now, not when the timeout would have fallen due.
        self.job = _cancelled


def _cancelled() -> None:
    """The job of a cancelled deadline."""


class _Deadlines:
    """The heap of deadlines and the thread that waits for the nearest."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, deadline: Deadline) -> None:
        with self._condition:
            heapq.heappush(self._heap, (deadline.due, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="cxbus-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is deadline:  # sooner than what the thread waits for
                self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._condition.wait(wait)
                _, _, deadline = heapq.heappop(self._heap)
            if not deadline.cancelled:
                threading.Thread(
                    target=_run_guarded, args=(deadline.job,), name="cxbus-deadline", daemon=True
                ).start()


def _run_guarded(job: Job) -> None:
    try:
        job()
    except BaseException:  # SystemExit too: a job never ends the process from here
        log.exception("deadline job %r raised", job)


_deadlines = _Deadlines()


def call_after(delay: float, job: Job) -> Deadline:
    """Run ``job()`` in ``delay`` seconds, on a thread of its own, unless cancelled first."""
    deadline = Deadline(time.monotonic() + max(0.0, delay), job)
    _deadlines.add(deadline)
    return deadline
