"""Deferred: the answer to a command, settled once, from any thread.

A jQuery-style deferred with Promises/A+ resolution: ``done``, ``fail`` and ``always``
attach callbacks, ``then`` chains a new deferred, ``result()`` blocks for the answer
and ``await deferred`` works in asyncio code. Callbacks run in the thread that
settles the deferred, or at once in the caller's thread when it is settled already.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Generator
from typing import Any

from cxbus.errors import CommandRejected
from cxbus.redaction import redact

__all__ = ["Deferred"]

log = logging.getLogger("cxbus.deferred")

PENDING = "pending"
# Resolved with another deferred or a future and locked in to its outcome: later
# resolve()/reject() calls are ignored (Promises/A+ 2.3.2). Reported as pending.
ADOPTING = "adopting"
RESOLVED = "resolved"
REJECTED = "rejected"

Callback = Callable[[Any], Any]
# (on_resolved, on_rejected, handles): an observer (handles=False) such as a tracer
# does not count as someone handling a rejection.
_Listener = tuple[Callback | None, Callback | None, bool]

# Settling a deferred runs its listeners, which may settle the next deferred of a
# chain, and so on: past this depth on one thread the rest of the chain is run from
# a backlog by the outermost settle instead, so no chain is too long for the stack.
MAX_NESTING = 50
_nesting = threading.local()


class Deferred:
    """A value or a rejection reason that arrives later, exactly once.

    ``resolve(value)`` and ``reject(reason)`` settle it; whichever comes first wins
    and later calls are ignored. Resolving with another Deferred or a
    ``concurrent.futures.Future`` adopts its outcome (Promises/A+ resolution).

    A rejection with no ``fail``/``always``/``then`` callback, ``result()`` or
    ``await`` waiting for it is logged as a warning on ``cxbus.deferred`` when it
    happens, so a failure nobody asked about is still seen.
    """

    __slots__ = ("_listeners", "_lock", "_reason_or_value", "_report_unhandled", "_state")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = PENDING
        self._reason_or_value: Any = None
        self._listeners: list[_Listener] | None = None  # made on first need: most never wait
        # The bus turns this off while a command's handler runs in the caller's
        # thread: a deferred rejected before it is returned has no listener *yet*.
        self._report_unhandled = True

    def __repr__(self) -> str:
        return f"<Deferred {self._state}>"

    @property
    def state(self) -> str:
        """``"pending"``, ``"resolved"`` or ``"rejected"``."""
        return PENDING if self._state is ADOPTING else self._state

    # Settling -----------------------------------------------------------------

    def resolve(self, value: Any = None) -> None:
        """Resolve with ``value``, or adopt its outcome if it is a Deferred or Future."""
        if not isinstance(value, _ADOPTABLE):
            self._settle(RESOLVED, value)
            return
        with self._lock:
            if self._state is not PENDING:
                return
            self._state = ADOPTING
        try:
            self._adopt(value)
        except Exception as error:  # a future that cannot take a callback, say
            self._settle(REJECTED, error, True)

    def reject(self, reason: Any = None) -> None:
        """Reject with ``reason``: a sentence, an exception or any object."""
        self._settle(REJECTED, reason)

    def _adopt(
        self, value: Deferred | concurrent.futures.Future[Any] | asyncio.Future[Any]
    ) -> None:
        if value is self:
            self._settle(REJECTED, TypeError("A deferred cannot be resolved with itself."), True)
        elif isinstance(value, Deferred):
            value._listen(self._adopt_value, self._adopt_reason)
        else:
            value.add_done_callback(self._adopt_future)

    def _adopt_value(self, value: Any) -> None:
        if isinstance(value, _ADOPTABLE):
            self._adopt(value)
        else:
            self._settle(RESOLVED, value, True)

    def _adopt_reason(self, reason: Any) -> None:
        self._settle(REJECTED, reason, True)

    def _adopt_future(self, future: concurrent.futures.Future[Any] | asyncio.Future[Any]) -> None:
        if future.cancelled():
            self._adopt_reason(concurrent.futures.CancelledError())
            return
        error = future.exception()
        if error is None:
            self._adopt_value(future.result())
        else:
            self._adopt_reason(error.reason if isinstance(error, CommandRejected) else error)

    def _settle(self, state: str, reason_or_value: Any, adopted: bool = False) -> None:
        # acquire/release rather than `with`: half the cost on this hot path.
        self._lock.acquire()
        try:
            if self._state is not PENDING and (self._state is not ADOPTING or not adopted):
                return
            self._state = state
            self._reason_or_value = reason_or_value
            listeners, self._listeners = self._listeners, None
        finally:
            self._lock.release()
        if listeners or state is REJECTED:
            # Arguments, not a closure: a closure here would slow every settle.
            _run_nested(self._notify, listeners, state, reason_or_value, self._report_unhandled)

    def _notify(
        self, listeners: list[_Listener] | None, state: str, value: Any, report_unhandled: bool
    ) -> None:
        """Run the listeners; ``report_unhandled`` as it was when the deferred settled."""
        if state is RESOLVED:
            for on_resolved, _, _ in listeners or ():
                if on_resolved is not None:
                    _call(on_resolved, value)
            return
        handled = False
        for _, on_rejected, handles in listeners or ():
            if on_rejected is not None:
                handled = handled or handles
                _call(on_rejected, value)
        if not handled and report_unhandled:
            log.warning("Unhandled rejection: %r", redact(value))

    def _listen(
        self,
        on_resolved: Callback | None,
        on_rejected: Callback | None,
        handles: bool = True,
    ) -> None:
        self._lock.acquire()
        try:
            if self._state is PENDING or self._state is ADOPTING:
                if self._listeners is None:
                    self._listeners = []
                self._listeners.append((on_resolved, on_rejected, handles))
                return
        finally:
            self._lock.release()
        callback = on_resolved if self._state is RESOLVED else on_rejected
        if callback is not None:
            _call(callback, self._reason_or_value)

    def _unlisten(self, listener: _Listener) -> None:
        with self._lock:
            if self._listeners is not None and listener in self._listeners:
                self._listeners.remove(listener)

    # Callbacks ----------------------------------------------------------------

    def done(self, callback: Callback) -> Deferred:
        """Call ``callback(value)`` when resolved; returns this deferred."""
        self._listen(callback, None)
        return self

    def fail(self, callback: Callback) -> Deferred:
        """Call ``callback(reason)`` when rejected; returns this deferred."""
        self._listen(None, callback)
        return self

    def always(self, callback: Callback) -> Deferred:
        """Call ``callback(value_or_reason)`` when settled either way; returns this deferred."""
        self._listen(callback, callback)
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

        def forward(callback: Callback | None, settle: Callback) -> Callback:
            if callback is None:
                return settle

            def run(value_or_reason: Any) -> None:
                try:
                    chained.resolve(callback(value_or_reason))
                except CommandRejected as rejection:
                    chained.reject(rejection.reason)
                except Exception as error:
                    chained.reject(error)

            return run

        # Settled already, the chained deferred may reject before anyone holds it.
        chained._report_unhandled = False
        self._listen(forward(on_resolved, chained.resolve), forward(on_rejected, chained.reject))
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
            # Called in a callback of a long chain: what would settle this deferred may
            # wait in this thread's backlog, so run it here rather than wait on ourselves.
            _run_backlog(until=lambda: self._state is not PENDING and self._state is not ADOPTING)
        if self._state is PENDING or self._state is ADOPTING:
            settled = threading.Event()
            listener: _Listener = (lambda _: settled.set(), lambda _: settled.set(), True)
            self._listen(*listener)
            if not settled.wait(timeout):
                self._unlisten(listener)  # the caller gave up: it no longer handles anything
                raise TimeoutError(f"The deferred was not settled within {timeout} s.")
        if self._state is RESOLVED:
            return self._reason_or_value
        reason = self._reason_or_value
        raise CommandRejected(reason) from (reason if isinstance(reason, BaseException) else None)

    def __await__(self) -> Generator[Any, None, Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def deliver(outcome: Callable[[asyncio.Future[Any], Any], None], argument: Any) -> None:
            # The loop may have closed while we waited: then nobody is left to tell.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(outcome, future, argument)

        def set_rejection(reason: Any) -> None:
            error = CommandRejected(reason)
            if isinstance(reason, BaseException):
                error.__cause__ = reason
            deliver(_set_exception, error)

        self._listen(lambda value: deliver(_set_result, value), set_rejection)
        return future.__await__()


def _set_result(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():  # the awaiting task may have been cancelled
        future.set_result(value)


def _set_exception(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


_ADOPTABLE = (Deferred, concurrent.futures.Future, asyncio.Future)


def _run_nested(job: Callable[..., None], *args: Any) -> None:
    """Run ``job(*args)`` now, or from the backlog of this thread's outermost settle when
    nested ``MAX_NESTING`` deep (a long chain of thens or adoptions)."""
    depth = getattr(_nesting, "depth", 0)
    if depth >= MAX_NESTING:
        _nesting.backlog.append((job, args))
        return
    if depth == 0:
        _nesting.backlog = collections.deque()
    _nesting.depth = depth + 1
    try:
        job(*args)
        if depth == 0:
            backlog = _nesting.backlog
            while backlog:
                queued, queued_args = backlog.popleft()
                queued(*queued_args)
    finally:
        _nesting.depth = depth


def _run_backlog(until: Callable[[], bool]) -> None:
    """Run this thread's backlog of settles until ``until()`` holds or it is empty."""
    backlog = getattr(_nesting, "backlog", None)
    while backlog and not until():
        job, args = backlog.popleft()
        job(*args)


def _call(callback: Callback, argument: Any) -> None:
    """Run a user callback; its exception is logged, never raised into the settler."""
    try:
        callback(argument)
    except Exception:
        log.exception("A deferred callback %r raised", callback)
