"""The guest WebSocket (``/v1?deploymentId=...``) and every action a guest sends over it.

A connection reads one request at a time and answers it before the next: the
answer (or error frame) carries the request's ``tracingId``. What the service
pushes on its own (echoes to the other sockets, the agent, uploads) goes through
``MessagingServer``. Runs on the emulator's loop.
"""

from __future__ import annotations

import fnmatch
import json
import uuid
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Callable

from aiohttp import WSMsgType, web

from . import frames
from .sessions import Attachment, AttachmentState, Connection, Message, RateWindow, Session
from .sessions import SessionState as State
from .settings import UPLOADS

if TYPE_CHECKING:
    from .server import MessagingServer

__all__ = ["Refused", "SocketApi"]

Request = dict[str, Any]
Answer = Awaitable[frames.Frame | None]
READ_ONLY = "Session is read-only, no new messages allowed"
TYPING_OFF = "Turn on the Feature Toggle or fix the configuration."
CLEAR_OFF = "Presence events Conversation Clear are not supported"
UPLOAD_HEADERS = {"x-amz-tagging": "origin=cxbus-emulator"}


class Refused(Exception):
    """Answer the request with an error frame instead: ``string``, or a 429 with ``retry_after``."""

    def __init__(
        self, code: int, text: str, retry_after: int | None = None, error_code: int = 4029
    ) -> None:
        super().__init__(text)
        self.code, self.text = code, text
        self.retry_after, self.error_code = retry_after, error_code

    def frame(self, tracing_id: str | None) -> frames.Frame:
        if self.retry_after is not None:
            return frames.too_many_requests(
                self.retry_after, self.text, tracing_id, self.error_code
            )
        return frames.error_text(self.code, self.text, tracing_id)


def too_many(retry_after: int, text: str, error_code: int = 4029) -> Refused:
    return Refused(429, text, retry_after, error_code)


class SocketApi:
    """The ``/v1`` endpoint of one ``MessagingServer``."""

    def __init__(self, server: MessagingServer) -> None:
        self.server = server
        self.session_actions: dict[str, Callable[[Connection, Session, Request], Answer]] = {
            "onMessage": self.on_message,
            "echo": self.echo,
            "getJwt": self.get_jwt,
            "closeSession": self.close_session,
            "onAttachment": self.on_attachment,
            "getAttachment": self.get_attachment,
            "deleteAttachment": self.delete_attachment,
        }

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/v1", self.connect)

    async def connect(self, request: web.Request) -> web.StreamResponse:
        server = self.server
        deployment_id = request.query.get("deploymentId")
        if not deployment_id:
            return web.Response(status=400, text="The deploymentId query parameter is required.")
        if deployment_id != server.deployment_id:
            return web.Response(status=403, text=f"No active deployment {deployment_id}.")
        allowed = server.deployment.allowed_origins
        if allowed and request.headers.get("Origin") not in allowed:
            return web.Response(status=403, text="Requests from this origin are not allowed.")
        refused = server.faults.refuses(server.clock())
        if refused is not None:
            return web.Response(status=refused, text="Refused by the emulator.")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        limits = server.limits
        connection = Connection(
            socket,
            request_rate=RateWindow(limits.requests_per_minute, 60.0),
            health_rate=RateWindow(limits.health_checks_per_minute, 60.0),
        )
        server.connections.add(connection)
        try:
            async for incoming in socket:
                if incoming.type == WSMsgType.TEXT:
                    await self.answer(connection, incoming.data)
                elif incoming.type == WSMsgType.BINARY:
                    await server.send(connection, frames.error_text(400, "Request failed.", None))
        finally:
            server.forget(connection)
        return socket

    async def answer(self, connection: Connection, text: str) -> None:
        """Do one request and send its answer, if it has one, down ``connection``."""
        try:
            request = json.loads(text)
        except json.JSONDecodeError:
            request = None
        if not isinstance(request, dict):
            await self.server.send(connection, frames.error_text(400, "Request failed.", None))
            return
        tracing_id = request.get("tracingId")
        tracing_id = tracing_id if isinstance(tracing_id, str) else None
        try:
            reply = await self.dispatch(connection, request)
        except Refused as refusal:
            reply = refusal.frame(tracing_id)
        if reply is not None:
            if "tracingId" not in reply and tracing_id is not None:
                reply["tracingId"] = tracing_id
            await self.server.send(connection, reply)

    async def dispatch(self, connection: Connection, request: Request) -> frames.Frame | None:
        action = request.get("action")
        if not isinstance(action, str) or not action:
            raise Refused(4020, "Missing parameter: action")
        if action != "configureSession" and action not in self.session_actions:
            raise Refused(400, f"Unknown action {action}")
        wait = connection.request_rate.take(self.server.clock())
        if wait is not None:
            raise too_many(wait, "Request rate too high for this connection")
        fault = self.server.faults.take_action(action)
        if fault is not None:
            if fault.code == 429:
                raise too_many(fault.retry_after, f"{action} rate too high for this session")
            raise Refused(fault.code, f"{action} failed (a fault switch of the emulator)")
        token = request.get("token")
        if not isinstance(token, str) or not token:
            raise Refused(4020, "Missing parameter: token")
        if action == "configureSession":
            return await self.configure_session(connection, token, request)
        session = connection.session
        if session is None or session.token != token:
            raise Refused(4007, "Session not found: send configureSession first")
        if not session.open:
            raise Refused(4006, "Session expired")
        return await self.session_actions[action](connection, session, request)

    # Session ---------------------------------------------------------------------------

    async def configure_session(
        self, connection: Connection, token: str, request: Request
    ) -> frames.Frame:
        server = self.server
        if request.get("deploymentId") != server.deployment_id:
            raise Refused(400, "deploymentId must name this deployment")
        session = server.current.get(token)
        if session is not None:
            wait = session.configure_rate.take(self.server.clock())
            if wait is not None:
                raise too_many(wait, "ConfigureSession rate too high for this session", 429)
        new = session is None or (
            request.get("startNew") is True and session.state is State.READ_ONLY
        )
        if new:
            if session is not None:
                await server.end(session, frames.connection_closed(None))
            session = server.new_session(token)
            session.configure_rate.take(self.server.clock())
        assert session is not None
        if connection.session is not session:
            server.forget(connection)
            while len(session.connections) >= server.limits.connections_per_session:
                # A connection over the limit closes the oldest one (no reason given).
                await server.close(session.connections[0], frames.connection_closed(None))
            session.connections.append(connection)
            connection.session = session
            server.connections.add(connection)
        return frames.session_response(session, server.deployment, server.limits, new_session=new)

    async def close_session(
        self, connection: Connection, session: Session, request: Request
    ) -> frames.Frame:
        """The caller leaves the session (with its other sockets, if asked) to start anew."""
        if request.get("closeAllConnections") is True:
            for other in [c for c in session.connections if c is not connection]:
                await self.server.close(other, frames.connection_closed(None))
        self.server.forget(connection)
        self.server.connections.add(connection)
        server = self.server
        return frames.session_response(
            session, server.deployment, server.limits, new_session=False, connected=False
        )

    async def echo(
        self, connection: Connection, session: Session, request: Request
    ) -> frames.Frame:
        """The health check: the text comes back as an Inbound message, with the session timing."""
        wait = connection.health_rate.take(self.server.clock())
        if wait is not None:
            raise too_many(wait, "Health check rate too high for this connection")
        message = request.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(text, str):
            raise Refused(4020, "Missing parameter: message.text")
        body = {
            "text": text,
            "type": "Text",
            "direction": "Inbound",
            "id": uuid.uuid4().hex,
            "metadata": {
                "durationSeconds": str(self.server.deployment.session_duration_seconds),
                "expirationDate": str(int(session.expires_at)),
            },
        }
        return frames.structured_message(body, kind="response")

    async def get_jwt(
        self, connection: Connection, session: Session, request: Request
    ) -> frames.Frame:
        token, expires = self.server.signer.jwt(session.id, self.server.limits.jwt_seconds)
        return frames.jwt_response(token, expires, None)

    # Messages ---------------------------------------------------------------------------

    async def on_message(
        self, connection: Connection, session: Session, request: Request
    ) -> frames.Frame | None:
        message = request.get("message")
        if not isinstance(message, dict):
            raise Refused(4020, "Missing parameter: message")
        kind = message.get("type")
        if kind not in ("Text", "Structured", "Event"):
            raise Refused(400, f"Unknown message type {kind}")
        attributes = self._custom_attributes(message, request)
        if kind == "Event":
            return await self._on_event(session, message, request.get("tracingId"))
        if session.state is State.READ_ONLY:
            raise Refused(409, READ_ONLY)
        wait = session.message_rate.take(self.server.clock())
        if wait is not None:
            raise too_many(wait, "Message rate too high for this session")
        text = message.get("text")
        if text is not None and not isinstance(text, str):
            raise Refused(400, "message.text must be a string")
        size = len((text or "").encode())
        if size > self.server.limits.text_bytes:
            raise Refused(
                4011, f"Message length {size} is larger than {self.server.limits.text_bytes}"
            )
        content = self._content(session, message.get("content"))
        if not text and not content:
            raise Refused(400, "A message needs text or content")
        metadata = message.get("metadata")
        inbound = Message(
            "Inbound",
            kind,
            text=text,
            content=content,
            metadata=_strings(metadata, "message.metadata") if metadata is not None else {},
            message_id=str(uuid.uuid4()),
        )
        session.custom_attributes.update(attributes)
        for entry in content:
            if entry.get("contentType") == "Attachment":
                session.attachments[entry["attachment"]["id"]].state = AttachmentState.SENT
        await self.server.inbound(session, inbound, request.get("tracingId"))
        return None

    def _custom_attributes(self, message: Request, request: Request) -> dict[str, str]:
        """``channel.metadata.customAttributes``, inside the message or beside it (ours: both)."""
        channel = message.get("channel", request.get("channel"))
        if channel is None:
            return {}
        found = (
            channel.get("metadata", {}).get("customAttributes")
            if isinstance(channel, dict)
            else None
        )
        if found is None:
            return {}
        attributes = _strings(found, "channel.metadata.customAttributes")
        size = sum(len(k.encode()) + len(v.encode()) for k, v in attributes.items())
        limit = self.server.limits.custom_attributes_bytes
        if size > limit:
            raise Refused(
                4013, f"Custom Attributes in channel metadata is larger than {limit} bytes"
            )
        return attributes

    def _content(self, session: Session, content: Any) -> list[dict[str, Any]]:
        """The message's content, each attachment reference filled in as the echo shows it."""
        if content is None:
            return []
        if not isinstance(content, list) or not all(isinstance(c, dict) for c in content):
            raise Refused(400, "message.content must be a list of objects")
        filled = []
        for entry in content:
            if entry.get("contentType") != "Attachment":
                filled.append(entry)
                continue
            reference = entry.get("attachment")
            attachment_id = reference.get("id") if isinstance(reference, dict) else None
            attachment = session.attachments.get(str(attachment_id))
            if attachment is None or attachment.state is AttachmentState.DELETED:
                raise Refused(4009, "Attachment not found")
            if attachment.state is not AttachmentState.UPLOADED:
                raise Refused(4010, "Attachment has not been successfully uploaded")
            filled.append(self.server.attachment_content(attachment))
        return filled

    async def _on_event(
        self, session: Session, message: Request, tracing_id: Any
    ) -> frames.Frame | None:
        events = message.get("events")
        if not isinstance(events, list) or len(events) != 1 or not isinstance(events[0], dict):
            raise Refused(400, "An Event message carries exactly one event")
        event = events[0]
        kind = event.get("eventType")
        if kind == "Typing":
            if not self.server.deployment.show_user_typing:
                raise Refused(403, TYPING_OFF)
            if session.state is State.READ_ONLY:
                raise Refused(409, READ_ONLY)
            session.guest_typing += 1  # ours: no echo and no answer
            return None
        presence = event.get("presence")
        what = presence.get("type") if isinstance(presence, dict) else None
        if kind != "Presence" or what not in ("Join", "Disconnect", "Clear"):
            raise Refused(400, f"Unsupported event {kind} {what or ''}".strip())
        if what == "Clear":
            if not self.server.deployment.clear_enabled or self.server.faults.clear_disabled:
                raise Refused(403, CLEAR_OFF)
            await self.server.clear(session)
            return None
        if session.state is State.READ_ONLY:
            raise Refused(409, READ_ONLY)
        echo = Message("Inbound", "Event", events=[event], message_id=str(uuid.uuid4()))
        await self.server.inbound(
            session, echo, tracing_id if isinstance(tracing_id, str) else None
        )
        return None

    # Attachments -------------------------------------------------------------------------

    async def on_attachment(
        self, connection: Connection, session: Session, request: Request
    ) -> frames.Frame:
        attachment_id = request.get("attachmentId")
        name, kind, size = request.get("fileName"), request.get("fileType"), request.get("fileSize")
        if not isinstance(attachment_id, str) or not attachment_id:
            raise Refused(4020, "Missing parameter: attachmentId")
        if session.state is State.READ_ONLY:
            raise Refused(409, READ_ONLY)
        existing = self.server.files.get(attachment_id)
        if existing is not None and existing.session_id != session.id:
            raise Refused(400, "attachmentId is taken: make a new one")
        refusal = self._upload_refusal(name, kind, size)
        if refusal is not None:
            return frames.generate_url_error(attachment_id, *refusal, None)
        assert isinstance(name, str) and isinstance(kind, str) and isinstance(size, int)
        attachment = Attachment(session.id, name, kind, size, id=attachment_id)
        self.server.keep_file(session, attachment)
        signature = self.server.signer.sign("PUT", attachment.id)
        url = f"{self.server.base_url}{UPLOADS}/{attachment.id}?signature={signature}"
        return frames.presigned_url(attachment, url, dict(UPLOAD_HEADERS), None, describe=False)

    def _upload_refusal(self, name: Any, kind: Any, size: Any) -> tuple[int, str] | None:
        """Why the deployment refuses this file (an error code and text), or ``None``."""
        deployment = self.server.deployment
        if not deployment.uploads:
            return 4000, "File upload is not enabled for this deployment"
        if not isinstance(name, str) or not name.strip():
            return 4004, "File name is invalid"
        if len(name) > self.server.limits.file_name_chars:
            return 4005, f"File name is longer than {self.server.limits.file_name_chars} characters"
        if name.lower().endswith(deployment.blocked_extensions):
            return 4001, f"File extension of {name} is blocked"
        if not isinstance(kind, str) or not any(
            fnmatch.fnmatchcase(kind, allowed) for allowed in deployment.file_types
        ):
            return 4001, f"File type {kind} not supported"
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            return 4020, "Missing parameter: fileSize"
        if size == 0:
            return 4102, "File is empty"
        if size > deployment.max_file_size_kb * 1024:
            return 4002, f"File size {size} is larger than {deployment.max_file_size_kb} KB"
        return None

    def _attachment(self, session: Session, request: Request) -> Attachment:
        attachment = session.attachments.get(request.get("attachmentId"))  # type: ignore[arg-type]
        if attachment is None or attachment.state is AttachmentState.DELETED:
            raise Refused(4009, "Attachment not found")
        return attachment

    async def get_attachment(
        self, connection: Connection, session: Session, request: Request
    ) -> frames.Frame:
        """A fresh download URL for an uploaded or sent file."""
        attachment = self._attachment(session, request)
        if attachment.state not in (AttachmentState.UPLOADED, AttachmentState.SENT):
            raise Refused(4010, "Attachment has not been successfully uploaded")
        url = self.server.download_url(attachment)
        return frames.presigned_url(attachment, url, {}, None, describe=True)

    async def delete_attachment(
        self, connection: Connection, session: Session, request: Request
    ) -> frames.Frame:
        attachment = self._attachment(session, request)
        if attachment.state is AttachmentState.SENT:
            raise Refused(400, "A sent attachment cannot be deleted")
        attachment.state, attachment.data = AttachmentState.DELETED, b""
        return frames.attachment_deleted(attachment.id, None)


def _strings(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise Refused(400, f"{name} must be an object of strings")
    return dict(value)
