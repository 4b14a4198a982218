"""Many threads at once: every command answered, every event delivered once, no deadlock."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Any

from cxbus import Bus, CommandCall, Deferred, Event

THREADS = 8
ROUNDS = 10_000


def test_commands_and_publishes_from_many_threads_are_all_settled_and_delivered_once(
    bus: Bus,
) -> None:
    """8 threads x 10,000 commands and publishes: all settled, each event seen exactly once."""
    counter = bus.register_plugin("Counter")
    received: collections.Counter[tuple[int, int]] = collections.Counter()
    lock = threading.Lock()

    def count(event: Event) -> None:
        with lock:
            received[event.data] += 1

    def handle(call: CommandCall) -> Any:
        # Re-entrant: the handler publishes on the bus from the commander's thread.
        counter.publish("counted", call.data)
        return call.data

    counter.register_command("count", handle)
    bus.register_plugin("Listener").subscribe("Counter.counted", count)
    answers: list[list[Any]] = [[] for _ in range(THREADS)]
    start = threading.Barrier(THREADS)

    def worker(thread: int) -> None:
        commander = bus.register_plugin(f"Commander{thread}")
        start.wait()
        for n in range(ROUNDS):
            commander.command("Counter.count", (thread, n)).done(answers[thread].append)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a commander thread is stuck"
    for thread in range(THREADS):
        assert answers[thread] == [(thread, n) for n in range(ROUNDS)]
    assert len(received) == THREADS * ROUNDS
    assert set(received.values()) == {1}


def test_subscribing_while_others_publish_loses_and_doubles_nothing(bus: Bus) -> None:
    """Subscriptions made and dropped during a publish storm never break delivery to others."""
    source = bus.register_plugin("Source")
    steady: list[int] = []
    bus.register_plugin("Steady").subscribe("Source.tick", lambda e: steady.append(e.data))
    churn = bus.register_plugin("Churn")
    stop = threading.Event()

    def churner() -> None:
        while not stop.is_set():
            churn.subscribe("Source.*", lambda e: None)()

    thread = threading.Thread(target=churner)
    thread.start()
    try:
        for n in range(ROUNDS):
            source.publish("tick", n)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert steady == list(range(ROUNDS))


def test_a_late_subscriber_gets_a_retained_event_exactly_once_under_races(bus: Bus) -> None:
    """Republish racing with subscribe delivers the retained event once, never twice."""
    for attempt in range(200):
        plugin = bus.register_plugin(f"Racer{attempt}")
        got: list[Event] = []
        late = bus.register_plugin(f"Late{attempt}")
        subscriber = threading.Thread(
            target=late.subscribe, args=(f"{plugin.name}.ready", got.append)
        )
        subscriber.start()
        plugin.republish("ready")
        subscriber.join(timeout=10)
        assert len(got) == 1


def race_settling_and_listening() -> None:
    """Two threads settle one deferred (resolve 1, reject 2) while four listen to it."""
    deferred = Deferred()
    calls: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    chained: list[Deferred] = []
    start = threading.Barrier(6)

    def record(kind: str) -> Callable[[Any], None]:
        def seen(_: Any) -> None:
            with lock:
                calls[kind] += 1

        return seen

    def settle(how: str, value: Any) -> None:
        start.wait()
        getattr(deferred, how)(value)

    def listen(index: int) -> None:
        start.wait()
        deferred.always(record(f"always{index}"))
        chained.append(deferred.then(lambda v: v, lambda r: r))

    threads = [
        threading.Thread(target=settle, args=("resolve", 1)),
        threading.Thread(target=settle, args=("reject", 2)),
        *(threading.Thread(target=listen, args=(index,)) for index in range(4)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    outcome = 1 if deferred.state == "resolved" else 2
    assert calls == {f"always{index}": 1 for index in range(4)}
    assert [link.result(timeout=5) for link in chained] == [outcome] * 4


def test_a_deferred_settled_and_listened_to_from_many_threads_runs_each_callback_once() -> None:
    """Racing resolve/reject/always/then: one outcome, and every callback runs once."""
    for _ in range(300):
        race_settling_and_listening()
