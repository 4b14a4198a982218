"""Finding installed plugins: the entry-point group ``cxbus.plugins``.

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
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from cxbus.bus import Bus

__all__ = ["ENTRY_POINT_GROUP", "find_plugin_setup", "installed_plugins", "refresh"]

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

            found: Any = entry_points()
            if hasattr(found, "select"):
                group = found.select(group=ENTRY_POINT_GROUP)
            else:  # Python 3.9 returns a dict
                group = found.get(ENTRY_POINT_GROUP, [])
            # The first of a name wins, as importlib.metadata lists them on sys.path.
            _found = {}
            for entry_point in group:
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
