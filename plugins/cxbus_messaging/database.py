"""The ``Database`` plugin: what the Messenger keeps for the page, custom attributes first.

As the Messenger's own (Genesys's Messenger SDK page *Database plugin*):
``Database.set`` merges an object into what is kept (shallow: a top-level key is
replaced), ``Database.update`` merges deeply, ``Database.get {name}`` reads,
``Database.remove {name}`` forgets; events ``ready``, ``updated`` (what is kept now) and
``removed`` (``{name}``). A ``name`` is a key, or a dotted path such as
``"messaging.customAttributes"`` (ours). Nothing leaves the process.

``messaging.customAttributes`` (strings to strings) rides on MessagingService's next
message whenever it changed since the last one the server took; over 2,048 bytes
(UTF-8 keys and values), the send fails with ``customAttributesSizeExceeded``.
Commands may come from any thread: what is kept is guarded by a lock.
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from cxbus import Bus, CommandCall, CommandRejected, Deferred

__all__ = ["Database", "setup"]

NAME = "Database"
ATTRIBUTES = ("messaging", "customAttributes")

# Weak both ways: the Database refers to its bus (through its plugin), so a strong value
# would keep the key alive, and every bus that ever had one with it, for ever.
_databases: weakref.WeakKeyDictionary[Bus, weakref.ref[Database]] = weakref.WeakKeyDictionary()


def _deep_merge(into: dict[str, Any], changes: Mapping[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = copy.deepcopy(dict(value) if isinstance(value, Mapping) else value)


def _path(call: CommandCall) -> list[str]:
    name = call.data.get("name") if isinstance(call.data, Mapping) else None
    if not isinstance(name, str) or not name.strip(".").strip():
        raise CommandRejected(
            f"Database.{call.command.split('.')[-1]} needs 'name': a key such as 'messaging' "
            f"or a dotted path such as 'messaging.customAttributes'; got {name!r}."
        )
    return name.split(".")


def _check(kept: Mapping[str, Any]) -> None:
    """Custom attributes must map strings to strings (the guest API takes nothing else)."""
    messaging = kept.get(ATTRIBUTES[0])
    attributes = messaging.get(ATTRIBUTES[1]) if isinstance(messaging, Mapping) else None
    if messaging is not None and not isinstance(messaging, Mapping):
        raise CommandRejected(f"Database: 'messaging' must be an object; got {messaging!r}.")
    if attributes is not None and not (
        isinstance(attributes, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in attributes.items())
    ):
        raise CommandRejected(
            "Database: 'messaging.customAttributes' must be an object of strings; "
            f"got {attributes!r}."
        )


class Database:
    """The ``Database`` plugin on ``bus`` (see the module docstring)."""

    def __init__(self, bus: Bus) -> None:
        self.plugin = bus.register_plugin(NAME)
        self.plugin.register_events(["ready", "updated", "removed"])
        self._kept: dict[str, Any] = {}
        self._lock = threading.Lock()
        _databases[bus] = weakref.ref(self)
        handle = self._handle  # one bound method for every command, as MachineService's
        for name in self._commands:
            self.plugin.register_command(name, handle)

    @classmethod
    def of(cls, bus: Bus) -> Database | None:
        """The Database registered on ``bus``, if any."""
        found = _databases.get(bus)
        return found() if found is not None else None

    def custom_attributes(self) -> dict[str, str]:
        """``messaging.customAttributes`` as kept now (a copy)."""
        with self._lock:
            messaging = self._kept.get(ATTRIBUTES[0])
            attributes = messaging.get(ATTRIBUTES[1]) if isinstance(messaging, dict) else None
            return dict(attributes) if isinstance(attributes, dict) else {}

    def _changes(self, call: CommandCall) -> Mapping[str, Any]:
        if not isinstance(call.data, Mapping) or not all(isinstance(k, str) for k in call.data):
            raise CommandRejected(
                f"{call.command} needs an object such as "
                f"{{'messaging': {{'customAttributes': {{...}}}}}}; got {call.data!r}."
            )
        return call.data

    def _set(self, call: CommandCall) -> dict[str, Any]:
        changes = self._changes(call)
        with self._lock:
            kept = {**self._kept, **copy.deepcopy(dict(changes))}
            _check(kept)
            self._kept = kept
            shown = copy.deepcopy(kept)
        self.plugin.publish("updated", shown)
        return shown

    def _update(self, call: CommandCall) -> dict[str, Any]:
        changes = self._changes(call)
        with self._lock:
            kept = copy.deepcopy(self._kept)
            _deep_merge(kept, changes)
            _check(kept)
            self._kept = kept
            shown = copy.deepcopy(kept)
        self.plugin.publish("updated", shown)
        return shown

    def _get(self, call: CommandCall) -> Any:
        path = _path(call)
        with self._lock:
            value: Any = self._kept
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            return copy.deepcopy(value)

    def _handle(self, call: CommandCall) -> Any:
        """Run the handler of ``call``'s command (the name after the namespace)."""
        return self._commands[call.command.partition(".")[2]](self, call)

    def _remove(self, call: CommandCall) -> None:
        path = _path(call)
        with self._lock:
            parent: Any = self._kept
            for key in path[:-1]:
                parent = parent.get(key) if isinstance(parent, dict) else None
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
        self.plugin.publish("removed", {"name": ".".join(path)})

    _commands: ClassVar[Mapping[str, Callable[[Database, CommandCall], Any]]] = {
        "set": _set,
        "update": _update,
        "get": _get,
        "remove": _remove,
    }


def setup(bus: Bus) -> Deferred:
    """The ``cxbus.plugins`` entry point: register Database and make it ready."""
    return Database(bus).plugin.ready()
