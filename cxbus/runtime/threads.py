"""The threads that plugins with state share: one loop thread, and lanes on two pools.

A plugin that holds state (a chat) keeps it in an object that only the **loop
thread** touches: commands, updates from the network and timers are all handed to
it with ``Loop.call`` and ``Loop.call_later``, so its code needs no locks and a
reader knows which thread runs it. Whatever may block or runs user code goes to a
**lane**: the jobs of one lane run one at a time, in the order given, on a pool
shared by every lane. So a thousand chats need a handful of threads, not a
thousand, and a chat's slow subscriber holds that chat's later events only.

- ``runtime().loop``: the loop thread (``cxbus-loop``). Jobs must not block.
- ``runtime().io``: the pool for blocking calls (REST, files), lanes of ``cxbus-io``.
- ``runtime().delivery``: the pool that runs user code (subscribers, command
  callbacks), lanes of ``cxbus-delivery``.

Why a loop of our own rather than asyncio: the state machines it runs are plain
synchronous code that tests drive without threads, and a queue, a heap of timers and
threads are all that gevent (Locust's engine) needs to patch to run it unchanged.

Every thread here is a daemon, started on first use, and runs for the life of the
process. A job that raises anything, ``SystemExit`` included, is logged and the
thread goes on: user code never stops the threads every chat depends on (and
Python delivers Ctrl-C to the main thread only).
"""

from __future__ import annotations

import collections
import concurrent.futures
import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable

import attrs

__all__ = ["Lane", "Loop", "Runtime", "Timer", "runtime"]

log = logging.getLogger("cxbus.runtime.threads")

Job = Callable[[], object]

IO_THREADS = 32
DELIVERY_THREADS = 8
# A lane hands its pool thread back after this many jobs, so a busy lane shares it.
LANE_BATCH = 64


def run_guarded(job: Job, what: str) -> None:
    """Run ``job``; whatever it raises is logged, never raised."""
    try:
        job()
    except BaseException:
        log.exception("%s %r raised", what, job)


@attrs.define(eq=False)
class Timer:
    """A job due at ``due`` (``time.monotonic()``) on the loop thread; ``cancel()`` it."""

    due: float
    job: Job
    cancelled: bool = False

    def cancel(self) -> None:
        """Make sure the job does not run (from any thread; harmless once it ran)."""
        self.cancelled = True
        # The timer stays in the loop's heap until it is due: let go of what the job
        # holds (a wait and its bus, a chat) now, not minutes later.
        self.job = _cancelled


def _cancelled() -> None:
    """The job of a cancelled timer."""


class Loop:
    """One thread that runs jobs in the order they are given, and timers when due."""

    def __init__(self, name: str = "cxbus-loop") -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._timers: list[tuple[float, int, Timer]] = []  # a heap, the loop thread's own
        self._order = itertools.count()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def call(self, job: Job) -> None:
        """Run ``job()`` on the loop thread, after the jobs given before it (any thread)."""
        if self._thread is None:
            self._start()
        self._jobs.put(job)

    def call_later(self, delay: float, job: Job) -> Timer:
        """Run ``job()`` on the loop thread in ``delay`` seconds, unless cancelled first."""
        timer = Timer(time.monotonic() + max(0.0, delay), job)
        if self.in_loop():
            self._add(timer)
        else:
            self.call(lambda: self._add(timer))
        return timer

    def in_loop(self) -> bool:
        """Whether the caller is the loop thread."""
        return threading.current_thread() is self._thread

    def _add(self, timer: Timer) -> None:
        heapq.heappush(self._timers, (timer.due, next(self._order), timer))

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        while True:
            timeout = None
            if self._timers:
                timeout = max(0.0, self._timers[0][0] - time.monotonic())
            try:
                job: Job | None = self._jobs.get(timeout=timeout)
            except queue.Empty:
                job = None
            if job is not None:
                run_guarded(job, "loop job")
            self._run_due_timers()

    def _run_due_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                run_guarded(timer.job, "timer")


class Lane:
    """Jobs run one at a time, in the order given, on a shared pool of threads."""

    def __init__(self, pool: concurrent.futures.Executor) -> None:
        self._pool = pool
        self._lock = threading.Lock()
        self._jobs: collections.deque[Job] = collections.deque()
        self._running = False

    def submit(self, job: Job) -> None:
        """Queue ``job()`` behind the lane's earlier jobs (any thread)."""
        with self._lock:
            self._jobs.append(job)
            if self._running:
                return
            self._running = True
        self._hand_to_pool()

    def _hand_to_pool(self) -> None:
        try:
            self._pool.submit(self._drain)
        except RuntimeError:  # the interpreter is exiting: its pools take no more work
            log.debug("a lane's jobs are dropped: the interpreter is exiting")
            with self._lock:
                self._jobs.clear()
                self._running = False

    def _drain(self) -> None:
        for _ in range(LANE_BATCH):
            with self._lock:
                if not self._jobs:
                    self._running = False
                    return
                job = self._jobs.popleft()
            run_guarded(job, "lane job")
        self._hand_to_pool()  # more to do: let other lanes have the thread first


@attrs.frozen
class Runtime:
    """The loop thread and the two pools (see the module docstring)."""

    loop: Loop
    io: concurrent.futures.ThreadPoolExecutor
    delivery: concurrent.futures.ThreadPoolExecutor


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def runtime() -> Runtime:
    """The process's runtime, made on first use."""
    global _runtime
    if _runtime is None:
        with _runtime_lock:
            if _runtime is None:
                _runtime = Runtime(
                    Loop(),
                    concurrent.futures.ThreadPoolExecutor(IO_THREADS, "cxbus-io"),
                    concurrent.futures.ThreadPoolExecutor(DELIVERY_THREADS, "cxbus-delivery"),
                )
    return _runtime
