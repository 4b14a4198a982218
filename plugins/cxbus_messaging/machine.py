"""MessagingService's conversation as a state machine: what happened goes in, what to do comes out.

``ConversationMachine.handle(input)`` takes one of ``inputs`` (a command), the outcome
of a call it asked for, an update from the socket (``transport_updates``) or a timer,
and returns the ``cxbus.runtime.machine_runner`` effects to carry out, in order: events to
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
    Reconnecting  --SessionResponse, new session (it expired)-->  Active | ReadOnly
    CatchingUp  --history read-->               Active | ReadOnly
    ReadOnly    --resetConversation-->          Resetting  --new session-->  Active
    any         --cleared, expired, clearSession-->  Idle;  --bus closed-->  Closed

Every socket opened is a new *generation*; an update of another (a late frame of a
socket given up) is dropped. The parts: ``conversation_connection`` (sockets,
reconnecting, the history a gap left), ``conversation_commands`` (what the guest
does), ``conversation_files`` (uploads and downloads), ``conversation_updates``
(what the server sends), ``call_outcomes`` (the calls' outcomes, to the part that
asked), ``catch_up`` (what history holds that was missed).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import attrs

from cxbus.runtime.machine_runner import (
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
    StoreFailed,
    TimerFired,
    Updated,
)

from . import calls, inputs
from .call_outcomes import CallOutcomes
from .conversation_commands import APP_OFF, ConversationCommands
from .conversation_connection import ConversationConnection
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
from .guest_api import DeploymentConfig, Frame, JwtResponse, Request, actions
from .record import Asked, ConversationRecord
from .session_store import StoredSession
from .transport_updates import Answered, HealthChecked, Pushed, SocketLost

__all__ = ["NOT_CONFIGURED", "STOPPED", "ConversationMachine", "Settings"]

log = logging.getLogger("cxbus.messaging")

# Ours, where the SDK has no words.
STOPPED = "MessagingService has stopped: its bus was closed."
NOT_CONFIGURED = "MessagingService is not configured yet."
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
        self.new_token = new_token
        self._stored = stored
        self.under_way: dict[int, Pending] = {}
        """The calls asked for and not settled yet, by call id."""
        self._call_ids = 0
        self._out: list[Effect] = []
        self.outcomes = CallOutcomes(self)
        self.connection = ConversationConnection(self)
        self.updates = ConversationUpdates(self)
        self.files = ConversationFiles(self)
        self.commands = ConversationCommands(self)
        self._handlers: dict[type, Callable[[Any], None]] = {
            inputs.Configure: self._configure,
            inputs.Restore: self._restore,
            Close: self._close,
            CallSucceeded: self.outcomes.succeeded,
            CallFailed: self.outcomes.failed,
            StoreFailed: lambda failed: log.warning("%s", failed.sentence),
            Updated: self._updated,
            TimerFired: self._timer_fired,
        }
        commands = {**self.commands.handlers(), **self.files.handlers()}
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
            self.refuse(ticket, NOT_CONFIGURED)
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
        self.under_way[self._call_ids] = Pending(action, self.generation, ticket, detail)
        self.emit(Call(self._call_ids, self.generation, action))
        return self._call_ids

    @property
    def is_on(self) -> bool:
        """A session is configured and its socket up: requests go out at once. Not while
        resetting: what the guest sends then waits for the new session."""
        return isinstance(self.state, (Active, ReadOnly))

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
        return self.new_token()

    def with_jwt(self, then: Callable[[JwtResponse | None], None]) -> None:
        """Call ``then`` with a JWT good for more than a few seconds (``None``: refused)."""
        record = self.record
        if record.jwt is not None and not record.jwt.expires_within(JWT_MARGIN, self.clock()):
            then(record.jwt)
            return
        record.jwt_waiting.append(then)
        if not record.jwt_asked and record.token is not None:
            record.jwt_asked = True
            self.send(actions.get_jwt(record.token), Asked("jwt"), at_once=True)

    def jwt_answered(self, frame: Frame) -> None:
        record = self.record
        record.jwt = frame.body if isinstance(frame.body, JwtResponse) else None
        record.jwt_asked = False
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
            self.connection.connect(None, join=False, restoring=True)
        self.answer(command.ticket)

    def go_on(self, frame: Frame | None, join: bool = False) -> None:
        """The session is configured and caught up: Active or ReadOnly, and what waited
        goes. ``join``: the Join presence goes first (autoStart on a new session), before
        any message that waited, as the conversation starts with it."""
        if self.record.read_only:
            self.state = ReadOnly(self.generation)
            if frame is not None:
                self.publish("readOnlyConversation", dict(frame.raw))
        else:
            self.state = Active(self.generation)
            if join:
                self.commands.join()
        self.flush()

    # Closing -------------------------------------------------------------------------------

    def _close(self, _: Close) -> None:
        if self.has_session:
            self.save()
        self.stop_socket()
        self.state = Closed()

    # Updates, timers ------------------------------------------------------------------------

    def _updated(self, updated: Updated) -> None:
        if updated.generation != self.generation:
            log.debug("dropping %s of an old socket", type(updated.update).__name__)
            return
        update = updated.update
        state = self.state
        if isinstance(update, SocketLost):
            self.connection.lost(update)
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
            self.connection.session_answered(frame)
        elif asked.kind == "jwt":
            if frame.is_error:
                self.error(frame)
            self.jwt_answered(frame)
        elif asked.kind in ("message", "join", "typing", "clear"):
            self.commands.answered(asked, update)
        else:
            self.files.answered(asked, frame)

    def _timer_fired(self, fired: TimerFired) -> None:
        state = self.state
        if fired.name == "reconnect" and isinstance(state, Reconnecting):
            self.connection.connect(None, join=False)
        elif fired.name == "reconnectDeadline" and isinstance(state, Reconnecting):
            self.connection.give_up()
        elif fired.name == "history":
            self.connection.fetch_history_page()
        else:
            self.updates.timer_fired(fired.name)


def _is_message(update: object) -> bool:
    """A message body from the socket: held while the history is read, to keep the order."""
    frame = update.frame if isinstance(update, (Answered, Pushed)) else None
    return frame is not None and frame.frame_class == "StructuredMessage"
