"""Deferred: the answer to a command, settled once, from any thread.

A jQuery-style deferred with Promises/A+ resolution: ``done``, ``fail`` and ``always``
attach callbacks, ``then`` chains a new deferred, ``result()`` blocks for the answer
and ``await deferred`` works in asyncio code. Callbacks run in the thread that
settles the deferred, or at once in the caller's thread when it is settled already.

How it stays cheap: every deferred shares one lock, held only for the few attribute
writes that settle a deferred or queue a listener (never while user code runs); a
settled deferred is read without it, since its outcome never changes. Settling runs
the listeners, and a ``then`` or an adoption settles the next deferred of its chain
in the same loop rather than by a nested call, so a chain of any length takes the
stack of one.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import sys
import threading
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Callable, Optional

from cxbus.errors import CommandRejected
from cxbus.redaction import redact

if TYPE_CHECKING:
    import asyncio

__all__ = ["Deferred"]

log = logging.getLogger("cxbus.deferred")

PENDING = "pending"
# Resolved with another deferred or a future and locked in to its outcome: later
# resolve()/reject() calls are ignored (Promises/A+ 2.3.2). Reported as pending.
ADOPTING = "adopting"
RESOLVED = "resolved"
REJECTED = "rejected"

Callback = Callable[[Any], Any]

# A listener is (on_resolved, on_rejected, target), a tuple because it is made on
# every wait. The target says what it is:
#   None       callbacks: done, fail, always, result(), await. An on_rejected
#              callback handles a rejection (it is not reported).
#   OBSERVER   callbacks that only watch (a tracer, a timer): they handle nothing.
#   a Deferred a link that settles the target from this outcome: through the
#              callbacks of a `then` (a missing one passes the outcome on), or,
#              when both are ADOPTION, as the deferred that adopted this one.
OBSERVER: Any = object()
ADOPTION: Any = object()
_Listener = tuple[Optional[Callback], Optional[Callback], Any]

# One lock for every deferred: a Lock per deferred cost more to make than settling
# it, and what the lock guards is a few attribute writes.
_lock = threading.Lock()
_acquire = _lock.acquire
_release = _lock.release

# Values of these types are never a Deferred or a future: they are settled without
# the adoption check (an isinstance over three classes costs more than the lookup).
_PLAIN = frozenset((type(None), bool, int, float, str, bytes, dict, list, tuple))


class Deferred:
    """A value or a rejection reason that arrives later, exactly once.

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
        self._listeners: list[_Listener] | None = None  # made on first need: most never wait
        # The bus turns this off while a command's handler runs in the caller's
        # thread: a deferred rejected before it is returned has no listener *yet*.
        self._report_unhandled = True

    @classmethod
    def _settled(cls, state: str, value: Any) -> Deferred:
        """A deferred born settled (nobody else has it yet, so no lock is needed)."""
        deferred = cls.__new__(cls)
        deferred._value = value
        deferred._state = state
        deferred._listeners = None
        deferred._report_unhandled = True
        return deferred

    def __repr__(self) -> str:
        return f"<Deferred {self.state}>"

    @property
    def state(self) -> str:
        """``"pending"``, ``"resolved"`` or ``"rejected"``."""
        return PENDING if self._state is ADOPTING else self._state

    # Settling -----------------------------------------------------------------

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
        if len(listeners) == 1:  # the common case, without the loop of _notify
            on_resolved, _, target = listeners[0]
            if target is None or target is OBSERVER:
                if on_resolved is not None:
                    _call(on_resolved, value)
                return
        _notify(self, RESOLVED, value, listeners, False)

    def reject(self, reason: Any = None) -> None:
        """Reject with ``reason``: a sentence, an exception or any object."""
        listeners = self._claim(REJECTED, reason, adopted=False)
        if listeners is not _LATE:
            _notify(self, REJECTED, reason, listeners, self._report_unhandled)

    def _claim(self, state: str, value: Any, adopted: bool) -> Any:
        """Settle if still pending (or, for ``adopted``, adopting); return the listeners
        to run (``None`` for none), or ``_LATE`` if the deferred was settled already."""
        _acquire()
        current = self._state
        if current is PENDING or (current is ADOPTING and adopted):
            self._value = value
            self._state = state
            listeners = self._listeners
            self._listeners = None
            _release()
            return listeners
        _release()
        return _LATE

    def _settle_adopted(self, state: str, value: Any) -> None:
        listeners = self._claim(state, value, adopted=True)
        if listeners is not _LATE and (listeners is not None or state is REJECTED):
            _notify(self, state, value, listeners, self._report_unhandled)

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
        """Take the outcome of ``value`` (a Deferred or future); we are adopting."""
        if value is self:
            self._settle_adopted(REJECTED, TypeError("A deferred cannot be resolved with itself."))
        elif isinstance(value, Deferred):
            value._listen((ADOPTION, ADOPTION, self))
        else:
            try:
                value.add_done_callback(self._adopt_future)
            except Exception as error:  # an asyncio future whose loop has closed, say
                self._settle_adopted(REJECTED, error)

    def _adopt_future(self, future: concurrent.futures.Future[Any] | asyncio.Future[Any]) -> None:
        if future.cancelled():
            self._settle_adopted(REJECTED, concurrent.futures.CancelledError())
            return
        error = future.exception()
        if error is not None:
            reason = error.reason if isinstance(error, CommandRejected) else error
            self._settle_adopted(REJECTED, reason)
            return
        value = future.result()
        if type(value) not in _PLAIN and is_adoptable(value):
            self._follow(value)  # a future's result may be a deferred in turn
        else:
            self._settle_adopted(RESOLVED, value)

    # Callbacks ----------------------------------------------------------------

    def _listen(self, listener: _Listener) -> None:
        """Queue ``listener``, or run it at once if settled."""
        _acquire()
        state = self._state
        if state is PENDING or state is ADOPTING:
            if self._listeners is None:
                self._listeners = [listener]
            else:
                self._listeners.append(listener)
            _release()
            return
        _release()
        _notify(self, state, self._value, [listener], False)

    def _observe(self, on_resolved: Callback, on_rejected: Callback) -> None:
        """Watch the outcome without handling it: a rejection is still reported."""
        self._listen((on_resolved, on_rejected, OBSERVER))

    def _unlisten(self, listener: _Listener) -> None:
        with _lock:
            if self._listeners is not None and listener in self._listeners:
                self._listeners.remove(listener)

    def done(self, callback: Callback) -> Deferred:
        """Call ``callback(value)`` when resolved; returns this deferred."""
        state = self._state
        if state is RESOLVED:  # settled for good: no lock needed
            _call(callback, self._value)
            return self
        if state is REJECTED:
            return self
        # _listen, inlined: this is the hot path of every command answered later.
        _acquire()
        state = self._state
        if state is PENDING or state is ADOPTING:
            if self._listeners is None:
                self._listeners = [(callback, None, None)]
            else:
                self._listeners.append((callback, None, None))
            _release()
        else:
            _release()
            if state is RESOLVED:
                _call(callback, self._value)
        return self

    def fail(self, callback: Callback) -> Deferred:
        """Call ``callback(reason)`` when rejected; returns this deferred."""
        state = self._state
        if state is REJECTED:
            _call(callback, self._value)
        elif state is not RESOLVED:
            self._listen((None, callback, None))
        return self

    def always(self, callback: Callback) -> Deferred:
        """Call ``callback(value_or_reason)`` when settled either way; returns this deferred."""
        state = self._state
        if state is RESOLVED or state is REJECTED:
            _call(callback, self._value)
        else:
            self._listen((callback, callback, None))
        return self

    def then(
        self,
        on_resolved: Callback | None = None,
        on_rejected: Callback | None = None,
    ) -> Deferred:
        """Return a new deferred settled by what the callbacks make of this one.

        A callback's return value resolves the new deferred (a returned Deferred or
        Future is adopted); ``raise CommandRejected(reason)`` rejects it with
        ``reason``; any other exception rejects it with the exception. A missing
        callback passes the value or reason on unchanged.
        """
        chained = Deferred()
        if self._state is PENDING or self._state is ADOPTING:
            self._listen((on_resolved, on_rejected, chained))
        else:
            # Settled already: the chained deferred may reject before anyone holds it.
            chained._report_unhandled = False
            self._listen((on_resolved, on_rejected, chained))
            chained._report_unhandled = True
        return chained

    # Waiting ------------------------------------------------------------------

    def result(self, timeout: float | None = None) -> Any:
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
            return self._value
        raise _rejection(self._value)

    def __await__(self) -> Generator[Any, None, Any]:
        state = self._state
        if state is RESOLVED:
            return self._value
        if state is REJECTED:
            raise _rejection(self._value)
        return (yield from _wait_in_loop(self))


def _wait_in_loop(deferred: Deferred) -> Generator[Any, None, Any]:
    """Wait for ``deferred`` in the running asyncio loop (imported here: only those who
    await pay for asyncio)."""
    import asyncio

    loop = asyncio.get_running_loop()
    delivery = _Delivery(loop, loop.create_future())
    deferred._listen((delivery.resolved, delivery.rejected, None))
    return (yield from delivery.future)


class _Delivery:
    """Hands a deferred's outcome to the asyncio future its awaiting task waits on."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
        self.loop, self.future = loop, future

    def resolved(self, value: Any) -> None:
        self._deliver(self.future.set_result, value)

    def rejected(self, reason: Any) -> None:
        self._deliver(self.future.set_exception, _rejection(reason))

    def _deliver(self, outcome: Callable[[Any], None], argument: Any) -> None:
        from asyncio.events import _get_running_loop

        if _get_running_loop() is self.loop:  # settled in the loop's own thread
            self._set(outcome, argument)
            return
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is left to tell
            self.loop.call_soon_threadsafe(self._set, outcome, argument)

    def _set(self, outcome: Callable[[Any], None], argument: Any) -> None:
        if not self.future.done():  # the awaiting task may have been cancelled
            outcome(argument)


def _set_event(event: threading.Event) -> Callback:
    return lambda _: event.set()


def _rejection(reason: Any) -> CommandRejected:
    """The ``CommandRejected`` that ``result()`` and ``await`` raise for ``reason``."""
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


_LATE: Any = object()  # what _claim returns for a deferred settled already


def _call(callback: Callback, argument: Any) -> None:
    """Run a user callback; what it raises is logged, never raised into the settler."""
    try:
        callback(argument)
    except KeyboardInterrupt:
        raise
    except BaseException:  # SystemExit too: a callback never ends the settling thread
        log.exception("A deferred callback %r raised", callback)


_Frame = tuple[Deferred, str, Any, Any, bool, bool]


def _notify(
    deferred: Deferred,
    state: str,
    value: Any,
    listeners: list[_Listener] | None,
    report: bool,
) -> None:
    """Run the listeners of ``deferred``, just settled to ``state`` with ``value``.

    A link settles its target, whose listeners then run before the rest of ours
    (depth first, as nested calls would), from a stack of suspended frames instead
    of nested calls. A rejection that no listener handles is reported if ``report``.
    """
    suspended: list[_Frame] = []
    remaining = iter(listeners or ())
    handled = False
    while True:
        for on_resolved, on_rejected, target in remaining:
            callback = on_resolved if state is RESOLVED else on_rejected
            if target is None or target is OBSERVER:
                if callback is not None:
                    handled = handled or target is None
                    _call(callback, value)
                continue
            handled = True
            outcome = _link_outcome(callback, state, value, target)
            if outcome is None:
                continue  # the target adopts a pending deferred or a future
            next_state, next_value, adopted = outcome
            taken = target._claim(next_state, next_value, adopted)
            if taken is _LATE or (taken is None and next_state is RESOLVED):
                continue
            suspended.append((deferred, state, value, remaining, handled, report))
            deferred, state, value = target, next_state, next_value
            remaining, handled, report = iter(taken or ()), False, target._report_unhandled
            break
        else:
            if state is REJECTED and not handled and report:
                log.warning("Unhandled rejection: %r", redact(value))
            if not suspended:
                return
            deferred, state, value, remaining, handled, report = suspended.pop()


def _link_outcome(
    callback: Callback | None, state: str, value: Any, target: Deferred
) -> tuple[str, Any, bool] | None:
    """What a link settles its target with: ``(state, value, adopted)``, or ``None``
    when the target is left adopting a deferred or future still to settle."""
    if callback is ADOPTION:
        return state, value, True
    if callback is None:
        return state, value, False
    try:
        value = callback(value)
    except CommandRejected as rejection:
        return REJECTED, rejection.reason, False
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # SystemExit too: it rejects the chain like any error
        return REJECTED, error, False
    if type(value) in _PLAIN or not is_adoptable(value):
        return RESOLVED, value, False
    if isinstance(value, Deferred) and value is not target:
        settled = value._state
        if settled is RESOLVED or settled is REJECTED:
            return settled, value._value, False
    target._start_adopting(value)
    return None
