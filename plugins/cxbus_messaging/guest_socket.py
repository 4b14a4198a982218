"""One conversation's WebSocket to the Web Messaging guest API, with no thread of its own.

``connect`` opens the socket on the caller's thread (the conversation's I/O lane)
and hands it to the process's WebSocket reader (``cxbus.runtime.websocket_reader``:
the loop thread reads every socket, pings it every 15 s and counts it lost when no
pong comes). Everything else runs on the loop thread too, where the frames are read
and the conversation's machine runs, one thing at a time, in order: a frame is
read, matched and handed to the machine with no hand-over between threads.

- **out**: requests handed over with ``send`` wait in an outbox and go out in order,
  paced under the service's rate limits (``pacing.Pacer``; the waits are the loop's
  timers). A ``TooManyRequestsErrorMessage`` puts its request back at the head and
  pauses the outbox for its ``retryAfter``: nothing is refused for going too fast.
  One guest message is in flight at a time (ours): the next goes once the server has
  echoed (or refused) it, so a message sent again after a 429 keeps its place.
- **in**: each frame the reader hands on is read (``parse_frame``; one that cannot be
  is skipped with a rate-limited warning), matched to the request it answers
  (``PendingRequests``: its tracingId, else its class) and reported to the
  conversation machine: ``Answered`` or ``Pushed``.
- **health**: every ``health_interval`` seconds an echo health check goes out; its
  answer is reported as ``HealthChecked``. A request (the health check included)
  that gets no answer within ``timeout`` means the socket is dead: it is closed.
- **loss**: a socket that closes, fails or goes silent is reported once, as
  ``SocketLost`` with every request not answered yet; the machine decides what to
  send again on the next socket.

Requests are sent on the loop thread, which never waits for room in the socket's
buffer: a server that no longer reads loses the socket (``SocketLost``). The session
token is in the requests and in this object; neither shows in a repr or a log line.
"""

from __future__ import annotations

import collections
import functools
import logging
import threading
import time
from typing import Any

import attrs
import websocket

from cxbus.runtime.frame_warnings import FrameWarnings
from cxbus.runtime.threads import Timer, runtime
from cxbus.runtime.websocket_reader import Watch, websocket_reader

from .guest_api import (
    Endpoints,
    PendingRequests,
    ProtocolError,
    Request,
    TooManyRequestsErrorMessage,
    actions,
    parse_frame,
)
from .inputs import Answered, HealthChecked, Pushed, SocketLost, Update
from .pacing import Pacer

__all__ = ["GuestSocket", "SocketRefused"]

log = logging.getLogger("cxbus.messaging.socket")

# The mobile client's ping pace; a pong later than this counts the socket lost.
PING_INTERVAL = 15.0
PING_TIMEOUT = 10.0
# A 429 without a retryAfter waits this long.
DEFAULT_RETRY_AFTER = 1.0
# How often the answers owed are looked at while some are.
ANSWER_CHECK = 1.0


class SocketRefused(Exception):
    """The socket could not be opened: ``status`` is the HTTP status of a refused
    upgrade (403: the deployment or origin is not allowed), ``None`` when no server
    answered."""

    def __init__(self, reason: str, status: int | None) -> None:
        super().__init__(reason)
        self.status = status


@attrs.define(eq=False)
class _Open:
    """The socket in use, and whom to tell about it."""

    connection: websocket.WebSocket = attrs.field(repr=False)
    token: str = attrs.field(repr=False)
    generation: int
    report: Any = attrs.field(repr=False)  # cxbus.runtime.machine_runner.Report
    watch: Watch | None = attrs.field(default=None, repr=False)


class _Receiver:
    """What the loop thread reads of one socket, for its ``GuestSocket``."""

    def __init__(self, owner: GuestSocket, socket: _Open) -> None:
        self._owner = owner
        self._socket = socket

    def received(self, message: str | bytes) -> None:
        self._owner._frame(self._socket, message)

    def lost(self, reason: str) -> None:
        self._owner._lost(self._socket, reason)


class GuestSocket:
    """The socket of one conversation with the deployment ``deployment_id`` at ``endpoints``."""

    def __init__(
        self,
        endpoints: Endpoints,
        deployment_id: str,
        *,
        application: str | None = None,
        timeout: float = 10.0,
        health_interval: float = 31.0,
        pacer: Pacer | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        self.url = endpoints.websocket_url(deployment_id, application)
        self.origin = endpoints.origin
        self.timeout = timeout
        self.health_interval = health_interval
        self._sslopt = {"ca_certs": ca_bundle} if ca_bundle else {}
        self._loop = runtime().loop
        self._lock = threading.Lock()  # guards _open and _outbox: send() may come from any thread
        self._open: _Open | None = None
        self._outbox: collections.deque[Request] = collections.deque()
        # The loop thread's:
        self._pacer = pacer or Pacer.under(60, 5)
        self._pending = PendingRequests()
        self._timers: dict[str, Timer] = {}
        self._message_in_flight: Request | None = None
        self._warnings = FrameWarnings(log)

    def __repr__(self) -> str:
        return f"<GuestSocket {self.url}>"

    # Any thread -----------------------------------------------------------------------

    def connect(self, token: str, first: Request, generation: int, report: Any) -> None:
        """Open a socket (closing the one before) and send ``first`` on it before anything.

        Blocking, up to ``timeout`` for each step of the handshake. What the socket brings
        goes to ``report`` (``cxbus.runtime.machine_runner.Report``). Raises ``SocketRefused``.
        """
        self.close()
        try:
            connected = websocket_reader().open(
                self.url, timeout=self.timeout, origin=self.origin, sslopt=self._sslopt
            )
        except websocket.WebSocketBadStatusException as refused:
            raise SocketRefused(
                f"The web messaging socket was refused with status {refused.status_code}.",
                refused.status_code,
            ) from None
        except (websocket.WebSocketException, OSError) as error:
            why = error.strerror if isinstance(error, OSError) and error.strerror else None
            raise SocketRefused(
                f"The web messaging socket could not be opened ({why or type(error).__name__}).",
                None,
            ) from None
        opened = _Open(connected, token, generation, report)
        with self._lock:
            self._open = opened
            self._outbox.clear()
            self._outbox.append(first)
        self._loop.call(functools.partial(self._started, opened))
        opened.watch = websocket_reader().watch(
            connected,
            _Receiver(self, opened),
            ping_interval=PING_INTERVAL,
            ping_timeout=PING_TIMEOUT,
        )

    def send(self, generation: int, requests: tuple[Request, ...]) -> bool:
        """Queue ``requests`` for the socket of ``generation``; ``False`` (nothing queued)
        when that socket is gone."""
        with self._lock:
            opened = self._open
            if opened is None or opened.generation != generation:
                return False
            self._outbox.extend(requests)
        self._loop.call(functools.partial(self._pump, opened))
        return True

    def close(self, generation: int | None = None) -> None:
        """Close the socket (of ``generation``, if given and still the one in use) with a
        normal closure; nothing more is reported of it."""
        with self._lock:
            opened = self._open
            if opened is None or (generation is not None and opened.generation != generation):
                return
            self._open = None
            self._outbox.clear()
        if opened.watch is not None:
            websocket_reader().unwatch(opened.watch)
        else:
            opened.connection.close(timeout=0)
        self._loop.call(self._forget_requests)

    # The loop thread --------------------------------------------------------------------

    def _current(self, opened: _Open) -> bool:
        with self._lock:
            return self._open is opened

    def _started(self, opened: _Open) -> None:
        self._forget_requests()
        self._pacer.new_connection()
        self._later("health", self.health_interval, functools.partial(self._health_check, opened))
        self._pump(opened)

    def _forget_requests(self) -> None:
        self._pending.drain()
        self._message_in_flight = None
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def _later(self, name: str, delay: float, job: Any) -> None:
        """Run ``job`` in ``delay`` seconds (a loop timer), replacing ``name``'s."""
        old = self._timers.pop(name, None)
        if old is not None:
            old.cancel()
        self._timers[name] = self._loop.call_later(delay, job)

    def _pump(self, opened: _Open) -> None:
        """Send what the outbox holds, as fast as the pacer lets it go."""
        while True:
            with self._lock:
                if self._open is not opened or not self._outbox:
                    return
                request = self._outbox[0]
            if _is_answered_message(request) and self._message_in_flight is not None:
                return  # the message in flight's answer pumps again
            now = time.monotonic()
            wait = self._pacer.wait(request, now)
            if wait > 0:
                self._later("pump", wait, functools.partial(self._pump, opened))
                return
            with self._lock:
                if self._open is not opened or not self._outbox or self._outbox[0] is not request:
                    continue
                self._outbox.popleft()
            try:
                opened.connection.send(request.to_json())
            except (websocket.WebSocketException, OSError) as error:
                self._drop(opened, f"a send failed ({type(error).__name__})", (request,))
                return
            self._pacer.sent(request, now)
            self._pending.add(request, now)
            if _is_answered_message(request):
                self._message_in_flight = request
            if "answers" not in self._timers:
                self._later("answers", ANSWER_CHECK, functools.partial(self._check_answers, opened))

    def _frame(self, opened: _Open, message: str | bytes) -> None:
        if not self._current(opened):
            return
        try:
            frame = parse_frame(message)
        except ProtocolError as error:
            self._warnings.warn("skipping a frame: %s", error)
            return
        request = self._pending.match(frame)
        if request is not None and request is self._message_in_flight:
            self._message_in_flight = None
            self._loop.call(functools.partial(self._pump, opened))  # after this frame
        health_check = request is not None and request.tracing_id == actions.HEALTH_CHECK_TRACING_ID
        if isinstance(frame.body, TooManyRequestsErrorMessage) and health_check:
            log.info("a health check was refused as too many; the next one goes at its time")
            return
        if isinstance(frame.body, TooManyRequestsErrorMessage) and request is not None:
            wait = frame.body.retry_after or DEFAULT_RETRY_AFTER
            log.info("%s was refused as too many; sending it again in %g s", request.action, wait)
            with self._lock:
                self._outbox.appendleft(request)
            self._pacer.pause(wait, time.monotonic())
            self._pump(opened)
            return
        update: Update
        if health_check:
            update = HealthChecked(frame)
        elif request is not None:
            update = Answered(request, frame)
        else:
            update = Pushed(frame)
        opened.report(update)

    def _check_answers(self, opened: _Open) -> None:
        self._timers.pop("answers", None)
        if not self._current(opened):
            return
        overdue = [
            request
            for request in self._pending.overdue(time.monotonic(), self.timeout)
            if request.answered_by  # a guest's Typing is answered only when refused
        ]
        if overdue:
            reason = f"{overdue[0].action} got no answer within {self.timeout:g} s"
            self._drop(opened, reason, tuple(overdue))
        elif len(self._pending):
            self._later("answers", ANSWER_CHECK, functools.partial(self._check_answers, opened))

    def _health_check(self, opened: _Open) -> None:
        if not self._current(opened):
            return
        with self._lock:
            self._outbox.append(actions.echo(opened.token))
        self._pump(opened)
        self._later("health", self.health_interval, functools.partial(self._health_check, opened))

    def _drop(self, opened: _Open, reason: str, taken: tuple[Request, ...]) -> None:
        """Close a socket found dead; ``taken``: requests out of the books already."""
        if opened.watch is not None:
            websocket_reader().unwatch(opened.watch)
        self._lost(opened, reason, taken)

    def _lost(self, opened: _Open, reason: str, taken: tuple[Request, ...] = ()) -> None:
        with self._lock:
            if self._open is not opened:
                return
            self._open = None
            unsent = list(self._outbox)
            self._outbox.clear()
        unfinished = [
            request
            for request in (*taken, *self._pending.drain(), *unsent)
            if request.tracing_id != actions.HEALTH_CHECK_TRACING_ID
        ]
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._message_in_flight = None
        log.info("the web messaging socket was lost: %s", reason)
        opened.report(SocketLost(reason, tuple(unfinished)))


def _is_answered_message(request: Request) -> bool:
    """A guest message (or presence) the server answers with its echo (not a Typing)."""
    return request.action == "onMessage" and bool(request.answered_by)
