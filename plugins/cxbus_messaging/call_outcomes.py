"""What the conversation machine does when a call it asked for (``calls``) settles.

Part of ``machine.ConversationMachine`` (kept apart to keep each module to one idea):
it runs inside ``handle``, on the loop thread. Each outcome goes to the part that
asked for the call: loading the deployment is the machine's own, sockets and the
catch-up's history are ``conversation_connection``'s, ``fetchHistory`` pages are
``conversation_commands``', the rest (files) ``conversation_files``'.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from cxbus.runtime.machine_runner import CallFailed, CallSucceeded

from . import calls
from .conversation_states import Idle
from .guest_api import DeploymentNotFound

if TYPE_CHECKING:
    from .machine import ConversationMachine

__all__ = ["LOAD_FAILED", "NOT_FOUND", "CallOutcomes"]

log = logging.getLogger("cxbus.messaging")

# Ours, where the SDK has no words.
LOAD_FAILED = "MessagingService could not read the deployment's configuration: {}"
NOT_FOUND = (
    "MessagingService found {}: check messaging.deploymentId, and messaging.domain (the "
    "region the deployment was made in) or baseURL."
)


class CallOutcomes:
    """The machine's handling of settled calls (see the module docstring)."""

    def __init__(self, machine: ConversationMachine) -> None:
        self._machine = machine

    def succeeded(self, outcome: CallSucceeded) -> None:
        machine = self._machine
        pending = machine.under_way.pop(outcome.call)
        action = pending.action
        if isinstance(action, calls.LoadDeployment):
            machine.deployment = outcome.value
            machine.state = Idle()
            if pending.ticket is not None:
                machine.answer(pending.ticket)
        elif isinstance(action, calls.Connect):
            machine.connection.connected(pending)
        elif isinstance(action, calls.Send):
            if outcome.value is False:
                # The socket went first: what it did not take waits for the next one.
                machine.outbox = [*action.requests, *machine.outbox]
        elif isinstance(action, calls.FetchPage):
            if pending.detail == "catchUp":
                machine.connection.page_read(pending, outcome.value)
            else:
                machine.commands.history_page(pending, outcome.value)
        else:
            machine.files.call_succeeded(pending, outcome.value)

    def failed(self, outcome: CallFailed) -> None:
        machine = self._machine
        pending = machine.under_way.pop(outcome.call)
        action = pending.action
        if isinstance(action, calls.LoadDeployment):
            if pending.ticket is not None:
                reason = outcome.reason
                if isinstance(reason, DeploymentNotFound):
                    sentence = NOT_FOUND.format(reason)
                else:
                    sentence = LOAD_FAILED.format(calls.sentence(reason))
                machine.refuse(pending.ticket, sentence)
        elif isinstance(action, calls.Connect):
            machine.connection.connect_failed(pending, outcome)
        elif isinstance(action, calls.FetchPage):
            if pending.detail == "catchUp":
                machine.connection.page_failed(pending, outcome)
            else:
                machine.commands.history_failed(pending, outcome)
        elif isinstance(action, (calls.Send, calls.Disconnect)):
            log.warning("%s failed: %s", type(action).__name__, calls.sentence(outcome.reason))
        else:
            machine.files.call_failed(pending, outcome)
