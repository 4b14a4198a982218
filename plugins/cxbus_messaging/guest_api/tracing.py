"""Matching each answer from the server to the request it answers, by ``tracingId``.

Every request carries a fresh ``tracingId`` (``new_tracing_id``, in ``actions``,
where requests are made) and the server repeats it in the answer (and in the echo
of a guest's message). The official SDKs' test fixtures show some answers without one, so
``PendingRequests`` also matches those: by the class that answers a request (and
the file it is about), oldest first; an error without a ``tracingId`` goes to the
oldest request still waiting for an answer. Not thread-safe: one thread of control
owns it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .actions import Request

if TYPE_CHECKING:
    from .frames import Frame

__all__ = ["PendingRequests"]


class PendingRequests:
    """The requests sent and not answered yet, in the order they were sent."""

    def __init__(self) -> None:
        self._sent: dict[str, tuple[Request, float]] = {}

    def __len__(self) -> int:
        return len(self._sent)

    def __contains__(self, tracing_id: object) -> bool:
        return tracing_id in self._sent

    def add(self, request: Request, now: float) -> None:
        """``request`` was sent at ``now`` (any clock the caller keeps using)."""
        self._sent.pop(request.tracing_id, None)  # the health check reuses its id
        self._sent[request.tracing_id] = (request, now)

    def match(self, frame: Frame) -> Request | None:
        """The request ``frame`` answers, no longer pending; ``None`` if it answers none."""
        if frame.tracing_id is not None:
            found = self._sent.pop(frame.tracing_id, None)
            return found[0] if found is not None else None
        if frame.frame_class == "StructuredMessage":
            # Without a tracingId only the health check's answer is known for what it is.
            return self._pop_first(lambda r: r.action == "echo") if frame.is_response else None
        attachment_id = getattr(frame.body, "attachment_id", None)
        answered = self._pop_first(
            lambda r: (
                frame.frame_class in r.answered_by
                and (attachment_id is None or r.attachment_id in (None, attachment_id))
            )
        )
        if answered is None and frame.is_error:
            answered = self._pop_first(lambda r: bool(r.answered_by)) or self._pop_first(
                lambda r: True
            )
        return answered

    def overdue(self, now: float, timeout: float) -> list[Request]:
        """The requests sent ``timeout`` or more before ``now``, no longer pending."""
        late = [tid for tid, (_, sent) in self._sent.items() if sent <= now - timeout]
        return [self._sent.pop(tid)[0] for tid in late]

    def drain(self) -> list[Request]:
        """Every pending request, oldest first, none pending after (the socket went away)."""
        drained = [request for request, _ in self._sent.values()]
        self._sent.clear()
        return drained

    def _pop_first(self, wanted: Callable[[Request], bool]) -> Request | None:
        for tracing_id, (request, _) in self._sent.items():
            if wanted(request):
                del self._sent[tracing_id]
                return request
        return None
