"""WebChatService's chat as a state machine: what happened goes in, what to do comes out.

``ChatMachine.handle(input)`` takes one input (``inputs``: a command, the outcome of a
call, what the transport reported, a timer) and returns the
``cxbus.runtime.machine_runner`` effects to carry out, in order. It has no threads, no
I/O and no clock of its own, so its tests drive it step by step; a ``MachineRunner``
runs it on the loop thread.

Its transitions are one table, ``TRANSITIONS`` (at the end of this module): for each
state (``states``) and kind of input, the handler that takes it and the states that
may follow. ``handle`` reads the input's kind (a call's outcome is of the kind of its
typed purpose), steps the table and assigns the state the handler returns: the only
place the state changes. ``docs/webchat.md`` draws the table. On a polling transport
(GMS) the chat polls: ``chat_polling.ChatPolling`` says when, and never calls back.

Every start or restore opens a new *generation*; an update of another generation (a
late frame of a chat that has ended) is dropped. While starting or restoring, the new
chat's updates wait in the state and are taken once it is active.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast, get_args

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
    SetTimer,
    StoreFailed,
    TimerFired,
    Updated,
)
from cxbus.runtime.transitions import Kind, Row, Transitions

from . import actions
from .chat_polling import ChatPolling, Step
from .inputs import (
    AddPrefilter,
    CallPurpose,
    Command,
    Creation,
    Departure,
    DownloadFile,
    EndChat,
    FileDownload,
    FileUpload,
    FilteredPost,
    Poll,
    PollNow,
    Post,
    Read,
    Reattachment,
    RegisterPreprocessor,
    ResetPollExceptions,
    Restore,
    SendFile,
    SendFilteredMessage,
    SendMessage,
    SendTyping,
    Settled,
    StartChat,
    StartPoll,
    StopPoll,
    Teardown,
    Timer,
    TypingEnd,
    TypingNotice,
    UpdateUserData,
    UserDataUpdate,
)
from .messages import Filters, Message, sender_type
from .payloads import MessageReceivedData, TranscriptMessage
from .polling import PollResult
from .record import Agent, ChatRecord
from .sentences import (
    ALREADY_ACTIVE,
    ALREADY_RESTORING,
    ENDED_UNTOLD,
    NO_ACTIVE_SESSION,
    NO_SESSION,
    NO_USER_DATA_UPDATE,
    NOT_REACHED,
    NOTHING_TO_RESTORE,
    RESTORE_WHILE_ACTIVE,
    STOPPED,
)
from .session_store import StoredSession
from .states import Active, Closed, Ending, Idle, Restoring, Settings, Starting, State
from .transport import (
    ENDED_ON_RESTORE,
    GONE,
    NO_FILES,
    ChatEnded,
    ChatMessage,
    Connection,
    Member,
    Refreshed,
    SessionData,
    TransportUpdate,
    Typing,
)

__all__ = ["TRANSITIONS", "ChatMachine", "Settings"]

log = logging.getLogger("cxbus.webchat")

S = TypeVar("S", bound=State)
K = TypeVar("K", bound=Kind)

# restoreTimeout counts from when the guest went away: the stored time is renewed when
# the bus closes, and while messages flow at most once per this many seconds.
SESSION_RENEWAL_INTERVAL = 5.0
# A stored session saved further ahead than this is not trusted (a clock gone wrong).
FUTURE_TOLERANCE = 5.0
# A member's leave as its member-leave message says it: unlike a member-change to
# DISCONNECTED, which may be temporary for the guest, it is final.
LEFT = "LEFT"
PRESENCE = {"member-join": "CONNECTED", "member-leave": LEFT}
# The members whose joins and leaves are told, by role: the prefix of their events
# (agentConnected, supervisorConnected, botConnected, and ...Disconnected).
EVENT_PREFIX = {"AGENT": "agent", "SUPERVISOR": "supervisor", "BOT": "bot"}


@attrs.frozen
class Pending:
    """A call under way: why it was made, for which chat."""

    purpose: CallPurpose
    generation: int


@attrs.define
class Batch:
    """Transcript lines to publish in one messageReceived, with the server's originals."""

    originals: list[Any] = attrs.field(factory=list)
    shown: list[TranscriptMessage] = attrs.field(factory=list)

    def add(self, original: Mapping[str, Any], shown: TranscriptMessage) -> None:
        self.originals.append(dict(original))
        self.shown.append(shown)


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
        # A tuple (empty most of the time): an empty list is still an object the garbage
        # collector walks, one a chat.
        self.preprocessors: tuple[Callable[[TranscriptMessage], Any], ...] = ()
        self.stored = stored
        self.clock = clock
        self.monotonic = monotonic or clock
        self.generation = 0
        """The chat under way (or last): each start or restore opens the next."""
        self.polling = ChatPolling(settings.polling, self.monotonic)
        self._under_way: dict[int, Pending] = {}
        self._call_ids = 0
        self._saved_at = float("-inf")
        self._store_failure_told = False
        self._out: list[Effect] = []

    def handle(self, happened: object) -> list[Effect]:
        """Take in what happened; return what to do about it, in order."""
        read = self._read(happened)
        if read is not None:
            self.state = self._step(self.state, *read)
        out, self._out = self._out, []
        return out

    def _step(self, state: State, kind: Kind, taken: object) -> State:
        return TRANSITIONS.step(self, state, kind, taken)

    def _read(self, happened: object) -> tuple[Kind, object] | None:
        """What ``happened`` is, as the table's kind and the input its handler takes;
        ``None``: it is not for this machine any more (an update of another chat)."""
        if isinstance(happened, Updated):
            update: TransportUpdate = happened.update
            if happened.generation != self.generation:
                _dropped(update, happened.generation)
                return None
            return type(update), update
        if isinstance(happened, (CallSucceeded, CallFailed)):
            pending = self._under_way.pop(happened.call)
            return type(pending.purpose), Settled(pending.purpose, pending.generation, happened)
        if isinstance(happened, TimerFired):
            return Timer(happened.name.split(":", 1)[0]), happened
        return type(happened), happened

    # Effects, and what the handlers share ---------------------------------------------------

    def _emit(self, effect: Effect) -> None:
        self._out.append(effect)

    def _publish(self, name: str, data: Any = None) -> None:
        self._emit(Publish(name, data))

    def _answer(self, ticket: int, value: Any = None) -> None:
        self._emit(Answer(ticket, value))

    def _refuse(self, ticket: int, reason: Any) -> None:
        self._emit(Refuse(ticket, reason))

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    @property
    def _gms(self) -> bool:
        """The chat goes through GMS (a polling transport)."""
        return self.settings.polling is not None

    def _call(
        self, action: actions.Action, purpose: CallPurpose, generation: int | None = None
    ) -> None:
        """Ask for ``action`` for the chat going on (or of ``generation``), its outcome to
        come back for ``purpose``."""
        self._call_ids += 1
        generation = self.generation if generation is None else generation
        self._under_way[self._call_ids] = Pending(purpose, generation)
        # Leaving ends within the transport's timeout, not behind calls a dead server
        # holds; a poll (GMS) neither waits behind the chat's calls nor holds them up
        # (the widgets' polls overlap their sends too).
        urgent = isinstance(action, (actions.Leave, actions.Refresh))
        self._emit(Call(self._call_ids, generation, action, urgent))

    def _carry(self, steps: Iterable[Step]) -> None:
        """Carry out what the polling said to do, in order."""
        for step in steps:
            if isinstance(step, actions.Do):
                self._call(step.action, step.purpose)
            else:
                self._emit(step)

    def _save(self, state: State, renew: bool = False) -> None:
        """Keep the chat in the session store (``renew``: only if not saved lately)."""
        session = self.record.session
        if session is None or not _on(state):
            return
        now = self.clock()
        if renew and now - self._saved_at < SESSION_RENEWAL_INTERVAL:
            return
        self._saved_at = now
        self.stored = StoredSession(
            session, tuple(self.filters.sources()), self.record.started_at, now
        )
        self._emit(Save(self.stored))

    def _forget(self) -> None:
        self.stored = None
        self._emit(Forget())

    def _heard(self, state: State, settled: Settled[Any], sent: bool = False) -> None:
        """What any call of the chat (but a refresh) tells the polling: the server
        answered, or not; a message or a file went out (``sent``). A refusal from the
        server is published as ``error`` (but of closing the transport)."""
        outcome, on = settled.outcome, _on(state)
        if isinstance(outcome, CallSucceeded):
            self._carry(self.polling.call_done(answered=True, on=on))
            if sent:
                self._carry(self.polling.sent(on))
        elif outcome.from_server:
            self._carry(self.polling.call_done(answered=outcome.status is not None, on=on))
            if not isinstance(settled.purpose, Teardown):
                self._publish("error", outcome.reason)

    def _settle(self, ticket: int, outcome: CallSucceeded | CallFailed, value: Any) -> None:
        """Answer ``ticket`` with ``value``, or reject it with the call's refusal."""
        if isinstance(outcome, CallFailed):
            self._refuse(ticket, outcome.reason)
        else:
            self._answer(ticket, value)

    def _ignore(self, state: S, happened: object) -> S:
        """What is no news in this state."""
        return state

    # Closing -------------------------------------------------------------------------------

    def _stopped(self, state: S, command: Command) -> S:
        self._refuse(command.ticket, STOPPED)
        return state

    def _close(self, state: State, _: Close) -> Closed:
        self._save(state)  # restoreTimeout counts from now
        self._emit(CancelTimer(Timer.POLL))
        for member_id in sorted(self.record.agents_typing):
            self._emit(CancelTimer(_agent_typing(member_id)))
        if self.record.client_typing:
            self._emit(CancelTimer(Timer.CLIENT_TYPING))
        starting = state.generation if isinstance(state, Starting) else None
        self._call(actions.CloseTransport(), Teardown())
        return Closed(starting)

    def _store_failed(self, state: S, failure: StoreFailed) -> S:
        log.warning("%s", failure.sentence)
        if not self._store_failure_told:  # once: a failing disk would fail every save
            self._store_failure_told = True
            self._publish("error", {"message": failure.sentence})
        return state

    # Starting --------------------------------------------------------------------------------

    def _start_chat(self, state: Idle, command: StartChat) -> Starting:
        self.generation += 1
        user_data = {**self.user_data, **command.request.user_data}
        request = attrs.evolve(command.request, user_data=user_data)
        self._call(actions.Start(request), Creation(command.ticket))
        return Starting(self.generation, command.ticket)

    def _already_active(self, state: S, command: StartChat) -> S:
        self._refuse(command.ticket, ALREADY_ACTIVE)
        return state

    def _created(self, state: State, settled: Settled[Creation]) -> State:
        """The chat is created: ``started``, and what its stream said meanwhile. A chat
        created as the bus closed is stored, so that it is not lost on the server."""
        self._heard(state, settled)
        outcome, generation = settled.outcome, settled.generation
        if isinstance(outcome, CallFailed):
            if isinstance(state, Starting) and state.generation == generation:
                state = Idle()
                self._call(actions.CloseTransport(), Teardown(), generation)
            self._refuse(settled.purpose.ticket, outcome.reason)
            return state
        session: SessionData = outcome.value
        if isinstance(state, Closed) and state.starting == generation:
            self.record = ChatRecord(session, started_at=self._now_ms())
            self._emit(Save(StoredSession(session, (), self.record.started_at, self.clock())))
        if not isinstance(state, Starting) or state.generation != generation:
            self._call(actions.CloseTransport(), Teardown(), generation)
            return state
        self.record = ChatRecord(session, started_at=self._now_ms(), gms=self._gms)
        after: State = Active(state.generation)
        self._publish("started", self.record.session_data())
        self._carry(self.polling.begin(self.generation, on=True))
        self._save(after)
        after = self._replay(after, state.buffered)
        self._answer(state.ticket, self.record.session_data())
        return after

    def _buffer(self, state: Starting | Restoring, update: TransportUpdate) -> State:
        """What the new chat's stream says while it starts waits for it to be on."""
        return attrs.evolve(state, buffered=(*state.buffered, update))

    def _replay(self, state: State, buffered: Iterable[TransportUpdate]) -> State:
        for update in buffered:
            if _on(state):
                state = self._step(state, type(update), update)
        return state

    # Restoring -------------------------------------------------------------------------------

    def _restore(self, state: Idle, command: Restore) -> Idle | Restoring:
        """A stored chat older than ``restoreTimeout`` (counted from when it was last
        saved: when the bus closed, the last message or, through GMS, the last poll)
        publishes ``restoreTimeout``; one younger is resumed."""
        stored = self.stored
        if isinstance(stored, ValueError) or (
            stored is not None and stored.saved_at > self.clock() + FUTURE_TOLERANCE
        ):
            why = stored if isinstance(stored, ValueError) else "it was saved in the future"
            log.warning("the stored chat session is discarded: %s", why)
            self._forget()
            self._publish("restoreFailed")
            self._refuse(
                command.ticket,
                f"The stored chat session could not be used and is discarded: {why}.",
            )
            return state
        if stored is None:
            self._refuse(command.ticket, NOTHING_TO_RESTORE)
            return state
        if self.clock() - stored.saved_at > self.settings.restore_timeout:
            self._forget()
            self._publish("restoreTimeout")
            self._refuse(
                command.ticket,
                f"The stored chat is older than restoreTimeout "
                f"({self.settings.restore_timeout:g} s).",
            )
            return state
        self.generation += 1
        settings = self.settings
        resume = actions.Resume(stored.session, settings.page_size, settings.paginated)
        self._call(resume, Reattachment(command.ticket))
        return Restoring(self.generation, command.ticket, stored)

    def _already_restoring(self, state: S, command: Restore) -> S:
        self._refuse(command.ticket, ALREADY_RESTORING)
        return state

    def _restore_while_active(self, state: S, command: Restore) -> S:
        self._refuse(command.ticket, RESTORE_WHILE_ACTIVE)
        return state

    def _reattached(self, state: State, settled: Settled[Reattachment]) -> State:
        """The stored chat is back: its history (``restoring: true``), ``restored``, and
        what its stream said meanwhile. Through GMS, a chat the server says is over
        publishes ``restoreTimeout`` (as the widgets' GMS module), and a server answering
        ``statusCode`` 1 restores the chat offline (``restoredOffline``)."""
        self._heard(state, settled)
        outcome, generation = settled.outcome, settled.generation
        restoring = isinstance(state, Restoring) and state.generation == generation
        if isinstance(outcome, CallFailed):
            if restoring:
                state = Idle()
                self._call(actions.CloseTransport(), Teardown(), generation)
                if outcome.status in GONE:  # else a later restore may still succeed
                    self._forget()
                ended = self._gms and outcome.status == ENDED_ON_RESTORE
                self._publish("restoreTimeout" if ended else "restoreFailed")
            self._refuse(settled.purpose.ticket, outcome.reason)
            return state
        if not isinstance(state, Restoring) or not restoring:
            self._call(actions.CloseTransport(), Teardown(), generation)
            return state
        members: list[Member]
        pages: list[list[ChatMessage]]
        members, pages, offline = outcome.value
        stored = state.stored
        for pattern, flags in stored.filters:
            self.filters.add(re.compile(pattern, flags))
        self.record = ChatRecord(
            stored.session, started_at=stored.started_at or self._now_ms(), gms=self._gms
        )
        after: State = Active(state.generation)
        for page in pages:
            after = self._messages(after, page, restoring=True)
        self.record.guest_joined = True  # whether or not the history said so
        self.record.agents_from(members, self._now_ms())
        self._publish("restored")
        self._carry(self.polling.begin(self.generation, on=_on(after)))
        if offline:
            self._carry(self.polling.restored_offline())
        self._save(after)
        after = self._replay(after, state.buffered)
        self._answer(state.ticket)
        return after

    # Ending ----------------------------------------------------------------------------------

    def _end_chat(self, state: Active, command: EndChat) -> Ending:
        self._call(actions.Leave(), Departure(command.ticket))
        return Ending(state.generation, command.ticket)

    def _left(self, state: State, settled: Settled[Departure]) -> State:
        """The guest left; or the server could not be told, and the chat ends here all the
        same: the command says whether the server was told (a conversation the server
        has lost counts as told). The guest's own leaving may have come first and
        answered endChat."""
        self._heard(state, settled)
        outcome = settled.outcome
        if not _on(state):
            return state
        if isinstance(outcome, CallSucceeded) or outcome.status in GONE:
            return self._finish(state)
        return self._finish(state, untold=ENDED_UNTOLD.format(_sentence(outcome.reason)))

    def _finish(self, state: State, untold: str | None = None) -> Idle:
        """The chat is over, whoever ended it: clientDisconnected if not said yet, then
        ``ended``; endChat, if it waits, resolves (or rejects with ``untold``)."""
        record = self.record
        if not record.guest_left and record.session is not None:
            self._guest_left(Member(record.session.member_id, "CUSTOMER", "DISCONNECTED"))
        for member_id in sorted(record.agents_typing):
            self._emit(CancelTimer(_agent_typing(member_id)))
        record.agents_typing.clear()
        if record.client_typing:
            self._emit(CancelTimer(Timer.CLIENT_TYPING))
            record.client_typing = False
        record.ended_at = self._now_ms()
        self._carry(self.polling.stop())
        self.filters = Filters()  # filters last as long as the chat
        self._forget()
        self._call(actions.CloseTransport(), Teardown())
        self._publish("ended")
        if isinstance(state, Ending):
            if untold is None:
                self._answer(state.ticket)
            else:
                self._refuse(state.ticket, untold)
        return Idle()

    def _chat_ended(self, state: State, ended: ChatEnded) -> Idle:
        return self._finish(state)

    # Commands of a chat under way ------------------------------------------------------------

    def _no_session(self, state: S, command: Command) -> S:
        self._refuse(command.ticket, NO_SESSION)
        return state

    def _no_active_session(self, state: S, command: Command) -> S:
        self._refuse(command.ticket, NO_ACTIVE_SESSION)
        return state

    def _send_message(self, state: S, command: SendMessage) -> S:
        self._call(actions.SendText(command.text, command.body_type), Post(command.ticket))
        return state

    def _posted(self, state: S, settled: Settled[Post | FilteredPost]) -> S:
        """sendMessage answers with the message as the server made it; a filtered message
        with nothing (the page's "n/a"). A filter put on for a message not sent goes."""
        self._heard(state, settled, sent=True)
        outcome, purpose = settled.outcome, settled.purpose
        if isinstance(outcome, CallFailed):
            if isinstance(purpose, FilteredPost) and purpose.new:
                self.filters.remove(purpose.pattern)
                self._save(state)
            self._refuse(purpose.ticket, outcome.reason)
            return state
        if settled.generation == self.generation:
            self._stop_client_typing()
        value = None if isinstance(purpose, FilteredPost) else dict(outcome.value.original)
        self._answer(purpose.ticket, value)
        return state

    def _send_filtered_message(self, state: S, command: SendFilteredMessage) -> S:
        # On before the message is sent: its echo may come back before the answer.
        new = self.filters.add(command.pattern)
        self._save(state)
        post = FilteredPost(command.ticket, command.pattern, new)
        self._call(actions.SendText(command.text, "standard"), post)
        return state

    def _add_prefilter(self, state: S, command: AddPrefilter) -> S:
        for pattern in command.patterns:
            self.filters.add(pattern)
        self._save(state)
        self._answer(command.ticket, self.filters.patterns)
        return state

    def _send_typing(self, state: S, command: SendTyping) -> S:
        self._call(actions.TellTyping(), TypingNotice(command.ticket))
        return state

    def _typing_told(self, state: S, settled: Settled[TypingNotice]) -> S:
        """The server has the guest's typing: clientTypingStarted, and the countdown."""
        self._heard(state, settled)
        outcome = settled.outcome
        told = isinstance(outcome, CallSucceeded) and settled.generation == self.generation
        if told and _on(state):
            if not self.record.client_typing:
                self.record.client_typing = True
                self._publish("clientTypingStarted")
            timeout = self.settings.client_typing_timeout
            self._emit(SetTimer(Timer.CLIENT_TYPING, timeout))
        self._settle(settled.purpose.ticket, outcome, None)
        return state

    def _typing_over(self, state: S, fired: TimerFired) -> S:
        """The guest's typing countdown ended: the widgets' GMS module tells the server."""
        self._stop_client_typing()
        if self._gms and isinstance(state, Active):
            self._call(actions.TellTyping(started=False), TypingEnd())
        return state

    def _stop_client_typing(self) -> None:
        record = self.record
        if record.client_typing:
            record.client_typing = False
            self._emit(CancelTimer(Timer.CLIENT_TYPING))
            self._publish("clientTypingStopped")

    def _keep_user_data(self, state: S, command: UpdateUserData) -> S:
        """updateUserData with no chat on: for the next startChat."""
        self.user_data.update(command.user_data)
        self._answer(command.ticket, dict(self.user_data))
        return state

    def _update_user_data(self, state: S, command: UpdateUserData) -> S:
        if not self.settings.supports_user_data_update:
            self._refuse(command.ticket, NO_USER_DATA_UPDATE)
        else:
            update = actions.TellUserData(dict(command.user_data))
            self._call(update, UserDataUpdate(command.ticket))
        return state

    def _send_file(self, state: S, command: SendFile) -> S:
        if not self.settings.supports_files:
            self._refuse(command.ticket, NO_FILES)
        else:
            self._call(actions.Upload(command.source, command.name), FileUpload(command.ticket))
        return state

    def _download_file(self, state: S, command: DownloadFile) -> S:
        download = actions.Download(command.file_id, command.path)
        self._call(download, FileDownload(command.ticket))
        return state

    def _answered(
        self, state: S, settled: Settled[UserDataUpdate | FileUpload | FileDownload]
    ) -> S:
        """A call whose command answers with its value, or rejects with its refusal."""
        self._heard(state, settled, sent=isinstance(settled.purpose, FileUpload))
        outcome = settled.outcome
        value = outcome.value if isinstance(outcome, CallSucceeded) else None
        self._settle(settled.purpose.ticket, outcome, value)
        return state

    def _quiet(self, state: S, settled: Settled[TypingEnd | Teardown]) -> S:
        """A call no command waits on."""
        self._heard(state, settled)
        return state

    def _register_preprocessor(self, state: S, command: RegisterPreprocessor) -> S:
        self.preprocessors += (command.preprocessor,)
        self._answer(command.ticket, command.preprocessor)
        return state

    def _read_record(self, state: S, command: Read) -> S:
        """getTranscript, getAgents, getStats, getSessionData and verifySession."""
        record, on = self.record, _on(state)
        answers: dict[str, Callable[[], Any]] = {
            # A snapshot: the service turns it into dicts off the chat's thread.
            "getTranscript": lambda: tuple(record.transcript),
            "getAgents": record.agent_list,
            "getStats": lambda: record.stats(self._now_ms(), on),
            "getSessionData": lambda: record.session_data() if on else {},
            "verifySession": lambda: {"sessionActive": on},
        }
        self._answer(command.ticket, answers[command.what]())
        return state

    # Polling ---------------------------------------------------------------------------------

    def _poll_now(self, state: S, command: PollNow) -> S:
        self._carry(self.polling.poll_now(command.ticket, _on(state)))
        return state

    def _start_poll(self, state: S, command: StartPoll) -> S:
        self._carry(self.polling.start_poll(command.ticket, _on(state)))
        return state

    def _stop_poll(self, state: S, command: StopPoll) -> S:
        self._carry(self.polling.stop_poll(command.ticket, _on(state)))
        return state

    def _reset_poll_exceptions(self, state: S, command: ResetPollExceptions) -> S:
        self._carry(self.polling.reset_exceptions(command.ticket))
        return state

    def _poll_due(self, state: S, fired: TimerFired) -> S:
        self._carry(self.polling.due(_on(state)))
        return state

    def _polled(self, state: State, settled: Settled[Poll]) -> State:
        """A refresh came back: its events, its news, the next one."""
        outcome, ticket = settled.outcome, settled.purpose.ticket
        if isinstance(outcome, CallFailed):
            self._carry(self.polling.refresh_failed(settled.generation, _on(state)))
            if ticket is not None:
                self._refuse(ticket, outcome.reason)
            return state
        refreshed: Refreshed = outcome.value
        fresh, steps = self.polling.refreshed(settled.generation, refreshed.result)
        self._carry(steps)
        if not fresh:
            return state
        if refreshed.error is not None and refreshed.result is not PollResult.UNREACHABLE:
            self._publish("error", refreshed.error)  # unreachable: disconnected says it
        if refreshed.position is not None:
            self._note_position(refreshed.position)
        if refreshed.status == 200:
            self.record.idle_countdown = refreshed.idle_countdown
        state = self._take(state, refreshed.updates)
        if ticket is not None:
            if refreshed.reply:  # the server's reply, whatever it said
                self._answer(ticket, dict(refreshed.reply))
            else:
                self._refuse(ticket, refreshed.error or NOT_REACHED)
        self._save(state, renew=True)  # the widgets' ping: restoreTimeout counts from the last poll
        self._carry(self.polling.arm(_on(state)))
        return state

    def _take(self, state: State, updates: Iterable[TransportUpdate]) -> State:
        """What a refresh found, in order: its messages in one messageReceived."""
        messages: list[ChatMessage] = []
        for update in [*updates, None]:
            if isinstance(update, ChatMessage):
                messages.append(update)
                continue
            if messages and _on(state):
                state = self._messages(state, messages, restoring=False)
            messages = []
            if update is not None and _on(state):
                state = self._step(state, type(update), update)
        return state

    def _note_position(self, position: int) -> None:
        """Where the next refresh reads from, kept with the session in the store."""
        record = self.record
        session = record.session
        if session is not None and session.last_message_id != str(position):
            record.session = attrs.evolve(session, last_message_id=str(position))

    # What the transport reports: messages, members, typing, the connection -------------------

    def _message(self, state: State, message: ChatMessage) -> State:
        return self._messages(state, [message], restoring=False)

    def _messages(self, state: State, messages: Iterable[ChatMessage], restoring: bool) -> State:
        """Add what is new to the transcript and publish it: in one messageReceived, but
        for the joins and leaves of live messages, which are published as they come."""
        record = self.record
        batch = Batch()
        for chat_message in messages:
            if chat_message.id in record.seen:
                continue
            record.seen[chat_message.id] = None
            presence = PRESENCE.get(chat_message.body_type)
            if presence is not None:
                if not restoring:
                    self._publish_messages(batch, restoring)
                    batch = Batch()
                line, state = self._presence(
                    state,
                    chat_message.sender,
                    presence,
                    chat_message.timestamp,
                    chat_message.original,
                    restoring,
                )
                if line is not None:
                    batch.add(chat_message.original, line)
                continue
            self._agent_stopped_typing(chat_message.sender.id)
            if self.filters.hides(chat_message.body):
                continue
            message = Message.from_chat(len(record.transcript), chat_message, record.own_id)
            batch.add(chat_message.original, self._add_line(message))
        self._publish_messages(batch, restoring)
        self._save(state, renew=True)
        return state

    def _add_line(self, message: Message) -> TranscriptMessage:
        """Run the preprocessors over ``message`` and keep it; return what subscribers get."""
        shown = message.to_dict()
        for preprocessor in self.preprocessors:
            try:
                changed = preprocessor(shown)
                if isinstance(changed, dict):
                    # A preprocessor hands back the message it was given, changed (the page's
                    # contract): its shape is the message's.
                    shown = cast(TranscriptMessage, changed)
            except BaseException:  # user code: the chat goes on
                log.exception("preprocessor %r raised; message kept as it was", preprocessor)
        text = str(shown.get("text", message.text))
        self.record.transcript.append(
            message if text == message.text else attrs.evolve(message, text=text)
        )
        return shown

    def _publish_messages(self, batch: Batch, restoring: bool) -> None:
        if not batch.shown:
            return
        record = self.record
        received: MessageReceivedData = {
            "originalMessages": batch.originals,
            "messages": batch.shown,
            "restoring": restoring,
            "sessionData": record.session_data(),
        }
        if record.gms:  # the widgets' GMS module's countdown of an idle alert
            received["idleTimeCountDown"] = record.idle_countdown
        self._publish("messageReceived", received)

    def _member(self, state: State, member: Member) -> State:
        _, state = self._presence(
            state, member, member.state, member.time, attrs.asdict(member), False
        )
        return state

    def _presence(
        self,
        state: State,
        member: Member,
        presence: str,
        timestamp: str | None,
        original: Mapping[str, Any],
        restoring: bool,
    ) -> tuple[TranscriptMessage | None, State]:
        """A member's join or leave, from whichever of its two frames comes first (the
        member-change, or the member-join / member-leave message): one transcript line
        and one event. The guest's own DISCONNECTED may be temporary (it stepped away):
        only its member-leave message ends the chat. Queue (ACD) and flow (WORKFLOW)
        members are no agents, and an ALERTING agent is not connected yet: they make no
        line. While ``restoring``, the line is returned for the history instead of
        published, with no event."""
        record = self.record
        joined = presence == "CONNECTED"
        if sender_type(member, record.own_id) == "Client":
            if joined and not record.guest_joined:
                record.guest_joined = True
                line = self._line(member, joined, timestamp, original)
                if restoring:
                    return line, state
                self._publish("clientConnected", record.agents_data(line))
            elif presence == LEFT:
                self._guest_left(member, timestamp, original)
                if _on(state):
                    state = self._finish(state)
            return None, state
        prefix = EVENT_PREFIX.get(member.role)
        if prefix is None or presence not in ("CONNECTED", "DISCONNECTED", LEFT):
            return None, state
        known = record.agents.get(member.id)
        if joined == (known is not None and known.connected):
            return None, state  # said already, by the other frame
        if joined:
            record.agents[member.id] = Agent(
                member.display_name or "Agent",
                self._now_ms(),
                supervisor=member.role == "SUPERVISOR",
                bot=member.role == "BOT",
            )
        elif known is not None:
            known.connected = False
            known.disconnected_time = self._now_ms()
            self._agent_stopped_typing(member.id)
        else:
            return None, state  # the leave of an agent never seen joining: nothing to say
        line = self._line(member, joined, timestamp, original)
        if restoring:
            return line, state
        self._publish_messages(Batch([dict(original)], [line]), restoring=False)
        event = f"{prefix}Connected" if joined else f"{prefix}Disconnected"
        self._publish(event, record.agents_data(line))
        return None, state

    def _line(
        self, member: Member, joined: bool, timestamp: str | None, original: Mapping[str, Any]
    ) -> TranscriptMessage:
        record = self.record
        line = Message.participant(len(record.transcript), member, joined, record.own_id)
        return self._add_line(attrs.evolve(line, timestamp=timestamp or "", original=original))

    def _guest_left(
        self, member: Member, timestamp: str | None = None, original: Mapping[str, Any] = {}
    ) -> None:
        """The guest's leaving, as a transcript line and clientDisconnected, once."""
        record = self.record
        if record.guest_left:
            return
        record.guest_left = True
        line = self._line(member, False, timestamp, original or attrs.asdict(member))
        self._publish("clientDisconnected", record.agents_data(line))

    def _typing(self, state: S, typing: Typing) -> S:
        if typing.started:
            self._agent_typing(typing.sender)
        else:
            self._agent_stopped_typing(typing.sender.id)
        return state

    def _agent_typing(self, sender: Member) -> None:
        record = self.record
        if sender_type(sender, record.own_id) == "Client":
            return
        timeout = self.settings.agent_typing_timeout
        self._emit(SetTimer(_agent_typing(sender.id), timeout))
        if sender.id not in record.agents_typing:
            record.agents_typing[sender.id] = None
            self._publish("agentTypingStarted", {"memberId": sender.id, "name": self._name(sender)})

    def _agent_typing_over(self, state: S, fired: TimerFired) -> S:
        member_id = fired.name.split(":", 1)[1]
        record = self.record
        if member_id in record.agents_typing:
            del record.agents_typing[member_id]
            self._publish(
                "agentTypingTimeout", {"memberId": member_id, "name": self._agent_name(member_id)}
            )
        return state

    def _agent_stopped_typing(self, member_id: str) -> None:
        record = self.record
        if member_id in record.agents_typing:
            del record.agents_typing[member_id]
            self._emit(CancelTimer(_agent_typing(member_id)))
            self._publish(
                "agentTypingStopped", {"memberId": member_id, "name": self._agent_name(member_id)}
            )

    def _agent_name(self, member_id: str) -> str | None:
        agent = self.record.agents.get(member_id)
        return agent.name if agent is not None else None

    def _name(self, sender: Member) -> str | None:
        return sender.display_name or self._agent_name(sender.id)

    def _connection(self, state: S, update: Connection) -> S:
        """The stream dropped or came back: reconnected only ever follows disconnected."""
        record = self.record
        if update.connected == record.disconnected:
            record.disconnected = not update.connected
            self._publish("reconnected" if update.connected else "disconnected")
        return state

    def _dropped(self, state: S, update: TransportUpdate) -> S:
        _dropped(update, self.generation)
        return state


def _on(state: State) -> bool:
    """The chat is on: active, or ending but not ended yet."""
    return isinstance(state, (Active, Ending))


def _agent_typing(member_id: str) -> str:
    """The name of the timer of an agent's typing."""
    return f"{Timer.AGENT_TYPING.value}:{member_id}"


def _dropped(update: TransportUpdate, generation: int) -> None:
    log.debug("dropping %s of chat %d: not the chat going on", type(update).__name__, generation)


def _sentence(reason: Any) -> str:
    """A refusal as one sentence: an error body's message, or the reason itself."""
    if isinstance(reason, dict) and isinstance(reason.get("message"), str):
        text = reason["message"]
    else:
        text = str(reason)
    return text if text.endswith(".") else f"{text}."


def _but(these: tuple[K, ...], *left_out: K) -> tuple[K, ...]:
    """``these`` but ``left_out``."""
    return tuple(one for one in these if one not in left_out)


# The table ------------------------------------------------------------------------------------

ALL = (Idle, Starting, Restoring, Active, Ending, Closed)
OPEN = _but(ALL, Closed)
"""The bus is open: commands are taken."""
ON = (Active, Ending)
"""The chat is on."""
COMMANDS = get_args(Command)
UPDATES = get_args(TransportUpdate)
KINDS = (*COMMANDS, Close, StoreFailed, *get_args(CallPurpose), *UPDATES, *Timer)

C = ChatMachine
TRANSITIONS: Transitions[ChatMachine, State] = Transitions(
    states=ALL,
    kinds=KINDS,
    first=Idle,
    groups={"active or ending": ON},
    rows=[
        # Closing.
        Row(Closed, COMMANDS, C._stopped),
        Row(ALL, Close, C._close, to=Closed),
        Row(ALL, StoreFailed, C._store_failed),
        # Starting, restoring.
        Row(Idle, StartChat, C._start_chat, to=Starting),
        Row(_but(OPEN, Idle), StartChat, C._already_active),
        Row(Starting, Creation, C._created, to=(Active, Idle)),
        Row(_but(ALL, Starting), Creation, C._created),
        Row(Idle, Restore, C._restore, to=Restoring),
        Row(Restoring, Restore, C._already_restoring),
        Row((Starting, Active, Ending), Restore, C._restore_while_active),
        Row(Restoring, Reattachment, C._reattached, to=(Active, Idle)),
        Row(_but(ALL, Restoring), Reattachment, C._reattached),
        Row((Starting, Restoring), UPDATES, C._buffer),
        # Ending.
        Row(Active, EndChat, C._end_chat, to=Ending),
        Row(_but(OPEN, Active), EndChat, C._no_session),
        Row(ON, Departure, C._left, to=Idle),
        Row(_but(ALL, *ON), Departure, C._left),
        Row(ON, ChatEnded, C._chat_ended, to=Idle),
        # What the transport reports of the chat going on.
        Row(ON, ChatMessage, C._message, to=Idle),
        Row(ON, Member, C._member, to=Idle),
        Row(ON, Typing, C._typing),
        Row(ON, Connection, C._connection),
        Row((Idle, Closed), UPDATES, C._dropped),
        Row(ALL, Timer.AGENT_TYPING, C._agent_typing_over),
        # Sending, typing, files, user data.
        Row(_but(OPEN, Active), (SendMessage, SendTyping, SendFile), C._no_session),
        Row(Active, SendMessage, C._send_message),
        Row(Active, SendFilteredMessage, C._send_filtered_message),
        Row(_but(OPEN, Active), SendFilteredMessage, C._no_active_session),
        Row(ALL, (Post, FilteredPost), C._posted),
        Row(OPEN, AddPrefilter, C._add_prefilter),
        Row(Active, SendTyping, C._send_typing),
        Row(ALL, TypingNotice, C._typing_told),
        Row(ALL, Timer.CLIENT_TYPING, C._typing_over),
        Row(Active, UpdateUserData, C._update_user_data),
        Row(_but(OPEN, Active), UpdateUserData, C._keep_user_data),
        Row(Active, SendFile, C._send_file),
        Row(ON, DownloadFile, C._download_file),
        Row((Idle, Starting, Restoring), DownloadFile, C._no_session),
        Row(ALL, (UserDataUpdate, FileUpload, FileDownload), C._answered),
        Row(ALL, (TypingEnd, Teardown), C._quiet),
        Row(OPEN, RegisterPreprocessor, C._register_preprocessor),
        Row(OPEN, Read, C._read_record),
        # Polling (a polling transport).
        Row(OPEN, ResetPollExceptions, C._reset_poll_exceptions),
        Row(ON, PollNow, C._poll_now),
        Row(ON, StartPoll, C._start_poll),
        Row(ON, StopPoll, C._stop_poll),
        Row((Idle, Starting, Restoring), (PollNow, StartPoll, StopPoll), C._no_active_session),
        Row(ALL, Timer.POLL, C._poll_due),
        Row(ON, Poll, C._polled, to=Idle),
        Row(_but(ALL, *ON), Poll, C._polled),
    ],
)
"""Per state and kind of input, the handler and the states that may follow; docs/webchat.md
draws it (``TRANSITIONS.mermaid()``)."""
