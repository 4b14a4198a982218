"""``gms``: a chat through the GMS Chat API v2 (Genesys Engage / Multicloud CX), polled.

WebChatService runs in GMS mode when its section has no ``transport`` (its options
are ``config.GmsOptions``). A chat of this transport holds no thread and no timer of
its own: its calls are made by WebChatService on the chat's I/O lane (a lane of the
shared ``cxbus-io`` pool), one at a time, in order, and its refreshes on the chat's
second lane, so that a poll and a send overlap as the widgets' do (``GmsChatApi`` is
safe for that); when to refresh is the chat state machine's to say
(``chat_polling``, on the shared loop's timers, by the rules of
``polling.PollSchedule``). One refresh is in flight at a time, and only refreshes
(and the start and restore, before any refresh) read the transcript, so its
position (``gms_transcript``) has one writer.

Every reply's ``chatEnded`` is read: on a refresh it ends the chat after the
reply's messages; on any other call it is reported as ``ChatEnded``, and so is a
``statusCode`` 2, on any answer: a chat the server has lost (404 after a restart)
ends once, with one ``error``, rather than polls on. ``statusCode`` 1 and the
``errors`` codes are read by
``gms_errors``; a refresh never raises for what the server answered: its
``Refreshed`` says how it went, for the poll schedule (the poll exceptions of
Genesys Widgets' GMS module, ``webchatservicelegacy.mod.js``).

The secure key is kept in the ``GmsChatApi``'s keys and the session data, out of
every repr, log line and exception message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..config import GmsOptions
from ..polling import PollResult
from ..transport import (
    ENDED_ON_RESTORE,
    ChatEnded,
    ChatMessage,
    Listener,
    Member,
    Refreshed,
    SessionData,
    StartRequest,
    Transport,
    TransportError,
    TransportUpdate,
)
from .gms_api import GmsChatApi
from .gms_errors import (
    ChatServerBusy,
    ChatServerUnreachable,
    GmsError,
    InvalidService,
)
from .gms_replies import ChatKeys, ChatReply
from .gms_transcript import Transcript, iso_time

__all__ = ["GmsPolling"]

log = logging.getLogger("cxbus.webchat.gms")

# sendFile's rejections, the page's rows, by the errors code that stands for each.
FILE_REFUSALS = {
    203: "The file sent is an invalid type.",
    201: "The number of uploads is exceeded.",
    202: "The file size exceeds the limit.",
}
FILE_UNKNOWN = "The file size is too large or an unknown error occurs."


class GmsPolling(Transport):
    """The GMS chat transport (see the module docstring)."""

    type = "gms"
    supports_custom_notice = True
    supports_user_data_update = True
    supports_files = True
    supports_polling = True

    def __init__(self, options: GmsOptions, bus: Any) -> None:
        super().__init__(options, bus)
        self.options: GmsOptions = options
        self._api: GmsChatApi | None = None
        self._listener: Listener | None = None
        self._transcript = Transcript()
        self._restored: list[ChatMessage] = []

    def __repr__(self) -> str:
        return f"<GmsPolling {self.options.data_url} {self._api!r}>"

    def _new_api(self, keys: ChatKeys | None = None) -> GmsChatApi:
        options = self.options
        return GmsChatApi(
            options.data_url,
            apikey=options.apikey,
            timeout=options.ajax_timeout / 1000,
            file_timeout=options.file_upload_timeout / 1000 or None,
            ca_bundle=options.ca_bundle,
            trailing_slash=options.enable_url_trailing_slash,
            keys=keys,
        )

    # Starting and resuming ------------------------------------------------------------

    def start(self, request: StartRequest, listener: Listener) -> SessionData:
        self.close()
        api = self._new_api()
        try:
            reply = api.request_chat(
                nickname=request.nickname,
                first_name=request.firstname,
                last_name=request.lastname,
                email=request.email,
                subject=request.subject,
                user_data=request.user_data,
                endpoint=self.options.endpoint,
            )
        except BaseException:
            api.close()
            raise
        self._api, self._listener, self._transcript = api, listener, Transcript()
        # The official example has no nextPosition: the reply's messages read from 1.
        self._tell(self._transcript.read(reply.messages, 1))
        self._tell_if_ended(reply)
        return self._session()

    def resume(self, session: SessionData, listener: Listener) -> bool:
        """Read the whole transcript again (position 1), as the widgets restore.

        A reply whose ``chatEnded`` is true or missing refuses with ``ENDED_ON_RESTORE``; a
        ``statusCode`` 1 restores the chat offline (``True``)."""
        self.close()
        keys = ChatKeys(
            session.conversation_id, session.jwt, session.member_id or None, session.alias
        )
        api = self._new_api(keys)
        offline = False
        try:
            try:
                reply = api.refresh(1)
            except ChatServerBusy as busy:
                assert busy.reply is not None  # a statusCode is only read from a reply
                reply, offline = busy.reply, True
            if reply.chat_ended is not False:
                raise TransportError(
                    {"message": "The chat has ended on the chat server.", "response": reply.body},
                    ENDED_ON_RESTORE,
                )
        except BaseException:
            api.close()
            raise
        self._api, self._listener = api, listener
        self._transcript = Transcript()
        updates = self._transcript.read(reply.messages, 1)
        self._restored = [update for update in updates if isinstance(update, ChatMessage)]
        return offline

    def history(self, after: str | None = None, limit: int = 100) -> list[ChatMessage]:
        """The transcript the restore read, in pages (GMS has no history call of its own)."""
        start = 0
        if after is not None:
            ids = [message.id for message in self._restored]
            start = ids.index(after) + 1 if after in ids else len(ids)
        return self._restored[start : start + limit]

    def members(self) -> list[Member]:
        return list(self._transcript.members.values())

    # Calls --------------------------------------------------------------------------

    def _chat(self) -> GmsChatApi:
        if self._api is None:
            raise TransportError("There is no chat on this transport.")
        return self._api

    def _session(self) -> SessionData:
        keys = self._chat().keys
        assert keys is not None
        return SessionData(
            conversation_id=keys.chat_id,
            member_id=keys.user_id or "",
            jwt=keys.secure_key,
            event_stream_uri="",
            last_message_id=str(self._transcript.position),
            alias=keys.alias,
        )

    def _tell(self, updates: list[TransportUpdate]) -> None:
        listener = self._listener
        if listener is not None:
            for update in updates:
                listener(update)

    def _tell_if_ended(self, reply: ChatReply) -> None:
        if reply.chat_ended:
            self._tell([ChatEnded("the chat server says chatEnded")])

    def _made(self, call: Callable[[GmsChatApi], ChatReply]) -> ChatReply:
        """Make a call of the chat; its reply's chatEnded (or a statusCode 2) is told."""
        try:
            reply = call(self._chat())
        except GmsError as error:
            if error.final:
                self._tell([ChatEnded("the chat server says the chat is over (statusCode 2)")])
            raise
        self._tell_if_ended(reply)
        return reply

    def send_message(self, text: str, body_type: str = "standard") -> ChatMessage:
        if body_type == "notice":
            reply = self._made(lambda api: api.custom_notice(text))
        else:
            reply = self._made(lambda api: api.send(text))
        own = Member(self._session().member_id, "CUSTOMER", "CONNECTED")
        now = iso_time(int(time.time() * 1000))
        return ChatMessage("", own, text, body_type, now, reply.body)

    def send_typing(self) -> None:
        self._made(GmsChatApi.start_typing)

    def stop_typing(self) -> None:
        self._made(GmsChatApi.stop_typing)

    def update_user_data(self, user_data: Mapping[str, Any]) -> Any:
        return self._made(lambda api: api.update_data(user_data)).body

    def send_file(self, name: str, content: bytes, content_type: str) -> Any:
        try:
            return self._made(lambda api: api.upload(name, content, content_type)).body
        except GmsError as error:
            sentence = next((FILE_REFUSALS[c] for c in error.codes if c in FILE_REFUSALS), None)
            if sentence is None and not isinstance(error, ChatServerUnreachable):
                raise
            reason: dict[str, Any] = {"message": sentence or FILE_UNKNOWN, "filename": name}
            if sentence is None:
                reason["errorReason"] = "FileUploadError"
            if isinstance(error.body, Mapping):
                reason["response"] = dict(error.body)
            raise TransportError(reason, error.status) from None

    def download_file(self, file_id: str) -> bytes:
        return self._chat().download(file_id).content

    def leave(self) -> None:
        self._chat().disconnect()

    def close(self) -> None:
        api, self._api = self._api, None
        self._listener = None
        if api is not None:
            api.close()

    # Polling ------------------------------------------------------------------------

    def refresh(self) -> Refreshed:
        api = self._chat()
        position = self._transcript.position
        try:
            reply = api.refresh(position)
        except ChatServerUnreachable as error:
            return Refreshed(PollResult.UNREACHABLE, error=str(error), position=position)
        except ChatServerBusy as busy:
            return self._read(busy.reply, position, PollResult.BUSY, status=200)
        except GmsError as error:
            if error.final:
                return self._finished(error, position)
            return Refreshed(
                PollResult.REFUSED, error=_error_data(error), status=error.status, position=position
            )
        return self._read(reply, position, PollResult.QUIET, status=200)

    def _finished(self, error: GmsError, position: int) -> Refreshed:
        """A refresh answered ``statusCode`` 2: what the reply holds, then the end, once.

        The widgets publish error for a statusCode 2 with errors (their GMS module); so is a refusal
        (a chat the server has lost), and the chat ends rather than polls on."""
        refreshed = self._read(error.reply, position, PollResult.REFUSED, status=error.status)
        updates = refreshed.updates
        if not any(isinstance(update, ChatEnded) for update in updates):
            updates += (ChatEnded("the chat server says the chat is over (statusCode 2)"),)
        told = _error_data(error) if _has_errors(error) or error.status != 200 else None
        return attrs.evolve(refreshed, updates=updates, error=told)

    def _read(
        self,
        reply: ChatReply | None,
        position: int,
        result: PollResult,
        status: int | None = None,
    ) -> Refreshed:
        """A refresh's reply read: what is new (a quiet one with news is ``NEWS``)."""
        if reply is None:
            return Refreshed(result, status=status, position=position)
        updates = self._transcript.read(reply.messages, position)
        if result is PollResult.QUIET and updates:
            result = PollResult.NEWS
        if reply.chat_ended:
            updates.append(ChatEnded("the chat server says chatEnded"))
        return Refreshed(
            result,
            tuple(updates),
            reply.body,
            status=status,
            position=self._transcript.position,
            idle_countdown=reply.idle_timer_expire,
        )


def _has_errors(error: GmsError) -> bool:
    return error.reply is not None and bool(error.reply.errors)


def _error_data(error: GmsError) -> dict[str, Any]:
    """What the ``error`` event carries for a refusal: the sentence, the widgets'
    ``errorReason`` for an invalid service, and what the server sent."""
    data: dict[str, Any] = {"message": str(error), "status": error.status}
    if isinstance(error, InvalidService):
        data["errorReason"] = "InvalidService"
    if error.body is not None:
        data["response"] = dict(error.body) if isinstance(error.body, Mapping) else error.body
    return data
