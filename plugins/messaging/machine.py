"""MessagingService's conversation as a state machine: what happened goes in, what to do comes out.

``ConversationMachine.handle(input)`` takes one of ``inputs`` (a command), the outcome
of a call it asked for, an update from the socket (``transport_updates``) or a timer,
and returns the ``cxbus.machine_runner`` effects to carry out, in order: events to
publish, commands to answer, calls (``calls``), saves, timers. It has no threads, no
I/O and no clock of its own, so its tests drive it step by step
(``tests/messaging/test_machine.py``); a ``MachineRunner`` runs it on the loop thread.

The states (``conversation_states``), and what moves them::

    Unloaded    --config.json read-->           Idle
    Idle        --start, configure, send, restore-->  Connecting
    Connecting  --SessionResponse-->            Active | ReadOnly | CatchingUp (restore)
    Active      --Disconnect (readOnly)-->      ReadOnly
    Active, ReadOnly, CatchingUp  --socket lost-->  Reconnecting
    Reconnecting  --SessionResponse-->          CatchingUp    (out of time: Idle)
    CatchingUp  --history read-->               Active | ReadOnly
    ReadOnly    --resetConversation-->          Resetting  --new session-->  Active
    any         --cleared, expired, clearSession-->  Idle;  --bus closed-->  Closed

Every socket opened is a new *generation*; an update of another (a late frame of a
socket given up) is dropped. The parts: ``conversation_commands`` (what the guest
does), ``conversation_files`` (uploads and downloads), ``conversation_updates``
(what the server sends), ``catch_up`` (history after a reconnection).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import attrs

from cxbus.machine_runner import (
    Answer,
    Call,
    CallFailed,
    CallSucceeded,
    CancelTimer,
    Close,
    Effect,
    Forget,
    Publish,
    Refuse,
    Save,
    SetTimer,
    StoreFailed,
    TimerFired,
    Updated,
)

from . import calls, inputs
from .catch_up import CatchUp
from .conversation_commands import APP_OFF, CANNOT_START, ConversationCommands
from .conversation_files import ConversationFiles
from .conversation_states import (
    Active,
    CatchingUp,
    Closed,
    Connecting,
    Idle,
    ReadOnly,
    Reconnecting,
    Resetting,
    Settings,
    State,
    Unloaded,
)
from .conversation_updates import ConversationUpdates, error_data
from .guest_api import DeploymentConfig, Frame, HistoryPage, JwtResponse, Request, actions
from .record import Asked, ConversationRecord
from .session_store import StoredSession
from .transport_updates import Answered, HealthChecked, Pushed, SocketLost

__all__ = ["NOT_LOADED", "STOPPED", "ConversationMachine", "Settings"]

log = logging.getLogger("cxbus.messaging")

# Ours, where the SDK has no words.
STOPPED = "MessagingService has stopped: its bus was closed."
NOT_LOADED = "MessagingService is not configured yet."
LOAD_FAILED = "MessagingService could not read the deployment's configuration: {}"
RECONNECT_FAILED = "Failed to reconnect."  # the mobile client's words
# A JWT this close to its expiry is renewed first (the mobile client's margin).
JWT_MARGIN = 5.0


@attrs.frozen
class Pending:
    """A call under way: what it does, for which socket, and the command waiting on it."""

    action: calls.Action
    generation: int
    ticket: int | None
    detail: Any = None


class ConversationMachine:
    """One MessagingService's conversation. ``stored`` is what the session store held when
    the service was configured (a ``ValueError`` when it held something unreadable);
    ``clock`` gives ``time.time()``; ``new_token`` makes a session token."""

    def __init__(
        self,
        settings: Settings,
        stored: StoredSession | ValueError | None,
        clock: Callable[[], float],
        new_token: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.settings = settings
        self.state: State = Unloaded()
        self.deployment: DeploymentConfig | None = None
        self.record = ConversationRecord()
        self.generation = 0
        """The socket in use (or last): each Connect opens the next."""
        self.asked: dict[str, Asked] = {}
        """Requests sent and not answered, by tracingId."""
        self.outbox: list[Request] = []
        """Requests that wait for the conversation to be on (connecting, catching up)."""
        self.clock = clock
        self._new_token = new_token
        self._stored = stored
        self._calls: dict[int, Pending] = {}
        self._call_ids = 0
        self._out: list[Effect] = []
        self.updates = ConversationUpdates(self)
        self.files = ConversationFiles(self)
        self._commands = ConversationCommands(self)
        self._handlers: dict[type, Callable[[Any], None]] = {
            inputs.Configure: self._configure,
            inputs.Restore: self._restore,
            Close: self._close,
            CallSucceeded: self._call_succeeded,
            CallFailed: self._call_failed,
            StoreFailed: lambda failed: log.warning("%s", failed.sentence),
            Updated: self._updated,
            TimerFired: self._timer_fired,
        }
        commands = {**self._commands.handlers(), **self.files.handlers()}
        self._handlers.update({kind: self._app_on(handler) for kind, handler in commands.items()})

    def handle(self, happened: object) -> list[Effect]:
        """Take in what happened; return what to do about it, in order."""
        ticket: int | None = getattr(happened, "ticket", None)  # commands have one
        if ticket is not None and isinstance(self.state, Closed):
            self.refuse(ticket, STOPPED)
        elif (
            ticket is not None
            and isinstance(self.state, Unloaded)
            and not isinstance(happened, inputs.Configure)
        ):
            self.refuse(ticket, NOT_LOADED)
        else:
            self._handlers[type(happened)](happened)
        out, self._out = self._out, []
        return out

    def _app_on(self, handler: Callable[[Any], None]) -> Callable[[Any], None]:
        """``handler``, refused while the deployment has no conversations app."""

        def guarded(command: Any) -> None:
            if self.deployment is not None and not self.deployment.conversations_enabled:
                self.refuse(command.ticket, APP_OFF)
            else:
                handler(command)

        return guarded

    # What the parts of the machine use -------------------------------------------------

    def emit(self, effect: Effect) -> None:
        self._out.append(effect)

    def publish(self, name: str, data: Any = None, retain: bool = False) -> None:
        self.emit(Publish(name, data, retain))

    def answer(self, ticket: int, value: Any = None) -> None:
        self.emit(Answer(ticket, value))

    def refuse(self, ticket: int, reason: Any) -> None:
        self.emit(Refuse(ticket, reason))

    def error(self, frame: Frame | dict[str, Any]) -> None:
        """Publish ``error`` for a frame (or a failure of our own, shaped like one)."""
        self.publish("error", {"error": error_data(frame)})

    def call(self, action: calls.Action, ticket: int | None = None, detail: Any = None) -> int:
        """Ask for ``action`` (for the socket in use) and remember it; its call id."""
        self._call_ids += 1
        self._calls[self._call_ids] = Pending(action, self.generation, ticket, detail)
        self.emit(Call(self._call_ids, self.generation, action))
        return self._call_ids

    @property
    def is_on(self) -> bool:
        """A session is configured and its socket up: requests go out at once."""
        return isinstance(self.state, (Active, ReadOnly, Resetting))

    @property
    def has_session(self) -> bool:
        """There is a conversation, up, on its way or coming back (not idle, not cleared)."""
        return isinstance(
            self.state, (Connecting, Active, ReadOnly, Resetting, Reconnecting, CatchingUp)
        )

    def send(self, request: Request, asked: Asked, at_once: bool = False) -> None:
        """Send ``request`` now if the conversation is on (or ``at_once``: it is part of
        getting it on), else when it is."""
        self.asked[request.tracing_id] = asked
        if self.is_on or at_once:
            self.call(calls.Send((request,), self.generation))
        else:
            self.outbox.append(request)

    def flush(self) -> None:
        """The conversation is on: what waited goes out, in order."""
        if self.outbox:
            waiting, self.outbox = tuple(self.outbox), []
            self.call(calls.Send(waiting, self.generation))

    def save(self) -> None:
        token = self.record.token
        if token is not None:
            self._stored = StoredSession(token, self.settings.deployment_id, self.clock())
            self.emit(Save(self._stored))

    def forget_session(self) -> None:
        """The session is over for good: a new token next time, and nothing stored."""
        self.record = ConversationRecord()
        self.outbox = []
        self.asked = {}
        self._stored = None
        self.emit(Forget())
        for name in ("agentTyping", "sessionWarning", "reconnect", "reconnectDeadline", "history"):
            self.emit(CancelTimer(name))

    def stop_socket(self) -> None:
        """Close the socket in use; what it still brings is dropped."""
        self.call(calls.Disconnect(self.generation))
        self.generation += 1

    def new_id(self) -> str:
        """A new UUID (an attachment's id)."""
        return self._new_token()

    def with_jwt(self, then: Callable[[JwtResponse | None], None]) -> None:
        """Call ``then`` with a JWT good for more than a few seconds (``None``: refused)."""
        record = self.record
        if record.jwt is not None and not record.jwt.expires_within(JWT_MARGIN, self.clock()):
            then(record.jwt)
            return
        record.jwt_waiting.append(then)
        if len(record.jwt_waiting) == 1 and record.token is not None:
            self.send(actions.get_jwt(record.token), Asked("jwt"), at_once=True)

    def jwt_answered(self, frame: Frame) -> None:
        record = self.record
        record.jwt = frame.body if isinstance(frame.body, JwtResponse) else None
        waiting, record.jwt_waiting = record.jwt_waiting, []
        for then in waiting:
            then(record.jwt)

    # Loading and restoring --------------------------------------------------------------

    def _configure(self, command: inputs.Configure) -> None:
        if isinstance(self.state, Unloaded):
            self.call(calls.LoadDeployment(), command.ticket)
        else:
            self.answer(command.ticket)

    def _restore(self, command: inputs.Restore) -> None:
        stored = self._stored
        if isinstance(stored, ValueError):
            log.warning("the stored messaging session is discarded: %s", stored)
            self.forget_session()
        elif (
            stored is not None
            and stored.deployment_id == self.settings.deployment_id
            and isinstance(self.state, Idle)
            and self.deployment is not None
            and self.deployment.conversations_enabled
        ):
            self.record.token = stored.token
            self.publish("restoring", retain=True)
            self.connect(None, join=False, restoring=True)
        self.answer(command.ticket)

    # Connecting -------------------------------------------------------------------------

    def connect(self, ticket: int | None, join: bool, restoring: bool = False) -> None:
        """Open a socket and configure the session (the record's token, or a new one)."""
        if self.record.token is None:
            self.record.token = self._new_token()
        self.generation += 1
        if isinstance(self.state, Reconnecting):
            self.state.generation = self.generation
        else:
            self.state = Connecting(self.generation, ticket, join, restoring)
        request = actions.configure_session(self.record.token, self.settings.deployment_id)
        self.asked[request.tracing_id] = Asked("configure")
        self.call(calls.Connect(self.record.token, request, self.generation))

    def _connected(self, pending: Pending) -> None:
        state = self.state
        if pending.generation != self.generation:
            return  # a socket given up already
        if isinstance(state, Connecting) and state.ticket is not None:
            self.answer(state.ticket)  # startConversation resolves once the socket opens
            state.ticket = None
        elif isinstance(state, Reconnecting):
            state.configuring = True

    def _connect_failed(self, pending: Pending, outcome: CallFailed) -> None:
        state = self.state
        if pending.generation != self.generation:
            return
        self.error({"code": outcome.status or 0, "body": _sentence(outcome.reason)})
        if isinstance(state, Connecting):
            if state.ticket is not None:
                self.refuse(state.ticket, CANNOT_START)
            self.state = Idle()
        elif isinstance(state, Reconnecting):
            if outcome.status == 403:  # access denied: no retry (as the mobile client)
                self._give_up()
            else:
                self.emit(SetTimer("reconnect", self.settings.reconnect_interval))

    def session_answered(self, frame: Frame) -> None:
        """The answer to configureSession (or to closeSession, while resetting)."""
        state = self.state
        if isinstance(state, Resetting):
            self._commands.reset_answered(frame)
            return
        if frame.is_error or frame.frame_class != "SessionResponse":
            self.error(frame)
            self.stop_socket()
            if isinstance(state, Reconnecting):
                state.configuring = False
                self.emit(SetTimer("reconnect", self.settings.reconnect_interval))
            elif isinstance(state, Connecting):
                if state.ticket is not None:
                    self.refuse(state.ticket, CANNOT_START)
                self.state = Idle()
            return
        self.updates.session_configured(frame)
        if isinstance(state, Connecting):
            self._configured(state, frame)
        elif isinstance(state, Reconnecting):
            self._reconfigured(state, frame)

    def _configured(self, state: Connecting, frame: Frame) -> None:
        record = self.record
        if state.ticket is not None:  # the session answered before the socket's opening was told
            self.answer(state.ticket)
            state.ticket = None
        self.publish("started", record.started_data(), retain=True)
        if state.restoring:
            if record.read_only:
                self.publish("readOnlyConversation", dict(frame.raw))
            self.state = CatchingUp(state.generation, CatchUp(restoring=True), record.read_only)
            self.fetch_history_page()
            return
        self.go_on(frame)
        deployment = self.deployment
        if (
            state.join
            and deployment is not None
            and deployment.auto_start
            and record.session is not None
            and record.session.new_session
            and not record.read_only
        ):
            self._commands.join()

    def _reconfigured(self, state: Reconnecting, frame: Frame) -> None:
        self.emit(CancelTimer("reconnectDeadline"))
        self.publish("reconnected")
        record = self.record
        if record.session is not None and record.session.new_session:
            # The session expired meanwhile: a new conversation, nothing to catch up on.
            record.seen.clear()
            self.publish("started", record.started_data(), retain=True)
            self.go_on(frame)
            return
        catch_up = CatchUp(restoring=False, unfinished=tuple(state.unfinished))
        self.state = CatchingUp(state.generation, catch_up, record.read_only)
        self.fetch_history_page()

    def go_on(self, frame: Frame | None) -> None:
        """The session is configured and caught up: Active or ReadOnly, and what waited goes."""
        if self.record.read_only:
            self.state = ReadOnly(self.generation)
            if frame is not None:
                self.publish("readOnlyConversation", dict(frame.raw))
        else:
            self.state = Active(self.generation)
        self.flush()

    # Losing the socket, and reconnecting -------------------------------------------------

    def lost(self, update: SocketLost) -> None:
        state = self.state
        if isinstance(state, Reconnecting):
            state.unfinished.extend(r for r in update.unfinished if r not in state.unfinished)
            state.configuring = False
            self.emit(SetTimer("reconnect", self.settings.reconnect_interval))
            return
        if not isinstance(state, (Active, ReadOnly, CatchingUp, Connecting, Resetting)):
            return
        if self.record.closed_by_server:
            # Another connection took this one's place (or the guest signed in elsewhere):
            # reopening would take it back. The token is kept: startConversation resumes.
            self.error(
                {"code": 0, "body": f"The conversation's socket was closed: {update.reason}."}
            )
            self.state = Idle()
            return
        unfinished = list(update.unfinished)
        if isinstance(state, CatchingUp):
            unfinished = [*state.catch_up.unfinished, *unfinished]
        if isinstance(state, Resetting):
            self.refuse(state.ticket, "The conversation could not be reset: its socket was lost.")
        if isinstance(state, Connecting) and state.ticket is not None:
            self.refuse(state.ticket, CANNOT_START)
        self.state = Reconnecting(self.generation, unfinished=unfinished)
        self.publish("offline")
        self.emit(SetTimer("reconnectDeadline", self.settings.reconnect_timeout))
        self.publish("reconnecting")
        self.connect(None, join=False)

    def _give_up(self) -> None:
        self.emit(CancelTimer("reconnect"))
        self.emit(CancelTimer("reconnectDeadline"))
        self.stop_socket()
        self.state = Idle()
        self.error({"code": 0, "body": RECONNECT_FAILED})

    # History ------------------------------------------------------------------------------

    def fetch_history_page(self) -> None:
        """The catch-up's next page (a JWT first, if need be)."""
        state = self.state
        if not isinstance(state, CatchingUp):
            return
        generation, number = state.generation, state.catch_up.page_number

        def fetch(jwt: JwtResponse | None) -> None:
            if self.state is not state or self.generation != generation:
                return
            if jwt is None:
                self.emit(SetTimer("history", self.settings.reconnect_interval))
                return
            page = calls.FetchPage(jwt.jwt, number, self.settings.history_page_size)
            self.call(page, detail="catchUp")

        self.with_jwt(fetch)

    def _page_read(self, pending: Pending, page: HistoryPage) -> None:
        state = self.state
        if not isinstance(state, CatchingUp) or pending.generation != self.generation:
            return
        if state.catch_up.take(page, self.record.seen):
            self.updates.caught_up(state)
        else:
            self.fetch_history_page()

    def _page_failed(self, pending: Pending, outcome: CallFailed) -> None:
        if not isinstance(self.state, CatchingUp) or pending.generation != self.generation:
            return
        log.info("reading the history failed (%s); trying again", _sentence(outcome.reason))
        if outcome.status == 401:
            self.record.jwt = None
        self.emit(SetTimer("history", self.settings.reconnect_interval))

    # Closing -------------------------------------------------------------------------------

    def _close(self, _: Close) -> None:
        if self.has_session:
            self.save()
        self.stop_socket()
        self.state = Closed()

    # Outcomes of calls, updates, timers ------------------------------------------------------

    def _call_succeeded(self, outcome: CallSucceeded) -> None:
        pending = self._calls.pop(outcome.call)
        action = pending.action
        if isinstance(action, calls.LoadDeployment):
            self.deployment = outcome.value
            self.state = Idle()
            if pending.ticket is not None:
                self.answer(pending.ticket)
        elif isinstance(action, calls.Connect):
            self._connected(pending)
        elif isinstance(action, calls.Send):
            if outcome.value is False:
                # The socket went first: what it did not take waits for the next one.
                self.outbox = [*action.requests, *self.outbox]
        elif isinstance(action, calls.FetchPage):
            if pending.detail == "catchUp":
                self._page_read(pending, outcome.value)
            else:
                self._commands.history_page(pending, outcome.value)
        else:
            self.files.call_succeeded(pending, outcome.value)

    def _call_failed(self, outcome: CallFailed) -> None:
        pending = self._calls.pop(outcome.call)
        action = pending.action
        if isinstance(action, calls.LoadDeployment):
            if pending.ticket is not None:
                self.refuse(pending.ticket, LOAD_FAILED.format(_sentence(outcome.reason)))
        elif isinstance(action, calls.Connect):
            self._connect_failed(pending, outcome)
        elif isinstance(action, calls.FetchPage):
            if pending.detail == "catchUp":
                self._page_failed(pending, outcome)
            else:
                self._commands.history_failed(pending, outcome)
        elif isinstance(action, (calls.Send, calls.Disconnect)):
            log.warning("%s failed: %s", type(action).__name__, _sentence(outcome.reason))
        else:
            self.files.call_failed(pending, outcome)

    def _updated(self, updated: Updated) -> None:
        if updated.generation != self.generation:
            log.debug("dropping %s of an old socket", type(updated.update).__name__)
            return
        update = updated.update
        state = self.state
        if isinstance(update, SocketLost):
            self.lost(update)
        elif isinstance(update, HealthChecked):
            self.updates.health_checked(update.frame)
        elif isinstance(state, CatchingUp) and _is_message(update):
            state.catch_up.held.append(update)
        else:
            self.take(update)

    def take(self, update: object) -> None:
        """An answer or a push, now (a held one, once the history is read)."""
        if isinstance(update, Answered):
            self._answered(update)
        elif isinstance(update, Pushed):
            self.updates.pushed(update.frame)

    def _answered(self, update: Answered) -> None:
        asked = self.asked.pop(update.request.tracing_id, None)
        frame = update.frame
        if asked is None:
            self.updates.pushed(frame)
        elif asked.kind in ("configure", "close"):
            self.session_answered(frame)
        elif asked.kind == "jwt":
            if frame.is_error:
                self.error(frame)
            self.jwt_answered(frame)
        elif asked.kind in ("message", "join", "typing", "clear"):
            self._commands.answered(asked, update)
        else:
            self.files.answered(asked, frame)

    def _timer_fired(self, fired: TimerFired) -> None:
        state = self.state
        if fired.name == "reconnect" and isinstance(state, Reconnecting):
            self.connect(None, join=False)
        elif fired.name == "reconnectDeadline" and isinstance(state, Reconnecting):
            self._give_up()
        elif fired.name == "history":
            self.fetch_history_page()
        else:
            self.updates.timer_fired(fired.name)


def _is_message(update: object) -> bool:
    """A message body from the socket: held while the history is read, to keep the order."""
    frame = update.frame if isinstance(update, (Answered, Pushed)) else None
    return frame is not None and frame.frame_class == "StructuredMessage"


def _sentence(reason: Any) -> str:
    text = str(reason)
    return text if text.endswith(".") else f"{text}."
