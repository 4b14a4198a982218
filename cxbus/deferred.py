"""Deferred: the answer to a command, settled once, from any thread.

A jQuery-style deferred with Promises/A+ resolution: ``done``, ``fail`` and ``always``
attach callbacks, ``then`` chains a new deferred, ``result()`` blocks for the answer
and ``await deferred`` works in asyncio code. Callbacks run in the thread that
settles the deferred, or at once in the caller's thread when it is settled already.

``Deferred[T]`` is generic in its value, for type checkers only: ``result()`` and
``await`` give a ``T``. A bare ``Deferred`` is a ``Deferred[Any]``, as a command's
answer is (``Bus.command`` cannot know what a handler resolves with).

How it stays cheap (every command makes one, and a chain one per ``then``):
- One lock serves every deferred. It is held only for the few attribute writes that
  settle a deferred or queue a listener, never while user code runs. A settled
  deferred is read without it: its outcome never changes.
- A deferred keeps its one listener as is, a list only from the second on: a chain
  of thens has one per link, and no list is made or iterated for it.
- Settling runs the listeners in one loop (``_run_listeners``). A ``then`` or an
  adoption settles the next deferred of its chain in that same loop, whose listeners
  run next, as a nested call would run them: a chain of any length takes one frame
  of the stack, and needs no per-thread bookkeeping.
"""

from __future__ import annotations

import concurrent.futures
import logging
import sys
import threading
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, Generic, overload

from cxbus.errors import CommandRejected, WaitTimedOut
from cxbus.redaction import redact

if TYPE_CHECKING:
    import asyncio

    from typing_extensions import TypeVar

    # A bare Deferred is a Deferred[Any] (PEP 696's default, for the type checker).
    T = TypeVar("T", default=Any)
else:
    from typing import TypeVar

    T = TypeVar("T")
U = TypeVar("U")

__all__ = ["Deferred", "is_adoptable"]

log = logging.getLogger("cxbus.deferred")

PENDING = "pending"
# Resolved with another deferred or a future and locked in to its outcome: later
# resolve()/reject() calls are ignored (Promises/A+ 2.3.2). Reported as pending.
ADOPTING = "adopting"
RESOLVED = "resolved"
REJECTED = "rejected"

Callback = Callable[[Any], object]

# A listener is (on_resolved, on_rejected, target): a tuple, as one is made for
# every wait. Its target says what it is:
#   None        callbacks (done, fail, always, result(), await); an on_rejected one
#               handles a rejection, which is then not reported.
#   OBSERVER    callbacks that only watch (a tracer, a timer): they handle nothing.
#   a Deferred  a link that settles the target from this outcome: through the
#               callbacks of a `then` (a missing one passes the outcome on), or,
#               when both are ADOPTION, as the deferred that adopted this one.
OBSERVER: Any = object()
ADOPTION: Any = object()
_Listener = tuple[Callback | None, Callback | None, Any]

# One lock for every deferred: a Lock per deferred cost more to make than settling
# it, and it guards a few attribute writes at a time.
_lock = threading.Lock()
_acquire = _lock.acquire
_release = _lock.release

# Values of these types are never a Deferred or a future: they are settled without
# the adoption check (an isinstance over three classes costs more than the lookup).
_PLAIN = frozenset((type(None), bool, int, float, str, bytes, dict, list, tuple))


def _queue(deferred: Deferred[Any], listener: _Listener) -> None:
    """Add ``listener`` to a pending ``deferred``'s; the caller holds the lock."""
    queued = deferred._listeners
    if queued is None:
        deferred._listeners = listener
    elif isinstance(queued, list):
        queued.append(listener)
    else:  # one so far: a list only from the second on
        deferred._listeners = [queued, listener]


class Deferred(Generic[T]):
    """A value (a ``T``) or a rejection reason that arrives later, exactly once.

    ``resolve(value)`` and ``reject(reason)`` settle it; whichever comes first wins
    and later calls are ignored. Resolving with another Deferred, a
    ``concurrent.futures.Future`` or an ``asyncio.Future`` adopts its outcome
    (Promises/A+ resolution).

    A rejection with no ``fail``/``always``/``then`` callback, ``result()`` or
    ``await`` waiting for it is logged as a warning on ``cxbus.deferred`` when it
    happens, so a failure nobody asked about is still seen.
    """

    __slots__ = ("_listeners", "_report_unhandled", "_state", "_value")

    def __init__(self) -> None:
        self._state = PENDING
        self._value: Any = None  # the value or the reason, once settled
        # None, one listener (a chain of thens has one per link), or a list of them.
        self._listeners: _Listener | list[_Listener] | None = None
        # The bus turns this off while a command's handler runs in the caller's
        # thread: a deferred rejected before it is returned has no listener *yet*.
        self._report_unhandled = True

    def __repr__(self) -> str:
        return f"<Deferred {self.state}>"

    @property
    def state(self) -> str:
        """``"pending"``, ``"resolved"`` or ``"rejected"``."""
        return PENDING if self._state is ADOPTING else self._state

    # Settling -----------------------------------------------------------------

    @overload
    def resolve(self: Deferred[None]) -> None: ...

    @overload
    def resolve(
        self,
        value: T | Deferred[T] | concurrent.futures.Future[T] | asyncio.Future[T],
    ) -> None: ...

    def resolve(self, value: Any = None) -> None:
        """Resolve with ``value``, or adopt its outcome if it is a Deferred or Future."""
        if type(value) not in _PLAIN and is_adoptable(value):
            self._start_adopting(value)
            return
        _acquire()
        if self._state is not PENDING:
            _release()
            return
        self._value = value
        self._state = RESOLVED
        listeners = self._listeners
        self._listeners = None
        _release()
        if listeners is None:
            return
        if type(listeners) is tuple and listeners[2] is None:  # one callback: no loop needed
            callback = listeners[0]
            if callback is not None:
                try:  # _call, inlined
                    callback(value)
                except KeyboardInterrupt:
                    raise
                except BaseException:
                    log.exception("A deferred callback %r raised", callback)
            return
        _run_listeners(RESOLVED, value, listeners, False)

    def reject(self, reason: Any = None) -> None:
        """Reject with ``reason``: a sentence, an exception or any object."""
        self._settle(REJECTED, reason, adopted=False)

    def _settle(self, state: str, value: Any, adopted: bool) -> None:
        """Settle if pending (or, for ``adopted``, adopting) and run the listeners."""
        _acquire()
        current = self._state
        if current is not PENDING and (current is not ADOPTING or not adopted):
            _release()
            return
        self._value = value
        self._state = state
        listeners = self._listeners
        self._listeners = None
        _release()
        if listeners is not None or state is REJECTED:
            _run_listeners(state, value, listeners, self._report_unhandled)

    def _start_adopting(self, value: Any) -> None:
        """Lock in to ``value``'s outcome, unless settled or adopting already."""
        _acquire()
        if self._state is not PENDING:
            _release()
            return
        self._state = ADOPTING
        _release()
        self._follow(value)

    def _follow(self, value: Any) -> None:
        """Take the outcome of ``value``, a Deferred or future; we are adopting."""
        if value is self:
            reason = TypeError("A deferred cannot be resolved with itself.")
            self._settle(REJECTED, reason, adopted=True)
        elif isinstance(value, Deferred):
            value._listen((ADOPTION, ADOPTION, self))
        else:
            try:
                value.add_done_callback(self._adopt_future)
            except Exception as error:  # an asyncio future whose loop has closed, say
                self._settle(REJECTED, error, adopted=True)

    def _adopt_future(self, future: concurrent.futures.Future[Any] | asyncio.Future[Any]) -> None:
        if future.cancelled():
            self._settle(REJECTED, concurrent.futures.CancelledError(), adopted=True)
            return
        error = future.exception()
        if error is not None:
            reason = error.reason if isinstance(error, CommandRejected) else error
            self._settle(REJECTED, reason, adopted=True)
            return
        value = future.result()
        if type(value) not in _PLAIN and is_adoptable(value):
            self._follow(value)  # a future's result may be a deferred in turn
        else:
            self._settle(RESOLVED, value, adopted=True)

    # Callbacks ----------------------------------------------------------------

    def _listen(self, listener: _Listener) -> None:
        """Queue ``listener``, or run it at once if settled."""
        _acquire()
        state = self._state
        if state is PENDING or state is ADOPTING:
            _queue(self, listener)
            _release()
            return
        _release()
        _run_listeners(state, self._value, listener, False)

    def _observe(self, on_resolved: Callback, on_rejected: Callback) -> None:
        """Watch the outcome without handling it: a rejection is still reported."""
        self._listen((on_resolved, on_rejected, OBSERVER))

    def _unlisten(self, listener: _Listener) -> None:
        # By identity: `in` and `remove` would compare callbacks with ==, which may
        # run user code, and no user code runs under the lock.
        with _lock:
            listeners = self._listeners
            if listeners is listener:
                self._listeners = None
            elif isinstance(listeners, list):
                for index, queued in enumerate(listeners):
                    if queued is listener:
                        del listeners[index]
                        return

    def done(self, callback: Callable[[T], object]) -> Deferred[T]:
        """Call ``callback(value)`` when resolved; returns this deferred."""
        state = self._state
        if state is RESOLVED:  # settled for good: no lock needed
            _call(callback, self._value)
        elif state is not REJECTED:
            # _listen inlined: the hot path of every command answered later.
            _acquire()
            state = self._state
            if state is PENDING or state is ADOPTING:
                queued = self._listeners  # _queue, inlined
                if queued is None:
                    self._listeners = (callback, None, None)
                elif isinstance(queued, list):
                    queued.append((callback, None, None))
                else:
                    self._listeners = [queued, (callback, None, None)]
                _release()
            else:
                _release()
                if state is RESOLVED:
                    _call(callback, self._value)
        return self

    def fail(self, callback: Callback) -> Deferred[T]:
        """Call ``callback(reason)`` when rejected; returns this deferred."""
        state = self._state
        if state is REJECTED:
            _call(callback, self._value)
        elif state is not RESOLVED:
            self._listen((None, callback, None))
        return self

    def always(self, callback: Callback) -> Deferred[T]:
        """Call ``callback(value_or_reason)`` when settled either way; returns this deferred."""
        state = self._state
        if state is RESOLVED or state is REJECTED:
            _call(callback, self._value)
        else:
            self._listen((callback, callback, None))
        return self

    @overload
    def then(
        self,
        on_resolved: Callable[[T], Deferred[U] | concurrent.futures.Future[U]],
        on_rejected: Callable[[Any], Deferred[U] | U] | None = None,
    ) -> Deferred[U]: ...

    @overload
    def then(
        self,
        on_resolved: Callable[[T], U],
        on_rejected: Callable[[Any], U] | None = None,
    ) -> Deferred[U]: ...

    @overload
    def then(
        self,
        on_resolved: None = None,
        on_rejected: Callable[[Any], U] | None = None,
    ) -> Deferred[T | U]: ...

    def then(
        self,
        on_resolved: Callable[[Any], Any] | None = None,
        on_rejected: Callable[[Any], Any] | None = None,
    ) -> Deferred[Any]:
        """Return a new deferred settled by what the callbacks make of this one.

        A callback's return value resolves the new deferred (a returned Deferred or
        Future is adopted); ``raise CommandRejected(reason)`` rejects it with
        ``reason``; any other exception rejects it with the exception. A missing
        callback passes the value or reason on unchanged. For a type checker,
        ``Deferred[T].then(f)`` is a ``Deferred[U]`` when ``f`` returns a ``U`` (or a
        ``Deferred[U]``, which is adopted).
        """
        chained: Deferred[Any] = Deferred()
        link = (on_resolved, on_rejected, chained)
        # _listen inlined: a chain of thens is the hot path of a plugin's commands.
        _acquire()
        state = self._state
        if state is PENDING or state is ADOPTING:
            queued = self._listeners  # _queue, inlined
            if queued is None:
                self._listeners = link
            elif isinstance(queued, list):
                queued.append(link)
            else:
                self._listeners = [queued, link]
            _release()
            return chained
        _release()
        # Settled already: the chained deferred may reject before anyone holds it.
        chained._report_unhandled = False
        _run_listeners(state, self._value, link, False)
        chained._report_unhandled = True
        return chained

    # Waiting ------------------------------------------------------------------

    def result(self, timeout: float | None = None) -> T:
        """Block until settled and return the value; raise ``CommandRejected`` if rejected.

        Raises ``TimeoutError`` when ``timeout`` seconds pass first. Do not call it
        from the thread that is to settle this deferred: that thread would wait on
        itself.
        """
        if self._state is PENDING or self._state is ADOPTING:
            settled = threading.Event()
            listener: _Listener = (_set_event(settled), _set_event(settled), None)
            self._listen(listener)
            if not settled.wait(timeout):
                self._unlisten(listener)  # the caller gave up: it no longer handles anything
                raise TimeoutError(f"The deferred was not settled within {timeout} s.")
        if self._state is RESOLVED:
            value: T = self._value
            return value
        raise rejection(self._value)

    def __await__(self) -> Generator[Any, None, T]:
        state = self._state
        if state is RESOLVED or state is REJECTED:
            return _outcome_at_once(state, self._value)
        future_of = _future_of or _import_future_of()
        return future_of(self.always, self.result).__await__()


# cxbus.awaiting.future_of, imported on the first await: asyncio is imported by
# code that awaits, never by cxbus itself.
if TYPE_CHECKING:
    # future_of(when_settled, outcome): see cxbus.awaiting.
    _FutureOf = Callable[[Callable[[Callback], object], Callable[[], Any]], asyncio.Future[Any]]
_future_of: _FutureOf | None = None


def _import_future_of() -> _FutureOf:
    global _future_of
    from cxbus.awaiting import future_of

    _future_of = future_of
    return future_of


def _outcome_at_once(state: str, value: Any) -> Generator[Any, None, Any]:
    """What awaiting a settled deferred gives, without yielding to the loop."""
    if state is REJECTED:
        raise rejection(value)
    return value
    yield  # a generator: `await` needs an iterator


def _set_event(event: threading.Event) -> Callback:
    return lambda _: event.set()


def rejection(reason: Any) -> CommandRejected:
    """The ``CommandRejected`` that ``result()`` and ``await`` raise for ``reason``."""
    if isinstance(reason, WaitTimedOut):  # raised as its own kind: a TimeoutError too
        return WaitTimedOut(reason.reason)  # a new one: many threads may raise it
    error = CommandRejected(reason)
    if isinstance(reason, BaseException):
        error.__cause__ = reason
    return error


def is_adoptable(value: Any) -> bool:
    """Whether ``value`` is a Deferred or a future whose outcome a deferred adopts."""
    if isinstance(value, (Deferred, concurrent.futures.Future)):
        return True
    asyncio = sys.modules.get("asyncio")  # no asyncio future exists before it is imported
    return asyncio is not None and isinstance(value, asyncio.Future)


def _call(callback: Callback, argument: Any) -> None:
    """Run a user callback; what it raises is logged, never raised into the settler."""
    try:
        callback(argument)
    except KeyboardInterrupt:
        raise
    except BaseException:  # SystemExit too: a callback never ends the settling thread
        log.exception("A deferred callback %r raised", callback)


# A deferred whose listeners wait while those of a deferred it settled run first:
# (state, value, its next listener, an iterator over the rest or None, handled, report).
_Suspended = tuple[str, Any, _Listener, Iterator[_Listener] | None, bool, bool]


def _run_listeners(
    state: str,
    value: Any,
    listeners: _Listener | list[_Listener] | None,
    report: bool,
) -> None:
    """Run the listeners of a deferred just settled to ``state`` with ``value``.

    A link settles its target, whose listeners then run before the rest of these,
    as a nested call would run them, but from this loop. A rejection that no
    listener handles is reported if ``report``.
    """
    suspended: list[_Suspended] | None = None
    # The listener to run now and, when the deferred had a list of them, the rest.
    # A chain of single listeners (of thens, say) is walked with no iterator.
    listener: _Listener | None
    rest: Iterator[_Listener] | None = None
    # type(x) is list, not isinstance: CPython 3.11 runs type(x) without a call.
    if type(listeners) is list:
        rest = iter(listeners)
        listener = next(rest, None)
    else:
        listener = listeners  # type: ignore[assignment]  # mypy narrows isinstance only
    handled = False
    while True:
        if listener is not None:
            on_resolved, on_rejected, target = listener
            listener = None if rest is None else next(rest, None)  # the one after it
            callback = on_resolved if state is RESOLVED else on_rejected
            if target is None or target is OBSERVER:
                if callback is not None:
                    handled = handled or target is None
                    try:  # _call, inlined
                        callback(value)
                    except KeyboardInterrupt:
                        raise
                    except BaseException:
                        log.exception("A deferred callback %r raised", callback)
                continue
            handled = True
            # A link: work out the target's outcome, then settle it.
            if callback is None or callback is ADOPTION:  # pass the outcome on
                next_state, next_value = state, value
            else:
                try:
                    next_value = callback(value)
                except CommandRejected as rejected:
                    next_state, next_value = REJECTED, rejected.reason
                except KeyboardInterrupt:
                    raise
                except BaseException as error:  # SystemExit too: it rejects the chain
                    next_state, next_value = REJECTED, error
                else:
                    next_state = RESOLVED
                    if type(next_value) not in _PLAIN and is_adoptable(next_value):
                        returned = next_value
                        if (
                            not isinstance(returned, Deferred)
                            or returned is target
                            or (returned._state is not RESOLVED and returned._state is not REJECTED)
                        ):
                            target._start_adopting(returned)
                            continue  # settled when what it adopts is
                        next_state, next_value = returned._state, returned._value
            _acquire()
            if target._state is not PENDING and (
                target._state is not ADOPTING or callback is not ADOPTION
            ):
                _release()
                continue  # settled already (by hand, say): it stays as it is
            target._value = next_value
            target._state = next_state
            taken = target._listeners
            target._listeners = None
            _release()
            if taken is None and next_state is RESOLVED:
                continue  # nobody waits on it
            # Run the target's listeners next; come back to ours if any are left.
            if listener is not None:
                if suspended is None:
                    suspended = []
                suspended.append((state, value, listener, rest, handled, report))
            state, value = next_state, next_value
            handled, report = False, target._report_unhandled
            if type(taken) is list:
                rest = iter(taken)
                listener = next(rest, None)
            else:
                rest = None
                listener = taken
            continue
        # This deferred's listeners are done.
        if state is REJECTED and not handled and report:
            log.warning("Unhandled rejection: %r", redact(value))
        if not suspended:
            return
        state, value, listener, rest, handled, report = suspended.pop()
