"""Restoring a stored chat: the ``restore`` command, and what the transport found.

Part of ``machine.ChatMachine`` (kept apart to keep each module to one idea): it
runs inside ``ChatMachine.handle``, on the chat's thread. A stored chat older than
``restoreTimeout`` (counted from when it was last saved: when the bus closed, the
last message or, through GMS, the last poll) publishes ``restoreTimeout``; one
younger is resumed and its history published with ``restoring: true``. Through GMS,
a chat the server says is over publishes ``restoreTimeout`` too (the widgets' GMS
module, ``reference/gms-chat-api.md`` §4.3), and a server answering ``statusCode`` 1
restores the chat offline (``restoredOffline``).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from cxbus.runtime.machine_runner import CallFailed

from . import actions, inputs
from .chat_states import Active, Idle, Pending, Restoring
from .record import ChatRecord
from .transport import ENDED_ON_RESTORE, GONE, ChatMessage, Member

if TYPE_CHECKING:
    from .machine import ChatMachine

__all__ = ["ChatRestore"]

log = logging.getLogger("cxbus.webchat")

# The page's sentences, word for word.
ALREADY_RESTORING = "Already restoring. Ignoring request."
RESTORE_WHILE_ACTIVE = "Chat session is already active, ignoring restore command."
# Ours, where the page gives no words.
NOTHING_TO_RESTORE = "There is no chat session to restore."
# A stored session saved further ahead than this is not trusted (a clock gone wrong).
FUTURE_TOLERANCE = 5.0


class ChatRestore:
    """The machine's restoring of a stored chat (see the module docstring)."""

    def __init__(self, machine: ChatMachine) -> None:
        self._machine = machine

    def restore(self, command: inputs.Restore) -> None:
        machine = self._machine
        state, stored = machine.state, machine.stored
        if isinstance(state, Restoring):
            machine.refuse(command.ticket, ALREADY_RESTORING)
        elif not isinstance(state, Idle):
            machine.refuse(command.ticket, RESTORE_WHILE_ACTIVE)
        elif isinstance(stored, ValueError) or (
            stored is not None and stored.saved_at > machine.clock() + FUTURE_TOLERANCE
        ):
            why = stored if isinstance(stored, ValueError) else "it was saved in the future"
            log.warning("the stored chat session is discarded: %s", why)
            machine.forget()
            machine.publish("restoreFailed")
            machine.refuse(
                command.ticket,
                f"The stored chat session could not be used and is discarded: {why}.",
            )
        elif stored is None:
            machine.refuse(command.ticket, NOTHING_TO_RESTORE)
        elif machine.clock() - stored.saved_at > machine.settings.restore_timeout:
            machine.forget()
            machine.publish("restoreTimeout")
            machine.refuse(
                command.ticket,
                f"The stored chat is older than restoreTimeout "
                f"({machine.settings.restore_timeout:g} s).",
            )
        else:
            machine.generation += 1
            machine.state = Restoring(machine.generation, command.ticket, stored)
            settings = machine.settings
            resume = actions.Resume(stored.session, settings.page_size, settings.paginated)
            machine.call(resume, command.ticket)

    def resumed(
        self, pending: Pending, resumed: tuple[list[Member], list[list[ChatMessage]], bool]
    ) -> None:
        machine = self._machine
        state = machine.state
        if not isinstance(state, Restoring) or state.generation != pending.generation:
            machine.call(actions.CloseTransport(), generation=pending.generation)
            return
        members, pages, offline = resumed
        stored = state.stored
        for pattern, flags in stored.filters:
            machine.filters.add(re.compile(pattern, flags))
        machine.record = ChatRecord(
            stored.session, started_at=stored.started_at or machine.now_ms(), gms=machine.gms
        )
        machine.state = Active(state.generation)
        for page in pages:
            machine.updates.messages(page, restoring=True)
        machine.record.guest_joined = True  # whether or not the history said so
        machine.record.agents_from(members, machine.now_ms())
        machine.publish("restored")
        machine.polling.begin_chat()
        if offline:
            machine.polling.restored_offline()
        machine.save()
        machine.replay(state.buffered)
        machine.answer(state.ticket)

    def failed(self, pending: Pending, outcome: CallFailed) -> None:
        machine = self._machine
        state = machine.state
        if not isinstance(state, Restoring) or state.generation != pending.generation:
            return
        machine.state = Idle()
        machine.call(actions.CloseTransport(), generation=pending.generation)
        if outcome.status in GONE:  # else a later restore may still succeed
            machine.forget()
        ended = machine.gms and outcome.status == ENDED_ON_RESTORE
        machine.publish("restoreTimeout" if ended else "restoreFailed")
