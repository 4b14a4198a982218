"""The control API under ``/emulator/...``: the agent's side, faults and switches over HTTP.

These paths are the emulator's own, for tests and demos; ``cxbus_emulator.Emulator``
offers the same from Python.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..faults import Fault
from ..load import chatter_plan
from .conversations import Conversation
from .errors import ApiError, bad_request, not_found
from .paths import API
from .rest import json_body
from .server import ChatServer

__all__ = ["Controls"]

CONTROL = "/emulator"


class Controls:
    """The request handlers of ``/emulator/...``, driving a ``ChatServer``."""

    def __init__(self, server: ChatServer) -> None:
        self.server = server

    def add_routes(self, app: web.Application) -> None:
        conversation = f"{CONTROL}/conversations/{{cid}}"
        app.router.add_get(conversation, self.show_conversation)
        app.router.add_post(f"{conversation}/agent/{{action}}", self.agent)
        app.router.add_post(f"{conversation}/malformed-frame", self.malformed)
        app.router.add_post(f"{conversation}/tokens/expire", self.expire_tokens)
        app.router.add_post(f"{CONTROL}/sockets/{{action}}", self.sockets)
        app.router.add_post(f"{CONTROL}/faults", self.faults)
        app.router.add_get(f"{CONTROL}/settings", self.show_settings)
        app.router.add_patch(f"{CONTROL}/settings", self.change_settings)
        app.router.add_post(f"{CONTROL}/load", self.load)

    def _conversation(self, request: web.Request) -> Conversation:
        conversation = self.server.conversations.get(request.match_info["cid"])
        if conversation is None:
            raise not_found("No such conversation.")
        return conversation

    async def show_conversation(self, request: web.Request) -> web.Response:
        conversation = self._conversation(request)
        members = conversation.members
        return web.json_response(
            {
                "id": conversation.id,
                "phase": conversation.phase.name,
                "members": [m.to_json() for m in members.values()],
                "messages": [m.to_json(API, members[m.sender_id]) for m in conversation.messages],
                "mediaRequests": [
                    m.to_json(API, conversation.id) for m in conversation.media.values()
                ],
                "sockets": self.server.streams.count(conversation.id),
                "participantData": conversation.participant_data,
            }
        )

    async def agent(self, request: web.Request) -> web.Response:
        """join / alert (``{"name"}``), typing, send (``{"text"}``), media-request
        (``{"type"}``: COBROWSE or SCREENSHARE), leave, end."""
        server, conversation = self.server, self._conversation(request)
        action = request.match_info["action"]
        body = await json_body(request, None) if request.can_read_body else {}
        if action in ("join", "alert"):
            name = str(body.get("name", "Alex"))
            act = server.agent_join if action == "join" else server.agent_alert
            return web.json_response((await act(conversation, name)).to_json())
        if action == "send":
            text = body.get("text")
            if not isinstance(text, str) or not text:
                raise bad_request("text", "is required")
            message = await server.agent_send(conversation, text)
            return web.json_response(message.to_json(API, conversation.members[message.sender_id]))
        if action == "media-request":
            media = await server.agent_request_media(conversation, str(body.get("type")))
            return web.json_response(media.to_json(API, conversation.id))
        if action == "typing":
            await server.agent_typing(conversation)
        elif action == "leave":
            await server.agent_leave(conversation)
        elif action == "end":
            await server.end(conversation)
        else:
            raise not_found(f"No agent action {action}.")
        return web.json_response({})

    async def malformed(self, request: web.Request) -> web.Response:
        await self.server.broadcast(self._conversation(request), "{not json")
        return web.json_response({})

    async def expire_tokens(self, request: web.Request) -> web.Response:
        self._conversation(request).tokens_expired = True
        return web.json_response({})

    async def sockets(self, request: web.Request) -> web.Response:
        """drop (no close frame) or close-notice, for ``{"conversationId"}`` or all."""
        body = await json_body(request, None) if request.can_read_body else {}
        action = request.match_info["action"]
        streams = self.server.streams
        if action == "drop":
            return web.json_response({"dropped": await streams.drop(body.get("conversationId"))})
        if action == "close-notice":
            noticed = await streams.announce_closing(body.get("conversationId"))
            return web.json_response({"noticed": noticed})
        raise not_found(f"No socket action {action}.")

    async def faults(self, request: web.Request) -> web.Response:
        """Arm a fault: ``{"path", "status", "count", "retryAfter", "delay"}``."""
        body = await json_body(request, None)
        if not isinstance(body.get("path"), str):
            raise bad_request("path", "must be a path pattern")
        self.server.faults.arm(
            Fault(
                body["path"],
                int(body.get("count", 1)),
                body.get("status"),
                body.get("retryAfter"),
                float(body.get("delay", 0.0)),
            )
        )
        return web.json_response({})

    async def show_settings(self, request: web.Request) -> web.Response:
        return web.json_response(self.server.settings.to_json())

    async def change_settings(self, request: web.Request) -> web.Response:
        """Change some switches (camelCase names); answers them all."""
        changes: dict[str, Any] = await json_body(request, None)
        try:
            self.server.settings = self.server.settings.changed_from_json(changes)
        except ValueError as error:
            raise ApiError(400, "bad.request", str(error)) from None
        return web.json_response(self.server.settings.to_json())

    async def load(self, request: web.Request) -> web.Response:
        """``{"interval", "duration"}`` in seconds: every chat's agent sends a message every
        interval, for the duration (``..load``)."""
        try:
            interval, duration = chatter_plan(await json_body(request, None))
        except ValueError as error:
            raise bad_request(str(error), "must be a number of seconds above 0") from None
        chats, each = self.server.chatter(interval, duration)
        return web.json_response({"chats": chats, "messagesPerChat": each})
