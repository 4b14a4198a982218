"""WebChatService: the Genesys widgets' chat service as a cxbus plugin.

Every command and event of the Genesys page ``WebChatService``, with its sentences.

Threading: one worker thread owns the chat's state and publishes every event, so
events come out in order; commands may come from any thread and hand their work
to it. Calls to the server run on one network thread (in order, so messages are
sent in the order they were commanded) and their results go back to the worker.
Updates from the transport's reader thread are only queued for the worker: no
user code ever runs on the reader thread.
"""

from __future__ import annotations

import concurrent.futures
import logging
import mimetypes
import os
import queue
import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, TypeVar

import attrs

from cxbus import Bus, CommandCall, CommandRejected, Deferred

from .config import ConfigError, WebChatConfig, parse_config
from .messages import Filters, Message, is_pattern, sender_type
from .session_store import FileSessionStore, SessionStore, StoredSession
from .transport import (
    GONE,
    NO_FILES,
    ChatMessage,
    Connection,
    Member,
    SessionData,
    StartRequest,
    Transport,
    TransportError,
    TransportUpdate,
    Typing,
    transport_class,
)

__all__ = ["EVENTS", "SERVICE", "WebChatService"]

log = logging.getLogger("cxbus.webchat")

T = TypeVar("T")

SERVICE = "WebChatService"

# The page's sentences, word for word.
NO_SESSION = "There is no active chat session."
NO_ACTIVE_SESSION = "No active chat session."
ALREADY_ACTIVE = "There is already an active chat session."
NO_MESSAGE = "No message text provided."
MALFORMED_USER_DATA = "malformed data object provided in userData property."
NO_POLLING = "This transport doesn't support polling."
NO_POLL_RESET = "This transport doesn't support resetPollExceptions command."
NO_CUSTOM_NOTICE = "This transport doesn't support sendCustomNotice command."
NO_USER_DATA_UPDATE = (
    "This transport doesn't support updating userData during an active chat session."
)
BAD_FILTERS = (
    "Missing or invalid filters provided. "
    "Please provide a regular expression or an array of regular expressions."
)
ALREADY_RESTORING = "Already restoring. Ignoring request."
RESTORE_WHILE_ACTIVE = "Chat session is already active, ignoring restore command."
RESTORE_DENIED = (
    "Access Denied to private command. "
    "Only WebChatService is allowed to invoke this command in Non-Async mode."
)
HISTORY_NOT_ASYNC = "Fetching history messages applies only to Asynchronous chat."
BAD_PREVIEW_INPUT = (
    "Invalid value provided for the input property. "
    "An HTML element reference to a textarea or text input is required."
)
# Ours, where the page gives no words.
NOTHING_TO_RESTORE = "There is no chat session to restore."
CONFIGURED_ALREADY = "WebChatService is configured already: configure can only be called once."
NOT_CONFIGURED = "WebChatService is not configured yet."
STOPPED = "WebChatService has stopped: its bus was closed."

EVENTS = [
    "ready",
    "started",
    "restored",
    "restoreFailed",
    "restoreTimeout",
    "messageReceived",
    "error",
    "ended",
    "disconnected",
    "reconnected",
    "clientConnected",
    "clientDisconnected",
    "clientTypingStarted",
    "clientTypingStopped",
    "agentConnected",
    "agentDisconnected",
    "agentTypingStarted",
    "agentTypingStopped",
    "agentTypingTimeout",
]

# Typing preview: at most one sendTyping per this many seconds while the guest types.
TYPING_PREVIEW_INTERVAL = 2.0
# restoreTimeout counts from when the guest went away: the store's time is renewed
# when the bus closes, and while messages flow at most once per this many seconds
# (a process that is killed leaves the time of its last activity).
SESSION_RENEWAL_INTERVAL = 5.0


def now_ms() -> int:
    return int(time.time() * 1000)


@attrs.define
class Agent:
    """An agent who took part in the chat, as getAgents reports it."""

    name: str
    connected: bool = True
    supervisor: bool = False
    connected_time: int = attrs.field(factory=now_ms)
    disconnected_time: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "connected": self.connected,
            "supervisor": self.supervisor,
            "connectedTime": self.connected_time,
            "disconnectedTime": self.disconnected_time,
        }


class Worker:
    """One thread that runs jobs in the order they were submitted."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Deferred] | None] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], Any]) -> Deferred:
        """Run ``job`` on the worker; the deferred settles with its outcome.

        Once the worker is stopped, a job is refused: its deferred rejects at once.
        """
        answer = Deferred()
        with self._lock:
            if not self._stopped:
                self._jobs.put((job, answer))
                return answer
        answer.reject(STOPPED)
        return answer

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, answer = item
            try:
                answer.resolve(job())
            except CommandRejected as rejection:
                answer.reject(rejection.reason)
            except Exception as error:
                log.exception("WebChatService job failed")
                answer.reject(error)

    def stop(self) -> None:
        """Finish the jobs queued so far, then stop."""
        with self._lock:
            self._stopped = True
            self._jobs.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)


def _chat_is_gone(reason: Any) -> bool:
    """Whether a refusal says the conversation is over or its token no longer valid."""
    return isinstance(reason, Mapping) and reason.get("status") in GONE


def _text_option(command: str, data: Any, name: str, required: bool = True) -> str | None:
    """The string option ``name`` of a command's data, or a rejection naming it."""
    value = data.get(name) if isinstance(data, Mapping) else None
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise CommandRejected(f"{command} needs '{name}': a non-empty string; got {value!r}.")
    return value


class WebChatService:
    """The ``WebChatService`` plugin on ``bus``; call ``plugin.ready()`` to configure it."""

    def __init__(self, bus: Bus) -> None:
        self.plugin = bus.register_plugin(
            SERVICE, config_section="webchat", on_unregister=self._shut_down
        )
        self.plugin.register_events(EVENTS)
        self._worker = Worker("webchat-worker")
        self._network = concurrent.futures.ThreadPoolExecutor(1, "webchat-network")
        self._config: WebChatConfig | None = None
        self._transport: Transport | None = None
        self._store: SessionStore | None = None
        # The chat's state: read and written on the worker thread only.
        self._session: SessionData | None = None
        self._buffered: list[TransportUpdate] | None = None  # while starting or restoring
        self._restoring = False
        self._user_data: dict[str, Any] = {}
        self._transcript: list[Message] = []
        self._seen: set[str] = set()
        self._agents: dict[str, Agent] = {}
        self._started_at: int | None = None
        self._ended_at: int | None = None
        self._filters = Filters()
        self._disconnected = False
        self._preprocessors: list[Callable[[dict[str, Any]], Any]] = []
        self._agent_typing: dict[str, threading.Timer] = {}
        self._client_typing: threading.Timer | None = None
        self._last_preview = 0.0
        self._saved_at = 0.0  # time.monotonic() of the last save to the store
        private = {"configure", "poll"}
        for name, handler in {
            "configure": self._configure,
            "startChat": self._start_chat,
            "endChat": self._end_chat,
            "sendMessage": self._send_message,
            "sendCustomNotice": self._send_custom_notice,
            "sendTyping": self._send_typing,
            "sendFilteredMessage": self._send_filtered_message,
            "addPrefilter": self._add_prefilter,
            "updateUserData": self._update_user_data,
            "poll": self._poll,
            "startPoll": self._start_or_stop_poll,
            "stopPoll": self._start_or_stop_poll,
            "resetPollExceptions": self._reset_poll_exceptions,
            "restore": self._restore,
            "getTranscript": self._get_transcript,
            "getAgents": self._get_agents,
            "getStats": self._get_stats,
            "sendFile": self._send_file,
            "downloadFile": self._download_file,
            "getSessionData": self._get_session_data,
            "fetchHistory": self._fetch_history,
            "registerTypingPreviewInput": self._register_typing_preview_input,
            "registerPreProcessor": self._register_preprocessor,
            "verifySession": self._verify_session,
        }.items():
            self.plugin.register_command(name, handler, private=name in private)

    # Plumbing -----------------------------------------------------------------

    def _on_worker(self, job: Callable[[], T]) -> Deferred:
        return self._worker.submit(job)

    def _post(self, job: Callable[[], Any]) -> Deferred:
        """Run ``job`` on the worker for nobody in particular: once the bus has closed
        it is dropped quietly (the deferred still rejects for whoever waits on it)."""
        return self._worker.submit(job).fail(
            lambda reason: log.debug("worker job dropped: %s", reason)
        )

    def _on_network(self, method: Callable[..., Any], *args: Any) -> Deferred:
        """Call the server off the worker; a refusal becomes a rejection and an error event."""
        answer = Deferred()
        answer.resolve(self._network.submit(method, *args))
        return answer.then(None, self._refused)

    def _refused(self, reason: Any) -> Any:
        if isinstance(reason, TransportError):
            self._post(lambda: self.plugin.publish("error", reason.reason))
            raise CommandRejected(reason.reason)
        raise CommandRejected(reason)

    def _chat_required(self, sentence: str) -> Transport:
        """The transport of the active chat (on the worker), or a rejection with ``sentence``."""
        if self._session is None or self._transport is None:
            raise CommandRejected(sentence)
        return self._transport

    def _shut_down(self) -> None:
        for timer in [*self._agent_typing.values(), self._client_typing]:
            if timer is not None:
                timer.cancel()
        self._worker.stop()
        self._save_session()  # the worker is done: the chat's state is ours to read
        if self._transport is not None:
            self._network.submit(self._transport.close)
        self._network.shutdown(wait=True)

    def _session_data(self) -> dict[str, Any]:
        """What getSessionData and events tell of the chat; never the JWT."""
        if self._session is None:
            return {}
        return {
            "conversationId": self._session.conversation_id,
            "memberId": self._session.member_id,
        }

    # configure ----------------------------------------------------------------

    def _configure(self, call: CommandCall) -> None:
        if self._config is not None:
            raise CommandRejected(CONFIGURED_ALREADY)
        try:
            config = parse_config(call.data)
            transport = transport_class(config.transport.type)
        except ConfigError as error:
            raise CommandRejected(str(error)) from None
        except KeyError as error:
            raise CommandRejected(f"webchat.{error.args[0]}") from None
        self._config = config
        self._user_data = dict(config.user_data)
        self._store = config.session_store or FileSessionStore(
            config.session_file or FileSessionStore().path
        )
        self._transport = transport(config.transport, self.plugin.bus)
        if config.auto_restore and self._store.load() is not None:
            # As the widgets do on a page load: pick the stored chat up again.
            self.plugin.command(f"{SERVICE}.restore").fail(
                lambda reason: log.info("the stored chat was not restored: %s", reason)
            )

    def _configured(self) -> WebChatConfig:
        if self._config is None:
            raise CommandRejected(NOT_CONFIGURED)
        return self._config

    # Starting, ending, restoring ----------------------------------------------

    def _start_chat(self, call: CommandCall) -> Deferred:
        self._configured()
        data = call.data if call.data is not None else {}
        if not isinstance(data, Mapping):
            raise CommandRejected(f"startChat needs an object of options; got {data!r}.")
        fields = {
            name: _text_option("startChat", data, name, required=False)
            for name in ("nickname", "firstname", "lastname", "email", "subject")
        }
        extra = data.get("userData", {})
        if not isinstance(extra, Mapping):
            raise CommandRejected(MALFORMED_USER_DATA)

        def begin() -> Transport:
            if self._session is not None or self._restoring or self._buffered is not None:
                raise CommandRejected(ALREADY_ACTIVE)
            transport = self._transport_required()
            self._buffered = []
            return transport

        def request() -> StartRequest:
            return StartRequest(**fields, user_data={**self._user_data, **extra})

        def started(session: SessionData) -> dict[str, Any]:
            self._begin_chat(session)
            self.plugin.publish("started", self._session_data())
            self._replay_buffered()
            return self._session_data()

        def failed(reason: Any) -> None:
            self._post(self._drop_buffered)
            raise CommandRejected(reason)

        return (
            self._on_worker(begin)
            .then(lambda transport: self._on_network(transport.start, request(), self._receive))
            .then(lambda session: self._on_worker(lambda: started(session)), failed)
        )

    def _transport_required(self) -> Transport:
        if self._transport is None:
            raise CommandRejected(NOT_CONFIGURED)
        return self._transport

    def _drop_buffered(self) -> None:
        self._buffered = None
        self._restoring = False

    def _begin_chat(self, session: SessionData) -> None:
        """On the worker: a chat (new or restored) is now the active one."""
        self._session = session
        self._transcript = []
        self._seen = set()
        self._agents = {}
        self._disconnected = False
        self._started_at = now_ms()
        self._ended_at = None
        self._save_session()

    def _save_session(self) -> None:
        if self._store is not None and self._session is not None:
            self._store.save(
                StoredSession(self._session, tuple(self._filters.sources()), self._started_at)
            )
            self._saved_at = time.monotonic()

    def _replay_buffered(self) -> None:
        buffered, self._buffered = self._buffered or [], None
        for update in buffered:
            self._handle(update)

    def _end_chat(self, call: CommandCall) -> Deferred:
        def left(answer: Any) -> Any:
            self._finish_chat()
            return answer

        return (
            self._on_worker(lambda: self._chat_required(NO_SESSION))
            .then(lambda transport: self._on_network(transport.leave))
            .then(lambda answer: self._on_worker(lambda: left(answer)))
        )

    def _finish_chat(self) -> None:
        """On the worker: the chat is over, whoever ended it. Leaves no session data."""
        if self._session is None:
            return
        for timer in [*self._agent_typing.values(), self._client_typing]:
            if timer is not None:
                timer.cancel()
        self._agent_typing.clear()
        self._client_typing = None
        self._session = None
        self._ended_at = now_ms()
        self._filters = Filters()  # filters last as long as the chat
        if self._store is not None:
            self._store.clear()
        if self._transport is not None:
            self._network.submit(self._transport.close)
        self.plugin.publish("ended")

    def _restore(self, call: CommandCall) -> Deferred:
        if call.commander != SERVICE and (self._config is None or self._config.auto_restore):
            raise CommandRejected(RESTORE_DENIED)
        config = self._configured()

        def begin() -> tuple[Transport, StoredSession]:
            if self._restoring:
                raise CommandRejected(ALREADY_RESTORING)
            if self._session is not None or self._buffered is not None:  # active or starting
                raise CommandRejected(RESTORE_WHILE_ACTIVE)
            stored = self._store.load() if self._store is not None else None
            if stored is None:
                raise CommandRejected(NOTHING_TO_RESTORE)
            if time.time() - stored.saved_at > config.restore_timeout:
                self._forget_stored()
                self.plugin.publish("restoreTimeout")
                raise CommandRejected(
                    f"The stored chat is older than restoreTimeout ({config.restore_timeout:g} s)."
                )
            self._restoring = True
            self._buffered = []
            return self._transport_required(), stored

        def resume(
            transport: Transport, stored: StoredSession
        ) -> tuple[list[Member], list[list[ChatMessage]]]:
            transport.resume(stored.session, self._receive)
            return transport.members(), self._history_pages(transport, config)

        def restored(
            stored: StoredSession, members: list[Member], pages: list[list[ChatMessage]]
        ) -> None:
            for pattern, flags in stored.filters:
                self._filters.add(re.compile(pattern, flags))
            self._begin_chat(stored.session)
            if stored.started_at is not None:
                self._started_at = stored.started_at
            self._agents = {
                member.id: Agent(member.display_name or "Agent", member.state == "CONNECTED")
                for member in members
                if member.role == "AGENT" and member.state in ("CONNECTED", "DISCONNECTED")
            }
            self._restoring = False
            for page in pages:
                self._receive_messages(page, restoring=True)
            self.plugin.publish("restored")
            self._replay_buffered()

        def failed(reason: Any) -> None:
            def give_up() -> None:
                self._drop_buffered()
                if _chat_is_gone(reason):  # else a later restore may still succeed
                    self._forget_stored()
                self.plugin.publish("restoreFailed")

            self._post(give_up)
            raise CommandRejected(reason)

        def network(begun: tuple[Transport, StoredSession]) -> Deferred:
            transport, stored = begun
            return self._on_network(resume, transport, stored).then(
                lambda answer: self._on_worker(lambda: restored(stored, *answer)), failed
            )

        return self._on_worker(begin).then(network)

    def _forget_stored(self) -> None:
        if self._store is not None:
            self._store.clear()

    @staticmethod
    def _history_pages(transport: Transport, config: WebChatConfig) -> list[list[ChatMessage]]:
        """All messages so far, in pages of maxMessagePageSize, or one page when not paginated."""
        size = config.transport.max_message_page_size
        pages: list[list[ChatMessage]] = []
        after: str | None = None
        while True:
            page = transport.history(after=after, limit=size)
            if page:
                pages.append(page)
                after = page[-1].id
            if len(page) < size:
                break
        if not config.transport.pagination:
            return [[message for page in pages for message in page]]
        return pages

    # What the server reports ------------------------------------------------------

    def _receive(self, update: TransportUpdate) -> Deferred:
        """The transport's listener: queue the update for the worker (any thread).

        The deferred settles once it is handled; once the bus has closed, it rejects
        (and the update is dropped).
        """
        return self._post(lambda: self._handle(update))

    def _handle(self, update: TransportUpdate) -> None:
        if self._buffered is not None:
            self._buffered.append(update)
        elif self._session is None:
            log.debug("ignoring %s: no active chat", type(update).__name__)
        elif isinstance(update, ChatMessage):
            self._receive_messages([update], restoring=False)
        elif isinstance(update, Typing):
            self._agent_started_typing(update.sender)
        elif isinstance(update, Member):
            self._member_changed(update)
        elif isinstance(update, Connection) and update.connected == self._disconnected:
            # The page: reconnected only ever follows disconnected.
            self._disconnected = not update.connected
            self.plugin.publish("reconnected" if update.connected else "disconnected")

    def _own_id(self) -> str | None:
        return self._session.member_id if self._session is not None else None

    def _receive_messages(self, messages: list[ChatMessage], restoring: bool) -> None:
        originals: list[Any] = []
        shown: list[dict[str, Any]] = []
        for chat_message in messages:
            if chat_message.id in self._seen:
                continue
            self._seen.add(chat_message.id)
            self._agent_stopped_typing(chat_message.sender.id)
            if self._filters.hides(chat_message.body):
                continue
            message = Message.from_chat(len(self._transcript), chat_message, self._own_id())
            originals.append(dict(chat_message.original))
            shown.append(self._add_to_transcript(message))
        if shown:
            self._publish_messages(originals, shown, restoring)
        if time.monotonic() - self._saved_at > SESSION_RENEWAL_INTERVAL:
            self._save_session()

    def _add_to_transcript(self, message: Message) -> dict[str, Any]:
        """Run the preprocessors over ``message`` and keep it; return what subscribers get."""
        shown = message.to_dict()
        for preprocessor in self._preprocessors:
            try:
                changed = preprocessor(shown)
                if isinstance(changed, dict):
                    shown = changed
            except Exception:
                log.exception("preprocessor %r raised; message kept as it was", preprocessor)
        message.text = str(shown.get("text", message.text))
        self._transcript.append(message)
        return shown

    def _publish_messages(
        self, originals: list[Any], messages: list[dict[str, Any]], restoring: bool
    ) -> None:
        self.plugin.publish(
            "messageReceived",
            {
                "originalMessages": originals,
                "messages": messages,
                "restoring": restoring,
                "sessionData": self._session_data(),
            },
        )

    def _member_changed(self, member: Member) -> None:
        if sender_type(member, self._own_id()) == "Client":
            connected = member.state == "CONNECTED"
            if member.state == "DISCONNECTED" or connected:
                message = Message.participant(len(self._transcript), member, self._own_id())
                self.plugin.publish(
                    "clientConnected" if connected else "clientDisconnected",
                    self._agents_data(self._add_to_transcript(message)),
                )
            if member.state == "DISCONNECTED":
                self._finish_chat()
            return
        if member.role != "AGENT" or member.state not in ("CONNECTED", "DISCONNECTED"):
            return
        known = self._agents.get(member.id)
        joined = member.state == "CONNECTED"
        if joined == (known is not None and known.connected):
            return  # nothing new
        if joined:
            self._agents[member.id] = Agent(member.display_name or "Agent")
        elif known is not None:
            known.connected = False
            known.disconnected_time = now_ms()
            self._agent_stopped_typing(member.id)
        message = Message.participant(len(self._transcript), member, self._own_id())
        shown = self._add_to_transcript(message)
        self._publish_messages([message.original], [shown], restoring=False)
        self.plugin.publish(
            "agentConnected" if joined else "agentDisconnected", self._agents_data(shown)
        )

    def _agents_data(self, message: dict[str, Any]) -> dict[str, Any]:
        agents = [agent.to_dict() for agent in self._agents.values()]
        return {
            "message": message,
            "agents": agents,
            "numAgentsConnected": sum(agent["connected"] for agent in agents),
        }

    def _agent_started_typing(self, sender: Member) -> None:
        if sender_type(sender, self._own_id()) == "Client":
            return
        timeout = self._configured().agent_typing_timeout
        previous = self._agent_typing.pop(sender.id, None)
        if previous is not None:
            previous.cancel()
        timer: threading.Timer
        timer = threading.Timer(
            timeout, self._post, (lambda: self._typing_timed_out(sender, timer),)
        )
        timer.daemon = True
        self._agent_typing[sender.id] = timer
        timer.start()
        if previous is None:
            self.plugin.publish("agentTypingStarted", self._typing_data(sender))

    def _typing_timed_out(self, sender: Member, timer: threading.Timer) -> None:
        # A timer cancelled too late still fires: only the current one counts.
        if self._agent_typing.get(sender.id) is not timer:
            return
        del self._agent_typing[sender.id]
        if self._session is not None:
            self.plugin.publish("agentTypingTimeout", self._typing_data(sender))

    def _agent_stopped_typing(self, member_id: str) -> None:
        timer = self._agent_typing.pop(member_id, None)
        if timer is not None:
            timer.cancel()
            agent = self._agents.get(member_id)
            self.plugin.publish(
                "agentTypingStopped", {"memberId": member_id, "name": agent.name if agent else None}
            )

    @staticmethod
    def _typing_data(sender: Member) -> dict[str, Any]:
        return {"memberId": sender.id, "name": sender.display_name}

    # Sending ------------------------------------------------------------------------

    def _send_message(self, call: CommandCall) -> Deferred:
        message = call.data.get("message") if isinstance(call.data, Mapping) else None
        if not isinstance(message, str) or not message.strip():
            raise CommandRejected(NO_MESSAGE)
        return self._send(message, "standard", NO_SESSION)

    def _send(self, text: str, body_type: str, no_session: str) -> Deferred:
        def sent(answer: ChatMessage) -> dict[str, Any]:
            self._stop_client_typing()
            return dict(answer.original)

        return (
            self._on_worker(lambda: self._chat_required(no_session))
            .then(lambda transport: self._on_network(transport.send_message, text, body_type))
            .then(lambda answer: self._on_worker(lambda: sent(answer)))
        )

    def _send_custom_notice(self, call: CommandCall) -> Deferred:
        message = _text_option("sendCustomNotice", call.data, "message")
        if not self._transport_required().supports_custom_notice:
            raise CommandRejected(NO_CUSTOM_NOTICE)
        assert message is not None
        return self._send(message, "notice", NO_SESSION)

    def _send_filtered_message(self, call: CommandCall) -> Deferred:
        message = _text_option("sendFilteredMessage", call.data, "message")
        assert message is not None
        regex: Any = call.data.get("regex")
        if not is_pattern(regex):
            raise CommandRejected(
                "sendFilteredMessage needs 'regex': a regular expression (re.Pattern or str); "
                f"got {regex!r}."
            )

        # The filter goes on before the message is sent: its echo may come back first.
        def add_filter() -> bool:
            self._chat_required(NO_ACTIVE_SESSION)
            new = self._filters.add(regex)
            self._save_session()
            return new

        def take_back(new: bool, reason: Any) -> Deferred:
            def remove() -> None:
                if new:
                    self._filters.remove(regex)
                    self._save_session()
                raise CommandRejected(reason)

            return self._on_worker(remove)

        return self._on_worker(add_filter).then(
            lambda new: self._send(message, "standard", NO_ACTIVE_SESSION).then(
                lambda _: None, lambda reason: take_back(new, reason)
            )
        )

    def _add_prefilter(self, call: CommandCall) -> Deferred:
        filters = call.data.get("filters") if isinstance(call.data, Mapping) else None
        patterns: list[Any] = list(filters) if isinstance(filters, (list, tuple)) else [filters]
        if not patterns or not all(is_pattern(p) for p in patterns):
            raise CommandRejected(BAD_FILTERS)

        def add() -> list[re.Pattern[str]]:
            for pattern in patterns:
                self._filters.add(pattern)
            self._save_session()
            return self._filters.patterns

        return self._on_worker(add)

    def _send_typing(self, call: CommandCall) -> Deferred:
        def started() -> None:
            timeout = self._configured().client_typing_timeout
            if self._client_typing is None:
                self.plugin.publish("clientTypingStarted")
            else:
                self._client_typing.cancel()
            timer: threading.Timer
            timer = threading.Timer(
                timeout, self._post, (lambda: self._client_typing_timed_out(timer),)
            )
            timer.daemon = True
            self._client_typing = timer
            timer.start()

        return (
            self._on_worker(lambda: self._chat_required(NO_SESSION))
            .then(lambda transport: self._on_network(transport.send_typing))
            .then(lambda answer: self._on_worker(started))
        )

    def _client_typing_timed_out(self, timer: threading.Timer) -> None:
        if self._client_typing is timer:  # not one cancelled too late
            self._stop_client_typing()

    def _stop_client_typing(self) -> None:
        if self._client_typing is not None:
            self._client_typing.cancel()
            self._client_typing = None
            self.plugin.publish("clientTypingStopped")

    def _update_user_data(self, call: CommandCall) -> Deferred:
        if not isinstance(call.data, Mapping):
            raise CommandRejected(
                f"updateUserData needs an object of key/value pairs; got {call.data!r}."
            )
        update = dict(call.data)

        def apply() -> Any:
            if self._session is None:
                self._user_data.update(update)
                return dict(self._user_data)
            transport = self._chat_required(NO_SESSION)
            if not transport.supports_user_data_update:
                raise CommandRejected(NO_USER_DATA_UPDATE)
            return self._on_network(transport.update_user_data, update)

        return self._on_worker(apply)

    def _send_file(self, call: CommandCall) -> Deferred:
        files = call.data.get("files") if isinstance(call.data, Mapping) else None
        if isinstance(files, (str, os.PathLike)):
            path = Path(files)
            try:
                content, name = path.read_bytes(), path.name
            except OSError as error:
                raise CommandRejected(
                    f"sendFile could not read {str(path)!r}: {error.strerror}."
                ) from None
        elif callable(getattr(files, "read", None)):
            content = files.read()  # type: ignore[union-attr]
            name = Path(str(getattr(files, "name", "file"))).name
            if not isinstance(content, bytes):
                raise CommandRejected("sendFile needs a binary file object (opened with 'rb').")
        else:
            raise CommandRejected(
                f"sendFile needs 'files': a path or a binary file object; got {files!r}."
            )
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"

        def check() -> Transport:
            transport = self._chat_required(NO_SESSION)
            if not transport.supports_files:
                raise CommandRejected(NO_FILES)
            return transport

        return self._on_worker(check).then(
            lambda transport: self._on_network(transport.send_file, name, content, content_type)
        )

    def _download_file(self, call: CommandCall) -> Deferred:
        file_id = _text_option("downloadFile", call.data, "fileId")
        target = call.data.get("path")
        if target is not None and not isinstance(target, (str, os.PathLike)):
            raise CommandRejected(f"downloadFile needs 'path': a file path; got {target!r}.")

        def save(content: bytes) -> Any:
            if target is None:
                return content
            Path(target).write_bytes(content)
            return str(target)

        return (
            self._on_worker(lambda: self._chat_required(NO_SESSION))
            .then(lambda transport: self._on_network(transport.download_file, file_id))
            .then(save)
        )

    # Polling: no transport here polls (the sockets and the fake push) ------------

    def _poll(self, call: CommandCall) -> None:
        raise CommandRejected(NO_POLLING)

    def _start_or_stop_poll(self, call: CommandCall) -> None:
        raise CommandRejected(NO_POLLING)

    def _reset_poll_exceptions(self, call: CommandCall) -> None:
        raise CommandRejected(NO_POLL_RESET)

    def _fetch_history(self, call: CommandCall) -> None:
        raise CommandRejected(HISTORY_NOT_ASYNC)

    # Reading the chat ---------------------------------------------------------------

    def _get_transcript(self, call: CommandCall) -> Deferred:
        return self._on_worker(
            lambda: {"messages": [message.to_dict() for message in self._transcript]}
        )

    def _get_agents(self, call: CommandCall) -> Deferred:
        return self._on_worker(lambda: [agent.to_dict() for agent in self._agents.values()])

    def _get_stats(self, call: CommandCall) -> Deferred:
        def stats() -> dict[str, Any]:
            end = self._ended_at if self._session is None else None
            duration = None
            if self._started_at is not None:
                duration = (end or now_ms()) - self._started_at
            return {
                "agents": [agent.to_dict() for agent in self._agents.values()],
                "startTime": self._started_at,
                "endTime": end,
                "duration": duration,
            }

        return self._on_worker(stats)

    def _get_session_data(self, call: CommandCall) -> Deferred:
        return self._on_worker(self._session_data)

    def _verify_session(self, call: CommandCall) -> Deferred:
        return self._on_worker(lambda: {"sessionActive": self._session is not None})

    # Registering helpers of the guest's UI ---------------------------------------------

    def _register_typing_preview_input(self, call: CommandCall) -> None:
        preview = call.data.get("input") if isinstance(call.data, Mapping) else None
        on_text_changed = getattr(preview, "on_text_changed", None)
        if not callable(on_text_changed):
            raise CommandRejected(BAD_PREVIEW_INPUT)
        on_text_changed(self._preview_changed)

    def _preview_changed(self, text: str) -> None:
        """The guest edits the input: tell the agent, at most every couple of seconds."""
        now = time.monotonic()
        if text and now - self._last_preview >= TYPING_PREVIEW_INTERVAL:
            self._last_preview = now
            self.plugin.command(f"{SERVICE}.sendTyping").fail(
                lambda reason: log.debug("typing preview not sent: %s", reason)
            )

    def _register_preprocessor(self, call: CommandCall) -> Callable[..., Any]:
        preprocessor: Any = (
            call.data.get("preprocessor") if isinstance(call.data, Mapping) else None
        )
        if not callable(preprocessor):
            raise CommandRejected(
                "No preprocessor function provided. "
                f"Type provided was '{type(preprocessor).__name__}'."
            )
        self._post(lambda: self._preprocessors.append(preprocessor))
        registered: Callable[..., Any] = preprocessor
        return registered


def setup(bus: Bus) -> Deferred:
    """The ``cxbus.plugins`` entry point: register WebChatService and make it ready."""
    return WebChatService(bus).plugin.ready()
