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

A bus's ``Loader`` runs a load: the setup callable in the caller's thread (called from
an asyncio loop's thread, on the loop's default executor, so that the loop does not
wait for an import: the load and the command are awaited instead), and a deadline
(``cxbus.deadlines``) that fails the load after ``Bus.ready_timeout``. The
plugin's ``ready()`` (on the bus: it hands the plugin its configuration section
through its private ``configure`` command) ends the load with ``loaded``. The loader
knows its bus only by what it is given: the bus's plugins, its lock, and the
``LoadingBus`` the setup callables are handed.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from cxbus import deadlines
from cxbus.deferred import Deferred, is_adoptable
from cxbus.errors import PluginError
from cxbus.redaction import redact
from cxbus.spelling import with_suggestion

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "ENTRY_POINT_GROUP",
    "Loader",
    "LoadingBus",
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


def find_plugin_setup(name: str) -> Callable[[Any], Any] | None:
    """Import and return the setup callable of the installed plugin ``name``, if any.

    It takes the ``Bus`` to register the plugin on.
    """
    entry_point = _entry_points().get(name)
    if entry_point is None:
        return None
    setup: Callable[[Any], Any] = entry_point.load()
    return setup


def _running_asyncio_loop() -> asyncio.AbstractEventLoop | None:
    """The asyncio loop that the caller's thread runs, if any (without importing asyncio)."""
    imported = sys.modules.get("asyncio")
    return None if imported is None else imported.events._get_running_loop()


def copy_options(options: Any) -> Any:
    """A copy of the JSON-like structure of ``options`` (its dicts and lists), so that
    later changes by the caller do not reach a plugin; the objects in it (a session
    store, a function) are the caller's own and are handed over as they are."""
    if isinstance(options, Mapping):
        return {key: copy_options(value) for key, value in options.items()}
    if isinstance(options, list):
        return [copy_options(item) for item in options]
    return options


P = TypeVar("P")


class LoadingBus(Protocol):
    """What a ``Loader`` needs of its bus, which it hands to each setup callable."""

    ready_timeout: float

    def unregister_plugin(self, plugin: str, /) -> None:
        """Remove the plugin named ``plugin`` and what it registered."""


class Loader(Generic[P]):
    """Brings the plugins of one bus from their setup to ready.

    ``plugins`` is the bus's own dict of its plugins (``P``) by name, read under
    ``lock``, the bus's lock. ``loading`` maps the name of each plugin being loaded to
    the deferred its load answers with; the bus reads it to hold back commands to a
    plugin not ready yet.
    """

    def __init__(self, bus: LoadingBus, plugins: Mapping[str, P], lock: threading.RLock) -> None:
        self._bus = bus
        self._plugins = plugins
        self._lock = lock
        self.loading: dict[str, Deferred[P]] = {}

    def load(self, name: str) -> Deferred[P]:
        """``Bus.load_plugin``: see there."""
        with self._lock:
            if name in self.loading:
                return self.loading[name]
            registered = self._plugins.get(name)
            loading: Deferred[P] = Deferred()
            if registered is not None:
                loading.resolve(registered)
                return loading
            self.loading[name] = loading
        # A load that fails right here is the caller's to see in the returned deferred.
        loading._report_unhandled = False
        # The wait is bounded from now: a setup that hangs counts against it too.
        deadline = deadlines.call_after(
            self._bus.ready_timeout, lambda: self._timed_out(name, loading)
        )
        loading._observe(lambda _: deadline.cancel(), lambda _: deadline.cancel())
        asyncio_loop = _running_asyncio_loop()
        if asyncio_loop is not None:
            # Importing a plugin and its setup take a tenth of a second or more: an
            # asyncio loop runs on meanwhile, and awaits the load (or the command).
            asyncio_loop.run_in_executor(None, self._set_up, name, loading)
        else:
            self._set_up(name, loading)
        loading._report_unhandled = True
        return loading

    def _set_up(self, name: str, loading: Deferred[P]) -> None:
        """Import plugin ``name`` and run its setup; fail ``loading`` if that fails."""
        try:
            setup = find_plugin_setup(name)  # imports the plugin's module: may raise
            if setup is None:
                raise PluginError(
                    with_suggestion(
                        f"No plugin named {name!r} is registered on this bus or installed "
                        f"(entry point group {ENTRY_POINT_GROUP!r})",
                        name,
                        [*self._plugins, *installed_plugins()],
                    )
                )
            answer = setup(self._bus)
            if is_adoptable(answer) and loading.state == "pending":
                followed: Deferred[Any] = Deferred()
                followed.fail(lambda reason: self._setup_failed(name, loading, reason))
                followed.resolve(answer)
            if loading.state == "rejected":  # timed out during setup: leave nothing behind
                if name in self._plugins:
                    self._bus.unregister_plugin(name)
            elif name not in self._plugins:
                raise PluginError(f"The entry point {name!r} registered no plugin {name!r}.")
        except PluginError as error:
            self.fail(name, str(error))
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # SystemExit too: a setup never ends the caller
            log.exception("loading plugin %s failed", name)
            self.fail(name, error)

    def _setup_failed(self, name: str, loading: Deferred[P], reason: Any) -> None:
        """What the setup of ``name`` answered with rejected: so does its load, if pending."""
        if loading.state == "pending":
            self.fail(name, reason)
        elif loading.state == "resolved":  # a rejected load has said so already
            log.warning("The setup of %s rejected after it was loaded: %r", name, redact(reason))

    def _timed_out(self, name: str, loading: Deferred[P]) -> None:
        if loading.state == "pending":
            timeout = self._bus.ready_timeout
            self.fail(name, f"{name} did not become ready within {timeout:g} s.")

    def fail(self, name: str, reason: Any) -> None:
        """Reject the load of ``name`` with ``reason`` and drop what it registered."""
        with self._lock:
            loading = self.loading.pop(name, None)
        if name in self._plugins:
            self._bus.unregister_plugin(name)
        if loading is not None:
            loading.reject(reason)

    def loaded(self, name: str, plugin: P) -> None:
        """The plugin ``name`` is ready: its load, if it was loading, resolves with it."""
        with self._lock:
            loading = self.loading.pop(name, None)
        if loading is not None:
            loading.resolve(plugin)
