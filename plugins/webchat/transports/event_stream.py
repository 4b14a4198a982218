"""The guest chat event stream: a websocket-client session on a thread of its own.

The reader thread only decodes frames and queues them; it runs no user code and
makes no REST call. It keeps the socket alive with ping/pong (a socket whose pong
does not come back within ``PING_TIMEOUT`` counts as dropped), and reattaches
after a drop or a ``socket_closing`` notice with capped exponential backoff and
full jitter. What happens to the socket is queued too, as ``Dropped``,
``Attached`` and ``Gone`` markers, in order with the frames.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import random
import socket
import threading
import time
from typing import Any, Union

import attrs
import websocket

from ..transport import GONE
from .frame_warnings import FrameWarnings

__all__ = ["Attached", "Dropped", "EventStream", "Gone", "StreamItem"]

log = logging.getLogger("cxbus.webchat.stream")

PING_INTERVAL = 20.0
PING_TIMEOUT = 10.0
# An attach whose socket is not open by then is given up (and tried again later).
HANDSHAKE_TIMEOUT = 15.0
# A socket that stayed open this long was a good one: the backoff starts over.
STABLE_AFTER = 30.0
CLOSING_TOPIC = "v2.system.socket_closing"


@attrs.frozen
class Attached:
    """The socket is open (again)."""

    first: bool


@attrs.frozen
class Dropped:
    """The socket went away; a reattach follows."""

    reason: str


@attrs.frozen
class Gone:
    """The server refused the stream (the conversation is over): no reattach."""

    status: int


StreamItem = Union[dict[str, Any], Attached, Dropped, Gone]


@attrs.define
class _Attach:
    """One try at attaching a socket, and what became of it."""

    first: bool
    watchdog: threading.Timer | None = None
    opened_at: float | None = None  # time.monotonic()
    error: Any = None


@attrs.define
class Backoff:
    """Capped exponential backoff with full jitter: ``uniform(0, min(cap, base * 2**n))``."""

    base: float = 0.5
    cap: float = 15.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2**attempt))


class EventStream:
    """Attach to ``uri`` and keep attached until ``close()``; frames go to ``items``."""

    def __init__(
        self, uri: str, backoff: Backoff | None = None, ca_bundle: str | None = None
    ) -> None:
        self.uri = uri
        self.backoff = backoff or Backoff()
        # TLS is verified (websocket-client's default), against ca_bundle when given.
        self._sslopt = {"ca_certs": ca_bundle} if ca_bundle else None
        self.items: queue.SimpleQueue[StreamItem | None] = queue.SimpleQueue()
        self.attached = threading.Event()  # set once the first socket opens, or is refused
        self.refused: int | None = None  # the HTTP status of a refused stream
        self._closed = threading.Event()
        self._warnings = FrameWarnings(log)  # the reader thread's
        self._app: websocket.WebSocketApp | None = None
        self._thread = threading.Thread(target=self._run, name="webchat-stream", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop for good: close the socket, end the thread, and end ``items`` with ``None``."""
        self._closed.set()
        if threading.current_thread() is self._thread:
            return
        # run_forever resets keep_running when it starts, so an interrupt that
        # lands between sockets is lost: interrupt again until the thread is gone.
        for _ in range(50):
            app = self._app
            if app is not None:
                _interrupt(app)
            self._thread.join(timeout=0.1)
            if not self._thread.is_alive():
                return

    def _run(self) -> None:
        tries = 0  # since the last socket that stayed up
        first = True
        while not self._closed.is_set():
            attach = _Attach(first)
            app = self._app = self._connect(attach)
            watchdog = threading.Timer(HANDSHAKE_TIMEOUT, _unless_opened, (app, attach))
            watchdog.daemon = True
            attach.watchdog = watchdog
            watchdog.start()
            app.run_forever(
                sslopt=self._sslopt, ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
            )
            watchdog.cancel()
            if self._closed.is_set():
                break
            status = getattr(attach.error, "status_code", None)
            if status in GONE:
                self.refused = status
                self.items.put(Gone(status))
                self.attached.set()  # whoever waits for the first attach learns it failed
                break
            if attach.opened_at is not None:
                first = False
                if time.monotonic() - attach.opened_at >= STABLE_AFTER:
                    tries = 0  # else a server that accepts and drops at once is not hammered
                self.items.put(Dropped(str(attach.error or "closed")))
            delay = self.backoff.delay(tries)
            tries += 1
            log.info(
                "event stream lost (%s); reattaching in %.2f s", attach.error or "closed", delay
            )
            self._closed.wait(delay)
        self.items.put(None)

    def _connect(self, attach: _Attach) -> websocket.WebSocketApp:
        """A socket for one attach; what became of it is written into ``attach``."""

        def failed(app: websocket.WebSocketApp, error: Any) -> None:
            attach.error = attach.error or error

        return websocket.WebSocketApp(
            self.uri,
            on_open=lambda app: self._opened(attach),
            on_message=lambda app, text: self._received(app, text),
            on_error=failed,
        )

    def _opened(self, attach: _Attach) -> None:
        attach.opened_at = time.monotonic()
        if attach.watchdog is not None:
            attach.watchdog.cancel()  # its thread ends now, not after HANDSHAKE_TIMEOUT
        self.items.put(Attached(attach.first))
        self.attached.set()

    def _received(self, app: websocket.WebSocketApp, text: Any) -> None:
        # Nothing may escape: websocket-client would take it for the socket's failure.
        try:
            frame = json.loads(text)
        except (ValueError, TypeError, RecursionError) as error:  # bad UTF-8 is a ValueError
            size = len(text) if isinstance(text, (str, bytes)) else 0
            self._warnings.warn(
                "skipping a frame that is not JSON (%d bytes: %s)", size, type(error).__name__
            )
            return
        if not isinstance(frame, dict):
            self._warnings.warn("skipping a frame that is not a JSON object")
            return
        if frame.get("topicName") == CLOSING_TOPIC:
            app.close()  # the server closes soon anyway: reattach now
            return
        self.items.put(frame)


def _unless_opened(app: websocket.WebSocketApp, attach: _Attach) -> None:
    """The handshake watchdog: give up an attach whose socket has not opened."""
    if attach.opened_at is None:
        attach.error = attach.error or f"no handshake within {HANDSHAKE_TIMEOUT:g} s"
        _interrupt(app)


def _interrupt(app: websocket.WebSocketApp) -> None:
    """Make ``app.run_forever`` return now.

    ``app.close()`` alone leaves the reader in its select until the ping timeout
    (epoll does not report a descriptor closed under it); shutting the socket down
    wakes it with an end of file.
    """
    app.keep_running = False
    connection = app.sock
    raw = getattr(connection, "sock", None)
    if raw is not None:
        with contextlib.suppress(OSError):
            raw.shutdown(socket.SHUT_RDWR)
