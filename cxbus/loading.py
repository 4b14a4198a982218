"""Loading plugins: finding them in the entry-point group ``cxbus.plugins``, and
bringing each from its setup to ready.

A distribution offers a plugin by naming, under its plugin name, a callable that
takes the bus and registers the plugin on it::

    [options.entry_points]
    cxbus.plugins =
        WebChatService = cxbus_webchat:setup

The callable may return a Deferred or a future (WebChatService returns its
``plugin.ready()``): ``Bus.load_plugin`` then fails the load if it rejects, and
reports that rejection only through the load's own deferred.

The group is read once per process, on first need (reading it opens every installed
distribution's metadata), and kept: a distribution installed while the process runs
is seen after ``refresh()``. ``importlib.metadata`` is imported only then too.

A bus's ``Loader`` runs a load: the setup callable in the caller's thread, a timer on
the shared loop (``cxbus.runtime.threads``) that fails the load after ``Bus.ready_timeout``
(on a ``cxbus-answers`` thread, since failing it runs the plugin's ``on_unregister``
and the loader's callbacks),
and the plugin's ``ready()``,
which hands it its configuration section through its private ``configure`` command.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from cxbus.deferred import Deferred, is_adoptable
from cxbus.errors import CommandRejected, PluginError
from cxbus.redaction import redact
from cxbus.runtime.threads import runtime

if TYPE_CHECKING:
    from cxbus.bus import Bus
    from cxbus.plugin import Plugin

__all__ = [
    "ENTRY_POINT_GROUP",
    "Loader",
    "copy_options",
    "find_plugin_setup",
    "installed_plugins",
    "refresh",
]

log = logging.getLogger("cxbus.bus")

ENTRY_POINT_GROUP = "cxbus.plugins"

_lock = threading.Lock()
_found: dict[str, Any] | None = None  # plugin name -> its entry point, once read


def refresh() -> None:
    """Read the installed plugins again on next need (after installing one, say)."""
    global _found
    with _lock:
        _found = None


def _entry_points() -> dict[str, Any]:
    global _found
    with _lock:
        if _found is None:
            from importlib.metadata import entry_points

            # The first of a name wins, as importlib.metadata lists them on sys.path.
            _found = {}
            for entry_point in entry_points(group=ENTRY_POINT_GROUP):
                _found.setdefault(entry_point.name, entry_point)
        return _found


def installed_plugins() -> list[str]:
    """The names of the plugins installed in this environment."""
    return sorted(_entry_points())


def find_plugin_setup(name: str) -> Callable[[Bus], Any] | None:
    """Import and return the setup callable of the installed plugin ``name``, if any."""
    entry_point = _entry_points().get(name)
    if entry_point is None:
        return None
    setup: Callable[[Bus], Any] = entry_point.load()
    return setup


def copy_options(options: Any) -> Any:
    """A copy of the JSON-like structure of ``options`` (its dicts and lists), so that
    later changes by the caller do not reach a plugin; the objects in it (a session
    store, a function) are the caller's own and are handed over as they are."""
    if isinstance(options, Mapping):
        return {key: copy_options(value) for key, value in options.items()}
    if isinstance(options, list):
        return [copy_options(item) for item in options]
    return options


class Loader:
    """Brings the plugins of one bus from their setup to ready.

    ``loading`` maps the name of each plugin being loaded to the deferred its load
    answers with; the bus reads it to hold back commands to a plugin not ready yet.
    """

    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self.loading: dict[str, Deferred] = {}

    def load(self, name: str) -> Deferred:
        """``Bus.load_plugin``: see there."""
        bus = self._bus
        with bus._lock:
            if name in self.loading:
                return self.loading[name]
            registered = bus._plugins.get(name)
            loading = Deferred()
            if registered is not None:
                loading.resolve(registered)
                return loading
            self.loading[name] = loading
        # A load that fails right here is the caller's to see in the returned deferred.
        loading._report_unhandled = False
        # The wait is bounded from now: a setup that hangs counts against it too. The
        # loop's timer hands the failing (which runs on_unregister: user code) to a pool.
        shared = runtime()
        timer = shared.loop.call_later(
            bus.ready_timeout,
            lambda: shared.answers.submit(functools.partial(self._timed_out, name, loading)),
        )
        loading._observe(lambda _: timer.cancel(), lambda _: timer.cancel())
        try:
            setup = find_plugin_setup(name)  # imports the plugin's module: may raise
            if setup is None:
                raise PluginError(
                    f"No plugin named {name!r} is registered on this bus or installed "
                    f"(entry point group {ENTRY_POINT_GROUP!r})."
                )
            answer = setup(bus)
            if is_adoptable(answer) and loading.state == "pending":
                followed = Deferred().fail(lambda reason: self._setup_failed(name, loading, reason))
                followed.resolve(answer)
            if loading.state == "rejected":  # timed out during setup: leave nothing behind
                if name in bus._plugins:
                    bus.unregister_plugin(name)
            elif name not in bus._plugins:
                raise PluginError(f"The entry point {name!r} registered no plugin {name!r}.")
        except PluginError as error:
            self.fail(name, str(error))
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # SystemExit too: a setup never ends the caller
            log.exception("loading plugin %s failed", name)
            self.fail(name, error)
        loading._report_unhandled = True
        return loading

    def _setup_failed(self, name: str, loading: Deferred, reason: Any) -> None:
        """What the setup of ``name`` answered with rejected: so does its load, if pending."""
        if loading.state == "pending":
            self.fail(name, reason)
        elif loading.state == "resolved":  # a rejected load has said so already
            log.warning("The setup of %s rejected after it was loaded: %r", name, redact(reason))

    def _timed_out(self, name: str, loading: Deferred) -> None:
        if loading.state == "pending":
            timeout = self._bus.ready_timeout
            self.fail(name, f"{name} did not become ready within {timeout:g} s.")

    def fail(self, name: str, reason: Any) -> None:
        """Reject the load of ``name`` with ``reason`` and drop what it registered."""
        bus = self._bus
        with bus._lock:
            loading = self.loading.pop(name, None)
        if name in bus._plugins:
            bus.unregister_plugin(name)
        if loading is not None:
            loading.reject(reason)

    def ready(self, plugin: Plugin) -> Deferred:
        """``Plugin.ready``: hand the plugin its configuration section, if it has one,
        then republish ``ready``."""
        bus = self._bus
        announced = Deferred()
        if plugin.name in self.loading:
            # Its rejection fails the load, and is reported through the load's deferred.
            announced._report_unhandled = False
        if plugin.config_section is None or plugin.is_ready:
            self._announce_ready(plugin)
            announced.resolve(plugin)
            return announced
        options = copy_options(bus._config.get(plugin.config_section, {}))
        configure = f"{plugin.name}.configure"
        if configure in bus._commands:
            configured = bus._dispatch(configure, options, plugin.name)
        else:
            configured = Deferred()
            configured.reject(
                f"{plugin.name} reads configuration section {plugin.config_section!r} "
                "but has no 'configure' command."
            )

        def configured_ok(_: Any) -> Plugin:
            self._announce_ready(plugin)
            return plugin

        def configure_failed(reason: Any) -> None:
            if plugin.name in self.loading:
                self.fail(plugin.name, reason)
            raise CommandRejected(reason)

        announced.resolve(configured.then(configured_ok, configure_failed))
        return announced

    def _announce_ready(self, plugin: Plugin) -> None:
        plugin.is_ready = True
        bus = self._bus
        bus._republish(plugin, "ready", None)
        with bus._lock:
            loading = self.loading.pop(plugin.name, None)
        if loading is not None:
            loading.resolve(plugin)
