"""The bus: a registry of plugins, command routing and event fan-out.

A ``Bus`` is a plain object; make as many as you like. Plugins register on it under
a namespace and get a ``Plugin`` handle (see ``cxbus.plugin``) through which they
register commands, publish and subscribe. Everything here may be called from any
thread; handlers and subscribers run in the caller's thread with no lock held, so
they may call the bus again.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from cxbus import signals, tracing
from cxbus.deferred import Deferred
from cxbus.errors import CommandRejected, PluginError
from cxbus.loading import ENTRY_POINT_GROUP, find_plugin_setup
from cxbus.messages import CommandCall, Event
from cxbus.plugin import Plugin

__all__ = ["Bus", "Subscription"]

log = logging.getLogger("cxbus.bus")

Handler = Callable[[CommandCall], Any]
Hook = Callable[[CommandCall], None]
Subscriber = Callable[[Event], None]

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
QUALIFIED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\Z")
ACCESS_DENIED = "Access Denied to private command. Only {} is allowed to invoke this command."

_sequence = itertools.count()
_time = time.time
# The receiver dicts of the hot-path signals, read without an attribute lookup per
# call: blinker mutates them in place, so these stay the live dicts.
_dispatched_receivers = signals.command_dispatched.receivers
_settled_receivers = signals.command_settled.receivers
_published_receivers = signals.event_published.receivers


@attrs.frozen(slots=True)
class _Command:
    owner: str
    handler: Handler
    private: bool


@attrs.frozen(slots=True)
class _Hook:
    owner: str
    hook: Hook


@attrs.define(slots=True, eq=False)
class Subscription:
    """A subscriber's place on the bus; call it (or ``Plugin.unsubscribe`` it) to leave.

    ``pattern`` is what was subscribed to: ``"Ns.event"``, ``"Ns.*"`` or ``"*"``.
    """

    pattern: str
    callback: Subscriber
    subscriber: str
    _bus: Bus = attrs.field(repr=False)
    _order: int = attrs.field(factory=lambda: next(_sequence), repr=False)

    def __call__(self) -> None:
        self._bus._unsubscribe(self)


def check_name(kind: str, name: object) -> str:
    """Return ``name`` if it is a bare identifier, else raise ``ValueError`` naming it."""
    if not isinstance(name, str) or not NAME.match(name):
        raise ValueError(
            f"{kind} names are identifiers such as 'WebChatService' or 'startChat'; got {name!r}."
        )
    return name


def _event_pattern(pattern: object) -> str:
    if pattern == "*" or (isinstance(pattern, str) and QUALIFIED.match(pattern)):
        return pattern
    if isinstance(pattern, str) and pattern.endswith(".*") and NAME.match(pattern[:-2]):
        return pattern
    raise ValueError(f"Subscribe to 'Namespace.event', 'Namespace.*' or '*'; got {pattern!r}.")


def _copy_options(options: Any) -> Any:
    """A copy of the JSON-like structure of ``options`` (its dicts and lists), so that
    later changes by the caller do not reach a plugin; the objects in it (a session
    store, a function) are the caller's own and are handed over as they are."""
    if isinstance(options, Mapping):
        return {key: _copy_options(value) for key, value in options.items()}
    if isinstance(options, list):
        return [_copy_options(item) for item in options]
    return options


def _matches(pattern: str, event_name: str) -> bool:
    if pattern == "*" or pattern == event_name:
        return True
    return pattern.endswith(".*") and event_name.startswith(pattern[:-1])


class Bus:
    """A CXBus: plugins, their commands (answered with deferreds) and their events.

    ``config`` is one dict shaped like ``window._genesys.widgets``: a section per
    plugin (``{"webchat": {...}}``). A plugin that names its section when it
    registers is handed a copy of it, once, through its private ``configure``
    command when it becomes ready. ``ready_timeout`` bounds how long a command waits
    for a plugin that is loading.
    """

    def __init__(
        self, config: Mapping[str, Any] | None = None, *, ready_timeout: float = 10.0
    ) -> None:
        self.ready_timeout = ready_timeout
        self._lock = threading.RLock()
        self._config: dict[str, Any] = _copy_options(dict(config or {}))
        self._plugins: dict[str, Plugin] = {}
        self._commands: dict[str, _Command] = {}
        self._hooks: dict[str, tuple[_Hook, ...]] = {}
        self._subscriptions: dict[str, tuple[Subscription, ...]] = {}
        self._retained: dict[str, Event] = {}
        self._data: dict[str, Any] = {}
        self._loading: dict[str, Deferred] = {}
        if log.isEnabledFor(logging.DEBUG):
            tracing.trace(self)

    def __repr__(self) -> str:
        return f"<Bus plugins={sorted(self._plugins)}>"

    def __enter__(self) -> Bus:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Plugins ------------------------------------------------------------------

    @property
    def plugins(self) -> Mapping[str, Plugin]:
        """The registered plugins by name (a snapshot)."""
        return dict(self._plugins)

    def register_plugin(
        self,
        name: str,
        *,
        config_section: str | None = None,
        on_unregister: Callable[[], None] | None = None,
    ) -> Plugin:
        """Register a plugin under ``name`` and return its handle.

        ``config_section`` names the section of the bus configuration the plugin is
        handed through its ``configure`` command when it calls ``ready()``.
        ``on_unregister`` runs when the plugin is unregistered (or the bus closes):
        the place to stop its threads. Raises ``PluginError`` if the name is taken.
        """
        check_name("Plugin", name)
        plugin = Plugin(self, name, config_section, on_unregister)
        with self._lock:
            if name in self._plugins:
                raise PluginError(f"A plugin named {name!r} is already registered on this bus.")
            self._plugins[name] = plugin
        log.debug("plugin %s registered", name)
        if signals.plugin_registered.receivers:
            signals.notify(signals.plugin_registered, self, plugin=plugin)
        return plugin

    def unregister_plugin(self, plugin: Plugin | str) -> None:
        """Remove a plugin with its commands, hooks, subscriptions, retained events and data."""
        name = plugin if isinstance(plugin, str) else plugin.name
        with self._lock:
            removed = self._plugins.pop(name, None)
            if removed is None:
                raise PluginError(f"No plugin named {name!r} is registered on this bus.")
            self._commands = {k: c for k, c in self._commands.items() if c.owner != name}
            self._hooks = {
                k: kept
                for k, hooks in self._hooks.items()
                if (kept := tuple(h for h in hooks if h.owner != name))
            }
            self._subscriptions = {
                k: staying
                for k, subs in self._subscriptions.items()
                if (staying := tuple(s for s in subs if s.subscriber != name))
            }
            self._forget_routes()
            removed._routes = {}  # its later publishes go nowhere (see _route)
            prefix = name + "."
            self._retained = {k: e for k, e in self._retained.items() if e.publisher != name}
            self._data = {k: v for k, v in self._data.items() if not k.startswith(prefix)}
            loading = self._loading.pop(name, None)
        if loading is not None:
            loading.reject(f"{name} was unregistered while it was loading.")
        log.debug("plugin %s unregistered", name)
        if removed.on_unregister is not None:
            try:
                removed.on_unregister()
            except Exception:
                log.exception("on_unregister of plugin %s raised", name)
        if signals.plugin_unregistered.receivers:
            signals.notify(signals.plugin_unregistered, self, plugin=removed)

    def _check_registered(self, plugin: Plugin) -> None:
        """Raise ``PluginError`` for the handle of a plugin that was unregistered."""
        if self._plugins.get(plugin.name) is not plugin:
            raise PluginError(f"Plugin {plugin.name} is not registered on this bus any more.")

    def close(self) -> None:
        """Unregister every plugin, the latest first."""
        for name in reversed(list(self._plugins)):
            if name in self._plugins:
                self.unregister_plugin(name)

    def load_plugin(self, name: str) -> Deferred:
        """Load an installed plugin by name; the deferred resolves with it once ready.

        The plugin is found in the entry-point group ``cxbus.plugins`` under its
        name; the entry point is a callable that takes the bus and registers the
        plugin. A plugin already registered resolves at once (when ready); one being
        loaded answers with the same deferred.
        """
        with self._lock:
            if name in self._loading:
                return self._loading[name]
            registered = self._plugins.get(name)
            loading = Deferred()
            if registered is not None:
                loading.resolve(registered)
                return loading
            self._loading[name] = loading
        # A load that fails right here is the caller's to see in the returned deferred.
        loading._report_unhandled = False
        # The wait is bounded from now: a setup that hangs counts against it too.
        timer = threading.Timer(self.ready_timeout, self._loading_timed_out, (name, loading))
        timer.daemon = True
        timer.start()
        loading._listen(lambda _: timer.cancel(), lambda _: timer.cancel(), handles=False)
        try:
            setup = find_plugin_setup(name)  # imports the plugin's module: may raise
            if setup is None:
                raise PluginError(
                    f"No plugin named {name!r} is registered on this bus or installed "
                    f"(entry point group {ENTRY_POINT_GROUP!r})."
                )
            setup(self)
            if loading.state == "rejected":  # timed out during setup: leave nothing behind
                if name in self._plugins:
                    self.unregister_plugin(name)
            elif name not in self._plugins:
                raise PluginError(f"The entry point {name!r} registered no plugin {name!r}.")
        except PluginError as error:
            self._fail_loading(name, str(error))
        except Exception as error:
            log.exception("loading plugin %s failed", name)
            self._fail_loading(name, error)
        loading._report_unhandled = True
        return loading

    def _loading_timed_out(self, name: str, loading: Deferred) -> None:
        if loading.state == "pending":
            self._fail_loading(
                name, f"{name} did not become ready within {self.ready_timeout:g} s."
            )

    def _fail_loading(self, name: str, reason: Any) -> None:
        """Reject the load of ``name`` with ``reason`` and drop what it registered."""
        with self._lock:
            loading = self._loading.pop(name, None)
        if name in self._plugins:
            self.unregister_plugin(name)
        if loading is not None:
            loading.reject(reason)

    def configure(self, config: Mapping[str, Any]) -> None:
        """Add configuration sections, before the plugins that read them become ready."""
        with self._lock:
            for section in config:
                readers = self._plugins.values()
                owner = next(
                    (p for p in readers if p.config_section == section and p.is_ready), None
                )
                if owner is not None:
                    raise PluginError(
                        f"Configure {section!r} before {owner.name} is ready: "
                        "it has read its configuration already."
                    )
            self._config.update(_copy_options(dict(config)))

    def _ready(self, plugin: Plugin) -> Deferred:
        """Hand the plugin its configuration (if it has a section), then republish ready."""
        announced = Deferred()
        if plugin.name in self._loading:
            # The load's deferred carries a rejection to whoever loads the plugin.
            announced._report_unhandled = False
        if plugin.config_section is None or plugin.is_ready:
            self._announce_ready(plugin)
            announced.resolve(plugin)
            return announced
        options = _copy_options(self._config.get(plugin.config_section, {}))
        configure = f"{plugin.name}.configure"
        command = self._commands.get(configure)
        if command is None:
            configured = Deferred()
            configured.reject(
                f"{plugin.name} reads configuration section {plugin.config_section!r} "
                "but has no 'configure' command."
            )
        else:
            configured = self._run(command, configure, options, plugin.name)

        def configured_ok(_: Any) -> Plugin:
            self._announce_ready(plugin)
            return plugin

        def configure_failed(reason: Any) -> None:
            if plugin.name in self._loading:
                self._fail_loading(plugin.name, reason)
            raise CommandRejected(reason)

        announced.resolve(configured.then(configured_ok, configure_failed))
        return announced

    def _announce_ready(self, plugin: Plugin) -> None:
        plugin.is_ready = True
        self._republish(plugin, "ready", None)
        with self._lock:
            loading = self._loading.pop(plugin.name, None)
        if loading is not None:
            loading.resolve(plugin)

    # Commands -----------------------------------------------------------------

    def command(self, command: str, data: Any = None) -> Deferred:
        """Call ``"Namespace.command"`` with ``data`` as no plugin; never raises."""
        return self._dispatch(command, data, None)

    def _register_command(self, owner: str, name: str, handler: Handler, private: bool) -> None:
        check_name("Command", name)
        if not callable(handler):
            raise TypeError(f"The handler of command {name!r} must be callable; got {handler!r}.")
        full_name = f"{owner}.{name}"
        with self._lock:
            if full_name in self._commands:
                raise PluginError(f"Command {full_name} is already registered.")
            self._commands = {**self._commands, full_name: _Command(owner, handler, private)}

    def _add_hook(self, owner: str, command: str, hook: Hook) -> None:
        if not isinstance(command, str) or not QUALIFIED.match(command):
            raise ValueError(f"Hook a command as 'Namespace.command'; got {command!r}.")
        if not callable(hook):
            raise TypeError(f"The hook for {command} must be callable; got {hook!r}.")
        with self._lock:
            hooks = (*self._hooks.get(command, ()), _Hook(owner, hook))
            self._hooks = {**self._hooks, command: hooks}

    def _dispatch(self, command: str, data: Any, commander: str | None) -> Deferred:
        try:
            registered = self._commands.get(command)
        except TypeError:  # unhashable: no command name; _dispatch_unrouted says so
            registered = None
        if registered is None or (self._loading and registered.owner in self._loading):
            return self._dispatch_unrouted(command, data, commander)
        return self._run(registered, command, data, commander)

    def _run(
        self, registered: _Command, command: str, data: Any, commander: str | None
    ) -> Deferred:
        deferred = Deferred()
        # The commander gets a rejection made here in its hands when we return.
        deferred._report_unhandled = False
        call = CommandCall(command, data, commander, deferred, _time())
        if _settled_receivers:
            self._instrument(call)
        try:
            if registered.private and commander != registered.owner:
                raise CommandRejected(ACCESS_DENIED.format(registered.owner))
            hooks = self._hooks.get(command) if self._hooks else None
            if hooks:
                for hook in hooks:
                    hook.hook(call)
            if _dispatched_receivers:
                signals.notify(signals.command_dispatched, self, call=call)
            answer = registered.handler(call)
            if answer is not deferred:
                deferred.resolve(answer)
        except CommandRejected as rejection:
            deferred.reject(rejection.reason)
        except Exception as error:
            log.exception("command %s raised", command)
            deferred.reject(error)
        deferred._report_unhandled = True
        return deferred

    def _dispatch_unrouted(self, command: str, data: Any, commander: str | None) -> Deferred:
        """Answer a command with no registered handler: load its plugin, or reject."""
        answer = Deferred()
        answer._report_unhandled = False
        if not isinstance(command, str):
            answer.reject(
                "Command names are strings such as 'WebChatService.startChat'; "
                f"got {command!r} ({type(command).__name__})."
            )
        elif not QUALIFIED.match(command):
            answer.reject(f"{command!r} is not a command name: expected 'Namespace.command'.")
        else:
            namespace, name = command.split(".")
            if namespace in self._plugins and namespace not in self._loading:
                answer.reject(f"{namespace} has no command {name!r}.")
            else:
                loaded = self.load_plugin(namespace)
                answer.resolve(loaded.then(lambda _: self._dispatch(command, data, commander)))
        answer._report_unhandled = True
        if log.isEnabledFor(logging.DEBUG):
            answer.fail(lambda reason: log.debug("command %s rejected: %r", command, reason))
        return answer

    def _instrument(self, call: CommandCall) -> None:
        def settled(state: str) -> Callable[[Any], None]:
            def send(value: Any) -> None:
                signals.notify(signals.command_settled, self, call=call, state=state, value=value)

            return send

        call.deferred._listen(settled("resolved"), settled("rejected"), handles=False)

    # Events -------------------------------------------------------------------

    def _republish(self, publisher: Plugin, name: str, data: Any) -> None:
        # Retained under the lock, so a concurrent subscriber gets the event exactly
        # once: from the retained replay or from this delivery, never both.
        with self._lock:
            if self._plugins.get(publisher.name) is not publisher:
                return  # unregistered meanwhile: nothing to retain, nobody to tell
            full_name, route = self._route(publisher, name)
            event = Event(full_name, data, publisher.name, _time())
            self._retained[full_name] = event
        _fan_out(route, event)
        if _published_receivers:
            signals.notify(signals.event_published, self, event=event)

    def _route(self, publisher: Plugin, name: str) -> tuple[str, tuple[Subscriber, ...]]:
        """Work out (and cache on the publisher) who receives its event ``name``."""
        check_name("Event", name)
        full_name = f"{publisher.name}.{name}"
        with self._lock:
            if self._plugins.get(publisher.name) is not publisher:
                return full_name, ()  # unregistered: nobody hears it, nothing is cached
            subscriptions = sorted(
                (
                    *self._subscriptions.get(full_name, ()),
                    *self._subscriptions.get(publisher.name + ".*", ()),
                    *self._subscriptions.get("*", ()),
                ),
                key=lambda s: s._order,
            )
            route = (full_name, tuple(s.callback for s in subscriptions))
            publisher._routes[name] = route
        return route

    def _forget_routes(self) -> None:
        """Drop every publisher's cached routes; called with the lock held."""
        for plugin in self._plugins.values():
            plugin._routes = {}

    def _subscribe(self, subscriber: str, pattern: str, callback: Subscriber) -> Subscription:
        _event_pattern(pattern)
        if not callable(callback):
            raise TypeError(f"The subscriber to {pattern} must be callable; got {callback!r}.")
        subscription = Subscription(pattern, callback, subscriber, self)
        with self._lock:
            subs = (*self._subscriptions.get(pattern, ()), subscription)
            self._subscriptions = {**self._subscriptions, pattern: subs}
            self._forget_routes()
            retained = [e for e in self._retained.values() if _matches(pattern, e.name)]
        for event in retained:
            _fan_out((callback,), event)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            subs = self._subscriptions.get(subscription.pattern, ())
            if subscription not in subs:
                return
            kept = tuple(s for s in subs if s is not subscription)
            self._subscriptions = {**self._subscriptions, subscription.pattern: kept}
            self._forget_routes()

    # Shared data --------------------------------------------------------------

    def _set_data(self, owner: str, key: str, value: Any) -> None:
        check_name("Data key", key)
        with self._lock:
            self._data = {**self._data, f"{owner}.{key}": value}

    def _get_data(self, key: str) -> Any:
        return self._data.get(key)


def _fan_out(route: tuple[Subscriber, ...], event: Event) -> None:
    """Call every subscriber in order; one that raises is logged and the rest still run."""
    for callback in route:
        try:
            callback(event)
        except Exception:
            log.exception("subscriber %r of %s raised", callback, event.name)
