"""Reading history once a session is back: what was missed, in order, once each.

After a socket comes back (or a stored session is resumed) the conversation reads
the history (newest first) page by page until a page holds a message it has seen,
or the history ends. ``CatchUp`` gathers what it has not seen (the live messages that
come meanwhile wait in ``states.CatchingUp``, and go on once the gap is filled). Messages are
known by their ``id`` or their ``channel.messageId`` (the JavaScript SDK keys history
on the one, frames carry both).

The requests the lost socket left unanswered may or may not have reached the
server. ``settle_unfinished`` decides, for each guest message among them, by the new
inbound messages of the history: one of the same type, text and content, not taken
by an earlier request, is that message delivered (ours: a twin typed on another
device at that very moment would be taken for it); the others are sent again.
Pure: the machine gives it pages and takes back messages.
"""

from __future__ import annotations

import datetime
from collections.abc import Container, Iterable

import attrs

from .guest_api import HistoryPage, Request, StructuredMessage

__all__ = ["CatchUp", "in_time_order", "is_known", "keys"]

_NEVER = datetime.datetime.max.replace(tzinfo=datetime.timezone.utc)


def keys(message: StructuredMessage) -> set[str]:
    """The ids a message is known by."""
    found = {message.id}
    if message.channel.message_id:
        found.add(message.channel.message_id)
    return found


def is_known(message: StructuredMessage, seen: Container[str]) -> bool:
    return message.id in seen or message.channel.message_id in seen


def in_time_order(messages: Iterable[StructuredMessage]) -> list[StructuredMessage]:
    """By ``channel.time``, oldest first; messages without a time last, as they came."""
    return sorted(messages, key=lambda message: message.channel.timestamp or _NEVER)


@attrs.frozen
class CatchUp:
    """One reading of the history. ``restoring``: a stored session resumed (``restored``
    gets the first page); else a gap after a lost socket."""

    restoring: bool
    unfinished: tuple[Request, ...] = ()
    page_number: int = 1
    """The page to read next."""
    first_page: HistoryPage | None = None
    found: tuple[StructuredMessage, ...] = ()

    def take(self, page: HistoryPage, seen: Container[str]) -> tuple[CatchUp, bool]:
        """The reading with one more page, and whether it is done."""
        found = list(self.found)
        reached_known = False
        for message in page.messages:
            if is_known(message, seen):
                reached_known = True
            elif not any(keys(message) & keys(other) for other in found):
                found.append(message)
        after = attrs.evolve(
            self,
            page_number=self.page_number + 1,
            first_page=page if self.first_page is None else self.first_page,
            found=tuple(found),
        )
        return after, self.restoring or reached_known or page.last or not page.messages

    def new_messages(self) -> list[StructuredMessage]:
        """What the history holds that was not seen, oldest first."""
        return in_time_order(self.found)

    def settle_unfinished(self) -> tuple[dict[str, StructuredMessage], list[Request]]:
        """The guest messages among ``unfinished`` that the history shows delivered (by
        tracingId), and the requests to send again, in order."""
        delivered: dict[str, StructuredMessage] = {}
        again: list[Request] = []
        candidates = [m for m in self.new_messages() if m.inbound]
        for request in self.unfinished:
            if request.action in ("configureSession", "getJwt", "echo", "closeSession"):
                continue  # the reconnection asks for these afresh
            sent = request.payload.get("message")
            if request.action != "onMessage" or not isinstance(sent, dict):
                again.append(request)
                continue
            if _is_typing(sent):
                continue  # typing that went missing is stale by now
            twin = next((m for m in candidates if _same(sent, m)), None)
            if twin is None:
                again.append(request)
            else:
                candidates.remove(twin)
                delivered[request.tracing_id] = twin
        return delivered, again


def _is_typing(sent: dict[str, object]) -> bool:
    events = sent.get("events")
    return isinstance(events, list) and any(
        isinstance(e, dict) and e.get("eventType") == "Typing" for e in events
    )


def _kinds(content: object) -> list[object]:
    if not isinstance(content, list):
        return []
    return [entry.get("contentType") for entry in content if isinstance(entry, dict)]


def _presences(events: object) -> list[object]:
    if not isinstance(events, list):
        return []
    return [
        (event.get("presence") or {}).get("type")
        for event in events
        if isinstance(event, dict) and isinstance(event.get("presence") or {}, dict)
    ]


def _same(sent: dict[str, object], message: StructuredMessage) -> bool:
    """Whether ``message`` (from the history) is what the request ``sent``."""
    raw = message.raw
    return (
        sent.get("type") == raw.get("type")
        and (sent.get("text") or "") == (raw.get("text") or "")
        and _kinds(sent.get("content")) == _kinds(raw.get("content"))
        and _presences(sent.get("events")) == _presences(raw.get("events"))
    )
