"""When the next request may go out: under the service's rate limits, never refused for them.

The guest API counts, in sliding windows (the web messaging rows of Genesys Cloud's
*Limits* page): requests per connection per minute (60), and messages per session per
second (5). ``Pacer`` keeps a client-side log of what was sent and says how long the
next request must wait. It paces a little under each limit, over a window a little
longer than the server's, so that requests that travel at different speeds still arrive
under it: ours, the margins (a tenth of a minute's requests, one message a second, 10 %
of each window). A ``TooManyRequestsErrorMessage`` still pauses everything for its
``retryAfter``. Pure: the caller gives the time (``time.monotonic()``)."""

from __future__ import annotations

import attrs

from .guest_api import Request

__all__ = ["Pacer", "SlidingWindow"]

# The windows the client counts in are this much longer than the server's.
WINDOW_MARGIN = 1.1


@attrs.define
class SlidingWindow:
    """At most ``limit`` events in any ``seconds``."""

    limit: int
    seconds: float
    times: tuple[float, ...] = ()
    """When the events in the window happened, oldest first. A tuple, made anew on each
    change (a window holds a minute's requests at most), because the garbage collector
    stops tracking a tuple of numbers; a deque it would walk in every full collection,
    two a conversation."""

    def wait(self, now: float) -> float:
        """Seconds until one more event may happen (0: now)."""
        times, gone = self.times, 0
        while gone < len(times) and times[gone] <= now - self.seconds:
            gone += 1
        if gone:
            self.times = times[gone:]
        if len(self.times) < self.limit:
            return 0.0
        return self.times[0] + self.seconds - now

    def take(self, now: float) -> None:
        self.times = (*self.times, now)


def _is_message(request: Request) -> bool:
    return request.action == "onMessage"


@attrs.define
class Pacer:
    """The request and message windows of one conversation, and a 429's pause."""

    requests: SlidingWindow
    messages: SlidingWindow
    paused_until: float = 0.0

    @classmethod
    def under(cls, requests_per_minute: int, messages_per_second: int) -> Pacer:
        """A pacer for the service's limits (what it counts, per minute and per second)."""
        return cls(
            SlidingWindow(
                max(1, requests_per_minute - max(1, requests_per_minute // 10)),
                60.0 * WINDOW_MARGIN,
            ),
            SlidingWindow(max(1, messages_per_second - 1), 1.0 * WINDOW_MARGIN),
        )

    def wait(self, request: Request, now: float) -> float:
        """Seconds ``request`` must wait before it goes (0: it may go now)."""
        waits = [self.paused_until - now, self.requests.wait(now)]
        if _is_message(request):
            waits.append(self.messages.wait(now))
        return max(0.0, *waits)

    def sent(self, request: Request, now: float) -> None:
        self.requests.take(now)
        if _is_message(request):
            self.messages.take(now)

    def pause(self, seconds: float, now: float) -> None:
        """The server refused with a 429: nothing goes for ``seconds``."""
        self.paused_until = max(self.paused_until, now + seconds)

    def new_connection(self) -> None:
        """A new socket: its request count starts afresh (the session's messages and a
        429's pause do not)."""
        self.requests.times = ()
