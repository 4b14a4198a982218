"""Every WebSocket of the process, read on the loop thread and kept alive with pings.

A transport opens its socket with ``open()`` (websocket-client's own ``WebSocket``,
connected on the caller's thread: an I/O lane) and hands it to ``watch()`` with a
``Receiver``. From then on the process's loop (``cxbus.runtime.threads``) reads it
with websocket-client's frame reader whenever its selector says it is readable,
sends it a ping every ``ping_interval`` seconds, and counts it lost when no pong came
back within ``ping_timeout``. The receiver is told of each text or binary message and,
once, of the loss, on the loop thread: it may do a chat's loop-thread work at once,
and hands user code on to a lane. A chat costs a socket, not a thread.

Reading never waits: once watched, a socket is non-blocking, and a frame whose last
bytes are still on their way stays in websocket-client's frame buffer until they
come, while the loop reads the other sockets. A send from another thread waits (up to
the timeout the socket was opened with) for room in the socket's buffer; a send from
the loop thread (a ping, or a chat's request) never waits: a socket that takes no
more is a server that no longer reads, and the send fails.
"""

from __future__ import annotations

import functools
import logging
import selectors
import socket
import ssl
import threading
from typing import Any, Protocol

import attrs
import websocket

from cxbus.runtime.threads import Loop, Timer, runtime

__all__ = ["LoopWebSocket", "Receiver", "Watch", "WebSocketReader", "websocket_reader"]

log = logging.getLogger("cxbus.runtime.websocket_reader")

# A ping that finds a send under way on another thread tries again this much later.
PING_DEFERRED = 1.0


class Receiver(Protocol):
    """Who hears of a watched socket; called on the loop thread, so never blocks."""

    def received(self, message: str | bytes) -> None:
        """A text (``str``) or binary (``bytes``) message came."""

    def lost(self, reason: str) -> None:
        """The socket is gone (closed by the server, failed, or silent): told once."""


class _Unread(Exception):
    """The socket has no more bytes for now: the frame under way waits for the rest."""


class LoopWebSocket(websocket.WebSocket):
    """websocket-client's ``WebSocket``, read by the loop without waiting.

    Once watched, its socket is non-blocking: ``_recv`` (what websocket-client's frame
    buffer reads through) raises ``_Unread`` when nothing is there, and the frame
    buffer keeps what it has read so far; ``_send`` waits for room in the socket's
    buffer, except on the loop thread.
    """

    loop: Loop | None = None
    """The loop that reads it, once watched."""

    def _recv(self, bufsize: int) -> bytes:
        sock = self.sock
        if sock is None:
            raise websocket.WebSocketConnectionClosedException("the socket is closed")
        try:
            data = sock.recv(bufsize)
        except (BlockingIOError, ssl.SSLWantReadError):
            raise _Unread from None
        if not data:
            raise websocket.WebSocketConnectionClosedException("the server closed the socket")
        return data

    def _send(self, data: str | bytes) -> int:
        sock = self.sock
        if sock is None:
            raise websocket.WebSocketConnectionClosedException("the socket is closed")
        if isinstance(data, str):
            data = data.encode("utf-8")
        while True:
            try:
                return sock.send(data)
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                pass
            except ssl.SSLEOFError:
                raise websocket.WebSocketConnectionClosedException("the socket is closed") from None
            if self.loop is None or self.loop.in_loop() or not _room_to_send(sock, self.timeout):
                raise websocket.WebSocketTimeoutException("the socket takes no more bytes")

    @property
    def timeout(self) -> float | None:
        """How long a send from another thread waits for room: the opening timeout."""
        timeout: float | None = self.sock_opt.timeout
        return timeout


def _room_to_send(sock: socket.socket, timeout: float | None) -> bool:
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_WRITE)
        return bool(selector.select(timeout))


@attrs.define(eq=False)
class Watch:
    """One watched socket; ``WebSocketReader.unwatch(watch)`` stops it."""

    connection: LoopWebSocket
    raw: socket.socket
    """The socket under ``connection``, which the loop's selector watches."""
    receiver: Receiver
    ping_interval: float
    ping_timeout: float
    timer: Timer | None = None  # the next ping, or the deadline of the pong owed
    done: bool = False


class WebSocketReader:
    """The WebSockets read by ``loop`` (see the module docstring)."""

    def __init__(self, loop: Loop) -> None:
        self._loop = loop

    @staticmethod
    def open(url: str, *, timeout: float, **options: Any) -> LoopWebSocket:
        """Connect a WebSocket to ``url`` (blocking, up to ``timeout`` for each step of
        the connection and handshake); ``options`` are ``websocket.create_connection``'s
        (``header``, ``origin``, ``sslopt``, ...). Raises websocket-client's exceptions
        or ``OSError``.

        Its sends hold websocket-client's send lock, so a transport may send on it from
        its own thread while the loop pings it.
        """
        # Text frames are checked as UTF-8 where they are decoded, in C: websocket-client's
        # own check runs in Python and costs more than the rest of reading a frame.
        connected = websocket.create_connection(
            url,
            timeout=timeout,
            class_=LoopWebSocket,
            enable_multithread=True,
            skip_utf8_validation=True,
            **options,
        )
        assert isinstance(connected, LoopWebSocket)  # class_ made it
        return connected

    def watch(
        self,
        connected: LoopWebSocket,
        receiver: Receiver,
        *,
        ping_interval: float = 20.0,
        ping_timeout: float = 10.0,
    ) -> Watch:
        """Read ``connected`` on the loop thread from now on (any thread)."""
        raw = connected.sock
        if raw is None:
            raise ValueError("watch() takes a connected WebSocket; this one is closed.")
        connected.loop = self._loop
        raw.setblocking(False)
        watch = Watch(connected, raw, receiver, ping_interval, ping_timeout)
        self._loop.call(functools.partial(self._add, watch))
        return watch

    def unwatch(self, watch: Watch) -> None:
        """Stop reading ``watch``'s socket and close it; its receiver hears nothing more
        (any thread)."""
        watch.done = True
        self._loop.call(functools.partial(self._remove, watch))

    # The loop thread ------------------------------------------------------------------

    def _add(self, watch: Watch) -> None:
        if watch.done:
            self._close(watch)
            return
        try:
            self._loop.watch_readable(watch.raw, functools.partial(self._read, watch))
        except (ValueError, OSError, KeyError):  # closed meanwhile
            self._lose(watch, "the socket closed before it could be read")
            return
        self._later(watch, watch.ping_interval, self._ping)
        self._read(watch)  # what came before it was watched

    def _remove(self, watch: Watch) -> None:
        self._forget(watch)
        self._close(watch)

    def _forget(self, watch: Watch) -> None:
        """Stop reading and pinging ``watch``; it keeps nothing of its owner any more."""
        self._loop.unwatch_readable(watch.raw)
        if watch.timer is not None:
            watch.timer.cancel()
            watch.timer = None
        watch.receiver = _NOBODY

    @staticmethod
    def _close(watch: Watch) -> None:
        try:
            watch.connection.close(timeout=0)  # a close frame, if the socket still takes one
        except Exception as error:  # closing what is broken already
            log.debug("a close frame could not be sent (%s)", type(error).__name__)
        # The socket itself, always: close() does nothing once the server's close frame
        # came, and the socket would wait, half closed, for the collector.
        watch.connection.shutdown()  # type: ignore[no-untyped-call]

    def _lose(self, watch: Watch, reason: str) -> None:
        receiver = watch.receiver
        self._forget(watch)
        self._close(watch)
        if not watch.done:
            watch.done = True
            receiver.lost(reason)

    def _read(self, watch: Watch) -> None:
        """Every whole message the socket has now; what is left of a frame waits."""
        connected = watch.connection
        while not watch.done:
            try:
                opcode, frame = connected.recv_data_frame(control_frame=True)
            except _Unread:
                return
            except websocket.WebSocketPayloadException as error:
                log.warning("skipping a frame the server sent malformed (%s)", error)
                continue
            except (websocket.WebSocketException, OSError) as error:
                self._lose(watch, str(error) or type(error).__name__)
                return
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                self._lose(watch, "closed by the server")
                return
            if opcode == websocket.ABNF.OPCODE_PONG:
                self._later(watch, watch.ping_interval, self._ping)
            elif opcode == websocket.ABNF.OPCODE_TEXT:
                try:
                    text = frame.data.decode("utf-8")
                except UnicodeDecodeError as error:
                    log.warning("skipping a text frame that is not UTF-8 (%s)", error.reason)
                else:
                    watch.receiver.received(text)
            elif opcode == websocket.ABNF.OPCODE_BINARY:
                watch.receiver.received(frame.data)

    def _later(self, watch: Watch, delay: float, then: Any) -> None:
        if watch.timer is not None:
            watch.timer.cancel()
        watch.timer = self._loop.call_later(delay, functools.partial(then, watch))

    def _ping(self, watch: Watch) -> None:
        if watch.done:
            return
        if watch.connection.lock.locked():  # another thread sends: ping a little later
            self._later(watch, PING_DEFERRED, self._ping)
            return
        try:
            watch.connection.ping()
        except (websocket.WebSocketException, OSError) as error:
            self._lose(watch, str(error) or type(error).__name__)
            return
        self._later(watch, watch.ping_timeout, self._pong_late)

    def _pong_late(self, watch: Watch) -> None:
        if not watch.done:
            self._lose(watch, f"no pong within {watch.ping_timeout:g} s")


class _Nobody:
    """The receiver of a watch that has ended."""

    def received(self, message: str | bytes) -> None:
        pass

    def lost(self, reason: str) -> None:
        pass


_NOBODY = _Nobody()

_reader: WebSocketReader | None = None
_reader_lock = threading.Lock()


def websocket_reader() -> WebSocketReader:
    """The process's reader, on the process's loop; made on first use."""
    global _reader
    if _reader is None:
        with _reader_lock:
            if _reader is None:
                _reader = WebSocketReader(runtime().loop)
    return _reader
