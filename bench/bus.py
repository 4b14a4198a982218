"""Command round trips, event fan-out and registry growth on cxbus, against peers, in one run.

    python bench/bus.py

Command round trips are timed in every order a command is answered in: at once
(settled before ``done`` is attached), later (``done`` attached first), through a
chain of three ``then``s, and ``await``-ed in asyncio code. Each is set against
Twisted's Deferred and ``concurrent.futures.Future`` doing the same, and so is the
cxbus Deferred alone (the command row also pays for the bus: its dispatch, the
handler's ``CommandCall``, the answer); the ``await``
rows also against a bare asyncio Future, the floor of any awaitable.

Times are the CPU time of this process (``time.process_time``), so other processes
on a busy machine slow the rows less than wall time would; the rows of a group are
timed in interleaved rounds, so what noise is left slows every row alike: only
ratios survive a noisy machine. Each row shows the min, median and max of its
rounds; ratios are of the best rounds (min), the least disturbed. Peers not
installed (Twisted, pyee: ``pip install -e ".[dev]"``) are left out.

The growth rows time what must not grow with the size of the bus: registering and
closing plugins, subscribing and unsubscribing, with 1 to 1,000 plugins or
subscribers and up to 10,000 retained events. The per-item column should stay flat.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any

import blinker

import cxbus

ROUNDS = 9
NUMBER = 20_000
AWAITS = 2_000  # awaits per asyncio run: the loop's start-up is spread over them
GROWTH_ROUNDS = 7

Statement = Callable[[], Any]
# A statement and how many operations one call of it performs.
Timed = tuple[Statement, int]


def noop(_: Any = None) -> None:
    pass


def increment(value: int) -> int:
    return value + 1


def distinct_noops(count: int) -> list[Callable[[Any], None]]:
    """``count`` different do-nothing subscribers (pyee keeps one per distinct function)."""
    return [lambda _: None for _ in range(count)]


# Command round trips ---------------------------------------------------------------


class Later:
    """A bus whose command ``Later.work`` is answered when ``settle()`` is called."""

    def __init__(self) -> None:
        bus = cxbus.Bus()
        self.pending: list[cxbus.CommandCall] = []
        pending = self.pending

        def work(call: cxbus.CommandCall) -> cxbus.Deferred:
            pending.append(call)
            return call.deferred

        bus.register_plugin("Later").register_command("work", work)
        self.command = bus.command

    def settle(self) -> None:
        self.pending.pop().deferred.resolve(1)


def cxbus_settle_then_attach() -> Statement:
    bus = cxbus.Bus()
    bus.register_plugin("Echo").register_command("echo", lambda call: call.data)
    command = bus.command
    return lambda: command("Echo.echo", 1).done(noop)


def cxbus_attach_then_settle() -> Statement:
    later = Later()
    command, settle = later.command, later.settle

    def trip() -> None:
        command("Later.work", 1).done(noop)
        settle()

    return trip


def cxbus_three_thens() -> Statement:
    later = Later()
    command, settle = later.command, later.settle

    def trip() -> None:
        command("Later.work", 1).then(increment).then(increment).then(increment).done(noop)
        settle()

    return trip


def deferred_settle_then_attach() -> Statement:
    def trip() -> None:
        deferred = cxbus.Deferred()
        deferred.resolve(1)
        deferred.done(noop)

    return trip


def deferred_attach_then_settle() -> Statement:
    def trip() -> None:
        deferred = cxbus.Deferred()
        deferred.done(noop)
        deferred.resolve(1)

    return trip


def deferred_three_thens() -> Statement:
    def trip() -> None:
        deferred = cxbus.Deferred()
        deferred.then(increment).then(increment).then(increment).done(noop)
        deferred.resolve(1)

    return trip


def future_settle_then_attach() -> Statement:
    def trip() -> None:
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        future.set_result(1)
        future.add_done_callback(noop)

    return trip


def future_attach_then_settle() -> Statement:
    def trip() -> None:
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        future.add_done_callback(noop)
        future.set_result(1)

    return trip


def future_then(
    future: concurrent.futures.Future[int], step: Callable[[int], int]
) -> concurrent.futures.Future[int]:
    """What ``then`` is with bare futures: a new future, set from a done callback."""
    chained: concurrent.futures.Future[int] = concurrent.futures.Future()
    future.add_done_callback(lambda done: chained.set_result(step(done.result())))
    return chained


def future_three_thens() -> Statement:
    def trip() -> None:
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        end = future_then(future_then(future_then(future, increment), increment), increment)
        end.add_done_callback(noop)
        future.set_result(1)

    return trip


def twisted_deferred() -> Any:
    try:
        from twisted.internet.defer import Deferred
    except ImportError:
        return None
    return Deferred


def twisted_settle_then_attach() -> Statement | None:
    deferred_class = twisted_deferred()
    if deferred_class is None:
        return None

    def trip() -> None:
        deferred = deferred_class()
        deferred.callback(1)
        deferred.addCallback(noop)

    return trip


def twisted_attach_then_settle() -> Statement | None:
    deferred_class = twisted_deferred()
    if deferred_class is None:
        return None

    def trip() -> None:
        deferred = deferred_class()
        deferred.addCallback(noop)
        deferred.callback(1)

    return trip


def twisted_three_thens() -> Statement | None:
    deferred_class = twisted_deferred()
    if deferred_class is None:
        return None

    def trip() -> None:
        deferred = deferred_class()
        deferred.addCallback(increment).addCallback(increment).addCallback(increment)
        deferred.addCallback(noop)
        deferred.callback(1)

    return trip


# await: each statement runs AWAITS awaits in one asyncio run.


def in_loop(loop: asyncio.AbstractEventLoop, make: Callable[[], Any]) -> Statement:
    """A statement that awaits ``make()`` AWAITS times in a running ``loop``."""

    async def awaits() -> None:
        for _ in range(AWAITS):
            await make()

    return lambda: loop.run_until_complete(awaits())


def cxbus_await_answered_at_once(loop: asyncio.AbstractEventLoop) -> Statement:
    bus = cxbus.Bus()
    bus.register_plugin("Echo").register_command("echo", lambda call: call.data)
    command = bus.command
    return in_loop(loop, lambda: command("Echo.echo", 1))


def cxbus_await_answered_later(loop: asyncio.AbstractEventLoop) -> Statement:
    later = Later()
    command, settle, call_soon = later.command, later.settle, loop.call_soon

    def make() -> cxbus.Deferred:
        deferred = command("Later.work", 1)
        call_soon(settle)
        return deferred

    return in_loop(loop, make)


def asyncio_await(loop: asyncio.AbstractEventLoop, at_once: bool) -> Statement:
    create_future, call_soon = loop.create_future, loop.call_soon

    def make() -> asyncio.Future[int]:
        future = create_future()
        if at_once:
            future.set_result(1)
        else:
            call_soon(future.set_result, 1)
        return future

    return in_loop(loop, make)


def future_await(loop: asyncio.AbstractEventLoop, at_once: bool) -> Statement:
    call_soon, wrap = loop.call_soon, asyncio.wrap_future

    def make() -> asyncio.Future[int]:
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        if at_once:
            future.set_result(1)
        else:
            call_soon(future.set_result, 1)
        return wrap(future, loop=loop)

    return in_loop(loop, make)


def twisted_await(loop: asyncio.AbstractEventLoop, at_once: bool) -> Statement | None:
    deferred_class = twisted_deferred()
    if deferred_class is None:
        return None
    call_soon = loop.call_soon

    def make() -> Any:
        deferred = deferred_class()
        if at_once:
            deferred.callback(1)
        else:
            call_soon(deferred.callback, 1)
        return deferred.asFuture(loop)

    return in_loop(loop, make)


# Publish ---------------------------------------------------------------------------


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


# Timing and printing ---------------------------------------------------------------


def interleaved_rounds(rows: dict[str, Timed | None]) -> dict[str, list[float]]:
    """ns per operation of each row, one sample per round, the rows taking turns."""
    present = {label: row for label, row in rows.items() if row is not None}
    samples: dict[str, list[float]] = {label: [] for label in present}
    for _ in range(ROUNDS):
        for label, (statement, operations) in present.items():
            calls = max(1, NUMBER // operations)
            seconds = timeit.timeit(statement, number=calls, timer=time.process_time)
            samples[label].append(seconds / (calls * operations) * 1e9)
    return samples


def report(ours: str | tuple[str, ...], rows: dict[str, Timed | None]) -> None:
    """Time a group and print each row; each of our rows with its ratio to every peer."""
    mine = (ours,) if isinstance(ours, str) else ours
    samples = interleaved_rounds(rows)
    best = {label: min(ns) for label, ns in samples.items()}
    print(f"  {'':<30} {'min':>7} {'median':>7} {'max':>7}  (ns)")
    for label, ns in samples.items():
        ratios = ""
        if label in mine:
            ratios = "  ".join(
                f"{best[label] / best[peer]:5.2f}x {peer}" for peer in samples if peer not in mine
            )
        median = statistics.median(ns)
        print(f"  {label:<30} {best[label]:7.0f} {median:7.0f} {max(ns):7.0f}  {ratios}")
    print()


def per_call(statement: Statement | None) -> Timed | None:
    return None if statement is None else (statement, 1)


def per_await(statement: Statement | None) -> Timed | None:
    return None if statement is None else (statement, AWAITS)


def round_trips() -> None:
    # The cxbus command row is the whole trip through the bus (the handler, its
    # CommandCall, the answer); the Deferred row is the deferred alone, as the peers are.
    orders: list[tuple[str, Statement, Statement, Statement, Statement | None]] = [
        (
            "answered at once, then done attached",
            cxbus_settle_then_attach(),
            deferred_settle_then_attach(),
            future_settle_then_attach(),
            twisted_settle_then_attach(),
        ),
        (
            "done attached, then answered",
            cxbus_attach_then_settle(),
            deferred_attach_then_settle(),
            future_attach_then_settle(),
            twisted_attach_then_settle(),
        ),
        (
            "three thens and a done attached, then answered",
            cxbus_three_thens(),
            deferred_three_thens(),
            future_three_thens(),
            twisted_three_thens(),
        ),
    ]
    for title, ours, deferred, future, twisted in orders:
        print(f"Command round trip: {title}")
        report(
            ("cxbus command", "cxbus Deferred alone"),
            {
                "cxbus command": per_call(ours),
                "cxbus Deferred alone": per_call(deferred),
                "Twisted Deferred": per_call(twisted),
                "concurrent.futures.Future": per_call(future),
            },
        )
    loop = asyncio.new_event_loop()
    try:
        for at_once in (True, False):
            when = "answered at once" if at_once else "answered later in the loop"
            print(f"Command round trip: await, {when}")
            awaited = cxbus_await_answered_at_once if at_once else cxbus_await_answered_later
            report(
                "cxbus command",
                {
                    "cxbus command": per_await(awaited(loop)),
                    "Twisted Deferred.asFuture": per_await(twisted_await(loop, at_once)),
                    "wrap_future(Future)": per_await(future_await(loop, at_once)),
                    "bare asyncio Future": per_await(asyncio_await(loop, at_once)),
                },
            )
    finally:
        loop.close()


def publishes() -> None:
    for subscribers in (1, 10):
        print(f"Publish to {subscribers} subscriber(s)")
        report(
            "cxbus publish",
            {
                "cxbus publish": per_call(cxbus_publish(subscribers)),
                "blinker send": per_call(blinker_send(subscribers)),
                "pyee emit": per_call(pyee_emit(subscribers)),
                "plain loop": per_call(plain_loop(subscribers)),
                "plain loop, Event built": per_call(plain_loop_with_event(subscribers)),
            },
        )


# Growth ----------------------------------------------------------------------------

SIZES = (1, 10, 100, 1_000)
COMMANDS_PER_PLUGIN = 10
SUBSCRIBE_TIMES = 100

# What a growth row times: it gets the bus and whatever its preparation made.
Prepared = tuple[cxbus.Bus, Any]


class Growth:
    """``prepare(size)`` builds a bus (untimed); ``measure(bus, made)`` is timed on it."""

    def __init__(
        self,
        title: str,
        prepare: Callable[[int], Prepared],
        measure: Callable[[cxbus.Bus, Any], Any],
        items: Callable[[int], int] = lambda size: size,
    ) -> None:
        self.title, self.prepare, self.measure, self.items = title, prepare, measure, items

    def print_rows(self, sizes: tuple[int, ...]) -> None:
        print(self.title)
        print(f"  {'N':>7} {'min':>9} {'median':>9} {'max':>9} (ms)  {'per item':>9} (µs)")
        for size in sizes:
            samples = []
            for _ in range(GROWTH_ROUNDS):
                bus, made = self.prepare(size)
                start = time.process_time()
                self.measure(bus, made)
                samples.append(time.process_time() - start)
                bus.close()
            median = statistics.median(samples)
            each = median / self.items(size) * 1e6
            print(
                f"  {size:>7,} {min(samples) * 1e3:9.3f} {median * 1e3:9.3f} "
                f"{max(samples) * 1e3:9.3f}       {each:9.2f}"
            )
        print()


def register_plugins(bus: cxbus.Bus, count: int) -> list[cxbus.Plugin]:
    plugins = []
    for index in range(count):
        plugin = bus.register_plugin(f"Plugin{index}")
        for command in range(COMMANDS_PER_PLUGIN):
            plugin.register_command(f"command{command}", noop)
        plugins.append(plugin)
    return plugins


def empty_bus(size: int) -> Prepared:
    return cxbus.Bus(), size


def bus_of_plugins(size: int) -> Prepared:
    bus = cxbus.Bus()
    register_plugins(bus, size)
    return bus, None


def listener_bus(size: int) -> Prepared:
    bus = cxbus.Bus()
    return bus, (bus.register_plugin("Listener"), size)


def subscribe_many(bus: cxbus.Bus, made: tuple[cxbus.Plugin, int]) -> None:
    listener, count = made
    for _ in range(count):
        listener.subscribe("Source.tick", noop)


def subscribed_bus(size: int) -> Prepared:
    bus = cxbus.Bus()
    listener = bus.register_plugin("Listener")
    return bus, [listener.subscribe("Source.tick", noop) for _ in range(size)]


def unsubscribe_all(bus: cxbus.Bus, subscriptions: list[cxbus.Subscription]) -> None:
    for subscription in subscriptions:
        subscription()


def publishing_plugins(size: int) -> Prepared:
    """``size`` plugins that have each published (so each has a cached route)."""
    bus = cxbus.Bus()
    for plugin in register_plugins(bus, size):
        plugin.publish("tick")
    return bus, bus.register_plugin("Listener")


def retaining(size: int) -> Prepared:
    bus = cxbus.Bus()
    source = bus.register_plugin("Source")
    for index in range(size):
        source.republish(f"status{index}", index)
    return bus, bus.register_plugin("Listener")


def subscribe_and_leave(bus: cxbus.Bus, listener: cxbus.Plugin) -> None:
    for _ in range(SUBSCRIBE_TIMES):
        listener.subscribe("Other.tick", noop)()


def growth() -> None:
    rows = [
        Growth(
            f"Register N plugins with {COMMANDS_PER_PLUGIN} commands each",
            empty_bus,
            register_plugins,
        ),
        Growth(
            f"Close a bus of N plugins with {COMMANDS_PER_PLUGIN} commands each",
            bus_of_plugins,
            lambda bus, _: bus.close(),
        ),
        Growth("Subscribe N subscribers to one event", listener_bus, subscribe_many),
        Growth(
            "Unsubscribe N subscribers of one event, one by one", subscribed_bus, unsubscribe_all
        ),
        Growth(
            f"Subscribe and unsubscribe {SUBSCRIBE_TIMES} times on a bus of N publishing plugins",
            publishing_plugins,
            subscribe_and_leave,
            items=lambda size: SUBSCRIBE_TIMES,
        ),
    ]
    for row in rows:
        row.print_rows(SIZES)
    Growth(
        f"Subscribe and unsubscribe {SUBSCRIBE_TIMES} times on a bus of N retained events",
        retaining,
        subscribe_and_leave,
        items=lambda size: SUBSCRIBE_TIMES,
    ).print_rows((1, 100, 10_000))


# Import ----------------------------------------------------------------------------


def import_time() -> None:
    """The CPU time of ``import cxbus`` in fresh interpreters, and what it imported."""
    probe = (
        "import sys, time; start = time.process_time(); import cxbus; "
        "took = time.process_time() - start; "
        "print(took, 'asyncio' in sys.modules, 'importlib.metadata' in sys.modules)"
    )
    samples, loaded = [], ""
    for _ in range(GROWTH_ROUNDS):
        out = subprocess.run(
            [sys.executable, "-c", probe], check=True, capture_output=True, text=True
        ).stdout.split()
        samples.append(float(out[0]))
        loaded = f"asyncio imported: {out[1]}, importlib.metadata imported: {out[2]}"
    print("import cxbus in a fresh interpreter")
    print(
        f"  min {min(samples) * 1e3:.1f} / median {statistics.median(samples) * 1e3:.1f} / "
        f"max {max(samples) * 1e3:.1f} ms; {loaded}"
    )
    print()


def main() -> None:
    print(
        f"Python {sys.version.split()[0]}; {ROUNDS} interleaved rounds per group, "
        f"{GROWTH_ROUNDS} per growth row\n"
    )
    round_trips()
    publishes()
    growth()
    import_time()


if __name__ == "__main__":
    main()
