"""Debug tracing of a bus: every command, its answer and every event, secrets masked.

A bus created while the ``cxbus`` logger is enabled for DEBUG traces itself (as
``CXBus.configure({debug: true})`` does); ``trace(bus)`` turns it on for any bus.
Tracing listens to the instrumentation signals, so an untraced bus pays nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from cxbus import signals
from cxbus.messages import CommandCall, Event
from cxbus.redaction import redact

__all__ = ["trace"]

log = logging.getLogger("cxbus.trace")


def trace(bus: object) -> None:
    """Log every command, answer and event of ``bus`` at DEBUG on ``cxbus.trace``.

    ``bus`` is a ``Bus``: any sender of ``cxbus.signals`` (this module sits below the bus,
    which traces itself when made).
    """
    signals.command_dispatched.connect(_dispatched, sender=bus)
    signals.command_settled.connect(_settled, sender=bus)
    signals.event_published.connect(_published, sender=bus)


def _dispatched(bus: object, *, call: CommandCall) -> None:
    log.debug("command %s from %s: %r", call.command, call.commander or "-", redact(call.data))


def _settled(bus: object, *, call: CommandCall, state: str, value: Any) -> None:
    log.debug("command %s %s: %r", call.command, state, redact(value))


def _published(bus: object, *, event: Event) -> None:
    log.debug("event %s: %r", event.name, redact(event.data))
