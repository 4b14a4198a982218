"""How the conversation machine gets its session on, and back on: sockets, their
configuring, losing them, reconnecting, and reading the history a gap left.

Part of ``machine.ConversationMachine`` (kept apart to keep each module to one idea):
it runs inside ``handle``, on the loop thread.

- **connect**: a socket (a new generation) is opened with ``configureSession`` first;
  the command that asked resolves once the socket is open, before ``started``.
- **lost**: ``offline`` and ``reconnecting``; the socket is opened again at once (ours:
  Android waits 5 s first, the JavaScript SDK's timing is unknown), then every
  ``reconnectInterval`` until ``reconnectTimeout`` (as the mobile clients, with the
  same token); refused with 403, or out of time: ``error`` "Failed to reconnect.".
  A socket the server closed on purpose (``ConnectionClosedEvent``) is not reopened.
- **caught up**: once the session is back, the history is read (``catch_up``) before
  live messages go on. A session that came back new (it expired meanwhile) has no
  history to read: the guest messages the lost socket left unanswered go again on it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from cxbus.runtime.machine_runner import CallFailed, CancelTimer, SetTimer

from . import calls
from .catch_up import CatchUp
from .conversation_commands import CANNOT_START
from .conversation_states import (
    Active,
    CatchingUp,
    Connecting,
    Idle,
    ReadOnly,
    Reconnecting,
    Resetting,
)
from .guest_api import Frame, HistoryPage, JwtResponse, actions
from .record import Asked
from .transport_updates import SocketLost

if TYPE_CHECKING:
    from .machine import ConversationMachine, Pending

__all__ = ["RECONNECT_FAILED", "ConversationConnection"]

log = logging.getLogger("cxbus.messaging")

RECONNECT_FAILED = "Failed to reconnect."  # the mobile client's words


class ConversationConnection:
    """The machine's sockets (see the module docstring)."""

    def __init__(self, machine: ConversationMachine) -> None:
        self._machine = machine

    def connect(self, ticket: int | None, join: bool, restoring: bool = False) -> None:
        """Open a socket and configure the session (the record's token, or a new one)."""
        machine = self._machine
        if machine.record.token is None:
            machine.record.token = machine.new_token()
        machine.record.closed_by_server = False  # said of the socket this one replaces
        machine.generation += 1
        if isinstance(machine.state, Reconnecting):
            machine.state.generation = machine.generation
        else:
            machine.state = Connecting(machine.generation, ticket, join, restoring)
        request = actions.configure_session(machine.record.token, machine.settings.deployment_id)
        machine.asked[request.tracing_id] = Asked("configure")
        machine.call(calls.Connect(machine.record.token, request, machine.generation))

    def connected(self, pending: Pending) -> None:
        machine = self._machine
        state = machine.state
        if pending.generation != machine.generation:
            return  # a socket given up already
        if isinstance(state, Connecting) and state.ticket is not None:
            machine.answer(state.ticket)  # startConversation resolves once the socket opens
            state.ticket = None

    def connect_failed(self, pending: Pending, outcome: CallFailed) -> None:
        machine = self._machine
        state = machine.state
        if pending.generation != machine.generation:
            return
        machine.error({"code": outcome.status or 0, "body": calls.sentence(outcome.reason)})
        if isinstance(state, Connecting):
            if state.ticket is not None:
                machine.refuse(state.ticket, CANNOT_START)
            machine.state = Idle()
        elif isinstance(state, Reconnecting):
            if outcome.status == 403:  # access denied: no retry (as the mobile client)
                self.give_up()
            else:
                machine.emit(SetTimer("reconnect", machine.settings.reconnect_interval))

    def session_answered(self, frame: Frame) -> None:
        """The answer to configureSession (or to closeSession, while resetting)."""
        machine = self._machine
        state = machine.state
        if isinstance(state, Resetting):
            machine.commands.reset_answered(frame)
            return
        if frame.is_error or frame.frame_class != "SessionResponse":
            machine.error(frame)
            machine.stop_socket()
            if isinstance(state, Reconnecting):
                machine.emit(SetTimer("reconnect", machine.settings.reconnect_interval))
            elif isinstance(state, Connecting):
                if state.ticket is not None:
                    machine.refuse(state.ticket, CANNOT_START)
                machine.state = Idle()
            return
        machine.updates.session_configured(frame)
        if isinstance(state, Connecting):
            self._configured(state, frame)
        elif isinstance(state, Reconnecting):
            self._reconfigured(state, frame)

    def _configured(self, state: Connecting, frame: Frame) -> None:
        machine = self._machine
        record = machine.record
        if state.ticket is not None:  # the session answered before the socket's opening was told
            machine.answer(state.ticket)
            state.ticket = None
        machine.publish("started", record.started_data(), retain=True)
        if state.restoring:
            if record.read_only:
                machine.publish("readOnlyConversation", dict(frame.raw))
            machine.state = CatchingUp(state.generation, CatchUp(restoring=True), record.read_only)
            self.fetch_history_page()
            return
        deployment = machine.deployment
        join = bool(
            state.join
            and deployment is not None
            and deployment.auto_start
            and record.session is not None
            and record.session.new_session
        )
        machine.go_on(frame, join=join)

    def _reconfigured(self, state: Reconnecting, frame: Frame) -> None:
        machine = self._machine
        machine.emit(CancelTimer("reconnectDeadline"))
        machine.publish("reconnected")
        record = machine.record
        if record.session is not None and record.session.new_session:
            # The session expired meanwhile: a new conversation, nothing to catch up on.
            # What the lost socket left unanswered cannot have reached the new session:
            # its guest messages go again, there. It has no custom attributes yet either.
            record.seen.clear()
            record.sent_attributes = {}
            _, again = CatchUp(
                restoring=False, unfinished=tuple(state.unfinished)
            ).settle_unfinished()
            machine.outbox = [*again, *machine.outbox]
            machine.publish("started", record.started_data(), retain=True)
            machine.go_on(frame)
            return
        catch_up = CatchUp(restoring=False, unfinished=tuple(state.unfinished))
        machine.state = CatchingUp(state.generation, catch_up, record.read_only)
        self.fetch_history_page()

    # Losing the socket, and reconnecting -------------------------------------------------

    def lost(self, update: SocketLost) -> None:
        machine = self._machine
        machine.record.jwt_asked = False  # a getJwt under way went with the socket
        state = machine.state
        if isinstance(state, Reconnecting):
            state.unfinished.extend(r for r in update.unfinished if r not in state.unfinished)
            machine.emit(SetTimer("reconnect", machine.settings.reconnect_interval))
            return
        if not isinstance(state, (Active, ReadOnly, CatchingUp, Connecting, Resetting)):
            return
        if machine.record.closed_by_server:
            # Another connection took this one's place (or the guest signed in elsewhere):
            # reopening would take it back. The token is kept: startConversation resumes.
            machine.error(
                {"code": 0, "body": f"The conversation's socket was closed: {update.reason}."}
            )
            machine.state = Idle()
            return
        unfinished = list(update.unfinished)
        if isinstance(state, CatchingUp):
            unfinished = [*state.catch_up.unfinished, *unfinished]
        if isinstance(state, Resetting):
            machine.refuse(
                state.ticket, "The conversation could not be reset: its socket was lost."
            )
        if isinstance(state, Connecting) and state.ticket is not None:
            machine.refuse(state.ticket, CANNOT_START)
        machine.state = Reconnecting(machine.generation, unfinished=unfinished)
        machine.publish("offline")
        machine.emit(SetTimer("reconnectDeadline", machine.settings.reconnect_timeout))
        machine.publish("reconnecting")
        self.connect(None, join=False)

    def give_up(self) -> None:
        machine = self._machine
        machine.emit(CancelTimer("reconnect"))
        machine.emit(CancelTimer("reconnectDeadline"))
        machine.stop_socket()
        machine.state = Idle()
        machine.error({"code": 0, "body": RECONNECT_FAILED})

    # History ------------------------------------------------------------------------------

    def fetch_history_page(self) -> None:
        """The catch-up's next page (a JWT first, if need be)."""
        machine = self._machine
        state = machine.state
        if not isinstance(state, CatchingUp):
            return
        generation, number = state.generation, state.catch_up.page_number

        def fetch(jwt: JwtResponse | None) -> None:
            if machine.state is not state or machine.generation != generation:
                return
            if jwt is None:
                machine.emit(SetTimer("history", machine.settings.reconnect_interval))
                return
            page = calls.FetchPage(jwt.jwt, number, machine.settings.history_page_size)
            machine.call(page, detail="catchUp")

        machine.with_jwt(fetch)

    def page_read(self, pending: Pending, page: HistoryPage) -> None:
        machine = self._machine
        state = machine.state
        if not isinstance(state, CatchingUp) or pending.generation != machine.generation:
            return
        if state.catch_up.take(page, machine.record.seen):
            machine.updates.caught_up(state)
        else:
            self.fetch_history_page()

    def page_failed(self, pending: Pending, outcome: CallFailed) -> None:
        machine = self._machine
        if not isinstance(machine.state, CatchingUp) or pending.generation != machine.generation:
            return
        log.info("reading the history failed (%s); trying again", calls.sentence(outcome.reason))
        if outcome.status == 401:
            machine.record.jwt = None
        machine.emit(SetTimer("history", machine.settings.reconnect_interval))
