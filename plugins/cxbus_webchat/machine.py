"""WebChatService's chat as a state machine: what happened goes in, what to do comes out.

``ChatMachine.handle(input)`` takes one of ``inputs`` (a command, the outcome of a
call it asked for, an update from the server, a timer) and returns the ``effects``
to carry out, in order: events to publish, commands to answer, calls for the
transport, saves, timers. It has no threads, no I/O and no clock of its own, so its
tests drive it step by step (``tests/webchat/test_machine.py``); a
``cxbus.runtime.machine_runner.MachineRunner`` runs it on the loop thread and carries its
effects out.

The states (``machine.state``), and the rows of the Genesys page that move them::

    Idle      --startChat-->  Starting   --created-->  Active     (refused: Idle)
    Idle      --restore-->    Restoring  --resumed-->  Active     (failed: Idle)
    Active    --endChat-->    Ending     --left-->     Idle       (failed: Idle, told so)
    Active, Ending  --the guest's own member-leave, or the server's ChatEnded-->  Idle
    any       --close-->      Closed     (a chat created after: stored, to restore)

On a polling transport (GMS), an active chat also polls (``chat_polling``).

Every start or restore opens a new *generation*; an update of another generation
(a late frame of a chat that has ended) is dropped. While starting or restoring,
the new chat's updates wait in a buffer and are handled once it is active.
"""

from __future__ import annotations

import logging
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

from . import actions, inputs
from .chat_commands import NO_SESSION, ChatCommands
from .chat_polling import TIMER as POLL_TIMER
from .chat_polling import ChatPolling
from .chat_restore import ChatRestore
from .chat_states import (
    Active,
    Closed,
    Ending,
    Idle,
    Pending,
    Restoring,
    Settings,
    Starting,
    State,
)
from .chat_updates import ChatUpdates
from .messages import Filters
from .payloads import TranscriptMessage
from .record import ChatRecord
from .session_store import StoredSession
from .transport import (
    GONE,
    Member,
    SessionData,
    TransportUpdate,
)

__all__ = ["ChatMachine", "Settings"]

log = logging.getLogger("cxbus.webchat")

# The page's sentences, word for word.
ALREADY_ACTIVE = "There is already an active chat session."
# Ours, where the page gives no words.
STOPPED = "WebChatService has stopped: its bus was closed."
ENDED_UNTOLD = "The chat has ended here, but the chat server could not be told: {}"
# restoreTimeout counts from when the guest went away: the stored time is renewed when
# the bus closes, and while messages flow at most once per this many seconds.
SESSION_RENEWAL_INTERVAL = 5.0


class ChatMachine:
    """One WebChatService's chat. ``stored`` is what the session store held when the
    service was configured (a ``ValueError`` when it held something unreadable);
    ``clock`` gives ``time.time()``; ``monotonic`` (``time.monotonic()``, else
    ``clock``) times the polls, which a change of the system's clock must not stall."""

    def __init__(
        self,
        settings: Settings,
        stored: StoredSession | ValueError | None,
        clock: Callable[[], float],
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.state: State = Idle()
        self.record = ChatRecord()
        self.user_data: dict[str, Any] = dict(settings.user_data)
        self.filters = Filters()
        self.preprocessors: list[Callable[[TranscriptMessage], Any]] = []
        self.stored = stored
        self.clock = clock
        self.monotonic = monotonic or clock
        self.generation = 0
        """The chat under way (or last): each start or restore opens the next."""
        self._calls: dict[int, Pending] = {}
        self._call_ids = 0
        self._saved_at = float("-inf")
        self._store_failure_told = False
        self._out: list[Effect] = []
        self.updates = ChatUpdates(self)
        self._commands = ChatCommands(self)
        self.polling = ChatPolling(self)
        self.restoring = ChatRestore(self)
        self._handlers: dict[type, Callable[[Any], None]] = {
            inputs.StartChat: self._start_chat,
            inputs.EndChat: self._end_chat,
            inputs.SendMessage: self._commands.send_message,
            inputs.SendFilteredMessage: self._commands.send_filtered_message,
            inputs.AddPrefilter: self._commands.add_prefilter,
            inputs.SendTyping: self._commands.send_typing,
            inputs.UpdateUserData: self._commands.update_user_data,
            inputs.Restore: self.restoring.restore,
            inputs.SendFile: self._commands.send_file,
            inputs.DownloadFile: self._commands.download_file,
            inputs.RegisterPreprocessor: self._commands.register_preprocessor,
            inputs.Read: self._commands.read,
            inputs.Polling: self.polling.command,
            Close: self._close,
            CallSucceeded: self._call_succeeded,
            CallFailed: self._call_failed,
            StoreFailed: self._store_failed,
            Updated: self._updated,
            TimerFired: self._timer_fired,
        }

    def handle(self, happened: object) -> list[Effect]:
        """Take in what happened; return what to do about it, in order."""
        ticket: int | None = getattr(happened, "ticket", None)  # commands have one
        if isinstance(self.state, Closed) and ticket is not None:
            self.refuse(ticket, STOPPED)
        else:
            self._handlers[type(happened)](happened)
        out, self._out = self._out, []
        return out

    # What the other parts of the machine use ----------------------------------------

    def emit(self, effect: Effect) -> None:
        self._out.append(effect)

    def publish(self, name: str, data: Any = None) -> None:
        self.emit(Publish(name, data))

    def answer(self, ticket: int, value: Any = None) -> None:
        self.emit(Answer(ticket, value))

    def refuse(self, ticket: int, reason: Any) -> None:
        self.emit(Refuse(ticket, reason))

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    @property
    def is_active(self) -> bool:
        """The chat is on and not ending: it takes messages, typing, files."""
        return isinstance(self.state, Active)

    @property
    def chat_is_on(self) -> bool:
        """Active, or ending but not ended yet."""
        return isinstance(self.state, (Active, Ending))

    def call(self, action: actions.Action, ticket: int | None = None, **pending: Any) -> None:
        """Ask for ``action`` for the chat going on (or ``generation=``) and remember it."""
        self._call_ids += 1
        generation = pending.pop("generation", self.generation)
        self._calls[self._call_ids] = Pending(action, generation, ticket, **pending)
        # Leaving ends within the transport's timeout, not behind calls a dead server
        # holds; a poll (GMS) neither waits behind the chat's calls nor holds them up
        # (the widgets' polls overlap their sends too).
        urgent = isinstance(action, (actions.Leave, actions.Refresh))
        self.emit(Call(self._call_ids, generation, action, urgent))

    def save(self, renew: bool = False) -> None:
        """Keep the chat in the session store (``renew``: only if not saved lately)."""
        session = self.record.session
        if session is None or not self.chat_is_on:
            return
        now = self.clock()
        if renew and now - self._saved_at < SESSION_RENEWAL_INTERVAL:
            return
        self._saved_at = now
        self.stored = StoredSession(
            session, tuple(self.filters.sources()), self.record.started_at, now
        )
        self.emit(Save(self.stored))

    def forget(self) -> None:
        self.stored = None
        self.emit(Forget())

    def finish(self) -> int | None:
        """The chat is over, whoever ended it: clientDisconnected if not said yet, ended.

        Returns the ticket of the endChat waiting for this, for the caller to answer.
        """
        if not self.chat_is_on:
            return None
        ending = self.state
        record = self.record
        if not record.guest_left and record.session is not None:
            self.updates.guest_left(Member(record.session.member_id, "CUSTOMER", "DISCONNECTED"))
        for member_id in sorted(record.agents_typing):
            self.emit(CancelTimer(f"agentTyping:{member_id}"))
        record.agents_typing.clear()
        if record.client_typing:
            self.emit(CancelTimer("clientTyping"))
            record.client_typing = False
        record.ended_at = self.now_ms()
        self.polling.stop()
        self.filters = Filters()  # filters last as long as the chat
        self.state = Idle()
        self.forget()
        self.call(actions.CloseTransport())
        self.publish("ended")
        return ending.ticket if isinstance(ending, Ending) else None

    # Starting ------------------------------------------------------------------------

    def _start_chat(self, command: inputs.StartChat) -> None:
        if not isinstance(self.state, Idle):
            self.refuse(command.ticket, ALREADY_ACTIVE)
            return
        self.generation += 1
        self.state = Starting(self.generation, command.ticket)
        user_data = {**self.user_data, **command.request.user_data}
        request = attrs.evolve(command.request, user_data=user_data)
        self.call(actions.Start(request), command.ticket)

    def _started(self, pending: Pending, session: SessionData) -> None:
        state = self.state
        if isinstance(state, Closed) and state.starting == pending.generation:
            # Created on the server as the bus closed: kept, so it is not lost there.
            self.record = ChatRecord(session, started_at=self.now_ms())
            self.emit(Save(StoredSession(session, (), self.record.started_at, self.clock())))
        if not isinstance(state, Starting) or state.generation != pending.generation:
            self.call(actions.CloseTransport(), generation=pending.generation)
            return
        self.record = ChatRecord(session, started_at=self.now_ms(), gms=self.gms)
        self.state = Active(state.generation)
        self.publish("started", self.record.session_data())
        self.polling.begin_chat()
        self.save()
        self.replay(state.buffered)
        self.answer(state.ticket, self.record.session_data())

    def replay(self, buffered: list[TransportUpdate]) -> None:
        for update in buffered:
            if self.chat_is_on:
                self.updates.handle(update)

    # Ending ------------------------------------------------------------------------------

    def _end_chat(self, command: inputs.EndChat) -> None:
        state = self.state
        if not isinstance(state, Active):
            self.refuse(command.ticket, NO_SESSION)
            return
        self.state = Ending(state.generation, command.ticket)
        self.call(actions.Leave(), command.ticket)

    # Closing --------------------------------------------------------------------------------

    @property
    def gms(self) -> bool:
        """The chat goes through GMS (a polling transport)."""
        return self.settings.polling is not None

    def _close(self, _: Close) -> None:
        self.save()  # restoreTimeout counts from now
        self.emit(CancelTimer(POLL_TIMER))
        for name in [f"agentTyping:{m}" for m in sorted(self.record.agents_typing)]:
            self.emit(CancelTimer(name))
        if self.record.client_typing:
            self.emit(CancelTimer("clientTyping"))
        starting = self.state.generation if isinstance(self.state, Starting) else None
        self.state = Closed(starting)
        self.call(actions.CloseTransport())

    # Outcomes of calls ------------------------------------------------------------------

    def _call_succeeded(self, outcome: CallSucceeded) -> None:
        pending = self._calls.pop(outcome.call)
        action, value = pending.action, outcome.value
        if isinstance(action, actions.Refresh):
            self.polling.refreshed(pending, value)
            return
        self.polling.call_done(answered=True)
        self.polling.sent(action)
        if isinstance(action, actions.Start):
            self._started(pending, value)
            return
        if isinstance(action, actions.Resume):
            self.restoring.resumed(pending, value)
            return
        if isinstance(action, actions.Leave):
            value = None
            if self.finish() is None:
                return  # the guest's own leaving came first and answered endChat
        elif isinstance(action, actions.TellTyping):
            if action.started:
                self._commands.typing_told(pending.generation)
            value = None
        elif isinstance(action, actions.SendText):
            if pending.generation == self.generation:
                self._commands.stop_client_typing()
            # sendMessage answers with the message as the server made it; a filtered
            # message with nothing (the page's "n/a").
            value = None if pending.filter is not None else dict(value.original)
        if pending.ticket is not None:
            self.answer(pending.ticket, value)

    def _call_failed(self, outcome: CallFailed) -> None:
        pending = self._calls.pop(outcome.call)
        action = pending.action
        if isinstance(action, actions.Refresh):
            self.polling.refresh_failed(pending)
            if pending.ticket is not None:
                self.refuse(pending.ticket, outcome.reason)
            return
        if outcome.from_server:
            self.polling.call_done(answered=outcome.status is not None)
        if outcome.from_server and not isinstance(action, actions.CloseTransport):
            self.publish("error", outcome.reason)
        if isinstance(action, actions.Start):
            state = self.state
            if isinstance(state, Starting) and state.generation == pending.generation:
                self.state = Idle()
                self.call(actions.CloseTransport(), generation=pending.generation)
        elif isinstance(action, actions.Resume):
            self.restoring.failed(pending, outcome)
        elif isinstance(action, actions.Leave):
            self._leave_failed(pending, outcome)
            return
        elif pending.filter is not None and pending.filter_is_new:
            self.filters.remove(pending.filter)
            self.save()
        if pending.ticket is not None:
            self.refuse(pending.ticket, outcome.reason)

    def _leave_failed(self, pending: Pending, outcome: CallFailed) -> None:
        """The guest can always end their chat: it ends here, and the command says
        whether the server was told (a conversation the server has lost counts as told)."""
        ticket = self.finish()
        if ticket is None:
            return  # the guest's own leaving came first and answered endChat
        if outcome.status in GONE:
            self.answer(ticket)
        else:
            self.refuse(ticket, ENDED_UNTOLD.format(_sentence(outcome.reason)))

    def _store_failed(self, failure: StoreFailed) -> None:
        log.warning("%s", failure.sentence)
        if not self._store_failure_told:  # once: a failing disk would fail every save
            self._store_failure_told = True
            self.publish("error", {"message": failure.sentence})

    # Updates and timers --------------------------------------------------------------------

    def _updated(self, updated: Updated) -> None:
        state = self.state
        if isinstance(state, (Starting, Restoring)) and updated.generation == state.generation:
            state.buffered.append(updated.update)
        elif self.chat_is_on and updated.generation == self.generation:
            self.updates.handle(updated.update)
        else:
            log.debug(
                "dropping %s of chat %d: not the chat going on",
                type(updated.update).__name__,
                updated.generation,
            )

    def _timer_fired(self, fired: TimerFired) -> None:
        if fired.name == POLL_TIMER:
            self.polling.timer_fired()
        elif fired.name == "clientTyping":
            self._commands.stop_client_typing()
            if self.gms and self.is_active:  # the widgets' GMS module tells the server
                self.call(actions.TellTyping(started=False))
        elif fired.name.startswith("agentTyping:"):
            self.updates.agent_typing_timed_out(fired.name.split(":", 1)[1])


def _sentence(reason: Any) -> str:
    """A refusal as one sentence: an error body's message, or the reason itself."""
    if isinstance(reason, dict) and isinstance(reason.get("message"), str):
        text = reason["message"]
    else:
        text = str(reason)
    return text if text.endswith(".") else f"{text}."
