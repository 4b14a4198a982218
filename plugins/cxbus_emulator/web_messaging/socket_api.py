"""The guest WebSocket (``/v1?deploymentId=...``) and every action a guest sends over it.

A connection reads one request at a time and answers it before the next: the
answer (or error frame) carries the request's ``tracingId``. What the service
pushes on its own (echoes to the other sockets, the agent, uploads) goes through
``MessagingServer``. Runs on the emulator's loop.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from ..client_input import FRAME_LIMIT, BadInput, BoundedWebSocket, parse_json
from . import frames
from .attachment_actions import AttachmentActions
from .auth_actions import SESSION_AUTH_FAILED, AuthActions
from .frames import Refused, too_many
from .server import MessagingServer
from .sessions import AttachmentState, Connection, Message, RateWindow, Session
from .sessions import SessionState as State

__all__ = ["SocketApi"]

log = logging.getLogger("cxbus.emulator.web_messaging")

Request = dict[str, Any]
Answer = Awaitable[frames.Frame | None]  # an alias is evaluated: no "|" on Python 3.9
TYPING_OFF = "Turn on the Feature Toggle or fix the configuration."
CLEAR_OFF = "Presence events Conversation Clear are not supported"
DOWNGRADE = "Cannot downgrade an authenticated session to an unauthenticated one"
UNEXPECTED = "Request failed."  # code 5000, as the mobile SDK's tests show it


class SocketApi:
    """The ``/v1`` endpoint of one ``MessagingServer``."""

    def __init__(self, server: MessagingServer) -> None:
        self.server = server
        files = AttachmentActions(server)
        # The actions a socket may send before it has a session.
        self.socket_actions: dict[str, Callable[[Connection, str, Request], Answer]] = {
            "configureSession": self.configure_session,
            "configureAuthenticatedSession": AuthActions(server).configure_authenticated_session,
            "getConfiguration": self.get_configuration,
        }
        self.session_actions: dict[str, Callable[[Connection, Session, Request], Answer]] = {
            "onMessage": self.on_message,
            "echo": self.echo,
            "getJwt": self.get_jwt,
            "closeSession": self.close_session,
            "onAttachment": files.on_attachment,
            "getAttachment": files.get_attachment,
            "deleteAttachment": files.delete_attachment,
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
        wait = server.connection_rate.take(server.clock())
        if wait is not None:
            # Ours: the limits page names the limit, not how a refused upgrade looks.
            return web.Response(
                status=429,
                text="Connection rate too high for this deployment",
                headers={"Retry-After": str(wait)},
            )
        socket = BoundedWebSocket(_refusal)
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
            request = parse_json(text)
        except BadInput:
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
        except Exception:
            # A bug of the emulator's is the real service's 5000, never a dead socket.
            log.exception("The web messaging emulator failed on %s", request.get("action"))
            reply = frames.error_text(5000, UNEXPECTED, tracing_id)
        log.debug("%s -> %s", request.get("action"), reply and (reply["class"], reply["code"]))
        if reply is not None:
            if "tracingId" not in reply and tracing_id is not None:
                reply["tracingId"] = tracing_id
            await self.server.send(connection, reply)

    async def dispatch(self, connection: Connection, request: Request) -> frames.Frame | None:
        action = request.get("action")
        if not isinstance(action, str) or not action:
            raise Refused(4020, "Missing parameter: action")
        if action not in self.socket_actions and action not in self.session_actions:
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
        if action in self.socket_actions:
            return await self.socket_actions[action](connection, token, request)
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
        server.check_deployment(request)
        if server.deployment.auth_required:
            raise Refused(403, SESSION_AUTH_FAILED)
        current = server.current.get(token)
        if current is not None and current.authenticated:
            # The mobile SDK's ErrorCode.CannotDowngradeToUnauthenticated.
            raise Refused(4017, DOWNGRADE)
        server.count_configure(current)
        start_new = request.get("startNew") is True
        if current is not None and not (start_new and current.state is State.READ_ONLY):
            session, new = current, False
        else:
            # The caller moves to the new session; the old one's other sockets are closed.
            session, new = await server.start_anew(connection, token, current), True
        await server.attach(connection, session)
        return frames.session_response(session, server.deployment, server.limits, new_session=new)

    async def get_configuration(
        self, connection: Connection, token: str, request: Request
    ) -> frames.Frame:
        """What the deployment takes (the Java SDK's ``getSupportedContentConfiguration``):
        answered on any socket, with or without a session."""
        self.server.check_deployment(request)
        return frames.get_configuration_response(self.server.deployment, self.server.limits)

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
        # The developer forum's "Web messaging messages per session rate limit change"
        # (Dec 2023): the limit is on the onMessage action, whatever the message.
        wait = session.message_rate.take(self.server.clock())
        if wait is not None:
            raise too_many(wait, "Message rate too high for this session")
        tracing_id = request.get("tracingId")
        tracing_id = tracing_id if isinstance(tracing_id, str) else None
        if kind == "Event":
            return await self._on_event(session, message, attributes, tracing_id)
        if session.state is State.READ_ONLY:
            raise Refused(409, frames.READ_ONLY)
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
            metadata=self._metadata(
                session,
                _strings(metadata, "message.metadata") if metadata is not None else {},
                tracing_id,
            ),
            message_id=str(uuid.uuid4()),
            custom_attributes=attributes,
        )
        session.custom_attributes.update(attributes)
        for entry in content:
            if entry.get("contentType") == "Attachment":
                session.attachments[entry["attachment"]["id"]].state = AttachmentState.SENT
        await self.server.inbound(session, inbound, tracing_id)
        return None

    @staticmethod
    def _metadata(session: Session, sent: dict[str, str], tracing_id: str | None) -> dict[str, str]:
        """The metadata of a guest's message as the server keeps and echoes it: what the
        guest sent, ``correlationId`` (the request's tracingId, as live captures show
        Inbound echoes carrying one), and ``authenticated`` in a signed-in session (the
        mobile SDK's ``Message.authenticated`` reads it)."""
        metadata = {"correlationId": tracing_id or str(uuid.uuid4()), **sent}
        if session.authenticated:
            metadata["authenticated"] = "true"
        return metadata

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
        self,
        session: Session,
        message: Request,
        attributes: dict[str, str],
        tracing_id: str | None,
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
                raise Refused(409, frames.READ_ONLY)
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
            raise Refused(409, frames.READ_ONLY)
        echo = Message(
            "Inbound",
            "Event",
            events=[event],
            metadata=self._metadata(session, {}, tracing_id),
            message_id=str(uuid.uuid4()),
            custom_attributes=attributes,
        )
        if what == "Join":
            # The mobile SDK's AutoStartRequest carries the custom attributes with the Join.
            session.custom_attributes.update(attributes)
            session.auto_started = session.auto_started or not session.started
        await self.server.inbound(session, echo, tracing_id)
        return None


def _refusal(close_code: int) -> str | None:
    """The error frame a guest gets before its socket closes on a bad frame (ours)."""
    if close_code == WSCloseCode.MESSAGE_TOO_BIG:
        text = f"Message length is larger than {FRAME_LIMIT} bytes"
        return json.dumps(frames.error_text(4011, text, None))
    return json.dumps(frames.error_text(400, "Request failed: a text frame must be UTF-8.", None))


def _strings(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise Refused(400, f"{name} must be an object of strings")
    return dict(value)
