"""What the ``GuestSocket`` tells the conversation machine, unasked (``Updated`` inputs).

Each is handed in through the ``report`` of the ``Connect`` call that opened the
socket, so it carries that socket's generation: the machine drops what comes from a
socket it has moved on from.
"""

from __future__ import annotations

import attrs

from .guest_api import Frame, Request

__all__ = ["Answered", "HealthChecked", "Pushed", "SocketLost", "Update"]


@attrs.frozen
class Answered:
    """``frame`` answers ``request`` (its tracingId, or its class: see ``PendingRequests``);
    an error frame too. A 429 never gets here: the socket waits and sends again."""

    request: Request
    frame: Frame


@attrs.frozen
class Pushed:
    """The server sent ``frame`` on its own: a message, typing, an upload's outcome..."""

    frame: Frame


@attrs.frozen
class HealthChecked:
    """The echo health check came back (its metadata has the session's timing)."""

    frame: Frame


@attrs.frozen
class SocketLost:
    """The socket is gone (closed, failed, silent, or a request went unanswered).

    ``unfinished``: the requests sent and not answered, then those not sent yet, in
    the order they were handed over: the machine decides what to send again.
    """

    reason: str
    unfinished: tuple[Request, ...] = ()


Update = Answered | Pushed | HealthChecked | SocketLost
