"""Finding installed plugins: the entry-point group ``cxbus.plugins``.

A distribution offers a plugin by naming, under its plugin name, a callable that
takes the bus and registers the plugin on it::

    [options.entry_points]
    cxbus.plugins =
        WebChatService = cxbus_webchat:setup
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cxbus.bus import Bus

__all__ = ["ENTRY_POINT_GROUP", "find_plugin_setup", "installed_plugins"]

ENTRY_POINT_GROUP = "cxbus.plugins"


def _group() -> list[Any]:
    return list(entry_points(group=ENTRY_POINT_GROUP))


def installed_plugins() -> list[str]:
    """The names of the plugins installed in this environment."""
    return sorted({entry_point.name for entry_point in _group()})


def find_plugin_setup(name: str) -> Callable[[Bus], Any] | None:
    """Import and return the setup callable of the installed plugin ``name``, if any."""
    for entry_point in _group():
        if entry_point.name == name:
            setup: Callable[[Bus], Any] = entry_point.load()
            return setup
    return None
