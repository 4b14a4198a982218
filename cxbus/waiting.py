"""Waiting for events: ``Bus.wait_for`` (the next one that matches, as a Deferred) and
``Bus.events`` (every one that matches, as an iterator for ``for`` and ``async for``).

Both listen through an ordinary subscription, made when they are called: they hear
what a subscriber that subscribed at that moment would, the matching retained events
at once (``ready``, say), then every event published from then on. An event
published before the call is not heard. So the way to wait for the answer to
something is: make the wait, then do what makes the answer come, then take it::

    reply = bus.wait_for("Chat.replied")  # listening from here
    bus.command("Chat.send", "hello")
    print(reply.result(timeout=5).data)

Why no look-back over recent events instead: a history kept per bus would cost every
publish and hold events (customers' words) in memory, and a wait that looks back
without knowing since when answers with a stale event, which is worse than none.

Threads: a wait's ``where`` and the appending to a stream run in the publisher's
thread, as subscribers do (for the chat plugins, a ``cxbus-delivery`` thread); a
wait's timeout rejects it on a thread of its own (``cxbus.deadlines``). What is
waited on (the Deferred, the stream) may be read from any thread or asyncio loop.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from cxbus import deadlines
from cxbus.deferred import Deferred
from cxbus.errors import EventsLost, WaitTimedOut
from cxbus.messages import Event
from cxbus.subscriptions import Subscriber, Subscription, event_pattern

if TYPE_CHECKING:
    import asyncio

__all__ = ["BUFFER", "EventStream", "Waits"]

# How many events a stream holds for a reader that is behind: a chat publishes a few
# a second, so a reader this far behind is stuck rather than slow.
BUFFER = 1000

Where = Callable[[Any], object]
# The bus's subscribe for subscribers that are no plugin: (subscriber, pattern, callback).
Subscribe = Callable[[str, str, Subscriber], Subscription]


def _subscribable(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    try:
        event_pattern(value)
    except ValueError:
        raise ValueError(
            f"{attribute.name} must be 'Namespace.event', 'Namespace.*' or '*', "
            f"as subscriptions take; got {value!r}."
        ) from None


def _seconds(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"{attribute.name} must be a number of seconds, or None; got {value!r}.")
    if value < 0:
        raise ValueError(f"{attribute.name} must be 0 seconds or more, or None; got {value!r}.")


def _count(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"{attribute.name} must be a whole number of events, 1 or more; got {value!r}."
        )


def _events_of(pattern: str) -> str:
    """``pattern`` in a sentence: "Chat.replied event", "Chat.* event", "event"."""
    return "event" if pattern == "*" else f"{pattern} event"


class Waits:
    """The waits and event streams of one bus, so that closing the bus ends them;
    ``subscribe`` is the bus's."""

    def __init__(self, subscribe: Subscribe) -> None:
        self._subscribe = subscribe
        self._lock = threading.Lock()
        self._live: dict[_Wait | EventStream, None] = {}  # an ordered set

    def wait_for(self, event: str, where: Where | None, timeout: float | None) -> Deferred[Event]:
        """``Bus.wait_for``: see there."""
        wait = _Wait(event, where, timeout)
        with self._lock:
            self._live[wait] = None
        answer = wait.answer
        wait.subscription = self._subscribe("bus.wait_for", event, wait.heard)
        if timeout is not None and answer.state == "pending":
            wait.deadline = deadlines.call_after(timeout, wait.time_out)
        # Last, so that it finds the subscription and the deadline to end (at once if a
        # retained event answered already).
        finished = functools.partial(self._finished, wait)
        answer._observe(finished, finished)
        return answer

    def events(self, pattern: str, buffer: int, timeout: float | None) -> EventStream:
        """``Bus.events``: see there."""
        stream = EventStream(pattern, buffer, timeout, self._forget)
        with self._lock:
            self._live[stream] = None
        stream._listen(self._subscribe("bus.events", pattern, stream._heard))
        return stream

    def close(self) -> None:
        """End every wait (rejected) and stream (finished) of the bus: it closed."""
        with self._lock:
            live = list(self._live)
            self._live.clear()
        for waiting in live:
            if isinstance(waiting, EventStream):
                waiting.close()
            else:
                waiting.end()

    def _finished(self, wait: _Wait, _: Any) -> None:
        """``wait`` is settled, whoever settled it: it listens no more."""
        wait.stop_listening()
        self._forget(wait)

    def _forget(self, waiting: _Wait | EventStream) -> None:
        with self._lock:
            self._live.pop(waiting, None)


# Validated when made; no check on later assignments (a custom __setattr__ would slow
# every one of them, on the path of every event).
@attrs.define(eq=False, on_setattr=attrs.setters.NO_OP)
class _Wait:
    """One ``Bus.wait_for``: its answer, and the subscription and deadline it ends with."""

    event: str = attrs.field(validator=_subscribable)
    where: Where | None = attrs.field(
        validator=attrs.validators.optional(attrs.validators.is_callable())
    )
    timeout: float | None = attrs.field(validator=_seconds)
    answer: Deferred[Event] = attrs.field(init=False, factory=Deferred)
    subscription: Subscription | None = attrs.field(init=False, default=None)
    deadline: deadlines.Deadline | None = attrs.field(init=False, default=None)

    def heard(self, event: Event) -> None:
        """An event that matches the name (the publisher's thread): the answer, if
        ``where`` is true for its data; what ``where`` raises rejects the wait."""
        if self.answer.state != "pending":
            return  # answered: a publish that had our subscription in its route already
        if self.where is not None:
            try:
                if not self.where(event.data):
                    return
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # SystemExit too: it ends the wait, not the publisher
                self.answer.reject(error)
                return
        self.answer.resolve(event)

    def time_out(self) -> None:
        if self.answer.state != "pending":
            return
        condition = " for which where(data) was true" if self.where is not None else ""
        self.answer.reject(
            WaitTimedOut(f"No {_events_of(self.event)}{condition} came within {self.timeout:g} s.")
        )

    def end(self) -> None:
        """The bus closed: reject, and report it to nobody (the program is done with it)."""
        self.answer._report_unhandled = False
        self.answer.reject(f"The bus closed before a {_events_of(self.event)} came.")

    def stop_listening(self) -> None:
        subscription, self.subscription = self.subscription, None
        if subscription is not None:
            subscription()
        deadline, self.deadline = self.deadline, None
        if deadline is not None:
            deadline.cancel()


@attrs.define(eq=False, on_setattr=attrs.setters.NO_OP)
class EventStream:
    """The events matching ``pattern``, in the order they were published, as an iterator
    for ``for`` and for ``async for``; made by ``Bus.events``.

    It holds up to ``buffer`` events that were heard and not read yet. Once it is full,
    what comes next is dropped and counted, and reading raises ``EventsLost`` at that
    place in the order (the events before it were read), then goes on with what came
    after; nothing is lost silently, and a publisher never waits for a slow reader.
    Reading waits ``timeout`` seconds at most for the next event (``None``: as long as
    it takes), then raises ``WaitTimedOut``.

    ``close()`` (or leaving ``with``/``async with``, or closing the bus) stops
    hearing; the events heard before are still read, then iteration stops.
    """

    pattern: str = attrs.field(validator=_subscribable)
    buffer: int = attrs.field(validator=_count)
    timeout: float | None = attrs.field(validator=_seconds)
    _on_close: Callable[[EventStream], None] = attrs.field(repr=False)
    _lock: threading.Lock = attrs.field(init=False, factory=threading.Lock, repr=False)
    # Events not read yet, in order; an int where that many were lost instead.
    _items: collections.deque[Event | int] = attrs.field(
        init=False, factory=collections.deque, repr=False
    )
    _held: int = attrs.field(init=False, default=0, repr=False)  # the Events in _items
    # The readers waiting for an item: each is woken once, and looks again.
    _wakers: list[Callable[[], None]] = attrs.field(init=False, factory=list, repr=False)
    _closed: bool = attrs.field(init=False, default=False, repr=False)
    _subscription: Subscription | None = attrs.field(init=False, default=None, repr=False)

    @property
    def closed(self) -> bool:
        """Whether it has stopped hearing events."""
        return self._closed

    def close(self) -> None:
        """Stop hearing events; reading gives those heard already, then stops."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            subscription, self._subscription = self._subscription, None
            wakers, self._wakers = self._wakers, []
        if subscription is not None:
            subscription()
        for wake in wakers:
            wake()
        self._on_close(self)

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    # Reading ----------------------------------------------------------------------------

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> Event:
        """The next event, waiting for it in this thread."""
        deadline = None
        while True:
            with self._lock:
                event = self._take()
                if event is not None:
                    return event
                if self._closed:
                    raise StopIteration
                woken = threading.Event()
                self._wakers.append(woken.set)
            if self.timeout is None:
                woken.wait()
                continue
            if deadline is None:
                deadline = time.monotonic() + self.timeout
            if not woken.wait(max(0.0, deadline - time.monotonic())):
                self._unwait(woken.set)
                raise self._timed_out()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        """The next event, awaited: the loop runs on while there is none."""
        with self._lock:
            event = self._take()
        if event is not None:
            return event
        return await self._next_awaited()

    async def _next_awaited(self) -> Event:
        import asyncio  # the caller's: cxbus imports asyncio only for code that awaits

        loop = asyncio.get_running_loop()
        deadline = None if self.timeout is None else loop.time() + self.timeout
        while True:
            with self._lock:
                event = self._take()
                if event is not None:
                    return event
                if self._closed:
                    raise StopAsyncIteration
                woken: asyncio.Future[None] = loop.create_future()
                wake = functools.partial(_wake, loop, woken)
                self._wakers.append(wake)
            try:
                if deadline is None:
                    await woken
                else:
                    await asyncio.wait_for(woken, max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                self._unwait(wake)
                raise self._timed_out() from None
            except BaseException:  # cancelled: nobody waits any more
                self._unwait(wake)
                raise

    def _take(self) -> Event | None:
        """The next event, taken off (with the lock held); ``None`` when there is none.
        Raises ``EventsLost`` where events were lost, taking that place off."""
        items = self._items
        if not items:
            return None
        item = items.popleft()
        if isinstance(item, int):
            raise EventsLost(item, self.pattern, self.buffer)
        self._held -= 1
        return item

    def _timed_out(self) -> WaitTimedOut:
        return WaitTimedOut(f"No {_events_of(self.pattern)} came within {self.timeout:g} s.")

    def _unwait(self, wake: Callable[[], None]) -> None:
        with self._lock:
            if wake in self._wakers:
                self._wakers.remove(wake)

    # Hearing (the publisher's thread) ---------------------------------------------------

    def _listen(self, subscription: Subscription) -> None:
        with self._lock:
            if not self._closed:
                self._subscription = subscription
                return
        subscription()  # closed while subscribing (the bus closing): leave at once

    def _heard(self, event: Event) -> None:
        with self._lock:
            if self._closed:
                return  # a publish that had our subscription in its route already
            items = self._items
            if self._held < self.buffer:
                items.append(event)
                self._held += 1
            else:  # full: count it where it was lost
                last = items[-1] if items else None
                if isinstance(last, int):
                    items[-1] = last + 1
                else:
                    items.append(1)
            wakers = self._wakers
            if not wakers:
                return  # nobody waits: the usual case of a busy stream
            self._wakers = []
        for wake in wakers:
            wake()


def _wake(loop: asyncio.AbstractEventLoop, woken: asyncio.Future[None]) -> None:
    """Wake a reader awaiting in ``loop``, from the publisher's thread (any)."""
    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is left to wake
        loop.call_soon_threadsafe(_set_woken, woken)


def _set_woken(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)
