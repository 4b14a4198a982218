"""Waiting for events: bus.wait_for (the next match, as a Deferred) and bus.events (an iterator)."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

import pytest

from cxbus import Bus, CommandRejected, Event, EventsLost, EventStream, WaitTimedOut

TIMEOUT = 5.0


def publisher_thread(publish: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=publish, daemon=True)
    thread.start()
    return thread


# wait_for ---------------------------------------------------------------------------


def test_wait_for_is_answered_by_the_next_event_of_that_name(bus: Bus) -> None:
    """The deferred resolves with the Event: other names do not answer it."""
    chat = bus.register_plugin("Chat")
    reply = bus.wait_for("Chat.replied")
    chat.publish("typing")
    assert reply.state == "pending"
    chat.publish("replied", {"text": "Hello"})
    event = reply.result(timeout=TIMEOUT)
    assert (event.name, event.data, event.publisher) == ("Chat.replied", {"text": "Hello"}, "Chat")


@pytest.mark.parametrize(
    ("pattern", "answered_by"),
    [("Chat.*", "Chat.replied"), ("*", "Other.ping"), ("Chat.replied", "Chat.replied")],
)
def test_wait_for_takes_patterns_as_subscriptions_do(
    bus: Bus, pattern: str, answered_by: str
) -> None:
    """ "Ns.*" waits for any event of a namespace, "*" for any event at all."""
    reply = bus.wait_for(pattern)
    bus.register_plugin("Other").publish("ping")
    bus.register_plugin("Chat").publish("replied")
    assert reply.result(timeout=TIMEOUT).name == answered_by


def test_where_picks_the_event_by_its_data(bus: Bus) -> None:
    """Events whose data where() is false for are passed over."""
    chat = bus.register_plugin("Chat")
    reply = bus.wait_for("Chat.said", where=lambda data: data["who"] == "bot")
    chat.publish("said", {"who": "guest", "text": "hi"})
    chat.publish("said", {"who": "bot", "text": "Hello"})
    assert reply.result(timeout=TIMEOUT).data["text"] == "Hello"


def test_a_retained_event_answers_at_once(bus: Bus) -> None:
    """As for a subscription made now: the latest retained match answers the wait."""
    bus.register_plugin("Chat").republish("ready")
    assert bus.wait_for("Chat.ready").state == "resolved"


def test_the_wait_listens_from_the_call_on(bus: Bus) -> None:
    """An event published before wait_for is not what answers it."""
    chat = bus.register_plugin("Chat")
    chat.publish("replied", 1)
    reply = bus.wait_for("Chat.replied")
    chat.publish("replied", 2)
    assert reply.result(timeout=TIMEOUT).data == 2


def test_a_timeout_rejects_with_a_sentence_naming_the_event_and_the_time(bus: Bus) -> None:
    """WaitTimedOut says what was waited for and how long; it is a TimeoutError and a
    CommandRejected both, so either catch reads naturally."""
    reply = bus.wait_for("Chat.replied", timeout=0.05)
    with pytest.raises(WaitTimedOut, match=r"^No Chat.replied event came within 0.05 s\.$"):
        reply.result(timeout=TIMEOUT)
    with pytest.raises(TimeoutError):
        reply.result()
    with pytest.raises(CommandRejected) as rejected:
        reply.result()
    assert rejected.value.reason == "No Chat.replied event came within 0.05 s."
    reasons: list[Any] = []
    reply.fail(reasons.append)
    assert isinstance(reasons[0], WaitTimedOut)


def test_the_timeout_sentence_says_when_where_was_given(bus: Bus) -> None:
    reply = bus.wait_for("Chat.*", where=lambda data: False, timeout=0.01)
    with pytest.raises(
        TimeoutError, match=r"No Chat.\* event for which where\(data\) was true came within 0.01 s"
    ):
        reply.result(timeout=TIMEOUT)


def test_a_where_that_raises_rejects_the_wait_and_the_bus_goes_on(bus: Bus) -> None:
    """The error rejects the wait (result() raises CommandRejected from it); the
    publisher and the other subscribers never see it."""
    heard: list[Event] = []
    bus.register_plugin("Listener").subscribe("Chat.said", heard.append)
    chat = bus.register_plugin("Chat")
    reply = bus.wait_for("Chat.said", where=lambda data: data["missing"])
    chat.publish("said", {"text": "hi"})
    with pytest.raises(CommandRejected) as rejected:
        reply.result(timeout=TIMEOUT)
    assert isinstance(rejected.value.__cause__, KeyError)
    assert len(heard) == 1


def test_closing_the_bus_rejects_the_waits_with_a_sentence(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """A wait pending when the bus closes is rejected; nobody listening is no warning."""
    awaited = bus.wait_for("Chat.replied")
    bus.wait_for("Chat.replied")  # nobody listens to this one
    with caplog.at_level(logging.WARNING, logger="cxbus.deferred"):
        bus.close()
    with pytest.raises(
        CommandRejected, match=r"^The bus closed before a Chat.replied event came\.$"
    ):
        awaited.result(timeout=TIMEOUT)
    assert "Unhandled rejection" not in caplog.text


def counting_where() -> tuple[list[Any], Callable[[Any], bool]]:
    calls: list[Any] = []

    def where(data: Any) -> bool:
        calls.append(data)
        return data == "yes"

    return calls, where


def test_an_answered_wait_stops_listening(bus: Bus) -> None:
    calls, where = counting_where()
    chat = bus.register_plugin("Chat")
    bus.wait_for("Chat.said", where=where)
    chat.publish("said", "yes")
    chat.publish("said", "later")
    assert calls == ["yes"]


def test_a_wait_that_timed_out_stops_listening(bus: Bus) -> None:
    calls, where = counting_where()
    reply = bus.wait_for("Chat.said", where=where, timeout=0.01)
    with pytest.raises(WaitTimedOut):
        reply.result(timeout=TIMEOUT)
    bus.register_plugin("Chat").publish("said", "yes")
    assert calls == []


def test_a_wait_settled_by_hand_stops_listening(bus: Bus) -> None:
    """A program that no longer needs a wait resolves (or rejects) it itself."""
    calls, where = counting_where()
    reply = bus.wait_for("Chat.said", where=where)
    reply.resolve(None)
    bus.register_plugin("Chat").publish("said", "yes")
    assert calls == []


def test_a_wait_ended_by_closing_stops_listening(bus: Bus) -> None:
    calls, where = counting_where()
    bus.wait_for("Chat.said", where=where).fail(lambda reason: None)
    bus.close()
    bus.register_plugin("Chat").publish("said", "yes")
    assert calls == []


@pytest.mark.parametrize(
    ("arguments", "error", "sentence"),
    [
        ({"event": "Chat"}, ValueError, "event must be 'Namespace.event', 'Namespace.*' or '*'"),
        ({"event": "Chat.replied", "where": "bot"}, TypeError, "'where' must be callable"),
        ({"event": "Chat.replied", "timeout": -1}, ValueError, "timeout must be 0 seconds or more"),
        ({"event": "Chat.replied", "timeout": "5"}, TypeError, "timeout must be a number"),
    ],
)
def test_bad_arguments_are_refused_with_a_sentence_naming_them(
    bus: Bus, arguments: dict[str, Any], error: type[Exception], sentence: str
) -> None:
    with pytest.raises(error, match=sentence.replace("*", r"\*").replace("(", r"\(")):
        bus.wait_for(**arguments)


def test_await_gives_the_event_published_from_another_thread(bus: Bus) -> None:
    chat = bus.register_plugin("Chat")

    async def main() -> Event:
        reply = bus.wait_for("Chat.replied")
        publisher_thread(lambda: chat.publish("replied", "from a thread"))
        return await reply

    assert asyncio.run(main()).data == "from a thread"


def test_await_raises_the_timeout() -> None:
    async def main() -> None:
        with Bus() as bus:
            await bus.wait_for("Chat.replied", timeout=0.01)

    with pytest.raises(TimeoutError, match="No Chat.replied event came within 0.01 s"):
        asyncio.run(main())


# The race: the reply may come before the command that caused it has answered ------------


def replying_chat(bus: Bus) -> None:
    """Chat.send publishes Chat.replied before it answers, from another thread: as a chat
    plugin's reply can reach the bus before the command's own answer does."""
    chat = bus.register_plugin("Chat")

    def send(call: Any) -> Any:
        publisher_thread(lambda: chat.publish("replied", f"You said {call.data}")).join()
        return "sent"

    chat.register_command("send", send)


def test_waiting_after_the_command_misses_a_quick_reply(bus: Bus) -> None:
    """The wrong order: the reply came before wait_for listened, and is not heard."""
    replying_chat(bus)
    bus.command("Chat.send", "hi").result(timeout=TIMEOUT)
    with pytest.raises(WaitTimedOut):
        bus.wait_for("Chat.replied", timeout=0.1).result(timeout=TIMEOUT)


def test_the_wait_made_before_the_command_hears_the_reply(bus: Bus) -> None:
    """The idiom: make the wait, send, then take the answer."""
    replying_chat(bus)
    reply = bus.wait_for("Chat.replied")
    bus.command("Chat.send", "hi").result(timeout=TIMEOUT)
    assert reply.result(timeout=TIMEOUT).data == "You said hi"


def test_the_idiom_in_asyncio(bus: Bus) -> None:
    replying_chat(bus)

    async def main() -> Any:
        reply = bus.wait_for("Chat.replied", timeout=TIMEOUT)
        await bus.command("Chat.send", "hi")
        return (await reply).data

    assert asyncio.run(main()) == "You said hi"


def test_many_waits_answered_by_publishers_on_many_threads(bus: Bus) -> None:
    """Each of 400 waits, made before 8 threads publish, gets its own event."""
    chat = bus.register_plugin("Chat")
    waits = {n: bus.wait_for("Chat.said", where=lambda data, n=n: data == n) for n in range(400)}
    threads = [
        publisher_thread(lambda k=k: [chat.publish("said", n) for n in range(k, 400, 8)])
        for k in range(8)
    ]
    for thread in threads:
        thread.join(TIMEOUT)
    assert all(waits[n].result(timeout=TIMEOUT).data == n for n in range(400))


# events -------------------------------------------------------------------------------


def test_events_are_read_in_the_order_published(bus: Bus) -> None:
    chat = bus.register_plugin("Chat")
    with bus.events("Chat.*", timeout=TIMEOUT) as events:
        for n in range(3):
            chat.publish("said", n)
        chat.publish("ended")
        names = []
        for event in events:
            names.append((event.name, event.data))
            if event.name == "Chat.ended":
                break
    assert names == [("Chat.said", 0), ("Chat.said", 1), ("Chat.said", 2), ("Chat.ended", None)]


def test_events_start_with_the_retained_ones(bus: Bus) -> None:
    chat = bus.register_plugin("Chat")
    chat.republish("ready")
    with bus.events("Chat.*", timeout=TIMEOUT) as events:
        assert next(events).name == "Chat.ready"


def test_reading_waits_for_an_event_from_another_thread(bus: Bus) -> None:
    chat = bus.register_plugin("Chat")
    with bus.events("Chat.said", timeout=TIMEOUT) as events:
        publisher_thread(lambda: chat.publish("said", "later"))
        assert next(events).data == "later"


def test_reading_times_out_with_a_sentence(bus: Bus) -> None:
    with (
        bus.events("Chat.said", timeout=0.01) as events,
        pytest.raises(WaitTimedOut, match=r"^No Chat.said event came within 0.01 s\.$"),
    ):
        next(events)


def test_leaving_the_with_block_stops_hearing(bus: Bus) -> None:
    """Closed, the stream hears no more; what it heard before is still read, then it stops."""
    chat = bus.register_plugin("Chat")
    with bus.events("Chat.said") as events:
        chat.publish("said", 1)
    chat.publish("said", 2)
    assert events.closed
    assert [event.data for event in events] == [1]


def test_closing_the_bus_ends_the_iteration(bus: Bus) -> None:
    """A reader blocked on the next event stops when the bus closes."""
    events = bus.events("Chat.said")
    read: list[Any] = []
    reader = threading.Thread(target=lambda: read.extend(e.data for e in events), daemon=True)
    reader.start()
    bus.register_plugin("Chat").publish("said", "before")
    bus.close()
    reader.join(TIMEOUT)
    assert not reader.is_alive()
    assert read == ["before"]


def test_a_slow_reader_is_told_how_many_events_were_lost_and_where(bus: Bus) -> None:
    """Past its buffer, a stream drops events and counts them: reading raises EventsLost
    after the events before the loss, then goes on with those after it."""
    chat = bus.register_plugin("Chat")
    with bus.events("Chat.said", buffer=3, timeout=TIMEOUT) as events:
        for n in range(5):  # 3 and 4 do not fit
            chat.publish("said", n)
        assert [next(events).data for _ in range(3)] == [0, 1, 2]
        chat.publish("said", 5)  # room again
        with pytest.raises(EventsLost, match=r"^2 Chat.said events were lost here") as lost:
            next(events)
        assert lost.value.count == 2
        assert next(events).data == 5


def test_the_buffer_bounds_what_a_stream_holds(bus: Bus) -> None:
    """However many events come, a stream nobody reads keeps its buffer's worth and a count."""
    chat = bus.register_plugin("Chat")
    with bus.events("Chat.said", buffer=10, timeout=TIMEOUT) as events:
        for n in range(10_000):
            chat.publish("said", n)
        assert [next(events).data for _ in range(10)] == list(range(10))
        with pytest.raises(EventsLost, match="^9990 Chat.said events were lost here"):
            next(events)


def test_a_bad_buffer_is_refused(bus: Bus) -> None:
    with pytest.raises(ValueError, match="buffer must be a whole number of events, 1 or more"):
        bus.events("Chat.said", buffer=0)


def test_events_from_many_threads_all_arrive_in_each_threads_order(bus: Bus) -> None:
    """8 threads publish 500 events each: the reader gets all 4,000, each thread's in order."""
    chat = bus.register_plugin("Chat")
    with bus.events("Chat.said", buffer=4000, timeout=TIMEOUT) as events:
        threads = [
            publisher_thread(lambda k=k: [chat.publish("said", (k, n)) for n in range(500)])
            for k in range(8)
        ]
        read = [next(events).data for _ in range(4000)]
        for thread in threads:
            thread.join(TIMEOUT)
    for k in range(8):
        assert [n for thread, n in read if thread == k] == list(range(500))


def test_async_for_reads_events_published_from_other_threads(bus: Bus) -> None:
    chat = bus.register_plugin("Chat")

    async def main() -> list[Any]:
        read = []
        async with bus.events("Chat.*", timeout=TIMEOUT) as events:
            publisher_thread(lambda: [chat.publish("said", n) for n in range(100)])
            async for event in events:
                read.append(event.data)
                if len(read) == 100:
                    break
        return read

    assert asyncio.run(main()) == list(range(100))


def test_async_reading_times_out(bus: Bus) -> None:
    async def main() -> None:
        async with bus.events("Chat.said", timeout=0.01) as events:
            await anext(events)

    with pytest.raises(WaitTimedOut, match="No Chat.said event came within 0.01 s"):
        asyncio.run(main())


def test_async_reading_stops_when_the_bus_closes(bus: Bus) -> None:
    """A reader awaiting the next event stops when another thread closes the bus."""

    async def main() -> list[Any]:
        events = bus.events("Chat.said")
        reading = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0)  # the task runs up to its wait
        await asyncio.get_running_loop().run_in_executor(None, bus.close)
        with pytest.raises(StopAsyncIteration):
            await reading
        return [event async for event in events]

    assert asyncio.run(main()) == []


def test_a_cancelled_read_takes_nothing_from_the_stream(bus: Bus) -> None:
    """An abandoned ``anext`` (a task cancelled, say) leaves the next event to the next read."""
    chat = bus.register_plugin("Chat")

    async def main() -> Any:
        with bus.events("Chat.said", timeout=TIMEOUT) as events:
            reading = asyncio.ensure_future(anext(events))
            await asyncio.sleep(0)  # the task runs up to its wait
            reading.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reading
            chat.publish("said", "kept")
            return (await anext(events)).data

    assert asyncio.run(main()) == "kept"


def test_an_event_stream_is_exported() -> None:
    """The type is public, for annotations."""
    assert EventStream.__module__ == "cxbus.waiting"


def test_an_answered_wait_keeps_nothing_alive() -> None:
    """Its timer, cancelled, lets go of the wait (its event, its bus) at once, not when
    the timeout would have been due."""
    bus = Bus()
    reply = bus.wait_for("Chat.replied", timeout=600)
    bus.register_plugin("Chat").publish("replied", "hello")
    event = weakref.ref(reply.result(timeout=TIMEOUT))
    closed = weakref.ref(bus)
    bus.close()
    del bus, reply
    gc.collect()
    assert event() is None
    assert closed() is None
