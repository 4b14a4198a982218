"""What waiting for events costs beside a subscription callback, in one run; and an asyncio
program awaiting the replies of 1,000 concurrent chats.

    python bench/waiting.py [--chats 1000]

CPU per operation (``time.process_time``, interleaved rounds, min/median/max; ratios
of the best rounds, as in ``bench/bus.py``): a one-shot wait made, answered by a
publish and taken, beside a subscription made and left by hand around the same
publish, and beside the publish to a callback subscribed already; reading a stream
of events (``bus.events``, ``for`` and ``async for``) per event, beside a callback
that hands the event to a deque, a ``queue.SimpleQueue`` or an ``asyncio.Queue``.

Latency across threads (wall time, p50 and p99 in µs): from a publish in this thread
to the subscriber callback (which runs in the publishing thread: the floor), to a
``result()`` blocked in another thread returning, to a coroutine awaiting in a loop
on another thread resuming, and to the next ``async for``; beside a callback that
hands over by hand (a ``threading.Event``, ``call_soon_threadsafe``).

Then N Web Messaging conversations (default 1,000), each its own bus, started at once
from one asyncio loop, each sending a message and awaiting the demo bot's answer:
once with ``await bus.wait_for(...)``, once with a subscription callback that hands
the event to the loop by hand, each run in a process of its own (what a run leaves in
the heap slows the next), taking turns, twice. Each prints the time until every reply
is in, the threads it added, how long the program's calls of cxbus took on the loop's
thread (99th percentile, longest), how long the loop went without running a 1 ms
heartbeat (the longest gap, the 99th percentile), and the garbage collector's longest
pause in the same run: it stops every thread, the loop's too. A gap is also one turn
of the loop running many chats' steps (a thousand chats started at once take their
first steps in one turn). The emulator runs in a process of its own (its bot
answering after 0.1 s of typing), so that its work takes no time from the chats'.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import queue
import statistics
import subprocess
import sys
import threading
import time
import timeit
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from measures import percentile, rss_mib

import cxbus
from cxbus import Bus, Event

ROUNDS = 9
NUMBER = 20_000
LATENCY_SAMPLES = 2_000
CHAT_ROUNDS = 2
TIMEOUT = 120.0

Statement = Callable[[], Any]


def noop(_: Any = None) -> None:
    pass


def source() -> tuple[Bus, cxbus.Plugin]:
    bus = Bus()
    return bus, bus.register_plugin("Source")


# CPU per operation ----------------------------------------------------------------------


def wait_for_answered() -> Statement:
    bus, plugin = source()
    wait_for, publish = bus.wait_for, plugin.publish

    def trip() -> None:
        wait_for("Source.tick").done(noop)
        publish("tick", 1)

    return trip


def subscription_made_and_left() -> Statement:
    bus, plugin = source()
    listener = bus.register_plugin("Listener")
    subscribe, publish = listener.subscribe, plugin.publish

    def trip() -> None:
        subscription = subscribe("Source.tick", noop)
        publish("tick", 1)
        subscription()

    return trip


def subscribed_callback() -> Statement:
    bus, plugin = source()
    bus.register_plugin("Listener").subscribe("Source.tick", noop)
    return lambda: plugin.publish("tick", 1)


def events_read() -> Statement:
    bus, plugin = source()
    events = bus.events("Source.tick")
    publish, take = plugin.publish, events.__next__

    def trip() -> None:
        publish("tick", 1)
        take()

    return trip


def callback_into_deque() -> Statement:
    bus, plugin = source()
    held: collections.deque[Event] = collections.deque()
    bus.register_plugin("Listener").subscribe("Source.tick", held.append)
    publish, take = plugin.publish, held.popleft

    def trip() -> None:
        publish("tick", 1)
        take()

    return trip


def callback_into_simple_queue() -> Statement:
    bus, plugin = source()
    held: queue.SimpleQueue[Event] = queue.SimpleQueue()
    bus.register_plugin("Listener").subscribe("Source.tick", held.put)
    publish, take = plugin.publish, held.get

    def trip() -> None:
        publish("tick", 1)
        take()

    return trip


BATCH = 1_000  # events per asyncio run: the loop's start-up is spread over them


def events_async_for(loop: asyncio.AbstractEventLoop) -> Statement:
    bus, plugin = source()
    events = bus.events("Source.tick", buffer=BATCH)
    publish = plugin.publish

    async def read() -> None:
        for _ in range(BATCH):
            publish("tick", 1)
            await anext(events)

    return lambda: loop.run_until_complete(read())


def callback_into_asyncio_queue(loop: asyncio.AbstractEventLoop) -> Statement:
    bus, plugin = source()
    held: asyncio.Queue[Event] = asyncio.Queue()
    bus.register_plugin("Listener").subscribe("Source.tick", held.put_nowait)
    publish = plugin.publish

    async def read() -> None:
        for _ in range(BATCH):
            publish("tick", 1)
            await held.get()

    return lambda: loop.run_until_complete(read())


def interleaved_rounds(rows: dict[str, tuple[Statement, int]]) -> dict[str, list[float]]:
    """ns per operation of each row, one sample per round, the rows taking turns."""
    samples: dict[str, list[float]] = {label: [] for label in rows}
    for _ in range(ROUNDS):
        for label, (statement, operations) in rows.items():
            calls = max(1, NUMBER // operations)
            seconds = timeit.timeit(statement, number=calls, timer=time.process_time)
            samples[label].append(seconds / (calls * operations) * 1e9)
    return samples


def report(ours: tuple[str, ...], rows: dict[str, tuple[Statement, int]]) -> None:
    """Time a group and print each row; each of ours with its ratio to every peer."""
    samples = interleaved_rounds(rows)
    best = {label: min(ns) for label, ns in samples.items()}
    print(f"  {'':<44} {'min':>7} {'median':>7} {'max':>7}  (ns)")
    for label, ns in samples.items():
        ratios = ""
        if label in ours:
            ratios = "  ".join(
                f"{best[label] / best[peer]:5.2f}x {peer}" for peer in samples if peer not in ours
            )
        median = statistics.median(ns)
        print(f"  {label:<44} {best[label]:7.0f} {median:7.0f} {max(ns):7.0f}  {ratios}")
    print()


def cpu() -> None:
    print("One wait: made, answered by a publish, taken")
    report(
        ("bus.wait_for(...).done(...)",),
        {
            "bus.wait_for(...).done(...)": (wait_for_answered(), 1),
            "subscribe, publish, unsubscribe": (subscription_made_and_left(), 1),
            "publish to a callback subscribed already": (subscribed_callback(), 1),
        },
    )
    print("A stream of events: publish one, read one")
    report(
        ("next(bus.events(...))",),
        {
            "next(bus.events(...))": (events_read(), 1),
            "callback into a deque, popleft": (callback_into_deque(), 1),
            "callback into a queue.SimpleQueue, get": (callback_into_simple_queue(), 1),
            "publish to a callback subscribed already": (subscribed_callback(), 1),
        },
    )
    loop = asyncio.new_event_loop()
    try:
        print("A stream of events in asyncio: publish one, await the next")
        report(
            ("async for over bus.events(...)",),
            {
                "async for over bus.events(...)": (events_async_for(loop), BATCH),
                "callback into an asyncio.Queue, get": (callback_into_asyncio_queue(loop), BATCH),
            },
        )
    finally:
        loop.close()


# Latency across threads --------------------------------------------------------------------


def publish_when_ready(plugin: cxbus.Plugin, ready: threading.Event, samples: int) -> None:
    """Publish ``samples`` ticks, each once the other side says it waits; the tick's data
    is when it was published."""
    for _ in range(samples):
        if not ready.wait(TIMEOUT):
            raise RuntimeError("the waiting side stopped")
        ready.clear()
        plugin.publish("tick", time.perf_counter())


def latency_of_callback() -> list[float]:
    bus, plugin = source()
    latencies: list[float] = []
    bus.register_plugin("Listener").subscribe(
        "Source.tick", lambda event: latencies.append(time.perf_counter() - event.data)
    )
    for _ in range(LATENCY_SAMPLES):
        plugin.publish("tick", time.perf_counter())
    return latencies


def blocked_result() -> list[float]:
    bus, plugin = source()
    latencies: list[float] = []
    ready = threading.Event()

    def waiter() -> None:
        for _ in range(LATENCY_SAMPLES):
            reply = bus.wait_for("Source.tick")
            ready.set()
            event = reply.result(TIMEOUT)
            latencies.append(time.perf_counter() - event.data)

    return run_beside(waiter, plugin, ready, latencies)


def event_set_by_hand() -> list[float]:
    bus, plugin = source()
    latencies: list[float] = []
    ready = threading.Event()
    arrived = threading.Event()
    last: list[Event] = []

    def callback(event: Event) -> None:
        last.append(event)
        arrived.set()

    bus.register_plugin("Listener").subscribe("Source.tick", callback)

    def waiter() -> None:
        for _ in range(LATENCY_SAMPLES):
            ready.set()
            arrived.wait(TIMEOUT)
            arrived.clear()
            latencies.append(time.perf_counter() - last.pop().data)

    return run_beside(waiter, plugin, ready, latencies)


def run_beside(
    waiter: Callable[[], None], plugin: cxbus.Plugin, ready: threading.Event, latencies: list[float]
) -> list[float]:
    thread = threading.Thread(target=waiter)
    thread.start()
    publish_when_ready(plugin, ready, LATENCY_SAMPLES)
    thread.join(TIMEOUT)
    return latencies


def in_a_loop(
    make: Callable[[Bus, threading.Event, list[float]], Coroutine[Any, Any, None]],
) -> list[float]:
    """Latencies measured by the coroutine ``make(...)`` in a loop on another thread."""
    bus, plugin = source()
    latencies: list[float] = []
    ready = threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(make(bus, ready, latencies)))
    thread.start()
    publish_when_ready(plugin, ready, LATENCY_SAMPLES)
    thread.join(TIMEOUT)
    return latencies


async def awaited_wait(bus: Bus, ready: threading.Event, latencies: list[float]) -> None:
    for _ in range(LATENCY_SAMPLES):
        reply = bus.wait_for("Source.tick")
        ready.set()
        event = await reply
        latencies.append(time.perf_counter() - event.data)


async def awaited_stream(bus: Bus, ready: threading.Event, latencies: list[float]) -> None:
    async with bus.events("Source.tick") as events:
        for _ in range(LATENCY_SAMPLES):
            ready.set()
            event = await anext(events)
            latencies.append(time.perf_counter() - event.data)


async def future_set_by_hand(bus: Bus, ready: threading.Event, latencies: list[float]) -> None:
    loop = asyncio.get_running_loop()
    arrived: list[asyncio.Future[Event]] = []

    def callback(event: Event) -> None:
        loop.call_soon_threadsafe(arrived[-1].set_result, event)

    bus.register_plugin("Listener").subscribe("Source.tick", callback)
    for _ in range(LATENCY_SAMPLES):
        arrived.append(loop.create_future())
        ready.set()
        event = await arrived[-1]
        latencies.append(time.perf_counter() - event.data)


def latencies() -> None:
    rows = {
        "subscriber callback (the publisher's thread)": latency_of_callback(),
        "wait_for(...).result() in another thread": blocked_result(),
        "by hand: callback sets a threading.Event": event_set_by_hand(),
        "await wait_for(...) in a loop's thread": in_a_loop(awaited_wait),
        "async for over bus.events(...)": in_a_loop(awaited_stream),
        "by hand: callback, call_soon_threadsafe": in_a_loop(future_set_by_hand),
    }
    floor = percentile(rows["subscriber callback (the publisher's thread)"], 0.5)
    by_hand = {
        "wait_for(...).result() in another thread": "by hand: callback sets a threading.Event",
        "await wait_for(...) in a loop's thread": "by hand: callback, call_soon_threadsafe",
        "async for over bus.events(...)": "by hand: callback, call_soon_threadsafe",
    }
    print("From a publish to the waiting side running, across threads (wall time)")
    print(f"  {'':<46}{'p50 µs':>9}{'p99 µs':>9}  ratios of p50")
    for label, measured in rows.items():
        p50 = percentile(measured, 0.5)
        ratios = ""
        if label in by_hand:
            peer = percentile(rows[by_hand[label]], 0.5)
            ratios = f"{p50 / floor:7.1f}x the callback  {p50 / peer:5.2f}x by hand"
        print(f"  {label:<46}{p50 * 1e6:9.1f}{percentile(measured, 0.99) * 1e6:9.1f}  {ratios}")
    print()


# Many chats at once, from asyncio ----------------------------------------------------------

# Genesys Cloud takes 1,000 Web Messaging connections a minute per deployment: the runs
# open more, so the emulator's limit is raised, as one would ask Genesys to.
EMULATOR = """
import json, sys
from cxbus_emulator import Emulator
from cxbus_emulator.web_messaging import Limits
limits = Limits(connections_per_minute=1_000_000)
with Emulator(agent_join_delay=0.1, agent_typing_delay=0.1, messaging_limits=limits) as emulator:
    print(json.dumps(emulator.messaging_config()), flush=True)
    sys.stdin.read()  # until this process closes it
"""


def bot_says(start: str) -> Callable[[Any], bool]:
    def where(data: Any) -> bool:
        return any(
            message["direction"] == "Outbound" and (message.get("text") or "").startswith(start)
            for message in data["messages"]
        )

    return where


ON_LOOP: list[float] = []  # how long each call of cxbus took on the loop's thread
T = TypeVar("T")


def on_loop(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)``, its time kept in ``ON_LOOP``."""
    started = time.perf_counter()
    try:
        return call(*args, **kwargs)
    finally:
        ON_LOOP.append(time.perf_counter() - started)


async def chat_awaiting(config: dict[str, Any], number: int) -> str:
    async with on_loop(Bus, config={"messaging": config}) as bus:
        await on_loop(bus.command, "MessagingService.startConversation")
        reply = on_loop(
            bus.wait_for,
            "MessagingService.messagesReceived",
            where=bot_says("You said"),
            timeout=TIMEOUT,
        )
        message = {"message": f"order {number}"}
        await on_loop(bus.command, "MessagingService.sendMessage", message)
        return str((await reply).data["messages"][0]["text"])


async def chat_by_hand(config: dict[str, Any], number: int) -> str:
    loop = asyncio.get_running_loop()
    async with on_loop(Bus, config={"messaging": config}) as bus:
        reply: asyncio.Future[Event] = loop.create_future()
        answered = bot_says("You said")

        def callback(event: Event) -> None:
            if answered(event.data):
                loop.call_soon_threadsafe(lambda: reply.done() or reply.set_result(event))

        me = on_loop(bus.register_plugin, "Me")
        subscription = on_loop(me.subscribe, "MessagingService.messagesReceived", callback)
        await on_loop(bus.command, "MessagingService.startConversation")
        message = {"message": f"order {number}"}
        await on_loop(bus.command, "MessagingService.sendMessage", message)
        event = await asyncio.wait_for(reply, TIMEOUT)
        subscription()
        return str(event.data["messages"][0]["text"])


class Heartbeat:
    """Beats every 1 ms in the loop: keeps the gaps between beats, the most threads and
    memory seen (every 100th beat), and the garbage collector's pauses, which stop every
    thread, the loop's too."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.threads = threading.active_count()
        self.rss = rss_mib()
        self.collections: list[float] = []
        self._collecting = 0.0

    def collected(self, phase: str, info: dict[str, int]) -> None:
        """A ``gc.callbacks`` entry."""
        if phase == "start":
            self._collecting = time.perf_counter()
        else:
            self.collections.append(time.perf_counter() - self._collecting)

    async def run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.gaps.append(now - last - 0.001)
            last = now
            if len(self.gaps) % 100 == 0:
                self.threads = max(self.threads, threading.active_count())
                self.rss = max(self.rss, rss_mib())


async def many_chats(
    chat: Callable[[dict[str, Any], int], Coroutine[Any, Any, str]],
    config: dict[str, Any],
    count: int,
) -> tuple[float, Heartbeat]:
    heartbeat = Heartbeat()
    beating = asyncio.create_task(heartbeat.run())
    gc.callbacks.append(heartbeat.collected)
    started = time.perf_counter()
    try:
        replies = await asyncio.gather(*(chat(config, number) for number in range(count)))
    finally:
        seconds = time.perf_counter() - started
        gc.callbacks.remove(heartbeat.collected)
        beating.cancel()
    assert replies == [f"You said: order {number}" for number in range(count)], "replies mixed up"
    return seconds, heartbeat


WAYS: dict[str, tuple[str, Callable[[dict[str, Any], int], Coroutine[Any, Any, str]]]] = {
    "wait_for": ("await bus.wait_for(...)", chat_awaiting),
    "by_hand": ("by hand: callback, call_soon_threadsafe", chat_by_hand),
}


def one_run(way: str, count: int, config: dict[str, Any]) -> None:
    """In a process of its own: ``count`` chats the ``way`` of ``WAYS``; its measures,
    printed as one line of JSON."""
    threads_before = threading.active_count()
    asyncio.run(many_chats(chat_awaiting, config, 10))  # imports, entry points: once
    rss_before = rss_mib()
    ON_LOOP.clear()
    seconds, heartbeat = asyncio.run(many_chats(WAYS[way][1], config, count))
    measures = {
        "calls_p99": percentile(ON_LOOP, 0.99),
        "calls_max": max(ON_LOOP),
        "seconds": seconds,
        "threads": heartbeat.threads - threads_before,
        "max_gap": max(heartbeat.gaps),
        "p99_gap": percentile(heartbeat.gaps, 0.99),
        "longest_gc": max(heartbeat.collections, default=0.0),
        "rss": heartbeat.rss - rss_before,
    }
    print(json.dumps(measures))


def chats(count: int) -> None:
    """Each run in a process of its own, the ways taking turns: what a run leaves in the
    heap slows the next."""
    emulator = subprocess.Popen(
        [sys.executable, "-c", EMULATOR], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert emulator.stdout is not None
        config = emulator.stdout.readline()
        print(f"{count:,} Web Messaging chats at once from one asyncio loop, awaiting replies")
        print(
            f"  {'':<49}{'seconds':>8}{'threads':>8}{'calls: p99':>11}{'max':>6}"
            f"{'loop gaps: max':>15}{'p99':>6}{'longest GC':>11}{'peak RSS +MiB':>15}"
        )
        for round_ in range(CHAT_ROUNDS):
            for way, (label, _) in WAYS.items():
                command = [sys.executable, __file__, "--run", way, "--chats", str(count)]
                ran = subprocess.run(
                    [*command, "--config", config], capture_output=True, text=True, check=True
                )
                measured = json.loads(ran.stdout)
                print(
                    f"  {f'{label}, run {round_ + 1}':<49}{measured['seconds']:8.1f}"
                    f"{measured['threads']:>8}{measured['calls_p99'] * 1e3:11.1f}"
                    f"{measured['calls_max'] * 1e3:6.0f}{measured['max_gap'] * 1e3:15.0f}"
                    f"{measured['p99_gap'] * 1e3:6.0f}{measured['longest_gc'] * 1e3:11.0f}"
                    f"{measured['rss']:15.0f}"
                )
        print(
            "  (threads: added to the process at the most, the emulator runs in another; calls: "
            "of cxbus on the loop's thread; calls, loop gaps and GC pauses in ms)"
        )
    finally:
        if emulator.stdin is not None:
            emulator.stdin.close()
        emulator.wait(TIMEOUT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=1_000, help="concurrent chats (1,000)")
    parser.add_argument("--run", choices=sorted(WAYS), help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.run is not None:
        one_run(arguments.run, arguments.chats, json.loads(arguments.config))
        return
    cpu()
    latencies()
    chats(arguments.chats)


if __name__ == "__main__":
    main()
