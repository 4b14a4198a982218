"""Driving the GMS emulator: from Python (``Emulator.gms``) and over HTTP (``/emulator/gms``).

Both play the agent, arm fault switches and change the idle timers and file
limits; the Python side runs each control on the server's loop and returns when
it is done, so it may be called from any thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import attrs
from aiohttp import web

from ..client_input import BadInput, read_json
from .chats import Chat, FileLimits
from .faults import ANSWERS, GmsFault
from .server import GmsServer

__all__ = ["CONTROL_ROOT", "GmsControls", "add_control_routes"]

CONTROL_ROOT = "/emulator/gms"
T = TypeVar("T")
Runner = Callable[[Coroutine[Any, Any, Any]], Any]
LIMIT_OPTIONS = {
    "upload-max-files": "upload_max_files",
    "upload-max-file-size": "upload_max_file_size",
    "upload-max-total-size": "upload_max_total_size",
    "upload-file-types": "upload_file_types",
    "upload-need-agent": "upload_need_agent",
    "download-attempts": "download_attempts",
    "delete-file": "delete_file",
}


async def _call(function: Callable[..., T], *args: Any) -> T:
    return function(*args)


class GmsControls:
    """The GMS side of an ``Emulator``: its chat service URL, the agent, faults, timers.

    Chats are named by ``chatId``. Fault ``path`` patterns are ``fnmatch`` patterns
    over the request path, such as ``"*/refresh"``.
    """

    def __init__(self, server: GmsServer, run: Runner) -> None:
        self.server = server
        self._run = run

    @property
    def data_url(self) -> str:
        """The chat service URL, service name included (``webchat.dataURL``)."""
        return self.server.data_url

    @property
    def apikey(self) -> str | None:
        return self.server.apikey

    def chat(self, chat_id: str) -> Chat:
        """The chat (live object: read it, do not change it)."""
        try:
            return self.server.chats[chat_id]
        except KeyError:
            raise KeyError(f"No GMS chat {chat_id} on this emulator.") from None

    # The agent's side -----------------------------------------------------------------

    def agent_join(self, chat_id: str, name: str = "Alex", kind: str = "Agent") -> int:
        """An agent (``kind`` ``"Supervisor"`` for a supervisor) joins; its participantId."""
        joined = self._run(_call(self.server.agent_join, self.chat(chat_id), name, kind))
        return int(joined.participant_id)

    def agent_typing(self, chat_id: str, typing: bool = True) -> None:
        self._run(_call(self.server.agent_typing, self.chat(chat_id), typing))

    def agent_send(self, chat_id: str, text: str) -> int:
        """The agent says ``text``; returns the message's transcript index."""
        index: int = self._run(_call(self.server.agent_send, self.chat(chat_id), text))
        return index

    def agent_leave(self, chat_id: str) -> None:
        self._run(_call(self.server.agent_leave, self.chat(chat_id)))

    def end_chat(self, chat_id: str) -> None:
        """The agent's side closes the chat: the agent leaves, replies say chatEnded."""
        self._run(_call(self.server.end_chat, self.chat(chat_id)))

    def forget_chat(self, chat_id: str) -> None:
        """The server loses the chat, as a restart does: every call for it is answered 404
        with ``statusCode`` 2 from now on."""
        self._run(_call(self.server.forget_chat, self.chat(chat_id)))

    def wait_for(self, chat_id: str, test: Callable[[Chat], bool], timeout: float = 5.0) -> None:
        """Return once ``test(chat)`` holds (tested after each change); TimeoutError if not."""
        chat = self.chat(chat_id)
        self._run(self.server.wait_until(lambda: test(chat), timeout))

    # Fault switches -------------------------------------------------------------------

    def fail_next(self, path: str, status: int = 503, count: int = 1) -> None:
        """Answer the next ``count`` calls matching ``path`` with HTTP ``status``."""
        self.server.faults.arm(GmsFault(path, count, status=status))

    def answer_busy(self, path: str = "*/refresh", count: int = 1) -> None:
        """Answer the next ``count`` calls matching ``path`` with ``statusCode`` 1."""
        self.server.faults.arm(GmsFault(path, count, answer="busy"))

    def cut_connection(self, path: str, count: int = 1) -> None:
        """Close the connection of the next ``count`` calls matching ``path``, unanswered."""
        self.server.faults.arm(GmsFault(path, count, answer="cut"))

    def end_at_next(self, path: str, count: int = 1) -> None:
        """Close the chat as the next call matching ``path`` arrives, with no ParticipantLeft."""
        self.server.faults.arm(GmsFault(path, count, answer="ended"))

    def delay(self, path: str, seconds: float, count: int = 1) -> None:
        """Answer the next ``count`` calls matching ``path`` ``seconds`` late."""
        self.server.faults.arm(GmsFault(path, count, delay=seconds))

    def clear_faults(self, path: str | None = None) -> None:
        """Disarm every GMS fault switch, or those armed for ``path``."""
        self.server.faults.clear(path)

    # Settings -------------------------------------------------------------------------

    def set_idle(self, alert_after: float | None, close_after: float) -> None:
        """Idle alert after ``alert_after`` s of client silence (``None``: off), close after
        ``close_after`` s more; for idle clocks started from now on."""
        self._run(_call(_set_idle, self.server, alert_after, close_after))

    def set_file_limits(self, limits: FileLimits) -> None:
        """The file limits every chat gets from now on."""
        self._run(_call(setattr, self.server.files, "limits", limits))


def _set_idle(server: GmsServer, alert_after: float | None, close_after: float) -> None:
    server.idle.alert_after, server.idle.close_after = alert_after, close_after


def add_control_routes(app: web.Application, server: GmsServer) -> None:
    """Serve ``/emulator/gms/...`` for ``server`` on ``app``."""
    handlers = _ControlHandlers(server)
    chat = f"{CONTROL_ROOT}/chats/{{chat_id}}"
    app.router.add_get(chat, handlers.chat)
    app.router.add_post(f"{chat}/agent/{{action}}", handlers.agent)
    app.router.add_post(f"{chat}/forget", handlers.forget)
    app.router.add_post(f"{CONTROL_ROOT}/faults", handlers.faults)
    app.router.add_post(f"{CONTROL_ROOT}/faults/clear", handlers.clear_faults)
    app.router.add_post(f"{CONTROL_ROOT}/idle", handlers.idle)
    app.router.add_post(f"{CONTROL_ROOT}/file-limits", handlers.file_limits)


def _bad(field: str, expected: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"message": f"The field {field} {expected}."}),
        content_type="application/json",
    )


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await read_json(request, None)
    except BadInput as bad:
        raise web.HTTPBadRequest(
            text=json.dumps({"message": bad.sentence}), content_type="application/json"
        ) from None
    if not isinstance(body, dict):
        raise _bad("body", "must be a JSON object")
    return body


def _number(body: dict[str, Any], name: str, default: Any = None) -> Any:
    value = body.get(name, default)
    if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        raise _bad(name, "must be a number")
    return value


@attrs.frozen
class _ControlHandlers:
    server: GmsServer

    def _chat(self, request: web.Request) -> Chat:
        chat = self.server.chats.get(request.match_info["chat_id"])
        if chat is None:
            raise web.HTTPNotFound(text="No such GMS chat.")
        return chat

    async def chat(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        return web.json_response(
            {
                "chatId": chat.id,
                "ended": chat.ended,
                "participants": [
                    {**p.to_json(), "connected": p.connected} for p in chat.participants
                ],
                "transcript": [message.to_json() for message in chat.transcript],
                "userData": chat.user_data,
                "participantData": chat.participant_data,
                "typingPreview": chat.typing_preview,
                "files": [
                    {"id": f.id, "name": f.name, "size": len(f.content), "deleted": f.deleted}
                    for f in chat.files.values()
                ],
            }
        )

    async def agent(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        action = request.match_info["action"]
        body = await _json(request)
        try:
            if action == "join":
                agent = self.server.agent_join(
                    chat, str(body.get("name", "Alex")), str(body.get("type", "Agent"))
                )
                return web.json_response(agent.to_json())
            if action == "typing":
                self.server.agent_typing(chat, bool(body.get("typing", True)))
            elif action == "send":
                text = body.get("text")
                if not isinstance(text, str) or not text:
                    raise _bad("text", "is required")
                return web.json_response({"index": self.server.agent_send(chat, text)})
            elif action == "leave":
                self.server.agent_leave(chat)
            elif action == "end":
                self.server.end_chat(chat)

            else:
                raise web.HTTPNotFound(text=f"No agent action {action}.")
        except LookupError as error:
            raise web.HTTPConflict(text=str(error)) from None
        return web.json_response({})

    async def forget(self, request: web.Request) -> web.Response:
        self.server.forget_chat(self._chat(request))
        return web.json_response({})

    async def faults(self, request: web.Request) -> web.Response:
        body = await _json(request)
        if not isinstance(body.get("path"), str):
            raise _bad("path", "must be a path pattern")
        answer = body.get("answer")
        if answer is not None and answer not in ANSWERS:
            raise _bad("answer", f"must be one of {', '.join(ANSWERS)}")
        count = _number(body, "count", 1)
        self.server.faults.arm(
            GmsFault(
                body["path"],
                int(count),
                status=_number(body, "status"),
                delay=float(_number(body, "delay", 0.0)),
                answer=answer,
            )
        )
        return web.json_response({})

    async def clear_faults(self, request: web.Request) -> web.Response:
        path = (await _json(request)).get("path")
        self.server.faults.clear(path if isinstance(path, str) else None)
        return web.json_response({})

    async def idle(self, request: web.Request) -> web.Response:
        body = await _json(request)
        idle = self.server.idle
        alert_after = _number(body, "alertAfter", idle.alert_after)  # null turns alerts off
        close_after = _number(body, "closeAfter", idle.close_after)
        if close_after is None:
            raise _bad("closeAfter", "must be a number")
        _set_idle(self.server, alert_after, float(close_after))
        return web.json_response({})

    async def file_limits(self, request: web.Request) -> web.Response:
        body = await _json(request)
        unknown = sorted(set(body) - set(LIMIT_OPTIONS))
        if unknown:
            raise _bad(unknown[0], f"is not one of {', '.join(LIMIT_OPTIONS)}")
        changes = {LIMIT_OPTIONS[name]: value for name, value in body.items()}
        if "upload_file_types" in changes:
            changes["upload_file_types"] = tuple(str(changes["upload_file_types"]).split(":"))
        try:
            self.server.files.limits = attrs.evolve(self.server.files.limits, **changes)
        except (TypeError, ValueError) as error:
            raise _bad("limits", f"must be what the options are ({error})") from None
        return web.json_response({})
