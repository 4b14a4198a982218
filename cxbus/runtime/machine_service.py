"""``MachineService``: the shell of a plugin whose state is a machine run by a ``MachineRunner``.

The chat plugins (WebChatService, MessagingService) are built alike: command
handlers check their options on the caller's thread and hand the command to the
plugin's state machine (``cxbus.runtime.machine_runner``), made once the plugin is
configured. This is what they share: handing a command over (or rejecting it while
there is no machine yet), waiting until what was handed over has settled, and
stopping the machine when the bus closes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from cxbus.deferred import Deferred
from cxbus.errors import CommandRejected
from cxbus.runtime.machine_runner import MachineRunner

__all__ = ["MachineService", "text_option"]


class MachineService:
    """A plugin's shell around its ``MachineRunner`` (``_runner``, set once configured).

    ``not_configured`` is the sentence a command gets before then.
    """

    not_configured: ClassVar[str] = "The plugin is not configured yet."

    def __init__(self) -> None:
        self._runner: MachineRunner[Any] | None = None

    def settled(self) -> Deferred:
        """Resolves once what was handed to the machine so far has been handled and the
        events it caused have reached their subscribers (calls under way may go on).

        A command resolves as soon as its work is done, possibly before the events it
        caused have reached a slow subscriber: wait on this to be sure they have.
        """
        if self._runner is None:
            settled = Deferred()
            settled.resolve(None)
            return settled
        return self._runner.settled()

    def _tell(self, make: Callable[[int], Any]) -> Deferred:
        """Hand the command ``make(ticket)`` to the machine; reject if not configured yet."""
        if self._runner is None:
            raise CommandRejected(self.not_configured)
        return self._runner.command(make)

    def _close(self) -> None:
        """The bus is closing: the machine stops, keeping what should survive."""
        if self._runner is not None:
            self._runner.close()


def text_option(command: str, data: Any, name: str, required: bool = True) -> str | None:
    """The string option ``name`` of a command's ``data``, or a rejection naming it
    (``None`` when it is not ``required`` and not given)."""
    value = data.get(name) if isinstance(data, Mapping) else None
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise CommandRejected(f"{command} needs '{name}': a non-empty string; got {value!r}.")
    return value
