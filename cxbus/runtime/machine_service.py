"""``MachineService``: the shell of a plugin whose state is a machine run by a ``MachineRunner``.

The chat plugins (WebChatService, MessagingService) are built alike: command
handlers check their options on the caller's thread and hand the command to the
plugin's state machine (``cxbus.runtime.machine_runner``), made once the plugin is
configured. This is what they share: registering the commands, handing a command
over (or rejecting it while there is no machine yet), waiting until what was handed
over has settled, and stopping the machine when the bus closes.

A plugin's commands are a table of its class (``_commands``: name -> unbound handler),
and each chat registers one bound method for all of them, which looks the handler up
by the call's name: the bus keeps a handler per command for the chat's life, and a
thousand chats would otherwise keep a thousand bound methods per command for the
garbage collector to walk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from cxbus.bus import Plugin
from cxbus.deferred import Deferred
from cxbus.errors import CommandRejected
from cxbus.messages import CommandCall
from cxbus.runtime.machine_runner import MachineRunner

__all__ = ["CommandHandler", "MachineService", "text_option"]

# A command's handler, unbound: the service it runs for, and the call.
CommandHandler = Callable[[Any, CommandCall], Any]


class MachineService:
    """A plugin's shell around its ``MachineRunner`` (``_runner``, set once configured).

    ``not_configured`` is the sentence a command gets before then; ``_commands`` the
    plugin's commands by name, of which ``_private_commands`` only the plugin may call.
    """

    not_configured: ClassVar[str] = "The plugin is not configured yet."
    _commands: ClassVar[Mapping[str, CommandHandler]] = {}
    _private_commands: ClassVar[frozenset[str]] = frozenset({"configure"})

    def __init__(self) -> None:
        self._runner: MachineRunner[Any] | None = None

    def _register_commands(self, plugin: Plugin) -> None:
        """Register ``_commands`` on ``plugin``, all with one handler (``_handle``)."""
        handle = self._handle  # one bound method, kept by the bus for every command
        for name in self._commands:
            plugin.register_command(name, handle, private=name in self._private_commands)

    def _handle(self, call: CommandCall) -> Any:
        """Run the handler of ``call``'s command (the name after the namespace)."""
        return self._commands[call.command.partition(".")[2]](self, call)

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
