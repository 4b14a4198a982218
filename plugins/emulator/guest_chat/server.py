"""The emulator's aiohttp application: the guest chat API, its event stream, and /emulator.

Everything here runs on the emulator's asyncio loop; its state is touched there
only. ``ChatServer`` holds the chats and speaks for the agent; the request
handlers translate HTTP and WebSocket to and from it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

from ..faults import Fault, Faults
from .agent import DemoAgent
from .conversations import (
    Conversation,
    MediaRequest,
    Member,
    Message,
    error_body,
    frame,
    notice_frame,
    now,
)
from .tokens import TokenError, Tokens

__all__ = ["API", "ChatServer"]

log = logging.getLogger("cxbus.emulator.guest_chat")

API = "/api/v2/webchat/guest"
BODY_TYPES = ("standard", "notice", "member-join", "member-leave")
UPLOADS = "/emulator/uploads"
# Paths a fault switch can hit: Genesys's, the stream's, and the uploads that stand in
# for Genesys's; never the control paths.
FAULTABLE = (API, "/stream/", UPLOADS)
UPLOAD_TYPES = ("image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """Answer the request with ``status`` and an ErrorBody."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(status, code, message, field)


def bad_request(field: str, expected: str) -> ApiError:
    return ApiError(400, "bad.request", f"The field {field} {expected}.", field)


class ChatServer:
    """The chats of one emulator, their sockets, and the agent's side of them."""

    def __init__(
        self,
        *,
        deployment_key: str,
        org_guid: str,
        demo_agent: DemoAgent | None,
        heartbeat_interval: float,
        max_upload_bytes: int,
        max_uploads: int,
    ) -> None:
        self.deployment_key = deployment_key
        self.org_guid = org_guid
        self.demo_agent = demo_agent
        self.heartbeat_interval = heartbeat_interval
        self.max_upload_bytes = max_upload_bytes
        self.max_uploads = max_uploads
        self.tokens = Tokens()
        self.faults = Faults()
        self.base_url = ""  # http://host:port, once the site is bound
        self.conversations: dict[str, Conversation] = {}
        self.sockets: dict[str, set[web.WebSocketResponse]] = {}
        self.background: set[asyncio.Task[Any]] = set()

    def add_routes(self, app: web.Application) -> None:
        """Serve the guest chat API, its event stream and its controls on ``app``.

        ``app`` must have ``self.middleware`` among its middlewares.
        """
        conversation = f"{API}/conversations/{{cid}}"
        app.router.add_post(f"{API}/conversations", self.create)
        app.router.add_get(f"{conversation}/members", self.list_members)
        app.router.add_get(f"{conversation}/members/{{mid}}", self.get_member)
        app.router.add_delete(f"{conversation}/members/{{mid}}", self.leave)
        app.router.add_post(f"{conversation}/members/{{mid}}/messages", self.send_message)
        app.router.add_post(f"{conversation}/members/{{mid}}/typing", self.send_typing)
        app.router.add_get(f"{conversation}/messages", self.list_messages)
        app.router.add_get(f"{conversation}/messages/{{message_id}}", self.get_message)
        app.router.add_get(f"{conversation}/mediarequests", self.list_media)
        app.router.add_get(f"{conversation}/mediarequests/{{rid}}", self.get_media)
        app.router.add_patch(f"{conversation}/mediarequests/{{rid}}", self.patch_media)
        app.router.add_get("/stream/channels/{stream_id}", self.stream)
        app.router.add_post(f"{UPLOADS}/{{cid}}", self.upload)
        app.router.add_get(f"{UPLOADS}/{{cid}}/{{rid}}", self.download)
        app.router.add_post("/emulator/conversations/{cid}/agent/{action}", self.control_agent)
        app.router.add_post("/emulator/conversations/{cid}/malformed-frame", self.control_malformed)
        app.router.add_post("/emulator/sockets/{action}", self.control_sockets)
        app.router.add_post("/emulator/faults", self.control_faults)
        app.router.add_get("/emulator/conversations/{cid}", self.control_conversation)

    # Plumbing ---------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Fault switches and ErrorBodies for this API's paths; other paths pass through."""
        if request.path.startswith(FAULTABLE):
            fault = self.faults.take(request.path)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status is not None:
                    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                    body = error_body(fault.status, "emulator.fault", "Injected by the emulator.")
                    return web.json_response(body, status=fault.status, headers=headers)
        try:
            return await handler(request)
        except ApiError as error:
            return web.json_response(error.body, status=error.status)

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def _authorize(self, request: web.Request) -> tuple[Conversation, str]:
        """The conversation of the path and the caller's member id, from the Bearer JWT."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise ApiError(401, "authentication.required", "No Authorization: Bearer header.")
        try:
            conversation_id, member_id = self.tokens.check(header[len("Bearer ") :])
        except TokenError:
            raise ApiError(401, "bad.credentials", "The token is not valid.") from None
        if conversation_id != request.match_info["cid"]:
            raise ApiError(403, "not.authorized", "The token is for another conversation.")
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            raise ApiError(404, "not.found", "The conversation does not exist.")
        return conversation, member_id

    def _member(self, conversation: Conversation, member_id: str) -> Member:
        member = conversation.members.get(member_id)
        if member is None:
            raise ApiError(404, "not.found", f"No member {member_id} in this conversation.")
        return member

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(400, "bad.request", "The body is not JSON.") from None
        if not isinstance(body, dict):
            raise ApiError(400, "bad.request", "The body must be a JSON object.")
        return body

    async def broadcast(self, conversation: Conversation, payload: Any) -> None:
        """Send a frame (or raw text) to every socket attached to the conversation."""
        text = payload if isinstance(payload, str) else json.dumps(payload)
        for socket in list(self.sockets.get(conversation.id, ())):
            try:
                await socket.send_str(text)
            except (ConnectionError, RuntimeError):
                self.sockets.get(conversation.id, set()).discard(socket)

    # The chat, as the server does it ------------------------------------------------------

    async def post_message(
        self, conversation: Conversation, sender: Member, body: str, body_type: str = "standard"
    ) -> Message:
        message = Message(conversation.id, sender.id, body, body_type)
        conversation.messages.append(message)
        await self.broadcast(conversation, frame(conversation.id, "message", message.stream_body()))
        if self.demo_agent is not None and sender is conversation.guest and body_type == "standard":
            self._spawn(self.demo_agent.answer(self, conversation, body))
        return message

    async def member_changed(self, conversation: Conversation, member: Member) -> None:
        body = {
            "member": {"id": member.id, "state": member.state},
            "conversation": {"id": conversation.id},
        }
        await self.broadcast(conversation, frame(conversation.id, "member-change", body))

    async def agent_join(self, conversation: Conversation, name: str) -> Member:
        agent = Member("AGENT", name)
        conversation.members[agent.id] = agent
        await self.member_changed(conversation, agent)
        return agent

    def _agent_of(self, conversation: Conversation) -> Member:
        agent = conversation.agent
        if agent is None:
            raise ApiError(409, "no.agent", "No agent is connected to this conversation.")
        return agent

    async def agent_typing(self, conversation: Conversation) -> None:
        agent = self._agent_of(conversation)
        body = {
            "id": agent.id,
            "conversation": {"id": conversation.id},
            "sender": {"id": agent.id},
            "timestamp": now(),
        }
        await self.broadcast(conversation, frame(conversation.id, "typing-indicator", body))

    async def agent_send(self, conversation: Conversation, text: str) -> Message:
        return await self.post_message(conversation, self._agent_of(conversation), text)

    async def agent_leave(self, conversation: Conversation) -> None:
        agent = self._agent_of(conversation)
        agent.state, agent.leave_date = "DISCONNECTED", now()
        await self.member_changed(conversation, agent)

    async def guest_left(self, conversation: Conversation) -> None:
        guest = conversation.guest
        guest.state, guest.leave_date = "DISCONNECTED", now()
        await self.member_changed(conversation, guest)
        if conversation.agent is not None:
            await self.agent_leave(conversation)

    async def drop_sockets(self, conversation_id: str | None, notice: bool) -> int:
        """Close the sockets of one conversation (or all): abruptly, or after socket_closing."""
        ids = [conversation_id] if conversation_id else list(self.sockets)
        dropped = 0
        for cid in ids:
            for socket in list(self.sockets.pop(cid, ())):
                dropped += 1
                if notice:
                    await socket.send_json(notice_frame("v2.system.socket_closing"))
                    await socket.close()
                else:
                    # No close frame: the connection just goes, as a network failure does.
                    transport = socket._req.transport if socket._req is not None else None
                    if transport is not None:
                        transport.abort()
        return dropped

    # The guest chat API -----------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        if body.get("organizationId") != self.org_guid:
            raise bad_request("organizationId", "must be the organization's id")
        if body.get("deploymentId") != self.deployment_key:
            raise bad_request("deploymentId", "must name an active deployment")
        target = body.get("routingTarget")
        if not isinstance(target, dict) or target.get("targetType") != "QUEUE":
            raise bad_request("routingTarget.targetType", "must be QUEUE")
        if not isinstance(target.get("targetAddress"), str) or not target["targetAddress"]:
            raise bad_request("routingTarget.targetAddress", "must name a queue")
        info = body.get("memberInfo")
        if not isinstance(info, dict) or not isinstance(info.get("displayName"), str):
            raise bad_request("memberInfo.displayName", "is required")
        custom = info.get("customFields") or {}
        if not isinstance(custom, dict):
            raise bad_request("memberInfo.customFields", "must be an object of strings")
        guest = Member(
            "CUSTOMER",
            info["displayName"],
            first_name=info.get("firstName"),
            last_name=info.get("lastName"),
            email=info.get("email"),
            phone_number=info.get("phoneNumber"),
            custom_fields={str(k): str(v) for k, v in custom.items()},
        )
        conversation = Conversation(guest, target["targetAddress"])
        self.conversations[conversation.id] = conversation
        stream = (
            self.base_url.replace("http", "ws", 1) + f"/stream/channels/{conversation.stream_id}"
        )
        return web.json_response(
            {
                "id": conversation.id,
                "jwt": self.tokens.issue(conversation.id, guest.id),
                "eventStreamUri": stream,
                "member": guest.to_json(),
            }
        )

    async def list_members(self, request: web.Request) -> web.Response:
        conversation, _ = self._authorize(request)
        size = _int_query(request, "pageSize", 25, 1, 100)
        number = _int_query(request, "pageNumber", 1, 1, 10_000)
        members = list(conversation.members.values())
        if request.query.get("excludeDisconnectedMembers") == "true":
            members = [m for m in members if m.state != "DISCONNECTED"]
        page = members[(number - 1) * size : number * size]
        count = max(1, -(-len(members) // size))
        path = f"{API}/conversations/{conversation.id}/members"
        return web.json_response(
            {
                "entities": [m.to_json() for m in page],
                "pageSize": size,
                "pageNumber": number,
                "total": len(members),
                "pageCount": count,
                "firstUri": f"{path}?pageSize={size}&pageNumber=1",
                "lastUri": f"{path}?pageSize={size}&pageNumber={count}",
                "selfUri": f"{path}?pageSize={size}&pageNumber={number}",
                **(
                    {"nextUri": f"{path}?pageSize={size}&pageNumber={number + 1}"}
                    if number < count
                    else {}
                ),
            }
        )

    async def get_member(self, request: web.Request) -> web.Response:
        conversation, _ = self._authorize(request)
        return web.json_response(self._member(conversation, request.match_info["mid"]).to_json())

    def _guest_path(self, request: web.Request) -> Conversation:
        """The conversation, when the path's member is the caller itself."""
        conversation, member_id = self._authorize(request)
        if request.match_info["mid"] != member_id:
            raise ApiError(403, "not.authorized", "A guest may act only as itself.")
        if conversation.ended:
            raise ApiError(400, "chat.ended", "The guest has left this conversation.")
        return conversation

    async def send_message(self, request: web.Request) -> web.Response:
        conversation = self._guest_path(request)
        body = await self._json(request)
        text = body.get("body")
        if not isinstance(text, str) or not text:
            raise bad_request("body", "is required")
        body_type = body.get("bodyType", "standard")
        if body_type not in BODY_TYPES:
            raise bad_request("bodyType", f"must be one of {', '.join(BODY_TYPES)}")
        message = await self.post_message(conversation, conversation.guest, text, body_type)
        return web.json_response(message.to_json(API, conversation.guest))

    async def send_typing(self, request: web.Request) -> web.Response:
        conversation = self._guest_path(request)
        guest = conversation.guest
        typing = {
            "id": guest.id,
            "conversation": {"id": conversation.id},
            "sender": guest.to_json(),
            "timestamp": now(),
        }
        return web.json_response(typing)

    async def leave(self, request: web.Request) -> web.Response:
        conversation = self._guest_path(request)
        await self.guest_left(conversation)
        return web.Response(status=204)

    async def list_messages(self, request: web.Request) -> web.Response:
        conversation, _ = self._authorize(request)
        limit = _int_query(request, "maxResults", 100, 1, 100)
        ids = [m.id for m in conversation.messages]
        # The JavaScript SDK sends its unset parameters empty: they count as absent.
        after, before = request.query.get("after") or None, request.query.get("before") or None
        for name, value in (("after", after), ("before", before)):
            if value is not None and value not in ids:
                raise bad_request(name, "must be the id of a message of this conversation")
        start = ids.index(after) + 1 if after is not None else 0
        end = ids.index(before) if before is not None else len(ids)
        chosen = conversation.messages[start:end]
        descending = request.query.get("sortOrder") == "descending"
        page = (chosen[::-1] if descending else chosen)[:limit]
        path = f"{API}/conversations/{conversation.id}/messages"
        result: dict[str, Any] = {
            "entities": [m.to_json(API, conversation.members[m.sender_id]) for m in page],
            "pageSize": len(page),
            "selfUri": path,
        }
        if page and len(chosen) > limit:
            result["next"] = f"{path}?after={page[-1].id}&maxResults={limit}"
        if page and start > 0:
            result["previousPage"] = f"{path}?before={page[0].id}&maxResults={limit}"
        return web.json_response(result)

    async def get_message(self, request: web.Request) -> web.Response:
        conversation, _ = self._authorize(request)
        for message in conversation.messages:
            if message.id == request.match_info["message_id"]:
                sender = conversation.members[message.sender_id]
                return web.json_response(message.to_json(API, sender))
        raise ApiError(404, "not.found", "No such message in this conversation.")

    async def list_media(self, request: web.Request) -> web.Response:
        conversation, _ = self._authorize(request)
        entities = [m.to_json(API, conversation.id) for m in conversation.media.values()]
        return web.json_response({"entities": entities})

    def _media(self, request: web.Request) -> tuple[Conversation, MediaRequest]:
        conversation, _ = self._authorize(request)
        media = conversation.media.get(request.match_info["rid"])
        if media is None:
            raise ApiError(404, "not.found", "No such media request.")
        return conversation, media

    async def get_media(self, request: web.Request) -> web.Response:
        conversation, media = self._media(request)
        return web.json_response(media.to_json(API, conversation.id))

    async def patch_media(self, request: web.Request) -> web.Response:
        conversation, media = self._media(request)
        state = (await self._json(request)).get("state")
        if state not in ("ACCEPTED", "DECLINED", "ERRORED"):
            raise bad_request("state", "must be ACCEPTED, DECLINED or ERRORED")
        media.state = state
        return web.json_response(media.to_json(API, conversation.id))

    # Files (the emulator's own paths: each upload becomes a media request of the chat) ---

    async def upload(self, request: web.Request) -> web.Response:
        conversation, _ = self._authorize(request)
        content_type = request.content_type
        if content_type not in UPLOAD_TYPES:
            raise ApiError(
                415, "file.type.not.allowed", f"Files of type {content_type} are not allowed."
            )
        if len(conversation.media) >= self.max_uploads:
            raise ApiError(
                403, "file.upload.limit", f"A chat may upload up to {self.max_uploads} files."
            )
        content = await request.read()
        if len(content) > self.max_upload_bytes:
            raise ApiError(
                413, "file.too.large", f"Files may be up to {self.max_upload_bytes} bytes."
            )
        name = request.headers.get("X-File-Name", "file")
        media = MediaRequest([content_type], name, content)
        conversation.media[media.id] = media
        return web.json_response(media.to_json(API, conversation.id), status=201)

    async def download(self, request: web.Request) -> web.Response:
        _, media = self._media(request)
        return web.Response(body=media.content, content_type=media.types[0])

    # The event stream ----------------------------------------------------------------------

    async def stream(self, request: web.Request) -> web.StreamResponse:
        stream_id = request.match_info["stream_id"]
        conversation = next(
            (c for c in self.conversations.values() if c.stream_id == stream_id), None
        )
        if conversation is None or conversation.ended:
            raise ApiError(404, "not.found", "No such event stream.")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.setdefault(conversation.id, set()).add(socket)
        if not conversation.routed:
            # Genesys routes the chat only once its stream is attached.
            conversation.routed = True
            await self.member_changed(conversation, conversation.guest)
            if self.demo_agent is not None:
                self._spawn(self.demo_agent.greet(self, conversation))
        heartbeat = asyncio.ensure_future(self._heartbeat(socket))
        try:
            async for incoming in socket:
                if incoming.type == WSMsgType.TEXT and _is_ping(incoming.data):
                    await socket.send_json(notice_frame("channel.metadata", "pong"))
        finally:
            heartbeat.cancel()
            self.sockets.get(conversation.id, set()).discard(socket)
        return socket

    async def _heartbeat(self, socket: web.WebSocketResponse) -> None:
        while not socket.closed:
            await asyncio.sleep(self.heartbeat_interval)
            if not socket.closed:
                await socket.send_json(notice_frame("channel.metadata", "WebSocket Heartbeat"))

    # The control API (/emulator/...) ---------------------------------------------------------

    def _conversation(self, request: web.Request) -> Conversation:
        conversation = self.conversations.get(request.match_info["cid"])
        if conversation is None:
            raise ApiError(404, "not.found", "No such conversation.")
        return conversation

    async def control_agent(self, request: web.Request) -> web.Response:
        conversation = self._conversation(request)
        action = request.match_info["action"]
        body = await self._json(request) if request.can_read_body else {}
        if action == "join":
            agent = await self.agent_join(conversation, str(body.get("name", "Alex")))
            return web.json_response(agent.to_json())
        if action == "typing":
            await self.agent_typing(conversation)
        elif action == "send":
            text = body.get("text")
            if not isinstance(text, str) or not text:
                raise bad_request("text", "is required")
            message = await self.agent_send(conversation, text)
            return web.json_response(message.to_json(API, self._agent_of(conversation)))
        elif action == "leave":
            await self.agent_leave(conversation)
        elif action == "end":
            await self.guest_left(conversation)
        else:
            raise ApiError(404, "not.found", f"No agent action {action}.")
        return web.json_response({})

    async def control_malformed(self, request: web.Request) -> web.Response:
        await self.broadcast(self._conversation(request), "{not json")
        return web.json_response({})

    async def control_sockets(self, request: web.Request) -> web.Response:
        body = await self._json(request) if request.can_read_body else {}
        action = request.match_info["action"]
        if action not in ("drop", "close-notice"):
            raise ApiError(404, "not.found", f"No socket action {action}.")
        dropped = await self.drop_sockets(body.get("conversationId"), action == "close-notice")
        return web.json_response({"dropped": dropped})

    async def control_faults(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        if not isinstance(body.get("path"), str):
            raise bad_request("path", "must be a path pattern")
        self.faults.arm(
            Fault(
                body["path"],
                int(body.get("count", 1)),
                body.get("status"),
                body.get("retryAfter"),
                float(body.get("delay", 0.0)),
            )
        )
        return web.json_response({})

    async def control_conversation(self, request: web.Request) -> web.Response:
        conversation = self._conversation(request)
        return web.json_response(
            {
                "id": conversation.id,
                "members": [m.to_json() for m in conversation.members.values()],
                "messages": [
                    m.to_json(API, conversation.members[m.sender_id]) for m in conversation.messages
                ],
                "sockets": len(self.sockets.get(conversation.id, ())),
            }
        )


def _int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(name, f"must be a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise bad_request(name, f"must be a whole number from {low} to {high}")
    return value


def _is_ping(text: str) -> bool:
    try:
        return bool(json.loads(text) == {"message": "ping"})
    except json.JSONDecodeError:
        return False
