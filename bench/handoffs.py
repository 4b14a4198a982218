"""How many times one chat's round trip hands work from one thread to another.

    python bench/handoffs.py [--service messaging|webchat] [--round-trips 200]

The emulator runs in a process of its own (``cxbus emulator --json``, its demo agent
and bot on). One MessagingService conversation (or WebChatService chat on
``purecloud-v2-sockets``) sends ``--round-trips`` messages one after another, each
waiting for the agent's reply; meanwhile this script counts, by wrapping the
runtime's hand-off points in this process only (the library is not changed):

- loop jobs: ``Loop.call``, a job queued for the loop thread; given from another thread
  it hands work over (and wakes the loop when it waits), given from the loop thread
  itself it only waits its turn;
- lane jobs: ``Lane.submit`` (a job queued on a chat's lane), and of those the ones that
  found the lane idle and handed it to its pool (``ThreadPoolExecutor.submit`` or
  ``GrowingPool.submit``: a queue put and a worker woken).

Other threads' loop jobs and pool submits each hand work to another thread: their sum
is printed as the hand-offs to another thread (the frames reach the loop through its
selector, uncounted). A bare websocket-client loop doing the same protocol on one
thread hands nothing over: its count is 0 for each. The figures are
per round trip (send, the echo of what was sent, the agent's typing and its reply).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import functools
import threading
import time
from collections.abc import Callable
from typing import Any

from emulator_process import EmulatorProcess
from scale import SERVICES

from cxbus import Bus, Event
from cxbus.runtime import threads

TIMEOUT = 60.0

counts: collections.Counter[str] = collections.Counter()
_lock = threading.Lock()


def counted(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            counts[name] += 1
        return method(*args, **kwargs)

    return wrapper


def counted_loop_call(method: Callable[..., Any]) -> Callable[..., Any]:
    """``Loop.call``, counted apart by whether the loop thread itself gives the job."""

    @functools.wraps(method)
    def wrapper(loop: threads.Loop, job: Any) -> Any:
        name = "loop jobs, from the loop" if loop.in_loop() else "loop jobs, from other threads"
        with _lock:
            counts[name] += 1
        return method(loop, job)

    return wrapper


def instrument() -> None:
    """Count the hand-offs at the runtime's submit points (this process only)."""
    threads.Loop.call = counted_loop_call(threads.Loop.call)  # type: ignore[method-assign]
    threads.Lane.submit = counted("lane jobs", threads.Lane.submit)  # type: ignore[method-assign]
    for pool in (concurrent.futures.ThreadPoolExecutor, threads.GrowingPool):
        pool.submit = counted("pool submits", pool.submit)  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", choices=sorted(SERVICES), default="messaging")
    parser.add_argument("--round-trips", type=int, default=200)
    args = parser.parse_args()
    service = SERVICES[args.service]
    namespace = service.namespace
    emulator = EmulatorProcess()
    replies = threading.Semaphore(0)

    def replied(event: Event) -> None:
        for _ in service.agent_texts(event.data):
            replies.release()

    try:
        section = {"webchat": emulator.webchat, "messaging": emulator.messaging}[service.section]
        with Bus(config={service.section: dict(section)}) as bus:
            me = bus.register_plugin("Bench")
            me.subscribe(f"{namespace}.{service.messages}", replied)
            ready = bus.wait_for(f"{namespace}.{service.ready}")
            bus.command(f"{namespace}.{service.start}", dict(service.start_data)).result(
                timeout=TIMEOUT
            )
            ready.result(timeout=TIMEOUT)
            while replies.acquire(timeout=1.0):
                pass  # the agent's greeting, if any
            instrument()
            began = time.monotonic()
            for n in range(args.round_trips):
                bus.command(f"{namespace}.sendMessage", {"message": f"hello {n}"}).result(
                    timeout=TIMEOUT
                )
                assert replies.acquire(timeout=TIMEOUT), "the agent did not reply"
            seconds = time.monotonic() - began
            with _lock:
                seen = dict(counts)
    finally:
        emulator.stop()
    print(f"Hand-offs per {namespace} round trip ({args.round_trips} round trips)")
    print(f"  {'':<44}{'cxbus':>8}{'bare loop':>11}")
    names = (
        "loop jobs, from other threads",
        "loop jobs, from the loop",
        "lane jobs",
        "pool submits",
    )
    for name in names:
        print(f"  {name:<44}{seen.get(name, 0) / args.round_trips:>8.1f}{0:>11}")
    handed = seen.get("loop jobs, from other threads", 0) + seen.get("pool submits", 0)
    label = "hand-offs to another thread"
    print(f"  {label:<44}{handed / args.round_trips:>8.1f}{0:>11}")
    print(f"  ({seconds / args.round_trips * 1e3:.1f} ms per round trip, wall clock)")


if __name__ == "__main__":
    main()
