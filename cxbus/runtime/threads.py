"""The threads that plugins with state share: one loop thread, and lanes on three pools.

A plugin that holds state (a chat) keeps it in an object that only the **loop
thread** touches: commands, updates from the network and timers are all handed to
it with ``Loop.call`` and ``Loop.call_later``, so its code needs no locks and a
reader knows which thread runs it. The loop also reads the process's sockets
(``Loop.watch_readable``, used by ``cxbus.runtime.websocket_reader``): what a frame
brings reaches the chat's state on the thread that read it, with no hand-over.
Whatever may block or runs user code goes to a **lane**: the jobs of one lane run one
at a time, in the order given, on a pool shared by every lane. So a thousand chats
need a handful of threads, not a thousand, and a chat's slow subscriber holds that
chat's later events only.

- ``runtime().loop``: the loop thread (``cxbus-loop``). Jobs, timers and socket
  callbacks must not block.
- ``runtime().io``: the pool for blocking calls (REST, files), lanes of ``cxbus-io``.
- ``runtime().delivery``: the pool that runs subscribers, lanes of ``cxbus-delivery``.
- ``runtime().answers``: the pool that settles commands' deferreds, so that the
  callbacks commanders attached run there, lanes of ``cxbus-answers``.

Subscribers and command callbacks are user code and may take their time, so they
run on pools of their own (a slow subscriber never holds a command's answer) that
grow: each keeps ``USER_THREADS`` threads, and when a job has waited ``HELD_AFTER``
seconds while every thread was busy (subscribers of other chats that sleep), one more
thread starts, up to ``USER_THREADS_MOST``; such a thread ends once it has had nothing
to do for ``SPARE_LINGER`` seconds. The limit that is left: once ``USER_THREADS_MOST``
threads of a pool are held at the same time, the other chats' jobs on it wait.

Why a loop of our own rather than asyncio: the state machines it runs are plain
synchronous code that tests drive without threads, and a selector, a heap of timers
and threads are all that gevent (Locust's engine) needs to patch to run it unchanged.

The loop and the user-code pools' threads are daemons, started on first use; the
loop runs for the life of the process, and so do the pools' first ``USER_THREADS``.
A job that raises anything, ``SystemExit`` included, is logged and the thread goes
on: user code never stops the threads every chat depends on (and Python delivers
Ctrl-C to the main thread only).
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import heapq
import itertools
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable
from typing import Protocol

import attrs

__all__ = ["GrowingPool", "Lane", "Loop", "Runtime", "Timer", "runtime"]

log = logging.getLogger("cxbus.runtime.threads")

Job = Callable[[], object]

IO_THREADS = 24
# What each pool of user code keeps, and how far it grows while its threads are held.
USER_THREADS = 8
USER_THREADS_MOST = 64
HELD_AFTER = 0.1
SPARE_LINGER = 30.0
# The loop drops cancelled timers from its heap each time the heap doubles from this.
MIN_TIMERS = 64
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
    """One thread that runs jobs in the order given, timers when due, and what the
    sockets it watches bring as they become readable: the process's one loop.

    A turn of the loop: wait in the selector until a watched socket is readable, a
    timer is due or a job is given (a job given while the loop waits writes a byte to
    its wake-up socket); run the readable sockets' callbacks, the due timers, then the
    jobs given so far. Jobs given from the loop thread itself need no wake-up.
    """

    def __init__(self, name: str = "cxbus-loop") -> None:
        self._name = name
        self._jobs: collections.deque[Job] = collections.deque()
        self._timers: list[tuple[float, int, Timer]] = []  # a heap, the loop thread's own
        self._kept_timers = MIN_TIMERS  # the heap's size when cancelled ones were last dropped
        self._order = itertools.count()
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._selector.register(self._wake_reader, selectors.EVENT_READ, self._drain_wake_ups)
        self._asleep = False  # the loop waits in its selector: a job given must wake it
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def call(self, job: Job) -> None:
        """Run ``job()`` on the loop thread, after the jobs given before it (any thread)."""
        self._jobs.append(job)
        if self._thread is None:
            self._start()
        elif self._asleep:
            self._asleep = False
            with contextlib.suppress(BlockingIOError):  # full: a wake-up is on its way
                self._wake_writer.send(b"\0")

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

    def has_jobs(self) -> bool:
        """Whether jobs given wait to run: work that must come after them is given as a
        job too, rather than done at once on the loop thread."""
        return bool(self._jobs)

    def watch_readable(self, sock: socket.socket, on_readable: Job) -> None:
        """Call ``on_readable()`` each turn ``sock`` has bytes to read (the loop thread)."""
        self._selector.register(sock, selectors.EVENT_READ, on_readable)

    def unwatch_readable(self, sock: socket.socket) -> None:
        """Stop watching ``sock``; harmless if it is not watched, or closed (the loop thread)."""
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(sock)

    def _add(self, timer: Timer) -> None:
        heapq.heappush(self._timers, (timer.due, next(self._order), timer))
        if len(self._timers) >= 2 * self._kept_timers:
            # Cancelled timers wait in the heap until due: drop them now and then, so
            # that chats made and closed for hours do not pile theirs up.
            self._timers = [entry for entry in self._timers if not entry[2].cancelled]
            heapq.heapify(self._timers)
            self._kept_timers = max(MIN_TIMERS, len(self._timers))

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread = thread  # before it runs: its first job may ask in_loop()
                thread.start()

    def _run(self) -> None:
        while True:
            try:
                self._turn()
            except Exception:  # a bug here must not stop every chat's loop
                log.exception("a turn of %s failed", self._name)

    def _turn(self) -> None:
        self._asleep = True
        timeout: float | None = 0.0
        if not self._jobs:
            timeout = max(0.0, self._timers[0][0] - time.monotonic()) if self._timers else None
        ready = self._selector.select(timeout)
        self._asleep = False
        for key, _ in ready:
            run_guarded(key.data, "socket reader")
        self._run_due_timers()
        for _ in range(len(self._jobs)):  # those given so far: later ones wait a turn
            run_guarded(self._jobs.popleft(), "loop job")

    def _drain_wake_ups(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._wake_reader.recv(4096):
                pass

    def _run_due_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                run_guarded(timer.job, "timer")


class GrowingPool:
    """Threads that run the jobs given to them, in the order given; more of them while
    every one is held (see the module docstring).

    It keeps ``threads`` threads (started as they are first needed). For each job that
    has waited ``held_after`` seconds with no thread free to take it, the ``loop``
    starts one more, up to ``most``; a thread beyond ``threads`` ends once it has
    waited ``linger`` seconds for a job.
    """

    def __init__(
        self,
        name: str,
        loop: Loop,
        threads: int = USER_THREADS,
        most: int = USER_THREADS_MOST,
        held_after: float = HELD_AFTER,
        linger: float = SPARE_LINGER,
    ) -> None:
        self._name = name
        self._loop = loop
        self._threads = threads
        self._most = most
        self._held_after = held_after
        self._linger = linger
        self._ready = threading.Condition(threading.Lock())
        self._jobs: collections.deque[tuple[float, Job]] = collections.deque()  # (since, job)
        self._started = 0
        self._idle = 0  # threads waiting for a job
        self._watching = False  # the loop will look at the oldest job
        self._held = False  # every thread was held, and it was logged
        self._numbers = itertools.count()

    def __repr__(self) -> str:
        return f"<GrowingPool {self._name}: {self._started} threads, {len(self._jobs)} jobs>"

    @property
    def size(self) -> int:
        """How many threads run now."""
        return self._started

    def submit(self, job: Job) -> None:
        """Run ``job()`` on a thread of the pool, after the jobs given before it (any thread)."""
        with self._ready:
            self._jobs.append((time.monotonic(), job))
            if len(self._jobs) <= self._idle:
                self._ready.notify()
                return
            if self._started < self._threads:
                self._start(spare=False)
                return
            if self._watching:
                return
            self._watching = True
        self._loop.call_later(self._held_after, self._watch)

    def _start(self, spare: bool) -> None:
        """One more thread, if the process can have one; the caller holds the lock."""
        name = f"{self._name}_{next(self._numbers)}"
        thread = threading.Thread(target=self._work, args=(spare,), name=name, daemon=True)
        try:
            thread.start()
        except RuntimeError as error:  # a limit of the system, or the interpreter exiting
            log.warning("%s could not start one more thread: %s", self._name, error)
            return
        self._started += 1

    def _watch(self) -> None:
        """On the loop thread: a thread more for each job that has waited too long."""
        with self._ready:
            self._watching = False
            now = time.monotonic()
            overdue = sum(1 for _ in itertools.takewhile(self._overdue(now), self._jobs))
            wanted = overdue - self._idle
            more = min(wanted, self._most - self._started)
            for _ in range(more):
                self._start(spare=True)
            held = wanted > more
            if held and not self._held:
                log.warning(
                    "All %d threads of %s are held (slow subscribers or callbacks): "
                    "other chats' jobs wait for one of them",
                    self._started,
                    self._name,
                )
            self._held = held
            if not self._jobs:
                return
            self._watching = True
            waited = now - self._jobs[0][0]
            wait = self._held_after - waited if waited < self._held_after else self._held_after
        self._loop.call_later(wait, self._watch)

    def _overdue(self, now: float) -> Callable[[tuple[float, Job]], bool]:
        return lambda queued: now - queued[0] >= self._held_after

    def _work(self, spare: bool) -> None:
        linger = self._linger if spare else None
        while True:
            with self._ready:
                while not self._jobs:
                    self._idle += 1
                    waited = self._ready.wait(linger)
                    self._idle -= 1
                    if not waited and not self._jobs and spare:
                        self._started -= 1
                        return
                _, job = self._jobs.popleft()
            run_guarded(job, f"{self._name} job")
            del job  # the wait for the next may be long: hold nothing of this one


class Pool(Protocol):
    """What a lane needs of a pool: ``submit(job)``."""

    def submit(self, job: Job, /) -> object: ...


class Lane:
    """Jobs run one at a time, in the order given, on a shared pool of threads."""

    def __init__(self, pool: Pool) -> None:
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

    def run_here_or_submit(self, job: Job, here: Callable[[], bool]) -> None:
        """Run ``job()`` on the calling thread, as the lane's next job, when nothing is
        queued or running before it and ``here()`` says it will not wait (``here`` is
        asked with the lane held, so it reads the lane's state safely); else queue it
        behind the lane's earlier jobs, as ``submit`` does. Work that finds its lane idle
        is so done on the thread that already has it, with no hand-over."""
        with self._lock:
            if self._running:
                self._jobs.append(job)
                return
            self._running = True
        if here():
            run_guarded(job, "lane job")
            with self._lock:
                if not self._jobs:
                    self._running = False
                    return
        else:
            with self._lock:
                self._jobs.appendleft(job)
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
    """The loop thread and the three pools (see the module docstring)."""

    loop: Loop
    io: concurrent.futures.ThreadPoolExecutor
    delivery: GrowingPool
    answers: GrowingPool


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def runtime() -> Runtime:
    """The process's runtime, made on first use."""
    global _runtime
    if _runtime is None:
        with _runtime_lock:
            if _runtime is None:
                loop = Loop()
                _runtime = Runtime(
                    loop,
                    concurrent.futures.ThreadPoolExecutor(IO_THREADS, "cxbus-io"),
                    GrowingPool("cxbus-delivery", loop),
                    GrowingPool("cxbus-answers", loop),
                )
    return _runtime
