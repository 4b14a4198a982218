"""MessagingService: the Messenger's headless MessagingService as a cxbus plugin.

Every headless command and event of the JavaScript SDK's plugin (Genesys's Messenger SDK
page *MessagingService plugin*), with its sentences. This module is the plugin's shell: each command
handler checks its options in the caller's thread (a bad option rejects at once,
naming it) and hands the command to the conversation's state machine
(``machine.ConversationMachine``), run on the shared loop thread by a
``cxbus.runtime.machine_runner.MachineRunner``, whose module says which thread runs what. The
socket is a ``GuestSocket`` (read by the process's WebSocket reader); REST calls and
files go on the conversation's I/O lane.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import time
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from cxbus import Bus, CommandCall, CommandRejected, Deferred, Event
from cxbus.runtime.machine_runner import MachineRunner
from cxbus.runtime.machine_service import CommandHandler, MachineService, text_option
from cxbus.runtime.session_store import SessionStoreError, open_store

from . import inputs
from .config import ConfigError, MessagingConfig, parse_config
from .database import Database
from .guest_api import GuestRestApi, credentials_from
from .guest_socket import GuestSocket
from .machine import THROTTLED, ConversationMachine
from .pacing import Pacer
from .sentences import NOT_CONFIGURED, STOPPED
from .session_store import FileSessionStore, MemorySessionStore, StoredSession
from .sign_in import sign_in_source
from .states import Settings
from .transport_calls import performer

__all__ = ["EVENTS", "SERVICE", "MessagingService", "setup"]

log = logging.getLogger("cxbus.messaging")

SERVICE = "MessagingService"
# Ours, where the SDK has no words.
CONFIGURED_ALREADY = "MessagingService is configured already: configure can only be called once."
BUTTON_TYPES = {
    "quickReply": "QuickReply",
    "card": "Button",
    "datePicker": "DatePicker",
    "listPicker": "ListPicker",
    "form": "Form",
}

EVENTS = [
    "ready",
    "started",
    "restoring",
    "restored",
    "offline",
    "reconnecting",
    "reconnected",
    "messagesReceived",
    "sendingMessage",
    "repliedMessage",
    "messagesUpdated",
    "oldMessages",
    "historyComplete",
    "typingReceived",
    "typingTimeout",
    "clientTypingStarted",
    "conversationDisconnected",
    "readOnlyConversation",
    "conversationReset",
    "conversationCleared",
    "sessionCleared",
    "sessionExpired",
    "sessionEnded",
    "sessionDurationConfigured",
    "sessionTimingUpdated",
    "sessionWarning",
    "allowedFileTypes",
    "uploadApproved",
    "uploading",
    "fileUploaded",
    "fileUploadError",
    "fileUploadCancelled",
    "fileReceived",
    "fileDeleted",
    "fileDownloaded",
    "fileDownloadError",
    "customAttributesSizeExceeded",
    "error",
    # Authenticated deployments.
    "authenticated",
    "tokenRefreshed",
    "logout",
    "steppedUpConversation",
    "stepUpConversationError",
    "connectionClosed",
]

# Weak both ways: the MessagingService refers to its bus (through its plugin), so a strong value
# would keep the key alive, and every bus that ever had one with it, for ever.
_services: weakref.WeakKeyDictionary[Bus, weakref.ref[MessagingService]] = (
    weakref.WeakKeyDictionary()
)


def _telling(make: Callable[[int], Any]) -> CommandHandler:
    """The handler of a command that takes no options: it hands the machine ``make(ticket)``."""
    return lambda service, call: service._tell(make)


class MessagingService(MachineService):
    """The ``MessagingService`` plugin on ``bus``; call ``plugin.ready()`` to configure it."""

    not_configured = NOT_CONFIGURED

    def __init__(self, bus: Bus) -> None:
        super().__init__()
        self.plugin = bus.register_plugin(
            SERVICE, config_section="messaging", on_unregister=self._close
        )
        self.plugin.register_events(EVENTS)
        self.config: MessagingConfig | None = None
        # What closing lets go of, once configured.
        self._socket: GuestSocket | None = None
        self._release: Callable[[], object] | None = None
        _services[bus] = weakref.ref(self)
        self._register_commands(self.plugin)
        # As the Messenger on a page load: a stored session is resumed once ready.
        self.plugin.subscribe(f"{SERVICE}.ready", self._resume)

    @classmethod
    def of(cls, bus: Bus) -> MessagingService | None:
        """The MessagingService registered on ``bus``, if any."""
        found = _services.get(bus)
        return found() if found is not None else None

    # Plumbing -------------------------------------------------------------------------

    def _resume(self, ready: Event) -> None:
        if self._runner is not None:
            self._tell(inputs.Restore).fail(
                lambda reason: log.info("the stored conversation was not resumed: %s", reason)
            )

    # configure ------------------------------------------------------------------------

    def _configure(self, call: CommandCall) -> Deferred:
        if self.config is not None:
            raise CommandRejected(CONFIGURED_ALREADY)
        try:
            config = parse_config(call.data)
        except ConfigError as error:
            raise CommandRejected(str(error)) from None
        path = config.session_file
        try:
            store, release = open_store(
                config.session_store,
                FileSessionStore(path) if path is not None else None,
                MemorySessionStore,
            )
        except SessionStoreError as error:
            raise CommandRejected(f"messaging.sessionFile: {error}") from None
        try:
            stored: StoredSession | ValueError | None = store.load()
        except ValueError as error:
            stored = error
        self.config = config
        endpoints = config.endpoints()
        socket = GuestSocket(
            endpoints,
            config.deployment_id,
            application=config.application,
            timeout=config.timeout,
            health_interval=config.health_check_interval,
            pacer=Pacer.under(config.requests_per_minute, config.messages_per_second),
            ca_bundle=config.ca_bundle,
        )
        rest = GuestRestApi(endpoints, timeout=config.timeout, ca_bundle=config.ca_bundle)
        settings = Settings(
            deployment_id=config.deployment_id,
            reconnect_timeout=config.reconnect_timeout,
            reconnect_interval=config.reconnect_interval,
            history_page_size=config.history_page_size,
            authenticated=config.authenticated,
            send_timeout=config.send_timeout,
        )
        machine = ConversationMachine(settings, stored, time.time)
        self._socket, self._release = socket, release
        self._runner = MachineRunner(
            machine,
            performer(
                socket,
                rest,
                config.deployment_id,
                sign_in_source(
                    self.plugin.bus, config.credentials, config.auth_provider, config.timeout
                ),
            ),
            store,
            self.plugin,
            STOPPED,
            self._closed,
        )
        return self._runner.command(inputs.Configure)

    def _closed(self) -> None:
        """The runner is done (on its store's lane): the socket closes, the store is let go.
        (A bound method: a closure would keep three more objects for the chat's life.)"""
        if self._socket is not None:
            self._socket.close()
        if self._release is not None:
            self._release()

    # Conversations ----------------------------------------------------------------------

    def _start_conversation(self, call: CommandCall) -> Deferred:
        return self._tell(
            lambda ticket: inputs.StartConversation(
                ticket, custom_attributes=self._custom_attributes()
            )
        )

    def _join_conversation(self, call: CommandCall) -> Deferred:
        return self._tell(lambda ticket: inputs.JoinConversation(ticket, self._custom_attributes()))

    # Sending ----------------------------------------------------------------------------

    def _send_message(self, call: CommandCall) -> Deferred:
        data = call.data
        if not isinstance(data, Mapping):
            raise CommandRejected(f"sendMessage needs an object of options; got {data!r}.")
        reply = None
        kind = data.get("type")
        if kind is not None:
            if kind not in BUTTON_TYPES:
                raise CommandRejected(
                    f"sendMessage needs 'type': one of {', '.join(BUTTON_TYPES)}; got {kind!r}."
                )
            reply = _reply(BUTTON_TYPES[kind], data.get("postback"))
            text = reply.text
        else:
            message = data.get("message")
            if not isinstance(message, str):
                raise CommandRejected(f"sendMessage needs 'message': a string; got {message!r}.")
            text = message
        attributes = self._custom_attributes()
        return self._tell(lambda ticket: inputs.SendMessage(ticket, text, reply, attributes))

    def _custom_attributes(self) -> dict[str, str]:
        """What the Database plugin holds now (none without it)."""
        database = Database.of(self.plugin.bus)
        return database.custom_attributes() if database is not None else {}

    def _send_typing(self, call: CommandCall) -> Deferred:
        """As the SDK: a call within 5 s of the last one sent is dropped and never settles."""
        told = self._tell(inputs.SendTyping)
        answer = Deferred()
        told.done(lambda value: None if value is THROTTLED else answer.resolve(value))
        told.fail(answer.reject)
        return answer

    def _step_up(self, call: CommandCall) -> Deferred:
        """The credentials of the sign-in, given with the command (``{authCode,
        redirectUri, codeVerifier?}`` or ``{idToken, nonce}``), or the configured ones."""
        data = call.data
        credentials = None
        if isinstance(data, Mapping) and data:
            try:
                credentials = credentials_from(data, "stepUpConversation")
            except ValueError as error:
                raise CommandRejected(str(error)) from None
        return self._tell(lambda ticket: inputs.StepUp(ticket, credentials))

    # Files -------------------------------------------------------------------------------

    def _request_upload(self, call: CommandCall) -> Deferred:
        data = call.data if isinstance(call.data, Mapping) else {}
        given = data.get("file")
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or not name):
            raise CommandRejected(f"requestUpload needs 'name': a file name; got {name!r}.")
        source: Any
        if isinstance(given, (str, os.PathLike)):
            source = Path(given)
            name = name or source.name
        elif isinstance(given, (bytes, bytearray, memoryview)):
            if name is None:
                raise CommandRejected("requestUpload needs 'name' with bytes: the file's name.")
            source = bytes(given)
        elif isinstance(given, io.TextIOBase):
            raise CommandRejected("requestUpload needs a binary file object (opened with 'rb').")
        elif callable(getattr(given, "read", None)):
            source = given
            name = name or Path(str(getattr(given, "name", "file"))).name
        else:
            raise CommandRejected(
                f"requestUpload needs 'file': a path, bytes or a binary file object; got {given!r}."
            )
        return self._tell(lambda ticket: inputs.RequestUpload(ticket, source, name))

    def _get_file(self, call: CommandCall) -> Deferred:
        attachment_id = text_option("getFile", call.data, "id")
        assert attachment_id is not None
        return self._tell(lambda ticket: inputs.GetFile(ticket, attachment_id))

    def _refresh_files(self, call: CommandCall) -> Deferred:
        files = call.data.get("files") if isinstance(call.data, Mapping) else None
        if not isinstance(files, (list, tuple)) or not all(
            isinstance(f, Mapping) and isinstance(f.get("id"), str) and f["id"] for f in files
        ):
            raise CommandRejected(
                f"refreshFiles needs 'files': a list of objects with an 'id'; got {files!r}."
            )
        ids = tuple(str(f["id"]) for f in files)
        return self._tell(lambda ticket: inputs.RefreshFiles(ticket, ids))

    def _download_file(self, call: CommandCall) -> Deferred:
        url = text_option("downloadFile", call.data, "downloadUrl")
        assert url is not None
        if not url.startswith(("http://", "https://")):
            raise CommandRejected("downloadFile needs 'downloadUrl': an http(s) URL.")
        name = (
            text_option("downloadFile", call.data, "name", required=False)
            or Path(url.split("?", 1)[0]).name
        )
        target = call.data.get("path")
        if target is not None and not isinstance(target, (str, os.PathLike)):
            raise CommandRejected(f"downloadFile needs 'path': a file path; got {target!r}.")
        path = Path(target) if target is not None else None
        return self._tell(lambda ticket: inputs.DownloadFile(ticket, url, name, path))

    def _delete_file(self, call: CommandCall) -> Deferred:
        attachment_id = text_option("deleteFile", call.data, "id")
        assert attachment_id is not None
        return self._tell(lambda ticket: inputs.DeleteFile(ticket, attachment_id))

    _commands: ClassVar[Mapping[str, CommandHandler]] = {
        "configure": _configure,
        "startConversation": _start_conversation,
        "configureConversation": _telling(functools.partial(inputs.StartConversation, join=False)),
        "joinConversation": _join_conversation,
        "sendMessage": _send_message,
        "sendTyping": _send_typing,
        "clearTypingTimeout": _telling(inputs.ClearTypingTimeout),
        "requestUpload": _request_upload,
        "getFile": _get_file,
        "refreshFiles": _refresh_files,
        "downloadFile": _download_file,
        "deleteFile": _delete_file,
        "fetchHistory": _telling(inputs.FetchHistory),
        "clearSession": _telling(inputs.ClearSession),
        "resetConversation": _telling(inputs.ResetConversation),
        "clearConversation": _telling(inputs.ClearConversation),
        "stepUpConversation": _step_up,
        "logout": _telling(inputs.Logout),
    }


def _reply(button_type: str, postback: Any) -> inputs.ButtonReply:
    """The guest's answer to structured content, from sendMessage's ``postback``."""
    if not isinstance(postback, Mapping) or not isinstance(postback.get("payload"), str):
        raise CommandRejected(
            "sendMessage needs 'postback': an object with a 'payload' string "
            f"(and a 'text'); got {postback!r}."
        )
    payload = postback["payload"]
    text = postback.get("text", payload)
    parent = postback.get("messageId")
    if not isinstance(text, str) or (parent is not None and not isinstance(parent, str)):
        raise CommandRejected(
            "sendMessage needs 'postback.text' and 'postback.messageId' as strings."
        )
    return inputs.ButtonReply(button_type, text or payload, payload, parent)


def setup(bus: Bus) -> Deferred:
    """The ``cxbus.plugins`` entry point: register MessagingService (and the Database plugin
    its custom attributes come from, unless loaded already) and make it ready."""
    if "Database" not in bus.plugins:
        Database(bus).plugin.ready()
    return MessagingService(bus).plugin.ready()
