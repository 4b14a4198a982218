"""The GMS Chat API v2 on the emulator's aiohttp application, and the agent's side of it.

Everything here runs on the emulator's asyncio loop; the chats are touched there
only. ``GmsServer`` holds the chats and speaks for the agent and the system; the
request handlers translate form posts to and from it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from aiohttp import web
from multidict import MultiDictProxy

from ..client_input import FORM_LIMIT, BadInput, read_form
from ..faults import Faults
from .agent import GmsDemoAgent
from .chats import Chat, FileLimits, Participant, Reply, TranscriptMessage, error_body
from .faults import GmsFault
from .files import FileDesk
from .idle import IdleWatch

__all__ = ["API_ROOT", "ChatBot", "GmsServer"]

API_ROOT = "/genesys/2/chat"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Form = MultiDictProxy[Any]
# Operations a chat that has ended still answers (statusCode 0, chatEnded true).
AFTER_END = frozenset({"refresh", "disconnect"})
USER_DATA = re.compile(r"^userData\[(.+)\]$")


class ChatBot(Protocol):
    """What the server asks of a bot that greets its chats in place of the demo agent."""

    def start(self, server: GmsServer, chat: Chat) -> None: ...

    async def answer(self, server: GmsServer, chat: Chat, text: str) -> None: ...


class GmsServer:
    """The GMS chats of one emulator: one chat service named ``service``.

    ``apikey`` is required in the ``apikey`` header of every call but downloads
    (``None``: no check); ``max_message_length`` is the longest message ``send`` takes.
    The ``flow_bot``, when there is one, greets every chat instead of the demo agent,
    and hands chats over to it.
    """

    def __init__(
        self,
        *,
        service: str,
        apikey: str | None,
        demo_agent: GmsDemoAgent | None,
        idle: IdleWatch,
        limits: FileLimits,
        max_message_length: int,
        flow_bot: ChatBot | None = None,
    ) -> None:
        self.service = service
        self.apikey = apikey
        self.demo_agent = demo_agent
        self.flow_bot = flow_bot
        self.idle = idle
        self.files = FileDesk(self, limits)
        self.max_message_length = max_message_length
        self.faults = Faults()
        self.base_url = ""  # http://host:port, once the site is bound
        self.chats: dict[str, Chat] = {}
        self.background: set[asyncio.Future[Any]] = set()
        self._changes: list[asyncio.Future[None]] = []
        self._operations: dict[str, Callable[[Chat, Form], Mapping[str, Any] | None]] = {
            "send": self._send,
            "startTyping": self._start_typing,
            "stopTyping": self._stop_typing,
            "refresh": self._refresh,
            "disconnect": self._disconnect,
            "customNotice": self._custom_notice,
            "updateData": self._update_data,
            "pushUrl": self._push_url,
            "updateNickname": self._update_nickname,
            "file": self.files.upload,
        }

    @property
    def data_url(self) -> str:
        """The chat service's URL, as ``webchat.dataURL`` names it in GMS mode."""
        return f"{self.base_url}{API_ROOT}/{self.service}"

    def add_routes(self, app: web.Application) -> None:
        """Serve the chat service on ``app`` (which must have ``self.middleware``); its
        controls are ``control.add_control_routes``'s."""
        base = f"{API_ROOT}/{{service}}"
        app.router.add_post(base, self.request_chat)
        app.router.add_post(f"{base}/", self.request_chat)
        app.router.add_post(f"{base}/{{chat_id}}/file/limits", self.files.limits_reply)
        app.router.add_post(f"{base}/{{chat_id}}/file/{{file_id}}/download", self.files.download)
        app.router.add_post(f"{base}/{{chat_id}}/file/{{file_id}}/delete", self.files.delete)
        app.router.add_post(f"{base}/{{chat_id}}/{{operation}}", self.operation)

    async def close(self) -> None:
        """Stop every timer and agent of this server (the emulator is stopping)."""
        stopped = [*self.idle.stop_all(), *self.background]
        for task in stopped:
            task.cancel()
        await asyncio.gather(*stopped, return_exceptions=True)

    # Plumbing ---------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Fault switches, the apikey and refusals for this API's paths; others pass."""
        if not request.path.startswith(f"{API_ROOT}/"):
            return await handler(request)
        fault = self.faults.take(request.path)
        if isinstance(fault, GmsFault):
            answered = await self._misbehave(request, fault)
            if answered is not None:
                return answered
        try:
            self._check_apikey(request)
            return await handler(request)
        except Reply as reply:
            return web.json_response(dict(reply.body), status=reply.status)

    async def _misbehave(self, request: web.Request, fault: GmsFault) -> web.StreamResponse | None:
        """Act out a fault; ``None`` when the call is to be answered after all."""
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.answer == "cut":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # aiohttp drops a cancelled handler quietly
        if fault.answer == "busy":
            body = {"statusCode": 1, "chatEnded": False}
            chat_id = request.match_info.get("chat_id")
            return web.json_response({"chatId": chat_id, **body} if chat_id else body)
        if fault.answer == "ended":
            chat = self.chats.get(request.match_info.get("chat_id", ""))
            if chat is not None:
                self.close_chat(chat)
        if fault.status is not None:
            return web.Response(status=fault.status, text="Injected by the emulator.")
        return None

    def _check_apikey(self, request: web.Request) -> None:
        # The Widgets download through a plain HTML form, which cannot send a header.
        if self.apikey is None or request.path.endswith("/download"):
            return
        given = request.headers.get("apikey") or request.headers.get("x-api-key") or ""
        if not hmac.compare_digest(given.encode(), self.apikey.encode()):
            raise Reply(401, error_body(None, advice="The apikey header is missing or wrong."))

    def _check_service(self, request: web.Request) -> None:
        name = request.match_info["service"]
        if name != self.service:
            raise Reply(
                404,
                error_body(
                    None, 306, f"There is no chat service {name} on this server.", status_code=2
                ),
            )

    @staticmethod
    async def form(request: web.Request, limit: int | None = FORM_LIMIT) -> Form:
        """The request's form, within ``limit`` bytes (``None``: an upload's, the
        application's), decoded strictly; 400 with the reason otherwise (as Jetty does)."""
        try:
            return await read_form(request, limit)
        except BadInput as bad:
            raise Reply(bad.status, error_body(None, advice=bad.sentence)) from None

    def chat_of(self, request: web.Request, form: Form) -> Chat:
        """The chat of the path, once the form's ``secureKey`` proves the caller is its client.

        ``userId`` and ``alias`` are accepted and not checked (deprecated since GMS 8.5.112).
        """
        self._check_service(request)
        chat_id = request.match_info["chat_id"]
        chat = self.chats.get(chat_id)
        if chat is None:
            raise Reply(404, error_body(None, advice=f"There is no chat {chat_id}.", status_code=2))
        key = form.get("secureKey")
        if not isinstance(key, str) or not key:
            raise Reply(400, error_body(None, advice="The field secureKey is required."))
        if not hmac.compare_digest(key.encode(), chat.secure_key.encode()):
            refusal = error_body(None, advice="The secureKey is not this chat's.", status_code=2)
            raise Reply(401, {"chatId": chat.id, **refusal})
        return chat

    def spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def _changed(self) -> None:
        changes, self._changes = self._changes, []
        for change in changes:
            if not change.done():
                change.set_result(None)

    async def wait_until(self, test: Callable[[], bool], timeout: float) -> None:
        """Return once ``test()`` is true, tested after each change to any chat."""
        deadline = time.monotonic() + timeout
        while not test():
            change = asyncio.get_running_loop().create_future()
            self._changes.append(change)
            await asyncio.wait_for(change, max(0.0, deadline - time.monotonic()))

    # The chat, as the server does it ------------------------------------------------

    def client_says(self, chat: Chat, kind: str, **fields: Any) -> None:
        """The client adds an event; anything but typing restarts the idle clock."""
        chat.record(kind, chat.client, **fields)
        if not kind.startswith("Typing"):
            self.idle.restart(self, chat)
        self._changed()

    def system_says(self, chat: Chat, kind: str, **fields: Any) -> None:
        chat.record(kind, Participant("system", 0, "External"), **fields)
        self._changed()

    def party_says(
        self, chat: Chat, sender: Participant, kind: str, **fields: Any
    ) -> TranscriptMessage:
        """A participant of the agent's side (the flow-file bot) adds an event."""
        message = chat.record(kind, sender, **fields)
        self._changed()
        return message

    def agent_join(self, chat: Chat, name: str, kind: str = "Agent") -> Participant:
        agent = chat.add_participant(name, kind)
        chat.record("ParticipantJoined", agent)
        self._changed()
        return agent

    def _agent_of(self, chat: Chat) -> Participant:
        agent = chat.agent
        if agent is None:
            raise LookupError(f"No agent is connected to chat {chat.id}.")
        return agent

    def agent_typing(self, chat: Chat, typing: bool = True) -> None:
        chat.record("TypingStarted" if typing else "TypingStopped", self._agent_of(chat))
        self._changed()

    def agent_send(self, chat: Chat, text: str) -> int:
        """The agent says ``text``; returns its transcript index."""
        message = chat.record("Message", self._agent_of(chat), text=text, message_type="text")
        self._changed()
        return message.index

    def agent_leave(self, chat: Chat) -> None:
        agent = self._agent_of(chat)
        agent.connected = False
        chat.record("ParticipantLeft", agent)
        self._changed()

    def end_chat(self, chat: Chat) -> None:
        """The agent's side closes the chat: its agent leaves, and every reply says chatEnded."""
        if chat.ended:
            return
        if chat.agent is not None:
            self.agent_leave(chat)
        self.close_chat(chat)

    def forget_chat(self, chat: Chat) -> None:
        """The server loses the chat, as a restart does: calls for it answer 404 from now on."""
        self.idle.stop(chat)
        self.chats.pop(chat.id, None)
        self._changed()

    def close_chat(self, chat: Chat) -> None:
        """The chat ends with nothing in the transcript to say so."""
        chat.ended = True
        self.idle.stop(chat)
        self._changed()

    # The chat service ------------------------------------------------------------------

    async def request_chat(self, request: web.Request) -> web.Response:
        self._check_service(request)
        form = await self.form(request)
        nickname = _text(form, "nickname").strip()
        first, last = _text(form, "firstName").strip(), _text(form, "lastName").strip()
        if not nickname:
            if not first and not last:
                raise Reply(
                    400, error_body(None, 161, "Give a nickname, or a first and a last name.")
                )
            if not first:
                raise Reply(400, error_body(None, 102, "The first name is required."))
            if not last:
                raise Reply(400, error_body(None, 103, "The last name is required."))
        email = _text(form, "emailAddress").strip()
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise Reply(400, error_body(None, 364, "The email address is not valid."))
        chat = Chat(
            self.service,
            Participant(nickname or f"{first} {last}", 1, "Client"),
            subject=_text(form, "subject") or None,
            email=email or None,
            user_data=_user_data(form),
        )
        self.chats[chat.id] = chat
        self.client_says(chat, "ParticipantJoined")
        if self.flow_bot is not None:
            self.flow_bot.start(self, chat)
        elif self.demo_agent is not None:
            self.spawn(self.demo_agent.greet(self, chat))
        return web.json_response(chat.envelope(1))

    async def operation(self, request: web.Request) -> web.Response:
        name = request.match_info["operation"]
        act = self._operations.get(name)
        if act is None:
            raise Reply(404, error_body(None, advice=f"There is no operation {name}."))
        form = await self.form(request, None if name == "file" else FORM_LIMIT)
        chat = self.chat_of(request, form)
        if chat.ended and name not in AFTER_END:
            raise Reply(200, chat.envelope(status_code=2))
        position = _position(chat, form, 1 if name == "refresh" else None)
        extra = act(chat, form)
        return web.json_response(self.envelope(chat, position, extra))

    def envelope(
        self, chat: Chat, position: int | None = None, extra: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The chat's reply, with ``idleTimerExpire`` (seconds left) while an idle alert runs."""
        body = chat.envelope(position)
        body.update(extra or {})
        if chat.idle_close_at is not None:
            left = chat.idle_close_at - asyncio.get_running_loop().time()
            body["idleTimerExpire"] = max(0, round(left))
        return body

    def _send(self, chat: Chat, form: Form) -> None:
        text = _text(form, "message")
        if not text.strip():
            raise Reply(400, error_body(chat, advice="The field message is required."))
        if len(text) > self.max_message_length:
            raise Reply(400, error_body(chat, 204, str(self.max_message_length)))
        self.client_says(
            chat,
            "Message",
            text=text,
            message_type=_text(form, "messageType") or "text",
            event_attributes=_event_attributes(chat, form),
        )
        if self.flow_bot is not None:
            self.spawn(self.flow_bot.answer(self, chat, text))
        elif self.demo_agent is not None:
            self.spawn(self.demo_agent.answer(self, chat, text))

    def _start_typing(self, chat: Chat, form: Form) -> None:
        chat.typing_preview = _text(form, "message")
        self.client_says(chat, "TypingStarted")

    def _stop_typing(self, chat: Chat, form: Form) -> None:
        chat.typing_preview = _text(form, "message")
        self.client_says(chat, "TypingStopped")

    def _refresh(self, chat: Chat, form: Form) -> None:
        if "message" in form:
            chat.typing_preview = _text(form, "message")

    def _disconnect(self, chat: Chat, form: Form) -> None:
        if not chat.ended:
            chat.client.connected = False
            chat.record("ParticipantLeft", chat.client)
            self.close_chat(chat)

    def _custom_notice(self, chat: Chat, form: Form) -> None:
        self.client_says(
            chat,
            "CustomNotice",
            text=_text(form, "message") or None,
            event_attributes=_event_attributes(chat, form),
        )

    def _update_data(self, chat: Chat, form: Form) -> None:
        chat.user_data.update(_user_data(form))
        self._changed()

    def _push_url(self, chat: Chat, form: Form) -> None:
        url = _text(form, "pushUrl")
        if not re.match(r"https?://[^\s/]+", url):
            raise Reply(400, error_body(chat, advice="The field pushUrl must be an absolute URL."))
        self.client_says(chat, "PushUrl", text=url)

    def _update_nickname(self, chat: Chat, form: Form) -> None:
        nickname = _text(form, "nickname").strip()
        if not nickname:
            raise Reply(400, error_body(chat, advice="The field nickname is required."))
        chat.client.nickname = nickname
        self.client_says(chat, "NicknameUpdated")


def _text(form: Form, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _user_data(form: Form) -> dict[str, str]:
    """The ``userData[key]=value`` fields of a form, as a map."""
    found = ((USER_DATA.match(key), value) for key, value in form.items())
    return {match.group(1): value for match, value in found if match and isinstance(value, str)}


def _position(chat: Chat, form: Form, default: int | None) -> int | None:
    raw = _text(form, "transcriptPosition")
    if not raw:
        return default
    if not raw.isdigit():
        advice = "The field transcriptPosition must be a whole number from 0."
        raise Reply(400, error_body(chat, advice=advice))
    return int(raw)


def _event_attributes(chat: Chat, form: Form) -> Any:
    """The ``eventAttributes`` field: a JSON object sent as a string, or ``None``."""
    raw = _text(form, "eventAttributes")
    if not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        advice = "The field eventAttributes must be JSON text."
        raise Reply(400, error_body(chat, advice=advice)) from None
