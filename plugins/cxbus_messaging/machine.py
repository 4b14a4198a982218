"""MessagingService's conversation as a state machine: what happened goes in, what to do comes out.

``ConversationMachine.handle(input)`` takes one input (``inputs``: a command, the outcome
of a call, what the socket reported, a timer) and returns the
``cxbus.runtime.machine_runner`` effects to carry out, in order. It has no threads, no
I/O and no clock of its own, so its tests drive it step by step; a ``MachineRunner``
runs it on the loop thread.

Its transitions are one table, ``TRANSITIONS`` (at the end of this module): for each
state (``states``) and kind of input, the handler that takes it and the states that
may follow. ``handle`` reads the input's kind (a call's outcome and a request's answer
are of the kind of their typed purpose), steps the table and assigns the state the
handler returns: the only place the state changes. ``docs/messaging.md`` draws the
table. The parts that do protocol work apart from the whole never call back into it:
``files`` (uploads and downloads), ``catch_up`` (what the history holds that was
missed), ``guest_api`` (the frames and requests).

Every socket opened is a new *generation*; an update of another (a late frame of a
socket given up) is dropped.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, get_args

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

from . import calls
from .catch_up import CatchUp, is_known, keys
from .error_event import error_data
from .files import Step, ask_url, download, downloaded
from .guest_api import (
    Attachment,
    AuthTokens,
    ConnectionClosedEvent,
    DeploymentConfig,
    DeploymentNotFound,
    Frame,
    GenerateUrlError,
    HistoryPage,
    JwtResponse,
    LogoutEvent,
    Request,
    SessionClearedEvent,
    SessionExpiredEvent,
    SessionResponse,
    StructuredMessage,
    UploadFailureEvent,
    UploadSuccessEvent,
    actions,
    epoch_seconds,
)
from .guest_api.json_object import whole_number
from .inputs import (
    Answered,
    AttachmentDelete,
    AuthSessionRequest,
    CallPurpose,
    CatchUpPage,
    ClearConversation,
    ClearRequest,
    ClearSession,
    ClearTypingTimeout,
    CloseSocket,
    Command,
    Configure,
    DeleteFile,
    DownloadFile,
    FetchHistory,
    FetchHistoryPage,
    FileUrl,
    GetFile,
    GuestMessage,
    HandOver,
    HealthChecked,
    JoinConversation,
    JwtNeed,
    JwtRequest,
    LoadConfig,
    Logout,
    MessageFrame,
    OpenSocket,
    Pushed,
    PutUpload,
    ReadUpload,
    Refresh,
    RefreshFiles,
    Replied,
    RequestPurpose,
    RequestUpload,
    ResetConversation,
    Restore,
    Revoke,
    SaveDownload,
    SendMessage,
    SendTyping,
    SessionRequest,
    Settled,
    SignIn,
    SocketLost,
    StartConversation,
    StepUp,
    StepUpRequest,
    StepUpSignIn,
    Timer,
    Update,
    UploadUrl,
)
from .payloads import HistoryPageData, MessagesReceivedData, message_body
from .record import ConversationRecord
from .sentences import (
    ALL_FETCHED,
    ALREADY_ACTIVE,
    APP_OFF,
    ATTRIBUTES_TOO_LARGE,
    AUTH_LOST,
    AUTO_START_OFF,
    CANNOT_START,
    CLEAR_OFF,
    ENDED_BY_SERVER,
    ENDED_DELETE,
    ENDED_SEND,
    ENDED_TYPING,
    LOAD_FAILED,
    LOGOUT_FAILED,
    NO_TEXT,
    NOT_ABLE,
    NOT_ACKNOWLEDGED,
    NOT_CONFIGURED,
    NOT_FOUND,
    NOT_SIGNED_IN,
    NOTHING_TO_CLEAR,
    NOTHING_TO_JOIN,
    OVER_UNACKNOWLEDGED,
    RECONNECT_FAILED,
    RESET_FAILED,
    RESET_NOT_ALLOWED,
    SIGN_IN_FAILED,
    STEP_UP_FAILED,
    STEP_UP_GUEST_ONLY,
    STEP_UP_NO_SIGN_IN,
    STOPPED,
    UNABLE,
    WHITESPACE,
)
from .session_store import StoredSession
from .states import (
    Active,
    CatchingUp,
    Closed,
    Connecting,
    Disabled,
    Idle,
    ReadOnly,
    Reconnecting,
    Resetting,
    Settings,
    State,
    Unloaded,
)

__all__ = ["THROTTLED", "TRANSITIONS", "ConversationMachine", "Settings"]

log = logging.getLogger("cxbus.messaging")

S = TypeVar("S", bound=State)
K = TypeVar("K", bound=Kind)

# A JWT this close to its expiry is renewed first (the mobile client's margin).
JWT_MARGIN = 5.0
# A sendTyping within this many seconds of the last one sent is dropped, as the SDK does.
TYPING_THROTTLE = 5.0
THROTTLED = object()
"""What the machine answers a throttled sendTyping with: the service never settles it."""
# The picker and form replies that also publish repliedMessage.
REPLIED = ("DatePicker", "ListPicker", "Form")
# An agent's typing shows this long unless its event says otherwise (milliseconds).
TYPING_MS = 5000
# sessionWarning comes this long before the session expires.
WARNING_SECONDS = 300
# A signed-in JWT is renewed this long before it expires, or halfway through a shorter
# life (ours: the mobile SDK renews on a 401 only).
JWT_REFRESH_MARGIN = 60.0
# A JWT the server refused is renewed at most this many times in a row, as the mobile
# SDK's AuthHandler (MAX_REFRESH_TOKEN_ATTEMPTS) does.
REFRESH_TRIES = 3
# The codes a send is answered with when the server has no session for it any more (the
# Kotlin transport SDK's ErrorCode.SessionHasExpired and SessionNotFound), and the
# ``reason`` of ``sessionEnded`` each gives.
SESSION_GONE = {4006: "expired", 4007: "notFound"}
SESSION_GONE_WORDS = {
    "expired": "expired",
    "notFound": "is not known to the server",
}
# What the server pushes that has a row of its own (the rest are the kind ``Pushed``).
PUSHED_KINDS = (
    SessionClearedEvent,
    SessionExpiredEvent,
    LogoutEvent,
    ConnectionClosedEvent,
    UploadSuccessEvent,
    UploadFailureEvent,
    GenerateUrlError,
)


@attrs.frozen
class Pending:
    """A call under way: why it was made, for which socket."""

    purpose: CallPurpose
    generation: int


class ConversationMachine:
    """One MessagingService's conversation. ``stored`` is what the session store held when
    the service was configured (a ``ValueError`` when it held something unreadable);
    ``clock`` gives ``time.time()``; ``new_token`` makes a session token (and an
    attachment's id)."""

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
        self.asked: dict[str, RequestPurpose] = {}
        """Requests sent and not answered, by tracingId: what their answers are for."""
        self.outbox: list[Request] = []
        """Requests that wait for the conversation to be on (connecting, catching up)."""
        self.returned = 0
        """How many requests at the outbox's head a socket gave back (it was gone when
        they were handed over): the next one given back goes after them, and before what
        the outbox took since, so that the order they were sent in is kept."""
        self.unacknowledged: dict[str, tuple[int, float]] = {}
        """The guest's messages whose echo the sendMessage that sent them waits for: by
        tracingId, its ticket and when it is out of time (``clock``)."""
        self.attributes: Mapping[str, str] = {}
        """The custom attributes the Database plugin held at the last command that told
        them: the Join presence carries them when they changed since the last sent."""
        self.clock = clock
        self.new_token = new_token
        self._stored = stored
        self.auth: AuthTokens | None = None
        """A signed-in guest's tokens: they outlive a session, until logout."""
        if isinstance(stored, StoredSession) and stored.jwt is not None:
            self.auth = AuthTokens(stored.jwt, stored.refresh_token)
        self.logging_out = False
        """A logout is under way: the LogoutEvent it brings is no error."""
        self._under_way: dict[int, Pending] = {}
        self._call_ids = 0
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
        ``None``: it is not for this machine any more (an update of an old socket)."""
        if isinstance(happened, Updated):
            if happened.generation != self.generation:
                log.debug("dropping %s of an old socket", type(happened.update).__name__)
                return None
            return self._read_update(happened.update)
        if isinstance(happened, (CallSucceeded, CallFailed)):
            pending = self._under_way.pop(happened.call)
            return type(pending.purpose), Settled(pending.purpose, pending.generation, happened)
        if isinstance(happened, TimerFired):
            return Timer(happened.name), happened
        return type(happened), happened

    def _read_update(self, update: Update) -> tuple[Kind, object]:
        """A message frame is a ``MessageFrame`` (its purpose is looked up once it is
        taken: it may wait for the history); an answer is of the kind of its request's
        purpose (one of nothing asked counts as pushed); a push, of its body's class."""
        if isinstance(update, Answered):
            tracing_id = update.request.tracing_id
            purpose = self.asked.get(tracing_id)
            if isinstance(update.frame.body, StructuredMessage) and (
                purpose is None or isinstance(purpose, GuestMessage)
            ):
                return MessageFrame, MessageFrame(update)
            if purpose is not None:
                del self.asked[tracing_id]
                return type(purpose), Replied(purpose, update.request, update.frame)
            update = Pushed(update.frame)
        if isinstance(update, Pushed):
            body = update.frame.body
            if isinstance(body, StructuredMessage):
                return MessageFrame, MessageFrame(update)
            return (type(body) if isinstance(body, PUSHED_KINDS) else Pushed), update
        return type(update), update

    # Effects, and what the handlers share ---------------------------------------------------

    def _emit(self, effect: Effect) -> None:
        self._out.append(effect)

    def _publish(self, name: str, data: Any = None, retain: bool = False) -> None:
        self._emit(Publish(name, data, retain))

    def _answer(self, ticket: int, value: Any = None) -> None:
        self._emit(Answer(ticket, value))

    def _refuse(self, ticket: int, reason: Any) -> None:
        self._emit(Refuse(ticket, reason))

    def _error(self, frame: Frame | dict[str, Any]) -> None:
        """Publish ``error`` for a frame (or a failure of our own, shaped like one)."""
        self._publish("error", {"error": error_data(frame)})

    def _call(self, action: calls.Action, purpose: CallPurpose, on_loop: bool = False) -> None:
        """Ask for ``action`` (for the socket in use), its outcome to come back for
        ``purpose``; ``on_loop``: an action that never blocks (see ``Call``)."""
        self._call_ids += 1
        self._under_way[self._call_ids] = Pending(purpose, self.generation)
        self._emit(Call(self._call_ids, self.generation, action, on_loop=on_loop))

    def _send(self, state: State, request: Request, purpose: RequestPurpose) -> None:
        """Send ``request`` now if the conversation is on (``Active``, ``ReadOnly``), else
        once it is. Not while resetting: what the guest sends then waits for the new session."""
        self.asked[request.tracing_id] = purpose
        if isinstance(state, (Active, ReadOnly)):
            self._hand_over((request,))
        else:
            self.outbox.append(request)

    def _send_now(self, request: Request, purpose: RequestPurpose) -> None:
        """Send ``request`` now: it is part of getting the conversation on."""
        self.asked[request.tracing_id] = purpose
        self._hand_over((request,))

    def _hand_over(self, requests: tuple[Request, ...]) -> None:
        # Queued for the socket, which the loop thread sends from: nothing blocks.
        self._call(calls.Send(requests, self.generation), HandOver(requests), on_loop=True)

    def _requeue(self, again: list[Request]) -> None:
        """What a lost socket left unanswered or unsent goes first: it was sent before
        anything the outbox holds."""
        self.outbox = [*again, *self.outbox]
        self.returned += len(again)

    def _flush(self) -> None:
        """The conversation is on: what waited goes out, in order."""
        self.returned = 0
        if self.outbox:
            waiting, self.outbox = tuple(self.outbox), []
            self._hand_over(waiting)

    def _carry(self, state: State, steps: Iterable[Step]) -> None:
        """Carry out what a part (``files``) said to do, in order."""
        for step in steps:
            if isinstance(step, calls.Do):
                self._call(step.action, step.purpose)
            elif isinstance(step, calls.Ask):
                self._send(state, step.request, step.purpose)
            else:
                self._emit(step)

    def _token(self) -> str:
        token = self.record.token
        assert token is not None, "a conversation under way has a token"
        return token

    def _save(self) -> None:
        token = self.record.token
        if token is not None:
            auth = self.auth
            self._stored = StoredSession(
                token,
                self.settings.deployment_id,
                self.clock(),
                jwt=auth.jwt if auth is not None else None,
                refresh_token=auth.refresh_token if auth is not None else None,
            )
            self._emit(Save(self._stored))

    def _forget_session(self) -> None:
        """The session is over for good: a new token next time, and nothing stored."""
        self.record = ConversationRecord(serial=self.record.serial + 1)
        self.outbox = []
        self.returned = 0
        self.asked = {}
        for ticket, _ in self.unacknowledged.values():
            self._refuse(ticket, OVER_UNACKNOWLEDGED)
        self.unacknowledged = {}
        self._stored = None
        self._emit(Forget())
        for timer in (
            Timer.AGENT_TYPING,
            Timer.SESSION_WARNING,
            Timer.RECONNECT,
            Timer.RECONNECT_DEADLINE,
            Timer.HISTORY,
            Timer.SEND_TIMEOUT,
        ):
            self._emit(CancelTimer(timer))

    def _stop_socket(self) -> None:
        """Close the socket in use; what it still brings is dropped."""
        self._call(calls.Disconnect(self.generation), CloseSocket())
        self.generation += 1

    def _ignore(self, state: S, happened: object) -> S:
        """What is no news in this state (a timer of another, a page of a catch-up given up)."""
        return state

    # Configuring and closing -----------------------------------------------------------------

    def _load(self, state: Unloaded, command: Configure) -> Unloaded:
        self._call(calls.LoadDeployment(), LoadConfig(command.ticket))
        return state

    def _loaded(self, state: State, settled: Settled[LoadConfig]) -> State:
        """The deployment's configuration: ``Idle``, or ``Disabled`` with no conversations
        app (unless the bus closed meanwhile)."""
        outcome = settled.outcome
        if isinstance(outcome, CallFailed):
            failure = outcome.reason
            if isinstance(failure, DeploymentNotFound):
                reason = NOT_FOUND.format(failure)
            else:
                reason = LOAD_FAILED.format(calls.sentence(failure))
            self._refuse(settled.purpose.ticket, reason)
            return state
        deployment: DeploymentConfig = outcome.value
        self.deployment = deployment
        self._answer(settled.purpose.ticket)
        if not isinstance(state, Unloaded):
            return state
        return Idle() if deployment.conversations_enabled else Disabled()

    def _configured_already(self, state: S, command: Configure) -> S:
        self._answer(command.ticket)
        return state

    def _not_configured(self, state: S, command: Command) -> S:
        self._refuse(command.ticket, NOT_CONFIGURED)
        return state

    def _app_off(self, state: S, command: Command) -> S:
        self._refuse(command.ticket, APP_OFF)
        return state

    def _stopped(self, state: S, command: Command) -> S:
        self._refuse(command.ticket, STOPPED)
        return state

    def _close(self, state: State, _: Close) -> Closed:
        if _has_session(state):
            self._save()
        self._stop_socket()
        return Closed()

    def _store_failed(self, state: S, failed: StoreFailed) -> S:
        log.warning("%s", failed.sentence)
        return state

    # Starting, and resuming a stored session -------------------------------------------------

    def _start(self, state: Idle, command: StartConversation) -> Connecting | Reconnecting:
        self.attributes = command.custom_attributes
        return self._connect(state, command.ticket, join=command.join)

    def _already_active(self, state: S, command: StartConversation) -> S:
        self._refuse(command.ticket, ALREADY_ACTIVE)
        return state

    def _restore(self, state: State, command: Restore) -> State:
        stored = self._stored
        if isinstance(stored, ValueError):
            log.warning("the stored messaging session is discarded: %s", stored)
            self._forget_session()
        elif (
            stored is not None
            and stored.deployment_id == self.settings.deployment_id
            and isinstance(state, Idle)
        ):
            self.record.token = stored.token
            self._publish("restoring", retain=True)
            state = self._connect(state, None, join=False, restoring=True)
        self._answer(command.ticket)
        return state

    def _connect(
        self, state: State, ticket: int | None, join: bool, restoring: bool = False
    ) -> Connecting | Reconnecting:
        """Open a socket and configure the session (the record's token, or a new one); a
        guest of an authenticated deployment signs in first."""
        if self.settings.authenticated and self.auth is None:
            return self._sign_in_first(state, ticket, join, restoring)
        record = self.record
        if record.token is None:
            record.token = self.new_token()
        record.closed_by_server = False  # said of the socket this one replaces
        self.generation += 1
        request, purpose = self._configure_request(record.token)
        self.asked[request.tracing_id] = purpose
        self._call(calls.Connect(record.token, request, self.generation), OpenSocket())
        if isinstance(state, Reconnecting):
            return attrs.evolve(state, generation=self.generation)
        return Connecting(self.generation, ticket, join, restoring)

    def _socket_opened(self, state: Connecting, settled: Settled[OpenSocket]) -> Connecting | Idle:
        """startConversation resolves once the socket is open; refused, it rejects."""
        outcome = settled.outcome
        if settled.generation != self.generation:
            return state  # a socket given up already
        if isinstance(outcome, CallSucceeded):
            if state.ticket is None:
                return state
            self._answer(state.ticket)
            return attrs.evolve(state, ticket=None)
        self._error({"code": outcome.status or 0, "body": calls.sentence(outcome.reason)})
        if state.ticket is not None:
            self._refuse(state.ticket, CANNOT_START)
        return Idle()

    def _socket_settled(self, state: S, settled: Settled[OpenSocket]) -> S:
        outcome = settled.outcome
        if settled.generation == self.generation and isinstance(outcome, CallFailed):
            self._error({"code": outcome.status or 0, "body": calls.sentence(outcome.reason)})
        return state

    def _session_opened(
        self, state: Connecting, replied: Replied[SessionRequest]
    ) -> Active | ReadOnly | CatchingUp | Idle:
        """The session is configured: on, or the history first when restoring."""
        frame = replied.frame
        if _refuses_session(frame):
            self._error(frame)
            self._stop_socket()
            if state.ticket is not None:
                self._refuse(state.ticket, CANNOT_START)
            return Idle()
        self._session_configured(frame)
        record = self.record
        if state.ticket is not None:  # the session answered before the socket's opening was told
            self._answer(state.ticket)
        self._publish("started", record.started_data(), retain=True)
        if state.restoring:
            if record.read_only:
                self._publish("readOnlyConversation", dict(frame.raw))
            catching_up = CatchingUp(state.generation, CatchUp(restoring=True), record.read_only)
            return self._fetch_catch_up_page(catching_up)
        deployment = self.deployment
        join = bool(
            state.join
            and deployment is not None
            and deployment.auto_start
            and record.session is not None
            and record.session.new_session
        )
        return self._go_on(frame, join=join)

    def _session_answered(self, state: S, replied: Replied[SessionRequest]) -> S:
        frame = replied.frame
        if _refuses_session(frame):
            self._error(frame)
            self._stop_socket()
        else:
            self._session_configured(frame)
        return state

    def _session_configured(self, frame: Frame) -> None:
        """A SessionResponse: what the session allows, its timing; the token is kept."""
        assert isinstance(frame.body, SessionResponse)
        self.record.session = frame.body
        self._save()
        self._publish("allowedFileTypes", frame.raw.get("body"))
        self._timing(frame.body.duration_seconds, frame.body.expiration_date)

    def _go_on(self, frame: Frame | None, join: bool = False) -> Active | ReadOnly:
        """The session is configured and caught up: what waited goes. ``join``: the Join
        presence goes first (autoStart on a new session), before any message that waited,
        as the conversation starts with it."""
        after: Active | ReadOnly
        if self.record.read_only:
            after = ReadOnly(self.generation)
            if frame is not None:
                self._publish("readOnlyConversation", dict(frame.raw))
        else:
            after = Active(self.generation)
            if join:
                self._send_join(after)
        self._flush()
        return after

    # Losing the socket, reconnecting, catching up --------------------------------------------

    def _lost(
        self, state: Connecting | Active | ReadOnly | CatchingUp | Resetting, lost: SocketLost
    ) -> Connecting | Reconnecting | Idle:
        """``offline`` and ``reconnecting``; the socket is opened again at once (ours:
        Android waits 5 s first), then every ``reconnect_interval`` until
        ``reconnect_timeout`` (as the mobile clients, with the same token). A socket the
        server closed on purpose (``ConnectionClosedEvent``) is not reopened."""
        record = self.record
        record.jwt_asked = False  # a getJwt under way went with the socket
        if record.closed_by_server:
            # Another connection took this one's place (or the guest signed in elsewhere):
            # reopening would take it back. The token is kept: startConversation resumes.
            self._error(
                {"code": 0, "body": f"The conversation's socket was closed: {lost.reason}."}
            )
            return Idle()
        unfinished = list(lost.unfinished)
        if isinstance(state, CatchingUp):
            unfinished = [*state.catch_up.unfinished, *unfinished]
        if isinstance(state, Resetting):
            self._refuse(state.ticket, RESET_FAILED)
        if isinstance(state, Connecting) and state.ticket is not None:
            self._refuse(state.ticket, CANNOT_START)
        self._publish("offline")
        self._emit(SetTimer(Timer.RECONNECT_DEADLINE, self.settings.reconnect_timeout))
        self._publish("reconnecting")
        return self._connect(Reconnecting(self.generation, tuple(unfinished)), None, join=False)

    def _lost_again(self, state: Reconnecting, lost: SocketLost) -> Reconnecting:
        self.record.jwt_asked = False
        unfinished = list(state.unfinished)
        unfinished += [r for r in lost.unfinished if r not in unfinished]
        self._emit(SetTimer(Timer.RECONNECT, self.settings.reconnect_interval))
        return attrs.evolve(state, unfinished=tuple(unfinished))

    def _lost_idle(self, state: Idle, lost: SocketLost) -> Idle:
        self.record.jwt_asked = False
        return state

    def _reconnect(self, state: Reconnecting, fired: TimerFired) -> Connecting | Reconnecting:
        return self._connect(state, None, join=False)

    def _socket_reopened(
        self, state: Reconnecting, settled: Settled[OpenSocket]
    ) -> Reconnecting | Idle:
        outcome = settled.outcome
        if settled.generation != self.generation or isinstance(outcome, CallSucceeded):
            return state
        if outcome.status == 403:  # access denied: no retry (as the mobile client)
            self._error({"code": 403, "body": calls.sentence(outcome.reason)})
            return self._give_up(state, outcome)
        # A try of many: logged; the user is told once, if they all fail (``_give_up``).
        log.info("reopening the socket failed (%s); trying again", calls.sentence(outcome.reason))
        self._emit(SetTimer(Timer.RECONNECT, self.settings.reconnect_interval))
        return state

    def _give_up(self, state: Reconnecting, why: object) -> Idle:
        """Refused with 403, or out of time: ``error`` "Failed to reconnect."."""
        self._emit(CancelTimer(Timer.RECONNECT))
        self._emit(CancelTimer(Timer.RECONNECT_DEADLINE))
        self._stop_socket()
        self._error({"code": 0, "body": RECONNECT_FAILED})
        return Idle()

    def _session_reopened(
        self, state: Reconnecting, replied: Replied[SessionRequest]
    ) -> Reconnecting | Active | ReadOnly | CatchingUp:
        """The session is back: ``reconnected``, then the history the gap left. A session
        that came back new (it expired meanwhile) has no history to read: the guest
        messages the lost socket left unanswered go again on it."""
        frame = replied.frame
        if _refuses_session(frame):
            # A try of many, as a socket that would not open.
            log.info("the session was refused on reconnecting (code %s); trying again", frame.code)
            self._stop_socket()
            self._emit(SetTimer(Timer.RECONNECT, self.settings.reconnect_interval))
            return state
        self._session_configured(frame)
        self._emit(CancelTimer(Timer.RECONNECT_DEADLINE))
        self._publish("reconnected")
        record = self.record
        catch_up = CatchUp(restoring=False, unfinished=state.unfinished)
        if record.session is not None and record.session.new_session:
            # The server no longer had the conversation (it expired meanwhile, or the
            # server forgot it): a new one took its place, with no history. Said once,
            # by sessionEnded, before its started. What the lost socket left unanswered
            # cannot have reached it, and it has no custom attributes yet.
            self._publish("sessionEnded", {"reason": "replaced"})
            record.seen.clear()
            record.sent_attributes = {}
            _, again = catch_up.settle_unfinished()
            self._requeue(again)
            self._publish("started", record.started_data(), retain=True)
            return self._go_on(frame)
        return self._fetch_catch_up_page(CatchingUp(state.generation, catch_up, record.read_only))

    def _fetch_catch_up_page(self, state: CatchingUp) -> CatchingUp:
        """The catch-up's next page (a JWT first, if need be)."""
        self._with_jwt(state, CatchUpPage(state.generation, state.catch_up.page_number))
        return state

    def _history_timer(self, state: CatchingUp, fired: TimerFired) -> CatchingUp:
        return self._fetch_catch_up_page(state)

    def _catch_up_page(self, state: CatchingUp, settled: Settled[CatchUpPage]) -> State:
        outcome = settled.outcome
        if settled.generation != self.generation:
            return state
        if isinstance(outcome, CallFailed):
            reason = calls.sentence(outcome.reason)
            log.info("reading the history failed (%s); trying again", reason)
            if outcome.status == 401:
                self.record.jwt = None
            self._emit(SetTimer(Timer.HISTORY, self.settings.reconnect_interval))
            return state
        catch_up, done = state.catch_up.take(outcome.value, self.record.seen)
        state = attrs.evolve(state, catch_up=catch_up)
        return self._caught_up(state) if done else self._fetch_catch_up_page(state)

    def _caught_up(self, state: CatchingUp) -> State:
        """The history is read: publish what was missed (or ``restored``), go on, and take
        the live messages that waited."""
        record = self.record
        catch_up = state.catch_up
        again: list[Request] = []
        read_only = state.read_only
        if catch_up.restoring:
            page = catch_up.first_page
            messages = list(page.messages) if page is not None else []
            for message in messages:
                record.seen.update(dict.fromkeys(keys(message)))
            record.history_page = 1
            record.history_complete = page is None or page.last
            size = page.page_size if page is not None else self.settings.history_page_size
            restored: HistoryPageData = {
                "messages": [message_body(m) for m in messages],
                "pageNumber": 1,
                "pageSize": size,
            }
            self._publish("restored", restored, retain=True)
        else:
            delivered, again = catch_up.settle_unfinished()
            by_id = {message.id: tracing_id for tracing_id, message in delivered.items()}
            for message in catch_up.new_messages():
                read_only = self._message(message, by_id.get(message.id)) or read_only
            for tracing_id, twin in delivered.items():
                self.asked.pop(tracing_id, None)
                self._acknowledged(tracing_id, twin)
        if read_only and record.session is not None:
            record.session = attrs.evolve(record.session, read_only=True)
        self._requeue(again)
        after: State = self._go_on(None)
        for held in state.held:
            after = self._step(after, MessageFrame, held)
        return after

    def _hold(self, state: CatchingUp, message: MessageFrame) -> CatchingUp:
        """A live message while the history is read: it waits, to keep the order."""
        return attrs.evolve(state, held=(*state.held, message))

    # Messages --------------------------------------------------------------------------------

    def _message_frame(self, state: S, message: MessageFrame) -> S | ReadOnly | Idle:
        """A message from the socket: the echo of one of the guest's, or pushed."""
        update = message.update
        if isinstance(update, Answered):
            purpose = self.asked.pop(update.request.tracing_id, None)
            if isinstance(purpose, GuestMessage):
                frame = update.frame
                if frame.is_error:
                    return self._message_refused(state, Replied(purpose, update.request, frame))
                if purpose.attributes is not None:
                    self.record.sent_attributes = dict(purpose.attributes)
                assert isinstance(frame.body, StructuredMessage)
                self._acknowledged(update.request.tracing_id, frame.body)
                return self._read_only_if(state, self._echoed(frame, update.request))
        body = update.frame.body
        assert isinstance(body, StructuredMessage)
        return self._read_only_if(state, self._message(body, None))

    def _echoed(self, frame: Frame, request: Request) -> bool:
        assert isinstance(frame.body, StructuredMessage)
        return self._message(frame.body, request.tracing_id)

    def _read_only_if(self, state: S, turned: bool) -> S | ReadOnly:
        """The state after a message that turned the conversation read-only, or not."""
        if turned and isinstance(state, Active):
            return ReadOnly(state.generation)
        return state

    def _message(self, body: StructuredMessage, tracing_id: str | None) -> bool:
        """A message body (live, an echo of ours, or from the history), published once;
        ``True`` when it turned the conversation read-only (a Disconnect with readOnly).

        Events carry the guest API's own bodies (dicts, as the JavaScript SDK publishes
        them), a message's ``tracingId`` added when it answers a request of ours."""
        record = self.record
        if is_known(body, record.seen):
            return False
        record.seen.update(dict.fromkeys(keys(body)))
        data = message_body(body, tracing_id)
        typing = body.typing
        if typing is not None:
            if not body.inbound:
                self._publish("typingReceived", {"typing": _event_part(body, "typing")})
                duration = typing.duration if typing.duration is not None else TYPING_MS
                self._emit(SetTimer(Timer.AGENT_TYPING, duration / 1000))
            return False
        if not body.inbound:
            self._emit(CancelTimer(Timer.AGENT_TYPING))  # hidden by the agent's next message
        for content in body.content:
            if isinstance(content, Attachment) and content.id is not None:
                record.files.arrived(content.id, data)
        received: MessagesReceivedData = {"messages": [data]}
        self._publish("messagesReceived", received)
        presence = body.presence
        if presence is not None and presence.type == "SignIn":
            self._publish("steppedUpConversation", data)
        if presence is None or presence.type != "Disconnect" or body.inbound:
            return False
        self._publish("conversationDisconnected", {"message": data, "readOnly": body.read_only})
        if not body.read_only:
            return False
        if record.session is not None:
            record.session = attrs.evolve(record.session, read_only=True)
        self._publish("readOnlyConversation", data)
        return True

    def _message_refused(self, state: S, replied: Replied[GuestMessage]) -> S | ReadOnly | Idle:
        """The server refused a message, Join or Typing of the guest's; as read-only (409):
        the session is so from now on."""
        frame = replied.frame
        self._unacknowledged_refused(replied.request.tracing_id, _text(frame))
        if frame.code in SESSION_GONE:
            return self._session_gone(frame)
        self._error(frame)
        if frame.code != 409:
            return state
        record = self.record
        if record.session is not None:
            record.session = attrs.evolve(record.session, read_only=True)
        return self._read_only_if(state, True)

    def _send_message(self, state: State, command: SendMessage) -> State:
        """sendMessage: text (with the files uploaded) or a reply to structured content;
        it opens a session if there is none."""
        if isinstance(state, Idle) and state.over is not None:
            self._refuse(command.ticket, state.over)
            return state
        record = self.record
        files = record.files.uploaded()
        reply = command.reply
        if reply is None and not command.text.strip() and not files:
            self._refuse(command.ticket, WHITESPACE if command.text else NO_TEXT)
            return state
        attributes = dict(command.custom_attributes)
        limit = actions.MAX_CUSTOM_ATTRIBUTES_BYTES
        if record.session is not None and record.session.max_custom_data_bytes:
            limit = record.session.max_custom_data_bytes
        if actions.custom_attributes_size(attributes) > limit:
            sentence = ATTRIBUTES_TOO_LARGE.format(limit)
            self._publish(
                "customAttributesSizeExceeded",
                {"body": sentence, "errorKey": "customAttributesSizeExceeded"},
            )
            self._refuse(command.ticket, sentence)
            return state
        self.attributes = attributes
        if isinstance(state, Idle):
            state = self._connect(state, None, join=True)
        changed = attributes if attributes != record.sent_attributes else None
        if reply is not None:
            metadata = (
                {"parentMessageId": reply.parent_message_id} if reply.parent_message_id else None
            )
            message = actions.button_response(
                reply.text,
                reply.payload,
                reply.button_type,
                metadata=metadata,
                custom_attributes=changed,
            )
        else:
            message = actions.text_message(
                command.text, attachment_ids=files, custom_attributes=changed
            )
            record.files.carried(files)
        request = actions.on_message(self._token(), message)
        shown = {"message": {**message, "tracingId": request.tracing_id}}
        self._publish("sendingMessage", shown)
        if reply is not None and reply.button_type in REPLIED:
            self._publish("repliedMessage", shown)
        self._send(state, request, GuestMessage(changed))
        self._await_echo(request.tracing_id, command.ticket)
        return state

    def _await_echo(self, tracing_id: str, ticket: int) -> None:
        """sendMessage resolves once the server echoes its message, as the official clients
        count a message sent (the Kotlin transport SDK's ``MessageStore``: Sending, then
        Sent on the echo of its tracingId), or rejects after ``send_timeout``."""
        deadline = self.clock() + self.settings.send_timeout
        self.unacknowledged[tracing_id] = (ticket, deadline)
        if len(self.unacknowledged) == 1:
            self._emit(SetTimer(Timer.SEND_TIMEOUT, self.settings.send_timeout))

    def _acknowledged(self, tracing_id: str, body: StructuredMessage) -> None:
        """The server has the message of ``tracing_id``: its sendMessage resolves with it."""
        waiting = self.unacknowledged.pop(tracing_id, None)
        if waiting is not None:
            self._answer(waiting[0], message_body(body, tracing_id))
            self._echoes_awaited()

    def _unacknowledged_refused(self, tracing_id: str, reason: str) -> None:
        waiting = self.unacknowledged.pop(tracing_id, None)
        if waiting is not None:
            self._refuse(waiting[0], reason)
            self._echoes_awaited()

    def _echoes_awaited(self) -> None:
        """A send is settled: with none left, the send timeout waits for nothing (a
        chat that sends every few seconds would otherwise keep a timer a minute long)."""
        if not self.unacknowledged:
            self._emit(CancelTimer(Timer.SEND_TIMEOUT))

    def _send_timed_out(self, state: S, fired: TimerFired) -> S:
        """The sends out of time reject; the timer is set for the next one."""
        now = self.clock()
        for tracing_id, (ticket, deadline) in list(self.unacknowledged.items()):
            if deadline <= now:
                del self.unacknowledged[tracing_id]
                self._refuse(ticket, NOT_ACKNOWLEDGED.format(self.settings.send_timeout))
        if self.unacknowledged:
            first = min(deadline for _, deadline in self.unacknowledged.values())
            self._emit(SetTimer(Timer.SEND_TIMEOUT, max(0.0, first - now)))
        return state

    def _session_gone(self, frame: Frame) -> Idle:
        """A send answered 4006 (the session expired) or 4007 (the server does not know it):
        as the mobile client's error state (``MessagingClientImpl.handleError`` of the
        Kotlin transport SDK), the conversation is over; ``error`` and ``sessionEnded``
        say so once, and sends are refused until ``startConversation``."""
        self._error(frame)
        reason = SESSION_GONE[frame.code]
        if reason == "expired":
            self._publish("sessionExpired", {})
        return self._ended_for(reason)

    def _ended_for(self, reason: str) -> Idle:
        """The server ended the session (``reason``: ``expired``, ``notFound``): the socket
        closes, the session is forgotten, ``sessionEnded`` says so once, sends are refused."""
        self._stop_socket()
        self._forget_session()
        self._publish("sessionEnded", {"reason": reason})
        return Idle(over=ENDED_BY_SERVER.format(SESSION_GONE_WORDS[reason]))

    def _send_ended(self, state: S, command: SendMessage) -> S:
        self._refuse(command.ticket, ENDED_SEND)
        return state

    def _join(self, state: S, command: JoinConversation) -> S:
        deployment = self.deployment
        if deployment is None or not deployment.auto_start:
            self._refuse(command.ticket, AUTO_START_OFF)
        elif not _has_session(state):
            self._refuse(command.ticket, NOTHING_TO_JOIN)
        else:
            self.attributes = command.custom_attributes
            self._send_join(state)
            self._answer(command.ticket)
        return state

    def _send_join(self, state: State) -> None:
        """Send the Join presence, which starts the conversation when autoStart is on.

        Ours: on a new session the Join goes before any message that waited for the
        session (the mobile client sends it as soon as the session is configured, before
        the guest can send anything). It carries the custom attributes, as the Kotlin
        transport SDK's ``sendAutoStart`` does (``MessagingClientImpl.kt``): the
        conversation's flow can route on them from its first step."""
        attributes = self.attributes
        changed = attributes if attributes and attributes != self.record.sent_attributes else None
        message = actions.presence_event("Join", custom_attributes=changed)
        request = actions.on_message(self._token(), message)
        self._publish("sendingMessage", {"message": {**message, "tracingId": request.tracing_id}})
        self._send(state, request, GuestMessage(changed))

    def _send_typing(self, state: S, command: SendTyping) -> S:
        record = self.record
        now = self.clock()
        if now - record.last_typing < TYPING_THROTTLE:
            self._answer(command.ticket, THROTTLED)
            return state
        record.last_typing = now
        deployment = self.deployment
        # Ours, as the mobile client: nothing is sent where the deployment shows no typing.
        if deployment is not None and deployment.show_user_typing:
            request = actions.on_message(self._token(), actions.typing_event())
            self._send(state, request, GuestMessage())
            self._publish("clientTypingStarted")
        self._answer(command.ticket)
        return state

    def _typing_ended(self, state: S, command: SendTyping) -> S:
        self._refuse(command.ticket, ENDED_TYPING)
        return state

    def _clear_typing_timeout(self, state: S, command: ClearTypingTimeout) -> S:
        self._emit(CancelTimer(Timer.AGENT_TYPING))
        self._answer(command.ticket)
        return state

    def _agent_typing_over(self, state: S, fired: TimerFired) -> S:
        self._publish("typingTimeout")
        return state

    # Read-only, resetting, clearing, ending --------------------------------------------------

    def _reset(self, state: ReadOnly, command: ResetConversation) -> Resetting:
        """resetConversation: closeSession, then configureSession with startNew."""
        self._send_now(actions.close_session(self._token()), SessionRequest())
        return Resetting(state.generation, command.ticket)

    def _reset_not_allowed(self, state: S, command: ResetConversation) -> S:
        self._refuse(command.ticket, RESET_NOT_ALLOWED)
        return state

    def _reset_answered(
        self, state: Resetting, replied: Replied[SessionRequest]
    ) -> Resetting | ReadOnly | Active:
        """closeSession's answer (then configureSession with startNew), then that one's."""
        frame = replied.frame
        if frame.is_error or not isinstance(frame.body, SessionResponse):
            self._error(frame)
            self._refuse(state.ticket, RESET_NOT_ALLOWED)
            # Still read-only: what the guest sent meanwhile goes, and the server refuses
            # it (an ``error`` each), rather than wait for a session that will not come.
            self._flush()
            return ReadOnly(state.generation)
        token = self._token()
        if not state.closed:
            request = actions.configure_session(token, self.settings.deployment_id, start_new=True)
            self._send_now(request, SessionRequest())
            return attrs.evolve(state, closed=True)
        self.record = ConversationRecord(token=token, serial=self.record.serial + 1)
        self._session_configured(frame)
        started = self.record.started_data()
        self._publish("conversationReset", started)
        self._publish("started", started, retain=True)
        self._answer(
            state.ticket,
            {"authenticated": False, "newSession": started["newSession"], "readOnly": False},
        )
        deployment = self.deployment
        return self._go_on(None, join=deployment is not None and deployment.auto_start)

    def _clear(self, state: S, command: ClearConversation) -> S:
        deployment = self.deployment
        if deployment is None or not deployment.clear_enabled:
            self._refuse(command.ticket, CLEAR_OFF)
        elif not _has_session(state):
            self._refuse(command.ticket, NOTHING_TO_CLEAR)
        else:
            request = actions.on_message(self._token(), actions.presence_event("Clear"))
            self._send(state, request, ClearRequest(command.ticket))
        return state

    def _clear_answered(self, state: State, replied: Replied[ClearRequest]) -> State:
        frame = replied.frame
        if isinstance(frame.body, SessionClearedEvent):
            return self._cleared(frame, replied.purpose.ticket)
        self._error(frame)
        self._refuse(replied.purpose.ticket, CLEAR_OFF if frame.code == 403 else _text(frame))
        return state

    def _cleared_elsewhere(self, state: State, pushed: Pushed) -> Idle:
        """Another connection of the session cleared the conversation."""
        return self._cleared(pushed.frame, None)

    def _cleared(self, frame: Frame, ticket: int | None) -> Idle:
        """The conversation was cleared (by us, or by another connection of the session)."""
        self._stop_socket()
        self._forget_session()
        self._publish("conversationCleared", dict(frame.raw))
        if ticket is not None:
            self._answer(ticket, dict(frame.raw))
        return Idle()

    def _expired(self, state: State, pushed: Pushed) -> Idle:
        """``SessionExpiredEvent``: ``sessionExpired``, then the session's end (the mobile
        client takes it as error 4006)."""
        self._publish("sessionExpired", pushed.frame.raw.get("body"))
        return self._ended_for("expired")

    def _logged_out(self, state: State, pushed: Pushed) -> Idle:
        """The guest logged out (here, or on another device): ``logout``."""
        if not self.logging_out:
            self._error(pushed.frame)
        after = self._ended(None, pushed.frame)
        self._signed_out()  # once the store is cleared
        return after

    def _ended(self, event: str | None, frame: Frame) -> Idle:
        """The session is over on the server: the socket closes, a new token next time."""
        self._stop_socket()
        self._forget_session()
        if event is not None:
            self._publish(event, frame.raw.get("body"))
        return Idle()

    def _clear_session(self, state: State, command: ClearSession) -> Idle:
        """clearSession: whatever is under way is refused, and the session forgotten."""
        if isinstance(state, Connecting) and state.ticket is not None:
            self._refuse(state.ticket, CANNOT_START)
        elif isinstance(state, Resetting):
            self._refuse(state.ticket, RESET_NOT_ALLOWED)
        if _has_session(state):
            self._stop_socket()
        for ticket in self.record.history_tickets:
            self._refuse(ticket, NOT_ABLE)
        self._forget_session()
        self._publish("sessionCleared")
        self._answer(command.ticket)
        return Idle()

    def _server_closes(self, state: S, pushed: Pushed) -> S:
        """The server closes this socket next; reopening it would take another's place."""
        self.record.closed_by_server = True
        body = pushed.frame.body
        assert isinstance(body, ConnectionClosedEvent)
        log.info("the server closes the socket (%s)", body.reason or "no reason given")
        # As the mobile SDK's Event.ConnectionClosed: signedIn is the guest signing in
        # on another device, which takes the conversation there.
        self._publish("connectionClosed", {"reason": body.reason})
        return state

    def _pushed(self, state: S, pushed: Pushed) -> S:
        """Anything else the server pushes: an error is published, the rest ignored."""
        frame = pushed.frame
        if frame.is_error:
            self._error(frame)
        else:
            log.debug("ignoring a %s frame", frame.frame_class)
        return state

    # Signing in (an authenticated deployment) -------------------------------------------------

    def _sign_in_first(
        self, state: State, ticket: int | None, join: bool, restoring: bool
    ) -> Connecting | Reconnecting:
        """The guest's credentials are exchanged for a JWT; the socket opens after."""
        self._call(calls.SignInCall(), SignIn())
        if isinstance(state, Reconnecting):
            return state
        return Connecting(self.generation, ticket, join, restoring)

    def _configure_request(self, token: str) -> tuple[Request, RequestPurpose]:
        """configureAuthenticatedSession with the JWT when signed in, else configureSession."""
        deployment_id = self.settings.deployment_id
        if self.auth is not None:
            request = actions.configure_authenticated_session(token, deployment_id, self.auth.jwt)
            return request, AuthSessionRequest()
        return actions.configure_session(token, deployment_id), SessionRequest()

    def _signed_in(
        self, state: Connecting | Reconnecting, settled: Settled[SignIn]
    ) -> Connecting | Reconnecting | Idle:
        """The JWT is had: the socket opens. Refused: the start is refused."""
        outcome = settled.outcome
        if isinstance(outcome, CallFailed):
            sentence = SIGN_IN_FAILED.format(calls.sentence(outcome.reason))
            self._error({"code": outcome.status or 0, "body": sentence})
            if isinstance(state, Connecting) and state.ticket is not None:
                self._refuse(state.ticket, sentence)
            if isinstance(state, Reconnecting):
                self._emit(CancelTimer(Timer.RECONNECT_DEADLINE))
            return Idle()
        self._signed(outcome.value)
        if isinstance(state, Connecting):
            return self._connect(state, state.ticket, state.join, state.restoring)
        return self._connect(state, None, join=False)

    def _signed(self, tokens: AuthTokens) -> None:
        """New tokens: ``authenticated`` (the Auth plugin's event), renewed before they expire."""
        self.auth = tokens
        self._publish("authenticated")
        self._refresh_later()

    def _refresh_later(self) -> None:
        """The JWT is renewed before it expires (one with no refresh token: on a 401)."""
        auth = self.auth
        exp = auth.exp if auth is not None else None
        if auth is None or exp is None or auth.refresh_token is None:
            return
        left = exp - self.clock()
        self._emit(SetTimer(Timer.JWT_REFRESH, max(0.0, left / 2, left - JWT_REFRESH_MARGIN)))

    def _signed_out(self) -> None:
        """The guest's tokens are gone (logout): ``logout``, once."""
        if self.auth is None and not self.logging_out:
            return
        self.auth = None
        self.logging_out = False
        self._emit(CancelTimer(Timer.JWT_REFRESH))
        self._publish("logout")

    def _auth_session_opened(
        self, state: Connecting, replied: Replied[AuthSessionRequest]
    ) -> Active | ReadOnly | CatchingUp | Idle | Connecting:
        if self._unauthorized(replied.frame):
            return state
        self.record.authenticated = not _refuses_session(replied.frame)
        return self._session_opened(state, _as_session(replied))

    def _auth_session_reopened(
        self, state: Reconnecting, replied: Replied[AuthSessionRequest]
    ) -> Reconnecting | Active | ReadOnly | CatchingUp:
        if self._unauthorized(replied.frame):
            return state
        self.record.authenticated = not _refuses_session(replied.frame)
        return self._session_reopened(state, _as_session(replied))

    def _auth_session_answered(self, state: S, replied: Replied[AuthSessionRequest]) -> S:
        if not self._unauthorized(replied.frame):
            self._session_answered(state, _as_session(replied))
        return state

    def _unauthorized(self, frame: Frame) -> bool:
        """The server no longer takes the JWT (401): it is renewed, and the session
        configured again with the new one."""
        if frame.code != 401 or self.auth is None:
            if not frame.is_error:
                self._refresh_later()
            return False
        log.info("the server refused the JWT (401): renewing it")
        self._call(calls.RefreshJwt(self.auth), Refresh(1, reconfigure=True))
        return True

    def _refresh_due(self, state: S, fired: TimerFired) -> S:
        if self.auth is not None and not isinstance(state, Closed):
            self._call(calls.RefreshJwt(self.auth), Refresh())
        return state

    def _refreshed(self, state: State, settled: Settled[Refresh]) -> State:
        """A renewed JWT is kept (and the session configured again, after a 401); after
        ``REFRESH_TRIES`` failures in a row the signed-in session ends."""
        outcome, purpose = settled.outcome, settled.purpose
        if self.auth is None or isinstance(state, Closed):
            return state  # logged out meanwhile
        if isinstance(outcome, CallFailed):
            if purpose.attempt < REFRESH_TRIES:
                log.info(
                    "renewing the JWT failed (%s); trying again", calls.sentence(outcome.reason)
                )
                again = Refresh(purpose.attempt + 1, purpose.reconfigure)
                self._call(calls.RefreshJwt(self.auth), again)
                return state
            return self._auth_lost(state, outcome)
        self.auth = outcome.value
        self._publish("tokenRefreshed")
        self._refresh_later()
        if _has_session(state):
            self._save()
        if (
            purpose.reconfigure
            and isinstance(state, (Connecting, Reconnecting))
            and settled.generation == self.generation
        ):
            request, request_purpose = self._configure_request(self._token())
            self._send_now(request, request_purpose)
        return state

    def _auth_lost(self, state: State, outcome: CallFailed) -> State:
        """The JWT could not be renewed: the signed-in session ends, then ``error`` (once
        the store is cleared)."""
        sentence = AUTH_LOST.format(REFRESH_TRIES, calls.sentence(outcome.reason))
        self.auth = None
        self._emit(CancelTimer(Timer.JWT_REFRESH))
        after = state
        if _has_session(state):
            if isinstance(state, Connecting) and state.ticket is not None:
                self._refuse(state.ticket, sentence)
            elif isinstance(state, Resetting):
                self._refuse(state.ticket, RESET_NOT_ALLOWED)
            self._stop_socket()
            self._forget_session()
            after = Idle()
        self._error({"code": outcome.status or 401, "body": sentence})
        return after

    def _logout(self, state: S, command: Logout) -> S:
        """logout: the JWT is revoked; the server ends the conversation (LogoutEvent)."""
        if self.auth is None:
            self._refuse(command.ticket, NOT_SIGNED_IN)
            return state
        self.logging_out = True
        self._call(calls.RevokeJwt(self.auth), Revoke(command.ticket))
        return state

    def _revoked(self, state: State, settled: Settled[Revoke]) -> State:
        """The JWT is revoked: the conversation ends here too, if the LogoutEvent did not
        end it first (no socket, or its event still on its way)."""
        outcome = settled.outcome
        if isinstance(outcome, CallFailed):
            self.logging_out = False
            sentence = LOGOUT_FAILED.format(calls.sentence(outcome.reason))
            self._error({"code": outcome.status or 0, "body": sentence})
            self._refuse(settled.purpose.ticket, sentence)
            return state
        after = state
        if _has_session(state):
            self._stop_socket()
            self._forget_session()
            after = Idle()
        self._signed_out()  # once the store is cleared
        self._answer(settled.purpose.ticket)
        return after

    def _step_up(self, state: S, command: StepUp) -> S:
        """stepUpConversation: the guest's conversation signs in, keeping its history."""
        if not isinstance(state, Active) or self.record.authenticated:
            self._step_up_refused(command.ticket, STEP_UP_GUEST_ONLY)
        elif command.credentials is None and not self.settings.authenticated:
            self._step_up_refused(command.ticket, STEP_UP_NO_SIGN_IN)
        else:
            self._call(calls.SignInCall(command.credentials), StepUpSignIn(command.ticket))
        return state

    def _step_up_refused(self, ticket: int, sentence: str, code: int = 0) -> None:
        self._publish("stepUpConversationError", {"error": {"code": code, "body": sentence}})
        self._refuse(ticket, sentence)

    def _step_up_signed_in(self, state: S, settled: Settled[StepUpSignIn]) -> S:
        """The JWT is had: the session is configured with it, on the same token."""
        outcome, ticket = settled.outcome, settled.purpose.ticket
        if isinstance(outcome, CallFailed):
            sentence = STEP_UP_FAILED.format(calls.sentence(outcome.reason))
            self._step_up_refused(ticket, sentence, outcome.status or 0)
            return state
        self._signed(outcome.value)
        if not isinstance(state, Active):
            self._step_up_refused(ticket, STEP_UP_GUEST_ONLY)
            return state
        request, _ = self._configure_request(self._token())
        self._send_now(request, StepUpRequest(ticket))
        return state

    def _step_up_answered(self, state: S, replied: Replied[StepUpRequest]) -> S:
        """The session is the signed-in guest's now (the SignIn presence brings
        ``steppedUpConversation``); the command resolves."""
        frame, ticket = replied.frame, replied.purpose.ticket
        if _refuses_session(frame):
            self._step_up_refused(ticket, STEP_UP_FAILED.format(_text(frame)), frame.code or 0)
            return state
        assert isinstance(frame.body, SessionResponse)
        self.record.authenticated = True
        self._session_configured(frame)
        self._answer(
            ticket,
            {
                "authenticated": True,
                "clearedExistingSession": frame.body.cleared_existing_session,
            },
        )
        return state

    # History ---------------------------------------------------------------------------------

    def _history_not_able(self, state: S, command: FetchHistory) -> S:
        self._refuse(command.ticket, NOT_ABLE)
        return state

    def _fetch_history(self, state: S, command: FetchHistory) -> S:
        """fetchHistory: the next page; commands wait their turn, one page each."""
        record = self.record
        record.history_tickets += (command.ticket,)
        if len(record.history_tickets) == 1:
            self._next_history_page(state)
        return state

    def _next_history_page(self, state: State) -> None:
        record = self.record
        while record.history_tickets and record.history_complete:
            self._publish("historyComplete")
            self._answer(record.take_history_ticket(), ALL_FETCHED)
        if record.history_tickets:
            self._with_jwt(state, FetchHistoryPage(record.serial, record.history_page + 1))

    def _history_page(self, state: S, settled: Settled[FetchHistoryPage]) -> S:
        record = self.record
        if record.serial != settled.purpose.session or not record.history_tickets:
            return state
        outcome = settled.outcome
        if isinstance(outcome, CallFailed):
            self._error({"code": outcome.status or 0, "body": str(outcome.reason)})
            self._refuse(record.take_history_ticket(), UNABLE)
        else:
            page: HistoryPage = outcome.value
            record.history_page = page.page_number
            data: HistoryPageData = {
                "messages": [message_body(m) for m in page.messages],
                "pageNumber": page.page_number,
                "pageSize": page.page_size,
            }
            self._publish("oldMessages", data)
            self._answer(record.take_history_ticket(), data)
            if page.last:
                record.history_complete = True
                self._publish("historyComplete")
        self._next_history_page(state)
        return state

    def _with_jwt(self, state: State, need: JwtNeed) -> None:
        """``need`` reads its page with a JWT good for more than a few seconds: the one
        kept, or a new one (getJwt is asked once for every need waiting)."""
        record = self.record
        jwt = record.jwt
        if jwt is not None and not jwt.expires_within(JWT_MARGIN, self.clock()):
            self._jwt_ready(state, need, jwt)
            return
        record.jwt_waiting += (need,)
        if not record.jwt_asked and record.token is not None:
            record.jwt_asked = True
            self._send_now(actions.get_jwt(record.token), JwtRequest())

    def _jwt_answered(self, state: S, replied: Replied[JwtRequest]) -> S:
        frame = replied.frame
        if frame.is_error:
            self._error(frame)
        record = self.record
        record.jwt = frame.body if isinstance(frame.body, JwtResponse) else None
        record.jwt_asked = False
        waiting, record.jwt_waiting = record.jwt_waiting, ()
        for need in waiting:
            self._jwt_ready(state, need, record.jwt)
        return state

    def _jwt_ready(self, state: State, need: JwtNeed, jwt: JwtResponse | None) -> None:
        """Read ``need``'s page with ``jwt`` (``None``: getJwt was refused), if it is
        still wanted: a catch-up tries again later, fetchHistory's command rejects."""
        size = self.settings.history_page_size
        if isinstance(need, CatchUpPage):
            if (
                not isinstance(state, CatchingUp)
                or state.generation != need.generation
                or self.generation != need.generation
            ):
                return
            if jwt is None:
                self._emit(SetTimer(Timer.HISTORY, self.settings.reconnect_interval))
            else:
                self._call(calls.FetchPage(jwt.jwt, need.number, size), need)
            return
        record = self.record
        if record.serial != need.session or not record.history_tickets:
            return
        if jwt is None:
            self._refuse(record.take_history_ticket(), UNABLE)
            self._next_history_page(state)
        else:
            self._call(calls.FetchPage(jwt.jwt, need.number, size), need)

    # The session's timing --------------------------------------------------------------------

    def _timing(self, duration: int | None, expiration: int | None) -> None:
        record = self.record
        if duration is not None and not record.duration_told:
            record.duration_told = True
            self._publish("sessionDurationConfigured", {"sessionDurationSeconds": duration})
        if expiration is not None and expiration != record.expiration_date:
            record.expiration_date = expiration
            self._publish(
                "sessionTimingUpdated", {"durationSeconds": duration, "expirationDate": expiration}
            )
            warning_in = expiration - WARNING_SECONDS - self.clock()
            self._emit(SetTimer(Timer.SESSION_WARNING, max(0.0, warning_in)))

    def _health_checked(self, state: S, checked: HealthChecked) -> S:
        """The echo's metadata carries the session's timing (as strings)."""
        body = checked.frame.body
        if isinstance(body, StructuredMessage):
            metadata = body.metadata
            expiration = epoch_seconds(_number(metadata.get("expirationDate")))
            self._timing(_number(metadata.get("durationSeconds")), expiration)
        return state

    def _session_warning(self, state: S, fired: TimerFired) -> S:
        if self.record.expiration_date is not None:
            self._publish("sessionWarning", {"expirationTime": self.record.expiration_date})
        return state

    # Files (``files.GuestFiles`` says what to do) ---------------------------------------------

    def _request_upload(self, state: S, command: RequestUpload) -> S:
        deployment = self.deployment
        steps = self.record.files.request(
            command,
            uploads_enabled=deployment is None or deployment.uploads_enabled,
            ended=isinstance(state, (Idle, ReadOnly)),
            session=self.record.session,
            max_bytes=self.settings.max_upload_bytes,
            new_id=self.new_token,
        )
        self._carry(state, steps)
        return state

    def _upload_read(self, state: S, settled: Settled[ReadUpload]) -> S:
        record = self.record
        steps = record.files.read(settled.purpose, settled.outcome, record.token, record.session)
        self._carry(state, steps)
        return state

    def _upload_url(self, state: S, replied: Replied[UploadUrl]) -> S:
        self._carry(state, self.record.files.approved(replied.purpose.attachment_id, replied.frame))
        return state

    def _upload_put(self, state: S, settled: Settled[PutUpload]) -> S:
        self._carry(state, self.record.files.put(settled.purpose, settled.outcome))
        return state

    def _upload_reported(self, state: S, pushed: Pushed) -> S:
        self._carry(state, self.record.files.reported(pushed.frame))
        return state

    def _get_file(self, state: S, command: GetFile) -> S:
        self._ask_url(state, command.attachment_id, received=True)
        self._answer(command.ticket)
        return state

    def _refresh_files(self, state: S, command: RefreshFiles) -> S:
        for attachment_id in command.attachment_ids:
            self._ask_url(state, attachment_id, received=False)
        self._answer(command.ticket)
        return state

    def _ask_url(self, state: State, attachment_id: str, received: bool) -> None:
        token = self.record.token
        if token is not None and _has_session(state):
            self._carry(state, [ask_url(token, attachment_id, received)])

    def _file_url(self, state: S, replied: Replied[FileUrl]) -> S:
        files = self.record.files
        self._carry(state, files.fresh_url(replied.purpose, replied.frame, self.clock()))
        return state

    def _download_file(self, state: S, command: DownloadFile) -> S:
        self._carry(state, [download(command)])
        return state

    def _downloaded(self, state: S, settled: Settled[SaveDownload]) -> S:
        self._carry(state, downloaded(settled.purpose, settled.outcome))
        return state

    def _delete_file(self, state: S, command: DeleteFile) -> S:
        self._carry(state, self.record.files.delete(command, self.record.token))
        return state

    def _delete_ended(self, state: S, command: DeleteFile) -> S:
        self._refuse(command.ticket, ENDED_DELETE)
        return state

    def _file_deleted(self, state: S, replied: Replied[AttachmentDelete]) -> S:
        self._carry(state, self.record.files.deleted(replied.purpose, replied.frame))
        return state

    # The socket's own calls ------------------------------------------------------------------

    def _handed_over(self, state: S, settled: Settled[HandOver]) -> S:
        outcome = settled.outcome
        if isinstance(outcome, CallFailed):
            log.warning("Send failed: %s", calls.sentence(outcome.reason))
        elif outcome.value is False:
            # The socket went first: what it did not take waits for the next one, after
            # what it gave back before (hand-overs settle in the order they were made)
            # and before what was queued since, which was sent later.
            back, at = settled.purpose.requests, self.returned
            self.outbox[at:at] = back
            self.returned += len(back)
        return state

    def _socket_closed(self, state: S, settled: Settled[CloseSocket]) -> S:
        outcome = settled.outcome
        if isinstance(outcome, CallFailed):
            log.warning("Disconnect failed: %s", calls.sentence(outcome.reason))
        return state


def _has_session(state: State) -> bool:
    """There is a conversation, up, on its way or coming back (not idle, not cleared)."""
    return isinstance(state, SESSION)


def _refuses_session(frame: Frame) -> bool:
    """configureSession's answer is no session."""
    return frame.is_error or frame.frame_class != "SessionResponse"


def _as_session(replied: Replied[AuthSessionRequest]) -> Replied[SessionRequest]:
    """configureAuthenticatedSession's answer, taken as configureSession's is."""
    return Replied(SessionRequest(), replied.request, replied.frame)


def _text(frame: Frame) -> str:
    body = frame.raw.get("body")
    return body if isinstance(body, str) else str(getattr(frame.body, "error_message", body))


def _event_part(body: StructuredMessage, key: str) -> Any:
    """The raw ``typing`` (or other) object of a message's first event that has one."""
    for event in body.raw.get("events") or []:
        if isinstance(event, dict) and key in event:
            return event[key]
    return None


def _number(text: str | None) -> int | None:
    return whole_number(text) if text is not None else None


def _but(these: tuple[K, ...], *left_out: K) -> tuple[K, ...]:
    """``these`` but ``left_out``."""
    return tuple(one for one in these if one not in left_out)


# The table ------------------------------------------------------------------------------------

ALL = (
    Unloaded,
    Disabled,
    Idle,
    Connecting,
    Active,
    ReadOnly,
    Reconnecting,
    CatchingUp,
    Resetting,
    Closed,
)
LOADED = _but(ALL, Unloaded, Closed)
"""The deployment's configuration is read, and the bus is open."""
CONVERSATION = _but(LOADED, Disabled)
"""The guest's commands are taken."""
SESSION = _but(CONVERSATION, Idle)
"""There is a conversation, up, on its way or coming back."""
NO_SOCKET = (Unloaded, Disabled, Closed)
"""No socket can report: none was opened, or the last was given up."""
COMMANDS = get_args(Command)
GUEST_COMMANDS = _but(COMMANDS, Configure, Restore)
"""The commands refused without a conversations app."""
UPLOAD_REPORTS = (UploadSuccessEvent, UploadFailureEvent, GenerateUrlError)
FROM_SOCKET = (
    MessageFrame,
    *get_args(RequestPurpose),
    *PUSHED_KINDS,
    Pushed,
    HealthChecked,
    SocketLost,
)
KINDS = (*COMMANDS, Close, StoreFailed, *get_args(CallPurpose), *FROM_SOCKET, *Timer)

C = ConversationMachine
TRANSITIONS: Transitions[ConversationMachine, State] = Transitions(
    states=ALL,
    kinds=KINDS,
    first=Unloaded,
    groups={"any session state": SESSION},
    rows=[
        # Configuring, and closing.
        Row(Unloaded, Configure, C._load),
        Row(Unloaded, LoadConfig, C._loaded, to=(Idle, Disabled)),
        Row(_but(ALL, Unloaded), LoadConfig, C._loaded),
        Row(LOADED, Configure, C._configured_already),
        Row(Unloaded, _but(COMMANDS, Configure), C._not_configured),
        Row(Disabled, GUEST_COMMANDS, C._app_off),
        Row(Closed, COMMANDS, C._stopped),
        Row(ALL, Close, C._close, to=Closed),
        Row(ALL, StoreFailed, C._store_failed),
        # Starting, and resuming a stored session.
        Row(Idle, StartConversation, C._start, to=Connecting),
        Row(SESSION, StartConversation, C._already_active),
        Row(Idle, SendMessage, C._send_message, to=Connecting),
        Row(Idle, Restore, C._restore, to=Connecting),
        Row(_but(LOADED, Idle), Restore, C._restore),
        Row(Connecting, OpenSocket, C._socket_opened, to=Idle),
        Row(_but(ALL, Connecting, Reconnecting), OpenSocket, C._socket_settled),
        Row(Connecting, SessionRequest, C._session_opened, to=(Active, ReadOnly, CatchingUp, Idle)),
        Row((Idle, Active, ReadOnly, CatchingUp), SessionRequest, C._session_answered),
        # Losing the socket, reconnecting, and reading the history the gap left.
        Row(
            (Connecting, Active, ReadOnly, CatchingUp, Resetting),
            SocketLost,
            C._lost,
            to=(Reconnecting, Idle),
        ),
        Row(Reconnecting, SocketLost, C._lost_again),
        Row(Idle, SocketLost, C._lost_idle),
        Row(Reconnecting, Timer.RECONNECT, C._reconnect),
        Row(Reconnecting, OpenSocket, C._socket_reopened, to=Idle),
        Row(Reconnecting, Timer.RECONNECT_DEADLINE, C._give_up, to=Idle),
        Row(_but(ALL, Reconnecting), (Timer.RECONNECT, Timer.RECONNECT_DEADLINE), C._ignore),
        Row(Reconnecting, SessionRequest, C._session_reopened, to=(Active, ReadOnly, CatchingUp)),
        Row(CatchingUp, CatchUpPage, C._catch_up_page, to=(Active, ReadOnly)),
        Row(CatchingUp, Timer.HISTORY, C._history_timer),
        Row(_but(ALL, CatchingUp), (CatchUpPage, Timer.HISTORY), C._ignore),
        Row(CatchingUp, MessageFrame, C._hold),
        # Messages, typing.
        Row(Active, MessageFrame, C._message_frame, to=(ReadOnly, Idle)),
        Row(_but(CONVERSATION, Active, CatchingUp), MessageFrame, C._message_frame, to=Idle),
        Row(Active, GuestMessage, C._message_refused, to=(ReadOnly, Idle)),
        Row(_but(CONVERSATION, Active), GuestMessage, C._message_refused, to=Idle),
        Row(_but(SESSION, ReadOnly), SendMessage, C._send_message),
        Row(ReadOnly, SendMessage, C._send_ended),
        Row(CONVERSATION, JoinConversation, C._join),
        Row(_but(SESSION, ReadOnly), SendTyping, C._send_typing),
        Row((Idle, ReadOnly), SendTyping, C._typing_ended),
        Row(CONVERSATION, ClearTypingTimeout, C._clear_typing_timeout),
        Row(ALL, Timer.AGENT_TYPING, C._agent_typing_over),
        Row(ALL, Timer.SEND_TIMEOUT, C._send_timed_out),
        Row(ALL, HandOver, C._handed_over),
        Row(ALL, CloseSocket, C._socket_closed),
        # Read-only, resetting, clearing, ending.
        Row(ReadOnly, ResetConversation, C._reset, to=Resetting),
        Row(_but(CONVERSATION, ReadOnly), ResetConversation, C._reset_not_allowed),
        Row(Resetting, SessionRequest, C._reset_answered, to=(ReadOnly, Active)),
        Row(CONVERSATION, ClearConversation, C._clear),
        Row(CONVERSATION, ClearRequest, C._clear_answered, to=Idle),
        Row(CONVERSATION, SessionClearedEvent, C._cleared_elsewhere, to=Idle),
        Row(CONVERSATION, SessionExpiredEvent, C._expired, to=Idle),
        Row(CONVERSATION, LogoutEvent, C._logged_out, to=Idle),
        Row(CONVERSATION, ClearSession, C._clear_session, to=Idle),
        Row(CONVERSATION, ConnectionClosedEvent, C._server_closes),
        Row(CONVERSATION, Pushed, C._pushed),
        # History, the session's timing.
        Row(Idle, FetchHistory, C._history_not_able),
        Row(SESSION, FetchHistory, C._fetch_history),
        Row(ALL, FetchHistoryPage, C._history_page),
        Row(CONVERSATION, JwtRequest, C._jwt_answered),
        Row(CONVERSATION, HealthChecked, C._health_checked),
        Row(ALL, Timer.SESSION_WARNING, C._session_warning),
        # Files.
        Row(CONVERSATION, RequestUpload, C._request_upload),
        Row(ALL, ReadUpload, C._upload_read),
        Row(CONVERSATION, UploadUrl, C._upload_url),
        Row(ALL, PutUpload, C._upload_put),
        Row(CONVERSATION, UPLOAD_REPORTS, C._upload_reported),
        Row(CONVERSATION, GetFile, C._get_file),
        Row(CONVERSATION, RefreshFiles, C._refresh_files),
        Row(CONVERSATION, FileUrl, C._file_url),
        Row(CONVERSATION, DownloadFile, C._download_file),
        Row(ALL, SaveDownload, C._downloaded),
        Row(_but(SESSION, ReadOnly), DeleteFile, C._delete_file),
        Row((Idle, ReadOnly), DeleteFile, C._delete_ended),
        Row(CONVERSATION, AttachmentDelete, C._file_deleted),
        # Signing in (an authenticated deployment).
        Row(Connecting, SignIn, C._signed_in, to=Idle),
        Row(Reconnecting, SignIn, C._signed_in, to=Idle),
        Row(_but(ALL, Connecting, Reconnecting), SignIn, C._ignore),
        Row(
            Connecting,
            AuthSessionRequest,
            C._auth_session_opened,
            to=(Active, ReadOnly, CatchingUp, Idle),
        ),
        Row(
            Reconnecting,
            AuthSessionRequest,
            C._auth_session_reopened,
            to=(Active, ReadOnly, CatchingUp),
        ),
        Row(
            _but(CONVERSATION, Connecting, Reconnecting),
            AuthSessionRequest,
            C._auth_session_answered,
        ),
        Row(ALL, Timer.JWT_REFRESH, C._refresh_due),
        Row(SESSION, Refresh, C._refreshed, to=Idle),
        Row(_but(ALL, *SESSION), Refresh, C._refreshed),
        Row(CONVERSATION, Logout, C._logout),
        Row(SESSION, Revoke, C._revoked, to=Idle),
        Row(_but(ALL, *SESSION), Revoke, C._revoked),
        Row(CONVERSATION, StepUp, C._step_up),
        Row(ALL, StepUpSignIn, C._step_up_signed_in),
        Row(CONVERSATION, StepUpRequest, C._step_up_answered),
        # Nothing reports without a socket.
        Row(NO_SOCKET, FROM_SOCKET, C._ignore),
    ],
)
"""Per state and kind of input, the handler and the states that may follow; docs/messaging.md
draws it (``TRANSITIONS.mermaid()``)."""
