"""WebChatService: the Genesys widgets' chat service as a cxbus plugin.

Every command and event of the Genesys page ``WebChatService``, with its sentences.
This module is the plugin's shell: each command handler checks its options in the
caller's thread (a bad option rejects at once, naming it) and hands the command to
the chat's state machine (``machine.ChatMachine``), run on the shared loop thread by a
``cxbus.runtime.machine_runner.MachineRunner``, whose module says which thread runs what.
"""

from __future__ import annotations

import io
import logging
import os
import re
import time
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, cast

from cxbus import Bus, CommandCall, CommandRejected, Deferred
from cxbus.runtime.machine_runner import MachineRunner
from cxbus.runtime.machine_service import CommandHandler, MachineService, text_option
from cxbus.runtime.session_store import open_store

from . import inputs
from .config import ConfigError, WebChatConfig, parse_config, parse_gms, restore_seconds
from .machine import ChatMachine
from .messages import Message, is_pattern
from .payloads import TranscriptData
from .sentences import STOPPED
from .session_store import (
    FileSessionStore,
    MemorySessionStore,
    SessionStore,
    SessionStoreError,
    StoredSession,
)
from .states import Settings
from .transport import NO_POLLING, StartRequest, Transport, transport_class
from .transport_calls import performer

__all__ = ["EVENTS", "SERVICE", "WebChatService", "setup"]

log = logging.getLogger("cxbus.webchat")

SERVICE = "WebChatService"

# The page's sentences, word for word.
NO_MESSAGE = "No message text provided."
MALFORMED_USER_DATA = "malformed data object provided in userData property."
NO_POLL_RESET = "This transport doesn't support resetPollExceptions command."
NO_CUSTOM_NOTICE = "This transport doesn't support sendCustomNotice command."
BAD_FILTERS = (
    "Missing or invalid filters provided. "
    "Please provide a regular expression or an array of regular expressions."
)
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
CONFIGURED_ALREADY = "WebChatService is configured already: configure can only be called once."
NOT_CONFIGURED = "WebChatService is not configured yet."

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
    # Through GMS (the widgets' GMS module's events): polling and the server's health.
    "pollingStarted",
    "pollingStopped",
    "chatServerWentOffline",
    "chatServerBackOnline",
    "restoredOffline",
]

# Typing preview: at most one sendTyping per this many seconds while the guest types.
TYPING_PREVIEW_INTERVAL = 2.0
FORM_FIELDS = ("nickname", "firstname", "lastname", "email", "subject")

# Weak both ways: the WebChatService refers to its bus (through its plugin), so a strong value
# would keep the key alive, and every bus that ever had one with it, for ever.
_services: weakref.WeakKeyDictionary[Bus, weakref.ref[WebChatService]] = weakref.WeakKeyDictionary()


# The polling commands: what each hands the machine, and its refusal when the
# transport does not poll.
POLLING_COMMANDS: dict[str, tuple[Callable[[int], inputs.Command], str]] = {
    "poll": (inputs.PollNow, NO_POLLING),
    "startPoll": (inputs.StartPoll, NO_POLLING),
    "stopPoll": (inputs.StopPoll, NO_POLLING),
    "resetPollExceptions": (inputs.ResetPollExceptions, NO_POLL_RESET),
}


def _transcript(messages: tuple[Message, ...]) -> TranscriptData:
    return {"messages": [message.to_dict() for message in messages]}


def _name(call: CommandCall) -> str:
    """The command's name without the namespace (``poll`` of ``WebChatService.poll``)."""
    return call.command.partition(".")[2]


class WebChatService(MachineService):
    """The ``WebChatService`` plugin on ``bus``; call ``plugin.ready()`` to configure it."""

    not_configured = NOT_CONFIGURED
    _private_commands = frozenset({"configure", "poll"})

    def __init__(self, bus: Bus) -> None:
        super().__init__()
        self.plugin = bus.register_plugin(
            SERVICE, config_section="webchat", on_unregister=self._close
        )
        self.plugin.register_events(EVENTS)
        self._config: WebChatConfig | None = None
        self._supports_custom_notice = False
        self._polls = False
        self._max_message_length: int | None = None
        self._last_preview = 0.0
        _services[bus] = weakref.ref(self)
        self._register_commands(self.plugin)

    @classmethod
    def of(cls, bus: Bus) -> WebChatService | None:
        """The WebChatService registered on ``bus``, if any."""
        found = _services.get(bus)
        return found() if found is not None else None

    # Plumbing -------------------------------------------------------------------------

    def _read(self, what: inputs.Question) -> Deferred:
        return self._tell(lambda ticket: inputs.Read(ticket, what))

    def _read_command(self, call: CommandCall) -> Deferred:
        """getAgents, getStats, getSessionData, verifySession: the question is the name."""
        return self._read(cast(inputs.Question, _name(call)))

    def _get_transcript(self, call: CommandCall) -> Deferred:
        return self._read("getTranscript").then(_transcript)

    def _polling(self, call: CommandCall) -> Deferred:
        """A polling command: the machine's on a polling transport, else refused."""
        make, refusal = POLLING_COMMANDS[_name(call)]
        if self._runner is not None and not self._polls:
            raise CommandRejected(refusal)
        return self._tell(make)

    def _fetch_history(self, call: CommandCall) -> None:
        raise CommandRejected(HISTORY_NOT_ASYNC)

    # configure ------------------------------------------------------------------------

    def _configure(self, call: CommandCall) -> None:
        if self._config is not None:
            raise CommandRejected(CONFIGURED_ALREADY)
        try:
            config = parse_config(call.data)
            gms = parse_gms(call.data)
            options: Any = gms if gms is not None else config.transport
            transport = gms_transport() if gms is not None else transport_class(options.type)
        except ConfigError as error:
            raise CommandRejected(str(error)) from None
        except KeyError as error:
            raise CommandRejected(f"webchat.{error.args[0]}") from None
        store, release = self._store(config)
        try:
            stored: StoredSession | ValueError | None = store.load()
        except ValueError as error:
            stored = error
        settings = Settings(
            agent_typing_timeout=config.agent_typing_timeout,
            client_typing_timeout=config.client_typing_timeout,
            restore_timeout=restore_seconds(config, gms),
            # GMS restores its transcript in one reply: one page, one messageReceived.
            page_size=options.max_message_page_size if gms is None else 100,
            paginated=options.pagination if gms is None else False,
            user_data=dict(config.user_data),
            supports_user_data_update=transport.supports_user_data_update,
            supports_files=transport.supports_files,
            polling=gms.polling() if gms is not None else None,
        )
        machine = ChatMachine(settings, stored, time.time, time.monotonic)
        try:
            connection = transport(options, self.plugin.bus)
        except BaseException:
            release()
            raise
        # Configured from here on: a transport that failed above leaves nothing half-set.
        self._config = config
        self._supports_custom_notice = transport.supports_custom_notice
        self._polls = transport.supports_polling
        self._max_message_length = (
            gms.max_message_length if gms is not None else transport.max_message_length
        )
        self._runner = MachineRunner(
            machine, performer(connection), store, self.plugin, STOPPED, release
        )
        if config.auto_restore and stored is not None:
            # As the widgets do on a page load: pick the stored chat up again.
            self.plugin.command(f"{SERVICE}.restore").fail(
                lambda reason: log.info("the stored chat was not restored: %s", reason)
            )

    @staticmethod
    def _store(config: WebChatConfig) -> tuple[SessionStore, Callable[[], object]]:
        """The session store the configuration names, claimed; and how to release it."""
        path = config.session_file
        try:
            return open_store(
                config.session_store,
                FileSessionStore(path) if path is not None else None,
                MemorySessionStore,
            )
        except SessionStoreError as error:
            raise CommandRejected(f"webchat.sessionFile: {error}") from None

    # Starting, ending, restoring --------------------------------------------------------

    def _start_chat(self, call: CommandCall) -> Deferred:
        data = call.data if call.data is not None else {}
        if not isinstance(data, Mapping):
            raise CommandRejected(f"startChat needs an object of options; got {data!r}.")
        fields = {name: text_option("startChat", data, name, False) for name in FORM_FIELDS}
        extra = data.get("userData", {})
        if not isinstance(extra, Mapping):
            raise CommandRejected(MALFORMED_USER_DATA)
        request = StartRequest(**fields, user_data=dict(extra))
        return self._tell(lambda ticket: inputs.StartChat(ticket, request))

    def _end_chat(self, call: CommandCall) -> Deferred:
        return self._tell(inputs.EndChat)

    def _send_typing(self, call: CommandCall) -> Deferred:
        return self._tell(inputs.SendTyping)

    def _restore(self, call: CommandCall) -> Deferred:
        if call.commander != SERVICE and (self._config is None or self._config.auto_restore):
            raise CommandRejected(RESTORE_DENIED)
        return self._tell(inputs.Restore)

    # Sending -----------------------------------------------------------------------------

    def _within_limit(self, command: str, message: str) -> str:
        """``message``, or a rejection when it is longer than the transport takes."""
        limit = self._max_message_length
        if limit is not None and len(message) > limit:
            raise CommandRejected(
                f"{command} sends messages of up to {limit:,} characters; "
                f"this one has {len(message):,}."
            )
        return message

    def _send_message(self, call: CommandCall) -> Deferred:
        message = call.data.get("message") if isinstance(call.data, Mapping) else None
        if not isinstance(message, str) or not message.strip():
            raise CommandRejected(NO_MESSAGE)
        text = self._within_limit("sendMessage", message)
        return self._tell(lambda ticket: inputs.SendMessage(ticket, text))

    def _send_custom_notice(self, call: CommandCall) -> Deferred:
        message = text_option("sendCustomNotice", call.data, "message")
        assert message is not None
        if self._runner is not None and not self._supports_custom_notice:
            raise CommandRejected(NO_CUSTOM_NOTICE)
        text = self._within_limit("sendCustomNotice", message)
        return self._tell(lambda ticket: inputs.SendMessage(ticket, text, "notice"))

    def _send_filtered_message(self, call: CommandCall) -> Deferred:
        message = text_option("sendFilteredMessage", call.data, "message")
        assert message is not None
        self._within_limit("sendFilteredMessage", message)
        regex: Any = call.data.get("regex")
        if not is_pattern(regex):
            raise CommandRejected(
                "sendFilteredMessage needs 'regex': a regular expression (re.Pattern or str); "
                f"got {regex!r}."
            )
        pattern = re.compile(regex)
        return self._tell(lambda ticket: inputs.SendFilteredMessage(ticket, message, pattern))

    def _add_prefilter(self, call: CommandCall) -> Deferred:
        filters = call.data.get("filters") if isinstance(call.data, Mapping) else None
        patterns: list[Any] = list(filters) if isinstance(filters, (list, tuple)) else [filters]
        if not patterns or not all(is_pattern(p) for p in patterns):
            raise CommandRejected(BAD_FILTERS)
        compiled = tuple(re.compile(p) for p in patterns)
        return self._tell(lambda ticket: inputs.AddPrefilter(ticket, compiled))

    def _update_user_data(self, call: CommandCall) -> Deferred:
        if not isinstance(call.data, Mapping):
            raise CommandRejected(
                f"updateUserData needs an object of key/value pairs; got {call.data!r}."
            )
        update = dict(call.data)
        return self._tell(lambda ticket: inputs.UpdateUserData(ticket, update))

    def _send_file(self, call: CommandCall) -> Deferred:
        files = call.data.get("files") if isinstance(call.data, Mapping) else None
        source: Any
        if isinstance(files, (str, os.PathLike)):
            source = Path(files)
            name = source.name
        elif callable(getattr(files, "read", None)) and not isinstance(files, io.TextIOBase):
            source = files
            name = Path(str(getattr(files, "name", "file"))).name
        elif isinstance(files, io.TextIOBase):
            raise CommandRejected("sendFile needs a binary file object (opened with 'rb').")
        else:
            raise CommandRejected(
                f"sendFile needs 'files': a path or a binary file object; got {files!r}."
            )
        return self._tell(lambda ticket: inputs.SendFile(ticket, source, name))

    def _download_file(self, call: CommandCall) -> Deferred:
        file_id = text_option("downloadFile", call.data, "fileId")
        assert file_id is not None
        target = call.data.get("path")
        if target is not None and not isinstance(target, (str, os.PathLike)):
            raise CommandRejected(f"downloadFile needs 'path': a file path; got {target!r}.")
        path = Path(target) if target is not None else None
        return self._tell(lambda ticket: inputs.DownloadFile(ticket, file_id, path))

    # Registering helpers of the guest's UI -------------------------------------------------

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

    def _register_preprocessor(self, call: CommandCall) -> Deferred:
        preprocessor: Any = (
            call.data.get("preprocessor") if isinstance(call.data, Mapping) else None
        )
        if not callable(preprocessor):
            raise CommandRejected(
                "No preprocessor function provided. "
                f"Type provided was '{type(preprocessor).__name__}'."
            )
        return self._tell(lambda ticket: inputs.RegisterPreprocessor(ticket, preprocessor))

    _commands: ClassVar[Mapping[str, CommandHandler]] = {
        "configure": _configure,
        "startChat": _start_chat,
        "endChat": _end_chat,
        "sendMessage": _send_message,
        "sendCustomNotice": _send_custom_notice,
        "sendTyping": _send_typing,
        "sendFilteredMessage": _send_filtered_message,
        "addPrefilter": _add_prefilter,
        "updateUserData": _update_user_data,
        "poll": _polling,
        "startPoll": _polling,
        "stopPoll": _polling,
        "resetPollExceptions": _polling,
        "restore": _restore,
        "getTranscript": _get_transcript,
        "getAgents": _read_command,
        "getStats": _read_command,
        "sendFile": _send_file,
        "downloadFile": _download_file,
        "getSessionData": _read_command,
        "fetchHistory": _fetch_history,
        "registerTypingPreviewInput": _register_typing_preview_input,
        "registerPreProcessor": _register_preprocessor,
        "verifySession": _read_command,
    }


def gms_transport() -> type[Transport]:
    """The GMS transport, imported when GMS mode is configured (it brings requests)."""
    from .transports.gms_polling import GmsPolling

    return GmsPolling


def setup(bus: Bus) -> Deferred:
    """The ``cxbus.plugins`` entry point: register WebChatService and make it ready."""
    return WebChatService(bus).plugin.ready()
