"""Command round trips and event fan-out on cxbus, against their peers, in one run.

    python bench/bus.py

Prints ns per operation and the ratio of each cxbus row to its peers. The rows of a
group are timed in interleaved rounds in this one process and each keeps its best
round, so a noisy neighbour slows every row alike: only ratios survive a noisy
machine. Peers not installed (Twisted, pyee: ``pip install twisted pyee``) are
left out.
"""

from __future__ import annotations

import concurrent.futures
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any

import blinker

import cxbus

ROUNDS = 9
NUMBER = 50_000

Statement = Callable[[], Any]


def noop(_: Any = None) -> None:
    pass


def distinct_noops(count: int) -> list[Callable[[Any], None]]:
    """``count`` different do-nothing subscribers (pyee keeps one per distinct function)."""
    return [lambda _: None for _ in range(count)]


def best_of_rounds(statements: dict[str, Statement]) -> dict[str, float]:
    """ns per call of each statement: the best of ROUNDS interleaved rounds."""
    best = {label: float("inf") for label in statements}
    for _ in range(ROUNDS):
        for label, statement in statements.items():
            ns = timeit.timeit(statement, number=NUMBER) / NUMBER * 1e9
            best[label] = min(best[label], ns)
    return best


def cxbus_command() -> Statement:
    bus = cxbus.Bus()
    echo = bus.register_plugin("Echo")
    echo.register_command("echo", lambda call: call.data)
    command = bus.command
    return lambda: command("Echo.echo", 1).done(noop)


def future_round_trip() -> Statement:
    def trip() -> None:
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        future.set_result(1)
        future.add_done_callback(noop)

    return trip


def twisted_round_trip() -> Statement | None:
    try:
        from twisted.internet.defer import Deferred as TwistedDeferred
    except ImportError:
        return None

    def trip() -> None:
        deferred: TwistedDeferred[int] = TwistedDeferred()
        deferred.callback(1)
        deferred.addCallback(noop)

    return trip


def cxbus_publish(subscribers: int) -> Statement:
    bus = cxbus.Bus()
    source = bus.register_plugin("Source")
    for subscriber in distinct_noops(subscribers):
        source.subscribe("Source.tick", subscriber)
    publish = source.publish
    return lambda: publish("tick", 1)


def blinker_send(subscribers: int) -> Statement:
    signal = blinker.Signal()
    for _ in range(subscribers):
        signal.connect(lambda sender, **kw: None, weak=False)
    return lambda: signal.send("source", data=1)


def pyee_emit(subscribers: int) -> Statement | None:
    try:
        from pyee import EventEmitter
    except ImportError:
        return None
    emitter = EventEmitter()
    for subscriber in distinct_noops(subscribers):
        emitter.on("tick", subscriber)
    return lambda: emitter.emit("tick", 1)


def plain_loop(subscribers: int) -> Statement:
    callbacks = tuple(distinct_noops(subscribers))

    def publish() -> None:
        for callback in callbacks:
            callback(1)

    return publish


def plain_loop_with_event(subscribers: int) -> Statement:
    """The plain loop, handing each subscriber an Event as cxbus does: the floor of publish."""
    callbacks = tuple(distinct_noops(subscribers))
    now = time.time

    def publish() -> None:
        event = cxbus.Event("Source.tick", 1, "Source", now())
        for callback in callbacks:
            callback(event)

    return publish


def report(ours: str, statements: dict[str, Statement | None]) -> None:
    """Time a group and print each row, the cxbus row with its ratio to every peer."""
    timed = best_of_rounds({k: v for k, v in statements.items() if v is not None})
    for label, ns in timed.items():
        ratios = ""
        if label == ours:
            ratios = "  ".join(f"{ns / timed[peer]:5.2f}x {peer}" for peer in timed if peer != ours)
        print(f"  {label:<28} {ns:7.0f} ns  {ratios}")
    print()


def main() -> None:
    print(f"Python {sys.version.split()[0]}; best of {ROUNDS} interleaved rounds\n")
    print("Command round trip (call -> handler -> resolve -> done callback)")
    report(
        "cxbus command",
        {
            "cxbus command": cxbus_command(),
            "concurrent.futures.Future": future_round_trip(),
            "Twisted Deferred": twisted_round_trip(),
        },
    )
    for subscribers in (1, 10):
        print(f"Publish to {subscribers} subscriber(s)")
        report(
            "cxbus publish",
            {
                "cxbus publish": cxbus_publish(subscribers),
                "blinker send": blinker_send(subscribers),
                "pyee emit": pyee_emit(subscribers),
                "plain loop": plain_loop(subscribers),
                "plain loop, Event built": plain_loop_with_event(subscribers),
            },
        )


if __name__ == "__main__":
    main()
