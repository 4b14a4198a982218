"""The bus: a registry of plugins, command routing and event fan-out, and the
``Plugin`` handle each plugin gets.

A ``Bus`` is a plain object; make as many as you like. Plugins register on it under
a namespace and get a ``Plugin`` handle through which they register commands, publish
and subscribe: everything a plugin does on the bus goes through its handle, so the bus
always knows who is calling. The two live in one module because each is the other's
other half (the handle is the bus as one plugin sees it). The parts they use sit below
them and know neither: ``subscriptions`` (who hears which event), ``loading`` (entry
points and loads), ``tracing``. Everything here may be called from any thread;
handlers and subscribers run in the caller's thread with no lock held, so they may
call the bus again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

import attrs

from cxbus import signals, tracing
from cxbus.deferred import Deferred
from cxbus.errors import CommandRejected, PluginError
from cxbus.loading import Loader, copy_options
from cxbus.messages import CommandCall, Event
from cxbus.spelling import with_suggestion
from cxbus.subscriptions import (
    QUALIFIED,
    Route,
    Subscriber,
    Subscription,
    Subscriptions,
    check_name,
    event_pattern,
)
from cxbus.waiting import BUFFER, EventStream, Waits, Where

__all__ = ["Bus", "Plugin", "Subscription", "check_name"]

log = logging.getLogger("cxbus.bus")

Handler = Callable[[CommandCall], Any]
Hook = Callable[[CommandCall], None]
H = TypeVar("H", bound=Handler)

ACCESS_DENIED = "Access Denied to private command. Only {} is allowed to invoke this command."

_time = time.time
# The receiver dicts of the hot-path signals, read without an attribute lookup per
# call: blinker mutates them in place, so these stay the live dicts.
_dispatched_receivers = signals.command_dispatched.receivers
_settled_receivers = signals.command_settled.receivers
_published_receivers = signals.event_published.receivers
_MISSING: Any = object()


@attrs.frozen(slots=True)
class _Hook:
    owner: str
    hook: Hook


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
        self._config: dict[str, Any] = copy_options(dict(config or {}))
        # Changed in place under the lock; read without it (a dict read is atomic).
        self._plugins: dict[str, Plugin] = {}
        # Full name -> handler. Its owner is its namespace; the private ones are named
        # apart, so that a command costs the garbage collector no tuple of its own.
        self._commands: dict[str, Handler] = {}
        self._private: dict[str, None] = {}  # an ordered set of full names
        self._hooks: dict[str, tuple[_Hook, ...]] = {}  # a tuple per command: copied on change
        self._subscriptions = Subscriptions()
        self._data: dict[str, Any] = {}
        self._loader: Loader[Plugin] = Loader(self, self._plugins, self._lock)
        self._loading = self._loader.loading  # read on every command
        # Made on first use (most buses never wait), under the lock.
        self._waits: Waits | None = None
        # Every Subscription's way off the bus: one bound method, not one each.
        self._leave = self._unsubscribe
        if log.isEnabledFor(logging.DEBUG):
            tracing.trace(self)

    def __repr__(self) -> str:
        return f"<Bus plugins={sorted(self._plugins)}>"

    def __enter__(self) -> Bus:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Bus:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close on a thread of the asyncio loop's default executor, awaited: closing
        waits (bounded) for the plugins' calls under way, which the loop must not."""
        import asyncio  # the caller's: cxbus imports asyncio only for code that awaits

        await asyncio.get_running_loop().run_in_executor(None, self.close)

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
        self._lock.acquire()  # not `with`: a tenth of registering a plugin
        try:
            if name in self._plugins:
                raise PluginError(f"A plugin named {name!r} is already registered on this bus.")
            self._plugins[name] = plugin
            plugin._routes = self._subscriptions.routes_of(name)
        finally:
            self._lock.release()
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
            for command in removed._command_names:
                del self._commands[command]
                self._private.pop(command, None)
            for command in removed._hooked:
                kept = tuple(h for h in self._hooks[command] if h.owner != name)
                if kept:
                    self._hooks[command] = kept
                else:
                    del self._hooks[command]
            for key in removed._data_keys:
                del self._data[key]
            self._subscriptions.drop_plugin(name)  # its later publishes go nowhere
            loading = self._loading.pop(name, None)
        if loading is not None:
            loading.reject(f"{name} was unregistered while it was loading.")
        log.debug("plugin %s unregistered", name)
        if removed.on_unregister is not None:
            try:
                removed.on_unregister()
            except KeyboardInterrupt:
                raise
            except BaseException:
                log.exception("on_unregister of plugin %s raised", name)
        if signals.plugin_unregistered.receivers:
            signals.notify(signals.plugin_unregistered, self, plugin=removed)

    def _commands_of(self, plugin: Plugin, private: bool | None = None) -> list[str]:
        """The names of ``plugin``'s commands, without the namespace, sorted: all of them,
        or only its private (``private=True``) or public (``False``) ones."""
        if self._plugins.get(plugin.name) is not plugin:
            return []
        return sorted(
            command.partition(".")[2]
            for command in plugin._command_names
            if private is None or (command in self._private) is private
        )

    def _check_registered(self, plugin: Plugin) -> None:
        """Raise ``PluginError`` for the handle of a plugin that was unregistered (a
        stale handle: its name may be another handle's now)."""
        if self._plugins.get(plugin.name) is not plugin:
            raise PluginError(f"Plugin {plugin.name} is not registered on this bus any more.")

    def close(self) -> None:
        """Unregister every plugin, the latest first; then end the waits on the bus."""
        for name in reversed(list(self._plugins)):
            if name in self._plugins:
                self.unregister_plugin(name)
        if self._waits is not None:
            self._waits.close()

    def load_plugin(self, name: str) -> Deferred[Plugin]:
        """Load an installed plugin by name; the deferred resolves with it once ready.

        The plugin is found in the entry-point group ``cxbus.plugins`` under its
        name; the entry point is a callable that takes the bus and registers the
        plugin. A plugin already registered resolves at once (when ready); one being
        loaded answers with the same deferred.

        If the setup callable returns a Deferred or a future (WebChatService returns
        its ``plugin.ready()``), a rejection of it fails the load with its reason,
        and is reported only through the deferred returned here: handle that one and
        nothing is logged. Likewise a ``ready()`` that rejects while its plugin loads.
        """
        return self._loader.load(name)

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
            self._config.update(copy_options(dict(config)))

    # Commands -----------------------------------------------------------------

    def command(self, command: str, data: Any = None) -> Deferred[Any]:
        """Call ``"Namespace.command"`` with ``data`` as no plugin; never raises."""
        return self._dispatch(command, data, None)

    def _register_command(self, owner: Plugin, name: str, handler: Handler, private: bool) -> None:
        # Made 10,000 times when 1,000 plugins load: check_name's test and _check_registered
        # inlined, and the lock taken without `with` (each a tenth of the cost).
        if not (isinstance(name, str) and name.isascii() and name.isidentifier()):
            check_name("Command", name)  # raises, naming it
        if not callable(handler):
            raise TypeError(f"The handler of command {name!r} must be callable; got {handler!r}.")
        full_name = f"{owner.name}.{name}"
        self._lock.acquire()
        try:
            if self._plugins.get(owner.name) is not owner:
                raise PluginError(f"Plugin {owner.name} is not registered on this bus any more.")
            if full_name in self._commands:
                raise PluginError(f"Command {full_name} is already registered.")
            self._commands[full_name] = handler
            if private:
                self._private[full_name] = None
            # A tuple of names (rebuilt: a plugin registers a few dozen at most), which
            # the garbage collector stops tracking; a list it would walk for ever.
            owner._command_names = (*owner._command_names, full_name)
        finally:
            self._lock.release()

    def _add_hook(self, owner: Plugin, command: str, hook: Hook) -> None:
        if not isinstance(command, str) or not QUALIFIED.match(command):
            raise ValueError(f"Hook a command as 'Namespace.command'; got {command!r}.")
        if not callable(hook):
            raise TypeError(f"The hook for {command} must be callable; got {hook!r}.")
        with self._lock:
            self._check_registered(owner)
            owner._hooked[command] = None
            self._hooks[command] = (*self._hooks.get(command, ()), _Hook(owner.name, hook))

    def _dispatch(self, command: str, data: Any, commander: str | None) -> Deferred[Any]:
        """Run ``command``'s hooks and handler in this thread; answer with its deferred."""
        try:
            handler = self._commands.get(command)
        except TypeError:  # unhashable: no command name; _dispatch_unrouted says so
            handler = None
        if handler is None:
            return self._dispatch_unrouted(command, data, commander)
        # A loading plugin answers once ready; to itself (its configure) at once.
        if self._loading:
            owner = command.partition(".")[0]
            if owner in self._loading and commander != owner:
                return self._dispatch_unrouted(command, data, commander)
        deferred: Deferred[Any] = Deferred()
        # The commander gets a rejection made here in its hands when we return.
        deferred._report_unhandled = False
        call = CommandCall(command, data, commander, deferred, _time())
        if _settled_receivers:
            self._instrument(call)
        try:
            if command in self._private:
                owner = command.partition(".")[0]
                if commander != owner:
                    raise CommandRejected(ACCESS_DENIED.format(owner))
            if self._hooks:
                for hook in self._hooks.get(command, ()):
                    hook.hook(call)
            if _dispatched_receivers:
                signals.notify(signals.command_dispatched, self, call=call)
            answer = handler(call)
            if answer is not deferred:
                deferred.resolve(answer)
        except CommandRejected as rejection:
            deferred.reject(rejection.reason)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # SystemExit too: a handler never ends the caller
            log.exception("command %s raised", command)
            deferred.reject(error)
        deferred._report_unhandled = True
        return deferred

    def _dispatch_unrouted(self, command: str, data: Any, commander: str | None) -> Deferred[Any]:
        """Answer a command with no registered handler: load its plugin, or reject."""
        answer: Deferred[Any] = Deferred()
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
            plugin = self._plugins.get(namespace)
            if plugin is not None and namespace not in self._loading:
                # The commands this commander may call are what it may have meant.
                known = self._commands_of(plugin, None if commander == namespace else False)
                answer.reject(with_suggestion(f"{namespace} has no command {name!r}", name, known))
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

        call.deferred._observe(settled("resolved"), settled("rejected"))

    # Events -------------------------------------------------------------------

    def _republish(self, publisher: Plugin, name: str, data: Any) -> None:
        # Retained under the lock, so a concurrent subscriber gets the event exactly
        # once: from the retained replay or from this delivery, never both.
        with self._lock:
            if self._plugins.get(publisher.name) is not publisher:
                return  # unregistered meanwhile: nothing to retain, nobody to tell
            route = self._route(publisher, name)
            event = Event(f"{publisher.name}.{name}", data, publisher.name, _time())
            self._subscriptions.retain(event, name)
        _fan_out(route, event)
        if _published_receivers:
            signals.notify(signals.event_published, self, event=event)

    def _route(self, publisher: Plugin, name: str) -> Route:
        """Work out (and cache on the publisher) who receives its event ``name``."""
        check_name("Event", name)
        with self._lock:
            if self._plugins.get(publisher.name) is not publisher:
                return ()  # unregistered: nobody hears it, nothing is cached
            return self._subscriptions.route(publisher.name, name)

    def _subscribe(self, subscriber: str, pattern: str, callback: Subscriber) -> Subscription:
        event_pattern(pattern)
        if not callable(callback):
            raise TypeError(f"The subscriber to {pattern} must be callable; got {callback!r}.")
        subscription = Subscription(pattern, callback, subscriber, self._leave)
        with self._lock:
            retained = self._subscriptions.add(subscription)
        for event in retained:
            _fan_out((callback,), event)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.remove(subscription)

    # Waiting ------------------------------------------------------------------

    def wait_for(
        self, event: str, where: Where | None = None, timeout: float | None = None
    ) -> Deferred[Event]:
        """A deferred answered by the next event ``event`` whose data ``where`` is true
        for: ``.result()`` and ``await`` give the ``Event``.

        ``event`` is a name or a pattern, as subscriptions take (``"Ns.event"``,
        ``"Ns.*"``, ``"*"``); ``where(data)`` picks among them (it runs in the
        publisher's thread; what it raises rejects the wait). The wait listens from
        this call on, as a subscription made now would (a matching retained event
        answers at once), so make it before what causes the event::

            reply = bus.wait_for("Chat.replied")
            bus.command("Chat.send", "hello")
            event = reply.result(timeout=5)

        ``timeout`` seconds later it rejects with ``WaitTimedOut``, a sentence naming
        the event and the time; closing the bus rejects it too. Once settled, however
        (by hand too), it stops listening.
        """
        return self._waits_made().wait_for(event, where, timeout)

    def events(
        self, pattern: str, *, buffer: int = BUFFER, timeout: float | None = None
    ) -> EventStream:
        """The events matching ``pattern`` from this call on, as an ``EventStream``: an
        iterator for ``for`` and ``async for``, best used with ``with``::

            with bus.events("Chat.*", timeout=5) as events:
                bus.command("Chat.send", "hello")
                for event in events:
                    ...

        It holds ``buffer`` events its reader has not read yet; past that it raises
        ``EventsLost`` where events were dropped (a publisher never waits for it).
        Reading waits ``timeout`` seconds at most for the next event (``WaitTimedOut``).
        It stops with the ``with`` block, ``close()``, or the bus closing.
        """
        return self._waits_made().events(pattern, buffer, timeout)

    def _waits_made(self) -> Waits:
        with self._lock:
            if self._waits is None:
                self._waits = Waits(self._subscribe)
            return self._waits

    # Ready --------------------------------------------------------------------

    def _ready(self, plugin: Plugin) -> Deferred[Plugin]:
        """``Plugin.ready``: hand the plugin its configuration section, if it has one,
        then republish ``ready``."""
        announced: Deferred[Plugin] = Deferred()
        # A rejection before ready() returns is in the caller's hands, as a command's is:
        # not reported. A plugin's that is loading never is: it fails the load, and is
        # reported through the load's deferred.
        announced._report_unhandled = False
        reported_later = plugin.name not in self._loading
        if plugin.config_section is None or plugin.is_ready:
            self._announce_ready(plugin)
            announced.resolve(plugin)
            return announced
        configure = f"{plugin.name}.configure"
        if configure not in self._commands:
            self._configure_failed(
                plugin,
                announced,
                f"{plugin.name} reads configuration section {plugin.config_section!r} "
                "but has no 'configure' command.",
            )
            announced._report_unhandled = reported_later
            return announced
        options = copy_options(self._config.get(plugin.config_section, {}))
        configured = self._dispatch(configure, options, plugin.name)

        def configured_ok(_: Any) -> Plugin:
            self._announce_ready(plugin)
            return plugin

        configured.then(configured_ok).done(announced.resolve).fail(
            lambda reason: self._configure_failed(plugin, announced, reason)
        )
        announced._report_unhandled = reported_later
        return announced

    def _configure_failed(self, plugin: Plugin, announced: Deferred[Plugin], reason: Any) -> None:
        """``plugin``'s configure rejected with ``reason``: so does its ``ready()``, and
        its load fails if it is loading."""
        if plugin.name in self._loading:
            self._loader.fail(plugin.name, reason)
        announced.reject(reason)

    def _announce_ready(self, plugin: Plugin) -> None:
        plugin.is_ready = True
        self._republish(plugin, "ready", None)
        self._loader.loaded(plugin.name, plugin)

    # Shared data --------------------------------------------------------------

    def _set_data(self, owner: Plugin, key: str, value: Any) -> None:
        check_name("Data key", key)
        full_key = f"{owner.name}.{key}"
        with self._lock:
            self._check_registered(owner)
            owner._data_keys[full_key] = None
            self._data[full_key] = value

    def _get_data(self, key: str) -> Any:
        return self._data.get(key)


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
        # Event name -> its subscribers: its route cache, which the bus's
        # Subscriptions keeps from when it registers, and changes in place.
        self._routes: dict[str, Route] = {}
        # What it put on the bus, so that unregistering it takes exactly that (the bus
        # changes them, under its lock): its commands' full names, the commands it
        # hooks and its data keys, once each. Kept here rather than in an object of
        # their own: a bus per chat, and every object a chat keeps is one more for
        # each full collection of the garbage collector to walk.
        self._command_names: tuple[str, ...] = ()
        self._hooked: dict[str, None] = {}
        self._data_keys: dict[str, None] = {}

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

    def command(self, command: str, data: Any = None) -> Deferred[Any]:
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
            route = self._routes[name]
        except KeyError:
            route = self.bus._route(self, name)
        event = Event(f"{self.name}.{name}", data, self.name, _time())
        for callback in route:
            try:
                callback(event)
            except KeyboardInterrupt:
                raise
            except BaseException:  # SystemExit too: a subscriber never ends the publisher
                log.exception("subscriber %r of %s raised", callback, event.name)
        if _published_receivers:
            signals.notify(signals.event_published, self.bus, event=event)

    def republish(self, name: str, data: Any = None) -> None:
        """Publish ``"<Plugin>.<name>"`` and retain it: later subscribers get it at once."""
        self.bus._check_registered(self)
        self.bus._republish(self, name, data)

    def ready(self) -> Deferred[Plugin]:
        """Mark this plugin ready: configure it from its section, then republish ``ready``.

        The deferred resolves with the plugin once ``"<Plugin>.ready"`` is out, or
        rejects with what ``configure`` rejected with.
        """
        self.bus._check_registered(self)
        return self.bus._ready(self)

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


def _fan_out(route: tuple[Subscriber, ...], event: Event) -> None:
    """Call every subscriber in order; one that raises is logged and the rest still run."""
    for callback in route:
        try:
            callback(event)
        except KeyboardInterrupt:
            raise
        except BaseException:  # SystemExit too: a subscriber never ends the publisher
            log.exception("subscriber %r of %s raised", callback, event.name)
