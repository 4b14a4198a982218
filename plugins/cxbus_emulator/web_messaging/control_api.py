"""The ``/emulator/messaging`` control API: the agent's side and the fault switches over HTTP.

Each path does what the method of the same name of ``Emulator.messaging`` does:

- ``GET  /emulator/messaging/sessions`` (ids, oldest first) and ``.../sessions/{id}``;
- ``POST /emulator/messaging/sessions/{id}/agent/{action}``: ``send`` (``{"text", "sender"}``,
  ``sender`` naming a human agent; without it the bot sends), ``send-many``
  (``{"texts"}``: the bot sends each, back to back, for load tests),
  ``quick-replies`` (``{"text", "choices"}``), ``card``, ``content``
  (``{"content", "text"}``), ``file`` (``{"name", "mime", "base64"}``), ``typing``
  (``{"durationMs"}``), ``disconnect`` (``{"readOnly"}``), ``clear``;
- ``POST /emulator/messaging/sessions/{id}/{switch}``: ``expire``, ``malformed-frame``
  (``{"text"}``), ``out-of-order`` (``{"count"}``), ``signed-in-elsewhere``, ``log-out``;
- ``POST /emulator/messaging/sockets/drop`` (``{"sessionId"}`` or every socket);
- ``POST /emulator/messaging/load`` (``{"interval", "duration"}`` in seconds): the bot sends
  every open session a numbered, time-stamped message every interval (``..load``);
- ``POST /emulator/messaging/faults/{switch}``: ``refuse-connections`` (``{"seconds",
  "count", "status"}``), ``allow-connections``, ``action`` (``{"action", "count",
  "code", "retryAfter"}``), ``rest`` (``{"path", "status", "count", "retryAfter",
  "delay"}``), ``clear-disabled``; ``DELETE /emulator/messaging/faults`` disarms them all
  (and gives back the deployment and limits the emulator started with);
- ``POST /emulator/messaging/sessions/{id}/receipt`` (``{"messageId", "status",
  "reasons"}``): a ``Receipt`` about one message;
- ``GET`` and ``PATCH /emulator/messaging/limits``: the limits in force, by camelCase
  name (``{"connectionsPerMinute": 100000}``), changed until the faults are cleared.

The identity provider's paths are in ``idp_api``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import attrs
from aiohttp import web

from ..client_input import BadInput, read_json
from ..faults import Fault
from ..load import chatter_plan
from .agent import CARD, quick_replies
from .faults import ActionFault
from .rest_api import RestError
from .server import MessagingServer
from .sessions import Session

__all__ = ["RECEIPT_STATUSES", "ControlApi", "describe"]

ROOT = "/emulator/messaging"
# The Java SDK's WebMessagingMessage.StatusEnum.
RECEIPT_STATUSES = ("Sent", "Delivered", "Read", "Failed", "Published", "Removed")


def describe(server: MessagingServer, session: Session) -> dict[str, Any]:
    """What the control API tells about a session (never its token): the messages as the
    agent's side sees them, with the custom attributes each carried."""
    return {
        "id": session.id,
        "state": session.state.value,
        "started": session.started,
        "autoStarted": session.auto_started,
        "user": session.user.login if session.user is not None else None,
        "sockets": len(session.connections),
        "messages": [m.agent_view() for m in session.messages],
        "customAttributes": session.custom_attributes,
        "participantData": session.participant_data,
        "guestTyping": session.guest_typing,
        "attachments": {a.id: a.state.value for a in session.attachments.values()},
        "expirationDate": int(session.expires_at),
    }


class ControlApi:
    """The control paths of one ``MessagingServer``."""

    def __init__(self, server: MessagingServer) -> None:
        self.server = server

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(f"{ROOT}/sessions", self.sessions)
        app.router.add_get(f"{ROOT}/sessions/{{sid}}", self.session)
        app.router.add_post(f"{ROOT}/sessions/{{sid}}/agent/{{action}}", self.agent)
        app.router.add_post(f"{ROOT}/sessions/{{sid}}/{{switch}}", self.session_switch)
        app.router.add_post(f"{ROOT}/sockets/drop", self.drop)
        app.router.add_post(f"{ROOT}/load", self.load)
        app.router.add_post(f"{ROOT}/faults/{{switch}}", self.fault)
        app.router.add_delete(f"{ROOT}/faults", self.reset)
        app.router.add_get(f"{ROOT}/limits", self.limits)
        app.router.add_patch(f"{ROOT}/limits", self.change_limits)

    def _session(self, request: web.Request) -> Session:
        session = self.server.sessions.get(request.match_info["sid"])
        if session is None:
            raise RestError(404, "not.found", "No such web messaging session.")
        return session

    async def sessions(self, request: web.Request) -> web.Response:
        return web.json_response({"sessions": list(self.server.sessions)})

    async def session(self, request: web.Request) -> web.Response:
        return web.json_response(describe(self.server, self._session(request)))

    async def agent(self, request: web.Request) -> web.Response:
        server, session = self.server, self._session(request)
        body = await _json(request)
        action = request.match_info["action"]
        if action == "send":
            sender = _text(body, "sender") if "sender" in body else None
            message = await server.agent_send(session, _text(body, "text"), sender=sender)
        elif action == "send-many":
            texts = body.get("texts")
            if not isinstance(texts, list) or not all(isinstance(t, str) and t for t in texts):
                raise RestError(400, "bad.request", "texts must be a list of non-empty strings.")
            sent = [await server.agent_send(session, text) for text in texts]
            return web.json_response({"ids": [m.id for m in sent]})
        elif action == "quick-replies":
            choices = body.get("choices", ["Red", "Green", "Blue"])
            if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
                raise RestError(400, "bad.request", "choices must be a list of strings.")
            message = await server.agent_send(session, _text(body, "text"), quick_replies(choices))
        elif action == "card":
            message = await server.agent_send(session, body.get("text"), [body.get("card", CARD)])
        elif action == "content":
            content = body.get("content")
            if not isinstance(content, list) or not content:
                raise RestError(400, "bad.request", "content must be a list of content entries.")
            message = await server.agent_send(session, body.get("text"), content)
        elif action == "file":
            try:
                data = base64.b64decode(str(body.get("base64", "")), validate=True)
            except binascii.Error:
                raise RestError(
                    400, "bad.request", "base64 must be the file's bytes in base64."
                ) from None
            attachment = server.add_file(
                session,
                _text(body, "name"),
                data,
                str(body.get("mime", "application/octet-stream")),
            )
            message = await server.agent_send(
                session, body.get("text"), [server.attachment_content(attachment)]
            )
        elif action == "typing":
            await server.agent_typing(session, _int(body, "durationMs", 5000))
            return web.json_response({})
        elif action == "disconnect":
            message = await server.agent_disconnect(session, body.get("readOnly"))
        elif action == "clear":
            await server.clear(session)
            return web.json_response({})
        else:
            raise RestError(404, "not.found", f"No agent action {action}.")
        return web.json_response(message.body())

    async def session_switch(self, request: web.Request) -> web.Response:
        server, session = self.server, self._session(request)
        body = await _json(request)
        switch = request.match_info["switch"]
        if switch == "expire":
            await server.expire(session)
        elif switch == "malformed-frame":
            await server.push(session, str(body.get("text", "{not json")))
        elif switch == "out-of-order":
            session.reorder_left = _int(body, "count", 2)
        elif switch == "signed-in-elsewhere":
            await server.signed_in_elsewhere(session)
        elif switch == "log-out":
            await server.log_out(session)
        elif switch == "receipt":
            status = _text(body, "status")
            if status not in RECEIPT_STATUSES:
                raise RestError(400, "bad.request", f"status must be one of {RECEIPT_STATUSES}.")
            reasons = body.get("reasons")
            if reasons is not None and not (
                isinstance(reasons, list) and all(isinstance(r, dict) for r in reasons)
            ):
                raise RestError(400, "bad.request", "reasons must be a list of objects.")
            await server.receipt(session, _text(body, "messageId"), status, reasons)
        else:
            raise RestError(404, "not.found", f"No session switch {switch}.")
        return web.json_response({})

    async def drop(self, request: web.Request) -> web.Response:
        session_id = (await _json(request)).get("sessionId")
        if session_id is not None and session_id not in self.server.sessions:
            raise RestError(404, "not.found", "No such web messaging session.")
        return web.json_response({"dropped": await self.server.drop_sockets(session_id)})

    async def load(self, request: web.Request) -> web.Response:
        try:
            interval, duration = chatter_plan(await _json(request))
        except ValueError as error:
            raise RestError(
                400, "bad.request", f"{error} must be a number of seconds above 0."
            ) from None
        sessions, each = self.server.chatter(interval, duration)
        return web.json_response({"sessions": sessions, "messagesPerSession": each})

    async def fault(self, request: web.Request) -> web.Response:
        faults, body = self.server.faults, await _json(request)
        switch = request.match_info["switch"]
        if switch == "refuse-connections":
            seconds = _number(body, "seconds") if "seconds" in body else None
            count = _int(body, "count", 0) if "count" in body else None
            faults.refuse(self.server.clock(), seconds, count, _int(body, "status", 503))
        elif switch == "allow-connections":
            faults.allow()
        elif switch == "action":
            faults.actions.append(
                ActionFault(
                    _text(body, "action"),
                    _int(body, "count", 1),
                    _int(body, "code", 429),
                    _int(body, "retryAfter", 3),
                )
            )
        elif switch == "rest":
            faults.rest.arm(
                Fault(
                    _text(body, "path"),
                    _int(body, "count", 1),
                    _int(body, "status", 503),
                    _int(body, "retryAfter", 0) or None,
                    _number(body, "delay") if "delay" in body else 0.0,
                )
            )
        elif switch == "clear-disabled":
            faults.clear_disabled = True
        else:
            raise RestError(404, "not.found", f"No fault switch {switch}.")
        return web.json_response({})

    async def reset(self, request: web.Request) -> web.Response:
        self.server.faults.reset()
        self.server.deployment = self.server.initial_deployment
        self.server.change_limits(self.server.initial_limits)
        return web.json_response({})

    async def limits(self, request: web.Request) -> web.Response:
        return web.json_response(_camel_case(attrs.asdict(self.server.limits)))

    async def change_limits(self, request: web.Request) -> web.Response:
        changes = {_snake_case(name): value for name, value in (await _json(request)).items()}
        fields = attrs.fields_dict(type(self.server.limits))
        for name, value in changes.items():
            if name not in fields:
                raise RestError(400, "bad.request", f"{_camel(name)} is no limit.")
            if not isinstance(value, int) or isinstance(value, bool):
                raise RestError(400, "bad.request", f"{_camel(name)} must be a whole number.")
        try:
            limits = attrs.evolve(self.server.limits, **changes)
        except ValueError as error:
            raise RestError(400, "bad.request", f"Every limit is 1 or more: {error}") from None
        self.server.change_limits(limits)
        return web.json_response(_camel_case(attrs.asdict(limits)))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _camel_case(values: dict[str, Any]) -> dict[str, Any]:
    return {_camel(name): value for name, value in values.items()}


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await read_json(request, None)
    except BadInput as bad:
        raise RestError(bad.status, "bad.request", bad.sentence) from None
    if not isinstance(body, dict):
        raise RestError(400, "bad.request", "The body must be a JSON object.")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise RestError(400, "bad.request", f"{name} is required (a non-empty string).")
    return value


def _int(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RestError(400, "bad.request", f"{name} must be a whole number.")
    return value


def _number(body: dict[str, Any], name: str) -> float:
    value = body.get(name)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise RestError(400, "bad.request", f"{name} must be a number.")
    return float(value)
