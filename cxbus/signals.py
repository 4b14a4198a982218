"""The bus's instrumentation signals, for tracers, debug tools and tests.

Blinker signals sent with the bus as sender, only while something is connected, so
they cost nothing otherwise. Connect with ``sender=bus`` to hear one bus only::

    cxbus.signals.event_published.connect(print_event, sender=bus)
"""

from __future__ import annotations

import logging
from typing import Any

from blinker import NamedSignal, Namespace

__all__ = [
    "command_dispatched",
    "command_settled",
    "event_published",
    "notify",
    "plugin_registered",
    "plugin_unregistered",
]

log = logging.getLogger("cxbus.signals")

_signals = Namespace()

plugin_registered = _signals.signal(
    "plugin-registered", doc="A plugin was registered; kwargs: ``plugin``."
)
plugin_unregistered = _signals.signal(
    "plugin-unregistered", doc="A plugin was unregistered; kwargs: ``plugin``."
)
command_dispatched = _signals.signal(
    "command-dispatched",
    doc="A command passed its hooks and goes to its handler; kwargs: ``call``.",
)
command_settled = _signals.signal(
    "command-settled",
    doc="A command's deferred settled; kwargs: ``call``, ``state``, ``value``.",
)
event_published = _signals.signal(
    "event-published", doc="An event was published; kwargs: ``event``."
)


def notify(signal: NamedSignal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal``; a receiver that raises is logged, never raised into the bus."""
    try:
        signal.send(sender, **kwargs)
    except KeyboardInterrupt:
        raise
    except BaseException:  # SystemExit too: a receiver never ends the bus's caller
        log.exception("a receiver of signal %r raised", signal.name)
