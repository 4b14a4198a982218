"""One thread that reads every WebSocket of the process, and keeps each alive with pings.

A transport opens its socket with ``open()`` (websocket-client's own ``WebSocket``,
connected on the caller's thread: an I/O lane) and hands it to ``watch()`` with a
``Receiver``. From then on the reader thread (``cxbus-ws-reader``) reads it with
websocket-client's frame reader whenever the selector says it is readable, sends it a
ping every ``ping_interval`` seconds, and counts it lost when no pong came back within
``ping_timeout``. The receiver is told of each text or binary message and, once, of the
loss: on the reader thread, so it must only hand them on (to a lane); no user code ever
runs here. A chat costs a socket, not a thread: the reader's work per frame is to read
it and hand it on.

A message whose last bytes are still on their way stops the reader for at most
``READ_TIMEOUT`` seconds; websocket-client keeps what it has read and the reader picks
the frame up where it left off.
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import itertools
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import attrs
import websocket

__all__ = ["Receiver", "Watch", "WebSocketReader", "websocket_reader"]

log = logging.getLogger("cxbus.runtime.websocket_reader")

READ_TIMEOUT = 0.02


class Receiver(Protocol):
    """Who hears of a watched socket; called on the reader thread, so hand on only."""

    def received(self, message: str | bytes) -> None:
        """A text (``str``) or binary (``bytes``) message came."""

    def lost(self, reason: str) -> None:
        """The socket is gone (closed by the server, failed, or silent): told once."""


@attrs.define(eq=False)
class Watch:
    """One watched socket; ``WebSocketReader.unwatch(watch)`` stops it."""

    connection: websocket.WebSocket
    raw: socket.socket
    """The socket under ``socket``, which the selector watches."""
    receiver: Receiver
    ping_interval: float
    ping_timeout: float
    next_ping: float
    ping_sent: float | None = None  # time.monotonic() of a ping whose pong is owed
    due: float = 0.0  # when the reader must look at it next: a ping, or a pong owed
    done: bool = False


class WebSocketReader:
    """The process's reader of WebSockets (see the module docstring)."""

    def __init__(self, name: str = "cxbus-ws-reader") -> None:
        self._name = name
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._selector.register(self._wake_reader, selectors.EVENT_READ)
        self._requests: collections.deque[Callable[[], None]] = collections.deque()
        self._watches: set[Watch] = set()  # the reader thread's, with the heap below
        # (due, order, watch): an entry whose due is no longer its watch's is stale.
        self._schedule: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @staticmethod
    def open(url: str, *, timeout: float, **options: Any) -> websocket.WebSocket:
        """Connect a WebSocket to ``url`` (blocking, up to ``timeout`` for each step of
        the connection and handshake); ``options`` are ``websocket.create_connection``'s
        (``header``, ``origin``, ``sslopt``, ...). Raises websocket-client's exceptions
        or ``OSError``.

        Its sends hold websocket-client's send lock, so a transport may send on it from
        its own thread while the reader pings it.
        """
        # Text frames are checked as UTF-8 where they are decoded, in C: websocket-client's
        # own check runs in Python and costs more than the rest of reading a frame.
        connected: websocket.WebSocket = websocket.create_connection(
            url, timeout=timeout, enable_multithread=True, skip_utf8_validation=True, **options
        )
        return connected

    def watch(
        self,
        connected: websocket.WebSocket,
        receiver: Receiver,
        *,
        ping_interval: float = 20.0,
        ping_timeout: float = 10.0,
    ) -> Watch:
        """Read ``connected`` on the reader thread from now on (any thread)."""
        raw = connected.sock
        if raw is None:
            raise ValueError("watch() takes a connected WebSocket; this one is closed.")
        connected.settimeout(READ_TIMEOUT)
        watch = Watch(
            connected,
            raw,
            receiver,
            ping_interval,
            ping_timeout,
            time.monotonic() + ping_interval,
        )
        self._request(lambda: self._add(watch))
        return watch

    def unwatch(self, watch: Watch) -> None:
        """Stop reading ``watch``'s socket and close it; its receiver hears nothing more."""
        watch.done = True
        self._request(lambda: self._remove(watch))

    # Any thread -------------------------------------------------------------------------

    def _request(self, change: Callable[[], None]) -> None:
        if self._thread is None:
            self._start()
        self._requests.append(change)
        with contextlib.suppress(BlockingIOError):  # full: the reader is being woken already
            self._wake_writer.send(b"\0")

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._wake_writer.setblocking(False)
                thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                thread.start()
                self._thread = thread

    # The reader thread ------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                self._turn()
            except Exception:  # a bug here must not stop every chat's reading
                log.exception("the WebSocket reader's turn failed")

    def _turn(self) -> None:
        timeout = None
        if self._schedule:
            timeout = max(0.0, self._schedule[0][0] - time.monotonic())
        for key, _ in self._selector.select(timeout):
            if key.fileobj is self._wake_reader:
                self._drain_requests()
            else:
                self._read(key.data)
        self._ping_or_give_up(time.monotonic())

    def _drain_requests(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._wake_reader.recv(4096):
                pass
        while self._requests:
            self._requests.popleft()()

    def _add(self, watch: Watch) -> None:
        if watch.done:
            self._close(watch)
            return
        try:
            self._selector.register(watch.raw, selectors.EVENT_READ, watch)
        except (ValueError, OSError, KeyError):  # closed meanwhile
            self._lose(watch, "the socket closed before it could be read")
            return
        self._watches.add(watch)
        self._look_again(watch, watch.next_ping)

    def _remove(self, watch: Watch) -> None:
        self._forget(watch)
        self._close(watch)
        self._let_go(watch)

    def _forget(self, watch: Watch) -> None:
        if watch in self._watches:
            self._watches.discard(watch)
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(watch.raw)

    @staticmethod
    def _close(watch: Watch) -> None:
        with contextlib.suppress(Exception):  # closing what is broken already
            watch.connection.close(timeout=0)  # a close frame, if the socket still takes one
        # The socket itself, always: close() does nothing once the server's close frame
        # came, and the socket would wait, half closed, for the collector.
        watch.connection.shutdown()  # type: ignore[no-untyped-call]

    def _lose(self, watch: Watch, reason: str) -> None:
        self._forget(watch)
        self._close(watch)
        if not watch.done:
            watch.done = True
            watch.receiver.lost(reason)
        self._let_go(watch)

    @staticmethod
    def _let_go(watch: Watch) -> None:
        """A watch that has ended hears nothing more, and keeps nothing of its owner: its
        schedule's entries wait until due (a ping, seconds away), its chat must not."""
        watch.receiver = _NOBODY

    def _read(self, watch: Watch) -> None:
        connected = watch.connection
        while not watch.done:
            try:
                opcode, frame = connected.recv_data_frame(control_frame=True)
            except websocket.WebSocketTimeoutException:
                return  # the rest of the frame is on its way: read on when it is here
            except websocket.WebSocketPayloadException as error:
                log.warning("skipping a frame the server sent malformed (%s)", error)
                return
            except (websocket.WebSocketException, OSError) as error:
                self._lose(watch, str(error) or type(error).__name__)
                return
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                self._lose(watch, "closed by the server")
                return
            if opcode == websocket.ABNF.OPCODE_PONG:
                watch.ping_sent = None
                self._look_again(watch, watch.next_ping)
            elif opcode == websocket.ABNF.OPCODE_TEXT:
                try:
                    text = frame.data.decode("utf-8")
                except UnicodeDecodeError as error:
                    log.warning("skipping a text frame that is not UTF-8 (%s)", error.reason)
                else:
                    watch.receiver.received(text)
            elif opcode == websocket.ABNF.OPCODE_BINARY:
                watch.receiver.received(frame.data)
            if not (isinstance(watch.raw, _SSLSocket) and watch.raw.pending()):
                return  # no more decrypted bytes held back from the selector: wait for it

    def _look_again(self, watch: Watch, due: float) -> None:
        watch.due = due
        heapq.heappush(self._schedule, (due, next(self._order), watch))

    def _ping_or_give_up(self, now: float) -> None:
        """Ping the sockets whose time has come; lose those whose pong is late."""
        while self._schedule and self._schedule[0][0] <= now:
            due, _, watch = heapq.heappop(self._schedule)
            if watch.done or due != watch.due:
                continue  # stale: the watch has moved on
            if watch.ping_sent is not None:
                self._lose(watch, f"no pong within {watch.ping_timeout:g} s")
                continue
            try:
                watch.connection.ping()
            except (websocket.WebSocketException, OSError) as error:
                self._lose(watch, str(error) or type(error).__name__)
                continue
            watch.ping_sent = now
            watch.next_ping = now + watch.ping_interval
            self._look_again(watch, now + watch.ping_timeout)


class _Nobody:
    """The receiver of a watch that has ended."""

    def received(self, message: str | bytes) -> None:
        pass

    def lost(self, reason: str) -> None:
        pass


_NOBODY = _Nobody()

try:
    from ssl import SSLSocket as _SSLSocket
except ImportError:  # Python built without ssl: no TLS sockets to look into
    _SSLSocket = type(None)  # type: ignore[misc, assignment]


_reader: WebSocketReader | None = None
_reader_lock = threading.Lock()


def websocket_reader() -> WebSocketReader:
    """The process's reader, made on first use."""
    global _reader
    if _reader is None:
        with _reader_lock:
            if _reader is None:
                _reader = WebSocketReader()
    return _reader
