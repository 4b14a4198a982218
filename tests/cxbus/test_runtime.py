"""The shared loop thread, its timers, and lanes on the shared pools."""

from __future__ import annotations

import concurrent.futures
import gc
import logging
import sys
import threading
import time
import weakref
from typing import Any

import pytest

from cxbus import Bus
from cxbus.runtime.machine_runner import Answer, Close, MachineRunner, Publish
from cxbus.runtime.session_store import MemorySessionStore
from cxbus.runtime.threads import GrowingPool, Lane, Loop, runtime

TIMEOUT = 5.0


def settled(loop: Loop) -> None:
    """Wait until every job given to ``loop`` so far has run."""
    done = threading.Event()
    loop.call(done.set)
    assert done.wait(TIMEOUT)


def test_jobs_run_on_the_loop_thread_in_the_order_given() -> None:
    loop = Loop("test-loop")
    seen: list[tuple[int, bool]] = []
    for n in range(100):
        loop.call(lambda n=n: seen.append((n, loop.in_loop())))
    settled(loop)
    assert seen == [(n, True) for n in range(100)]
    assert not loop.in_loop()


def test_timers_fire_in_order_of_due_time_and_a_cancelled_one_never() -> None:
    loop = Loop("test-loop")
    fired: list[str] = []
    done = threading.Event()
    loop.call_later(0.05, lambda: fired.append("second"))
    cancelled = loop.call_later(0.02, lambda: fired.append("cancelled"))
    loop.call_later(0.01, lambda: fired.append("first"))
    loop.call_later(0.1, done.set)
    cancelled.cancel()
    assert done.wait(TIMEOUT)
    assert fired == ["first", "second"]


def test_a_job_that_raises_even_system_exit_does_not_stop_the_loop() -> None:
    loop = Loop("test-loop")
    loop.call(lambda: sys.exit(3))
    loop.call(lambda: 1 / 0)
    settled(loop)


def test_a_lane_runs_its_jobs_one_at_a_time_in_order() -> None:
    lane = Lane(runtime().io)
    seen: list[int] = []
    running = 0
    overlapped = False
    done = threading.Event()

    def job(n: int) -> None:
        nonlocal running, overlapped
        running += 1
        overlapped = overlapped or running > 1
        seen.append(n)
        running -= 1

    for n in range(500):
        lane.submit(lambda n=n: job(n))
    lane.submit(done.set)
    assert done.wait(TIMEOUT)
    assert seen == list(range(500)) and not overlapped


def test_a_blocked_lane_holds_its_own_jobs_only() -> None:
    slow, fast = Lane(runtime().delivery), Lane(runtime().delivery)
    gate, fast_done, slow_done = threading.Event(), threading.Event(), threading.Event()
    slow.submit(lambda: gate.wait(TIMEOUT))
    slow.submit(slow_done.set)
    fast.submit(fast_done.set)
    assert fast_done.wait(TIMEOUT)
    assert not slow_done.is_set()
    gate.set()
    assert slow_done.wait(TIMEOUT)


def test_a_job_that_finds_its_lane_idle_runs_here_when_it_will_not_wait() -> None:
    lane = Lane(runtime().io)
    ran_on: list[str] = []
    lane.run_here_or_submit(lambda: ran_on.append(threading.current_thread().name), lambda: True)
    assert ran_on == [threading.current_thread().name]


def test_a_job_that_would_wait_or_finds_its_lane_busy_is_queued_in_order() -> None:
    lane = Lane(runtime().io)
    gate, done = threading.Event(), threading.Event()
    seen: list[tuple[str, bool]] = []
    here = threading.current_thread().name

    def job(name: str) -> None:
        seen.append((name, threading.current_thread().name == here))

    lane.run_here_or_submit(lambda: job("would wait"), lambda: False)
    lane.submit(lambda: gate.wait(TIMEOUT))
    lane.run_here_or_submit(lambda: job("behind a busy lane"), lambda: True)
    lane.submit(done.set)
    gate.set()
    assert done.wait(TIMEOUT)
    assert seen == [("would wait", False), ("behind a busy lane", False)]


def test_a_lane_job_that_raises_does_not_stop_the_lane() -> None:
    lane = Lane(runtime().io)
    done = threading.Event()
    failures: list[Any] = [lambda: sys.exit(1), lambda: {}["missing"]]
    for failure in failures:
        lane.submit(failure)
    lane.submit(done.set)
    assert done.wait(TIMEOUT)


def test_a_lane_whose_pool_takes_no_more_work_drops_its_jobs_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """As at interpreter exit, when a timer or a reader still hands work to a lane."""
    pool = concurrent.futures.ThreadPoolExecutor(1)
    pool.shutdown()
    lane = Lane(pool)
    with caplog.at_level(logging.INFO, logger="cxbus"):
        lane.submit(lambda: None)
        lane.submit(lambda: None)
    assert caplog.records == []


def small_pool(threads: int = 2, most: int = 4, linger: float = 30.0) -> GrowingPool:
    return GrowingPool("test-pool", Loop("test-pool-loop"), threads, most, 0.05, linger)


def hold(pool: GrowingPool, count: int, gate: threading.Event) -> None:
    """``count`` jobs on ``pool`` that wait for ``gate``; returns once all of them run."""
    entered = threading.Semaphore(0)

    def held() -> None:
        entered.release()
        gate.wait(TIMEOUT)

    for _ in range(count):
        pool.submit(held)
    for _ in range(count):
        assert entered.acquire(timeout=TIMEOUT)


def test_a_pool_whose_threads_are_all_held_starts_one_more_for_the_next_job() -> None:
    pool, gate, done = small_pool(), threading.Event(), threading.Event()
    try:
        hold(pool, 3, gate)  # two kept threads, and a third started for the third job
        pool.submit(done.set)
        assert done.wait(TIMEOUT)
        assert pool.size == 4
    finally:
        gate.set()


def test_a_pool_grows_no_further_than_its_most_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool, gate, done = small_pool(most=3), threading.Event(), threading.Event()
    with caplog.at_level(logging.WARNING, logger="cxbus.runtime.threads"):
        hold(pool, 3, gate)
        pool.submit(done.set)
        assert not done.wait(0.3)  # every thread held: the limit the module docstring names
        gate.set()
        assert done.wait(TIMEOUT)
    assert pool.size == 3
    assert [r.getMessage() for r in caplog.records] == [
        "All 3 threads of test-pool are held (slow subscribers or callbacks): "
        "other chats' jobs wait for one of them"
    ]


def test_the_threads_a_pool_started_beyond_its_own_end_when_idle() -> None:
    pool, gate = small_pool(linger=0.05), threading.Event()
    hold(pool, 4, gate)
    assert pool.size == 4
    gate.set()
    deadline = time.monotonic() + TIMEOUT
    while pool.size > 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # polling the pool's own clock: spare threads end on a timeout
    assert pool.size == 2
    done = threading.Event()
    pool.submit(done.set)  # the kept threads still run jobs
    assert done.wait(TIMEOUT)


def test_a_cancelled_timer_lets_go_of_its_job_at_once() -> None:
    """A timer due in days (a session's expiry) keeps nothing alive once cancelled."""

    class Chat:
        def expire(self) -> None: ...

    loop, chat = Loop("test-loop"), Chat()
    gone = weakref.ref(chat)
    timer = loop.call_later(3 * 86400, chat.expire)
    settled(loop)
    timer.cancel()
    del chat
    gc.collect()
    assert gone() is None


class Held:
    """Something a job refers to."""


def collected(gone: weakref.ref[Held]) -> bool:
    """Whether ``gone``'s object is collected within a moment (its thread lets go of it)."""
    deadline = time.monotonic() + TIMEOUT
    while gc.collect() >= 0 and gone() is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    return gone() is None


def test_the_loop_holds_nothing_of_a_job_it_ran_while_it_waits_for_a_timer() -> None:
    loop, held, ran = Loop("test-loop"), Held(), threading.Event()
    loop.call_later(3600, lambda: None)  # the loop's next wait is long
    loop.call(lambda held=held: ran.set())
    gone = weakref.ref(held)
    del held
    assert ran.wait(TIMEOUT)
    assert collected(gone)


def test_a_pool_thread_holds_nothing_of_a_job_it_ran_while_it_waits() -> None:
    pool, held, ran = small_pool(), Held(), threading.Event()
    pool.submit(lambda held=held: ran.set())
    gone = weakref.ref(held)
    del held
    assert ran.wait(TIMEOUT)
    assert collected(gone)


class Farewell:
    """A machine that publishes ``hello`` on a command and retains ``bye`` on closing."""

    def handle(self, happened: Any) -> list[Any]:
        if isinstance(happened, Close):
            return [Publish("bye", retain=True)]
        return [Publish("hello"), Answer(happened)]


def test_events_still_on_their_way_when_the_bus_closes_are_dropped_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = Bus()
    plugin = bus.register_plugin("Farewell", on_unregister=lambda: runner.close())
    runner: MachineRunner[Any] = MachineRunner(
        Farewell(), lambda action, report: None, MemorySessionStore(), plugin, "Gone."
    )
    plugin.register_command("greet", lambda call: runner.command(lambda ticket: ticket))
    gate, held = threading.Event(), threading.Event()

    def slow(event: Any) -> None:
        held.set()
        gate.wait(TIMEOUT)

    bus.register_plugin("Slow").subscribe("Farewell.hello", slow)
    bus.command("Farewell.greet").result(timeout=TIMEOUT)
    assert held.wait(TIMEOUT)  # the events lane is held: bye waits behind hello
    with caplog.at_level(logging.DEBUG, logger="cxbus"):
        bus.close()
        gate.set()
        runner.settled().result(timeout=TIMEOUT)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
