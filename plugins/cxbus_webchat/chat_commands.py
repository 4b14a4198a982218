"""The commands of a chat under way: sending, typing, filters, user data, files, reading.

Part of ``machine.ChatMachine`` (kept apart to keep each module to one idea): it
runs inside ``ChatMachine.handle``, on the chat's thread. Each command either asks
the transport for a call (answered when the call's outcome comes back to the
machine) or is answered at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cxbus.runtime.machine_runner import CancelTimer, SetTimer

from . import actions, inputs

if TYPE_CHECKING:
    from .machine import ChatMachine


__all__ = ["ChatCommands"]

# The page's sentences, word for word.
NO_SESSION = "There is no active chat session."
NO_ACTIVE_SESSION = "No active chat session."
NO_USER_DATA_UPDATE = (
    "This transport doesn't support updating userData during an active chat session."
)
NO_FILES = "This transport doesn't support file uploads."


class ChatCommands:
    """The machine's handling of the commands of a chat under way."""

    def __init__(self, machine: ChatMachine) -> None:
        self._machine = machine

    def send_message(self, command: inputs.SendMessage) -> None:
        machine = self._machine
        if not machine.is_active:
            machine.refuse(command.ticket, NO_SESSION)
            return
        machine.call(actions.SendText(command.text, command.body_type), command.ticket)

    def send_filtered_message(self, command: inputs.SendFilteredMessage) -> None:
        machine = self._machine
        if not machine.is_active:
            machine.refuse(command.ticket, NO_ACTIVE_SESSION)
            return
        # On before the message is sent: its echo may come back before the answer.
        new = machine.filters.add(command.pattern)
        machine.save()
        machine.call(
            actions.SendText(command.text, "standard"),
            command.ticket,
            filter=command.pattern,
            filter_is_new=new,
        )

    def add_prefilter(self, command: inputs.AddPrefilter) -> None:
        machine = self._machine
        for pattern in command.patterns:
            machine.filters.add(pattern)
        machine.save()
        machine.answer(command.ticket, machine.filters.patterns)

    def send_typing(self, command: inputs.SendTyping) -> None:
        machine = self._machine
        if not machine.is_active:
            machine.refuse(command.ticket, NO_SESSION)
            return
        machine.call(actions.TellTyping(), command.ticket)

    def typing_told(self, generation: int) -> None:
        """The server has the guest's typing: clientTypingStarted, and the countdown."""
        machine = self._machine
        if machine.chat_is_on and generation == machine.generation:
            if not machine.record.client_typing:
                machine.record.client_typing = True
                machine.publish("clientTypingStarted")
            machine.emit(SetTimer("clientTyping", machine.settings.client_typing_timeout))

    def stop_client_typing(self) -> None:
        machine = self._machine
        if machine.record.client_typing:
            machine.record.client_typing = False
            machine.emit(CancelTimer("clientTyping"))
            machine.publish("clientTypingStopped")

    def update_user_data(self, command: inputs.UpdateUserData) -> None:
        machine = self._machine
        if not machine.is_active:
            machine.user_data.update(command.user_data)
            machine.answer(command.ticket, dict(machine.user_data))
        elif not machine.settings.supports_user_data_update:
            machine.refuse(command.ticket, NO_USER_DATA_UPDATE)
        else:
            machine.call(actions.TellUserData(dict(command.user_data)), command.ticket)

    def send_file(self, command: inputs.SendFile) -> None:
        machine = self._machine
        if not machine.is_active:
            machine.refuse(command.ticket, NO_SESSION)
        elif not machine.settings.supports_files:
            machine.refuse(command.ticket, NO_FILES)
        else:
            machine.call(actions.Upload(command.source, command.name), command.ticket)

    def download_file(self, command: inputs.DownloadFile) -> None:
        machine = self._machine
        if not machine.chat_is_on:
            machine.refuse(command.ticket, NO_SESSION)
            return
        machine.call(actions.Download(command.file_id, command.path), command.ticket)

    def register_preprocessor(self, command: inputs.RegisterPreprocessor) -> None:
        self._machine.preprocessors.append(command.preprocessor)
        self._machine.answer(command.ticket, command.preprocessor)

    def read(self, command: inputs.Read) -> None:
        """getTranscript, getAgents, getStats, getSessionData and verifySession."""
        machine = self._machine
        record, on = machine.record, machine.chat_is_on
        answers: dict[str, Callable[[], Any]] = {
            # A snapshot: the service turns it into dicts off the chat's thread.
            "getTranscript": lambda: tuple(record.transcript),
            "getAgents": record.agent_list,
            "getStats": lambda: record.stats(machine.now_ms(), on),
            "getSessionData": lambda: record.session_data() if on else {},
            "verifySession": lambda: {"sessionActive": on},
        }
        machine.answer(command.ticket, answers[command.what]())
