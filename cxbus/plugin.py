"""Plugin: the handle a plugin gets from ``Bus.register_plugin``.

Everything a plugin does on the bus goes through its handle, so the bus always knows
who is calling: commands carry the commander's name, events the publisher's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from cxbus import signals
from cxbus.deferred import Deferred
from cxbus.messages import Event
from cxbus.subscriptions import Route, Subscriber, Subscription, check_name

if TYPE_CHECKING:
    from cxbus.bus import Bus, Handler, Hook

__all__ = ["Plugin"]

log = logging.getLogger("cxbus.bus")

H = TypeVar("H", bound="Handler")
_time = time.time
_published_receivers = signals.event_published.receivers  # live dict; see cxbus.bus
_MISSING: Any = object()


class Plugin:
    """A plugin registered on a bus under ``name``.

    Made by ``Bus.register_plugin``; not meant to be built by hand.
    """

    def __init__(
        self,
        bus: Bus,
        name: str,
        config_section: str | None,
        on_unregister: Callable[[], None] | None,
    ) -> None:
        self.bus = bus
        self.name = name
        self.config_section = config_section
        self.on_unregister = on_unregister
        self.is_ready = False
        self.events: tuple[str, ...] = ()
        # Event name -> (full name, subscribers): the bus's cache for publish.
        self._routes: dict[str, Route] = {}

    def __repr__(self) -> str:
        return f"<Plugin {self.name}{'' if self.is_ready else ' (not ready)'}>"

    @property
    def commands(self) -> list[str]:
        """The names of this plugin's commands, without the namespace."""
        return self.bus._commands_of(self)

    @property
    def private_commands(self) -> list[str]:
        """The names of this plugin's private commands (only it may call them), without
        the namespace."""
        return self.bus._commands_of(self, private=True)

    # Commands -----------------------------------------------------------------

    @overload
    def register_command(self, name: str, handler: H, *, private: bool = ...) -> H: ...

    @overload
    def register_command(
        self, name: str, handler: None = ..., *, private: bool = ...
    ) -> Callable[[H], H]: ...

    def register_command(
        self, name: str, handler: H | None = None, *, private: bool = False
    ) -> H | Callable[[H], H]:
        """Register ``handler`` as command ``"<Plugin>.<name>"``; also a decorator.

        The handler gets a ``CommandCall``. Its return value resolves the command; a
        returned Deferred or Future is adopted; ``raise CommandRejected(reason)``
        rejects with ``reason``; any other exception rejects with it and is logged.
        To answer later, settle ``call.deferred`` and return it. A ``private``
        command rejects every commander but this plugin.
        """
        if handler is None:

            def decorate(function: H) -> H:
                self.register_command(name, function, private=private)
                return function

            return decorate
        self.bus._register_command(self, name, handler, private)
        return handler

    def command(self, command: str, data: Any = None) -> Deferred:
        """Call ``"Namespace.command"`` with ``data`` as this plugin; never raises."""
        return self.bus._dispatch(command, data, self.name)

    def before(self, command: str, hook: Hook) -> None:
        """Run ``hook(call)`` before the handler of ``"Namespace.command"``.

        A hook may replace ``call.data``, or veto the call by raising
        ``CommandRejected(reason)``; what it returns is ignored. Hooks run in
        registration order, and may be added before the command's plugin is loaded.
        """
        self.bus._add_hook(self, command, hook)

    # Events -------------------------------------------------------------------

    def register_events(self, names: list[str]) -> None:
        """Declare the events this plugin publishes, for introspection.

        Declaring is optional: publishing needs no declaration (events are loosely
        bound, as in CXBus).
        """
        self.events = tuple(dict.fromkeys([*self.events, *(check_name("Event", n) for n in names)]))

    def publish(self, name: str, data: Any = None) -> None:
        """Publish ``"<Plugin>.<name>"`` with ``data`` to its subscribers, in their order."""
        # The bus's fan-out, inlined: this is the hot path of every event.
        try:
            full_name, route = self._routes[name]
        except KeyError:
            full_name, route = self.bus._route(self, name)
        event = Event(full_name, data, self.name, _time())
        for callback in route:
            try:
                callback(event)
            except KeyboardInterrupt:
                raise
            except BaseException:  # SystemExit too: a subscriber never ends the publisher
                log.exception("subscriber %r of %s raised", callback, full_name)
        if _published_receivers:
            signals.notify(signals.event_published, self.bus, event=event)

    def republish(self, name: str, data: Any = None) -> None:
        """Publish ``"<Plugin>.<name>"`` and retain it: later subscribers get it at once."""
        self.bus._check_registered(self)
        self.bus._republish(self, name, data)

    def ready(self) -> Deferred:
        """Mark this plugin ready: configure it from its section, then republish ``ready``.

        The deferred resolves with the plugin once ``"<Plugin>.ready"`` is out, or
        rejects with what ``configure`` rejected with.
        """
        self.bus._check_registered(self)
        return self.bus._loader.ready(self)

    def subscribe(self, event: str, callback: Subscriber) -> Subscription:
        """Call ``callback(event)`` for every ``event`` published from now on.

        ``event`` is ``"Ns.event"``, ``"Ns.*"`` (all of a namespace) or ``"*"``
        (everything, for debugging). The plugin need not be loaded yet. Retained
        events that match are delivered at once. The callback is held strongly
        until unsubscribed.
        """
        self.bus._check_registered(self)
        return self.bus._subscribe(self.name, event, callback)

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop a subscription; unsubscribing twice is harmless.

        An event already being delivered still reaches it: delivery goes by the
        subscribers there were when the event was published.
        """
        self.bus._unsubscribe(subscription)

    # Shared data --------------------------------------------------------------

    def data(self, key: str, value: Any = _MISSING) -> Any:
        """Read ``"Ns.key"`` that a plugin exposes, or expose this plugin's ``key``.

        ``plugin.data("WebChat.open")`` reads (``None`` when nothing is exposed);
        ``plugin.data("open", True)`` exposes ``"<Plugin>.open"`` to everyone.
        """
        if value is _MISSING:
            return self.bus._get_data(key)
        self.bus._set_data(self, key, value)
        return value
