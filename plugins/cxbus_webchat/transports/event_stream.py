"""The guest chat event stream of one chat, read by the process's WebSocket reader.

The socket is websocket-client's, read by ``cxbus.runtime.websocket_reader`` (on the
loop thread, with every socket of the process; it also pings them and counts a silent
one lost).
A frame is decoded on the loop thread as it is read. Everything else the stream does
runs on its chat's *stream lane* (a lane of ``cxbus.runtime.threads``'s I/O pool), one
thing at a time: handing on the frames, and reattaching after a drop or a
``socket_closing`` notice, with capped exponential backoff and full jitter (the waits
are the loop's timers, not threads). A handshake that stalls is given up after
``HANDSHAKE_TIMEOUT``.

What happens is handed to ``on_item`` in order: decoded frames (dicts), and
``Attached``, ``Dropped`` and ``Gone`` markers. A frame that ``at_once`` says needs no
waiting (no REST call), found with the lane idle, is handed on right on the loop
thread, as the lane's next job (``Lane.run_here_or_submit``); the rest on the lane.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs
import websocket

from cxbus.runtime.frame_warnings import FrameWarnings
from cxbus.runtime.threads import Lane, Timer, runtime
from cxbus.runtime.websocket_reader import Watch, websocket_reader

from ..transport import GONE

__all__ = ["Attached", "Dropped", "EventStream", "Gone", "StreamItem", "StreamRefused"]

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
    """The socket is open again (after a drop)."""


@attrs.frozen
class Dropped:
    """The socket went away; a reattach follows."""

    reason: str


@attrs.frozen
class Gone:
    """The server refused the stream (the conversation is over): no reattach."""

    status: int


StreamItem = dict[str, Any] | Attached | Dropped | Gone


class StreamRefused(Exception):
    """The first attach failed; ``status`` is the HTTP status of a refusal, if any."""

    def __init__(self, reason: str, status: int | None) -> None:
        super().__init__(reason)
        self.status = status


@attrs.define
class Backoff:
    """Capped exponential backoff with full jitter: ``uniform(0, min(cap, base * 2**n))``."""

    base: float = 0.5
    cap: float = 15.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2**attempt))


class EventStream:
    """One chat's stream at ``uri``: ``attach()`` once, then it keeps attached until
    ``close()``. ``on_item`` is called on ``lane`` with what happens."""

    def __init__(
        self,
        uri: str,
        lane: Lane,
        on_item: Callable[[StreamItem], None],
        at_once: Callable[[dict[str, Any]], bool],
        ca_bundle: str | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.uri = uri
        self.backoff = backoff or Backoff()
        self._lane = lane
        self._on_item = on_item
        self._at_once = at_once
        # TLS is verified (websocket-client's default), against ca_bundle when given.
        self._sslopt = {"ca_certs": ca_bundle} if ca_bundle else {}
        self._closed = threading.Event()
        self._watch: Watch | None = None
        self._retry: Timer | None = None
        self._tries = 0  # reattaches since the last socket that stayed up
        self._opened_at = 0.0  # time.monotonic()
        self._warnings = FrameWarnings(log)  # the loop thread's

    def attach(self) -> None:
        """Open the socket, on the caller's thread; ``StreamRefused`` if it cannot be."""
        error = self._connect()
        if error is not None:
            raise StreamRefused(*error)

    def close(self) -> None:
        """Stop for good (any thread): close the socket, attach no more."""
        self._closed.set()
        retry, watch = self._retry, self._watch
        if retry is not None:
            retry.cancel()
        if watch is not None:
            websocket_reader().unwatch(watch)

    def _connect(self) -> tuple[str, int | None] | None:
        """Open and watch a socket; ``None``, or why not and the refusal's status."""
        try:
            connected = websocket_reader().open(
                self.uri, timeout=HANDSHAKE_TIMEOUT, sslopt=self._sslopt
            )
        except websocket.WebSocketBadStatusException as refused:
            return f"the stream was refused with status {refused.status_code}", refused.status_code
        except (websocket.WebSocketException, OSError) as error:
            return str(error) or type(error).__name__, None
        if self._closed.is_set():  # closed while connecting
            connected.close(timeout=0)
            return None
        self._opened_at = time.monotonic()
        self._watch = websocket_reader().watch(
            connected, self, ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
        )
        return None

    # The loop thread: decode, and hand on -----------------------------------------------

    def received(self, message: str | bytes) -> None:
        frame = self._decoded(message)
        if frame is not None:
            self._lane.run_here_or_submit(
                functools.partial(self._frame, frame), functools.partial(self._quick, frame)
            )

    def lost(self, reason: str) -> None:
        self._lane.submit(functools.partial(self._dropped, reason))

    def _decoded(self, message: str | bytes) -> dict[str, Any] | None:
        if self._closed.is_set():
            return None
        try:
            frame = json.loads(message)
        except (ValueError, TypeError, RecursionError) as error:  # bad UTF-8 is a ValueError
            self._warnings.warn(
                "skipping a frame that is not JSON (%d bytes: %s)",
                len(message),
                type(error).__name__,
            )
            return None
        if not isinstance(frame, dict):
            self._warnings.warn("skipping a frame that is not a JSON object")
            return None
        return frame

    def _quick(self, frame: dict[str, Any]) -> bool:
        """Whether handing ``frame`` on will not wait (asked with the lane held)."""
        return frame.get("topicName") == CLOSING_TOPIC or self._at_once(frame)

    # The stream lane (or the loop thread, as the lane's next job) -------------------------

    def _frame(self, frame: dict[str, Any]) -> None:
        if self._closed.is_set():
            return
        if frame.get("topicName") == CLOSING_TOPIC:
            self._move_on()  # the server closes this socket soon: reattach now
        else:
            self._on_item(frame)

    def _move_on(self) -> None:
        watch, self._watch = self._watch, None
        if watch is not None:
            websocket_reader().unwatch(watch)
        self._dropped("the server announced it closes the socket")

    def _dropped(self, reason: str) -> None:
        if self._closed.is_set():
            return
        self._watch = None
        if time.monotonic() - self._opened_at >= STABLE_AFTER:
            self._tries = 0  # else a server that accepts and drops at once is not hammered
        self._on_item(Dropped(reason))
        self._reattach_later(reason)

    def _reattach_later(self, reason: str) -> None:
        delay = self.backoff.delay(self._tries)
        self._tries += 1
        log.info("event stream lost (%s); reattaching in %.2f s", reason, delay)
        self._retry = runtime().loop.call_later(
            delay, functools.partial(self._lane.submit, self._reattach)
        )

    def _reattach(self) -> None:
        if self._closed.is_set():
            return
        failure = self._connect()
        if failure is None:
            if not self._closed.is_set():
                self._on_item(Attached())
            return
        reason, status = failure
        if status in GONE:
            self._on_item(Gone(status))
        else:
            self._reattach_later(reason)
