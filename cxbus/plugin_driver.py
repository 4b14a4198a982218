"""``PluginDriver``: a test's handle on one plugin, which runs its commands and records its events.

The chat plugins' pytest fixtures (``webchat``, ``messaging``) are drivers: calling
one runs a command with a timeout and returns its value once the plugin has
*settled* (handled what it was handed, and delivered the events that followed), so
a test never waits on its own; ``wait(event)`` waits for anything timed::

    driver = PluginDriver(bus, "MessagingService", settled=service.settled)
    driver("sendMessage", {"message": "hello"})
    assert driver.names()[-1] == "sendingMessage"
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from cxbus.bus import Bus
from cxbus.deferred import Deferred
from cxbus.errors import CommandRejected
from cxbus.messages import Event

__all__ = ["PluginDriver"]

TIMEOUT = 5.0


class PluginDriver:
    """Runs ``namespace``'s commands with a timeout and records its events in order.

    ``settled()`` gives a Deferred that resolves once the plugin has handled what it
    was handed so far and its events are out (``None``: nothing to wait for).
    """

    def __init__(
        self,
        bus: Bus,
        namespace: str,
        settled: Callable[[], Deferred | None] = lambda: None,
    ) -> None:
        self.bus = bus
        self.namespace = namespace
        self.events: list[Event] = []
        self._settled = settled
        self._arrived = threading.Condition()
        recorder = bus.register_plugin(f"{type(self).__name__}{id(self)}")
        recorder.subscribe(f"{namespace}.*", self._record)

    def _record(self, event: Event) -> None:
        with self._arrived:
            self.events.append(event)
            self._arrived.notify_all()

    def __call__(self, command: str, data: Any = None, timeout: float = TIMEOUT) -> Any:
        """Run ``command`` (the plugin's own by its bare name, another's as ``"Ns.command"``);
        its value, once the plugin has settled (see ``settle``)."""
        name = command if "." in command else f"{self.namespace}.{command}"
        try:
            return self.bus.command(name, data).result(timeout=timeout)
        finally:
            self.settle(timeout)

    def settle(self, timeout: float = TIMEOUT) -> None:
        """Wait until the plugin has handled what it was handed so far and the events it
        published are recorded."""
        settled = self._settled()
        if settled is not None:
            settled.result(timeout=timeout)

    def rejection(self, command: str, data: Any = None) -> Any:
        """Run ``command``, which must reject; its reason."""
        try:
            self(command, data)
        except CommandRejected as rejected:
            return rejected.reason
        raise AssertionError(f"{command} resolved; a rejection was expected")

    def names(self) -> list[str]:
        """The names of the events so far, without the namespace, in order."""
        with self._arrived:
            return [event.name.split(".", 1)[1] for event in self.events]

    def data(self, name: str) -> list[Any]:
        """The data of every event ``name`` so far."""
        full_name = f"{self.namespace}.{name}"
        with self._arrived:
            return [e.data for e in self.events if e.name == full_name]

    def wait(
        self, name: str, where: Callable[[Any], bool] = lambda data: True, timeout: float = TIMEOUT
    ) -> Any:
        """Wait for an event ``name`` (recorded already, or to come) whose data fits ``where``;
        its data."""
        full_name = f"{self.namespace}.{name}"
        with self._arrived:
            matches = self._arrived.wait_for(
                lambda: [e.data for e in self.events if e.name == full_name and where(e.data)],
                timeout,
            )
        if not matches:
            raise AssertionError(f"no {name} event in {timeout} s; events: {self.names()}")
        return matches[0]

    def forget_events(self) -> None:
        with self._arrived:
            self.events.clear()
