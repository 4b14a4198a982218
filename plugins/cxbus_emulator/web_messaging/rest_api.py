"""The Web Messaging REST side: history, the deployment's config.json, and the file store.

- ``GET /api/v2/webmessaging/messages?pageNumber=&pageSize=`` with ``Authorization:
  bearer <jwt from getJwt>``: the session's messages, newest first.
- ``GET /webdeployments/v1/deployments/<id>/config.json``: public, no token.
- ``PUT /emulator/messaging/uploads/<attachmentId>?signature=`` and
  ``GET /emulator/messaging/downloads/<attachmentId>?expires=&signature=``: the
  presigned URLs ``onAttachment`` and ``getAttachment`` hand out (Genesys serves
  them from its file store; these answer plain text errors, as a store does).

The REST fault switches act on all four, and on the token endpoints of ``token_api``.
Runs on the emulator's loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..cloud import error_body, int_query
from . import frames
from .attachment_actions import UPLOAD_HEADERS
from .server import MessagingServer
from .sessions import Attachment, AttachmentState
from .settings import DOWNLOADS, UPLOADS, config_json
from .tokens import TokenError

__all__ = ["API", "CONFIG", "TOKEN", "RestApi", "RestError"]

API = "/api/v2/webmessaging"
CONFIG = "/webdeployments/v1/deployments"
TOKEN = "/api/v2/webdeployments/token"
FAULTABLE = (API, CONFIG, TOKEN, UPLOADS, DOWNLOADS)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RestError(Exception):
    """Answer with ``status`` and an ErrorBody (or, for the file store, plain text)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: int | None = None,
        plain: bool = False,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.retry_after, self.plain = retry_after, plain

    def response(self) -> web.Response:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else {}
        if self.plain:
            return web.Response(status=self.status, text=self.message, headers=headers)
        body = error_body(self.status, self.code, self.message)
        return web.json_response(body, status=self.status, headers=headers)


class RestApi:
    """The REST endpoints of one ``MessagingServer``, and its middleware."""

    def __init__(self, server: MessagingServer) -> None:
        self.server = server

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(f"{API}/messages", self.history)
        app.router.add_get(f"{CONFIG}/{{deployment_id}}/config.json", self.config)
        app.router.add_put(f"{UPLOADS}/{{attachment_id}}", self.upload)
        app.router.add_get(f"{DOWNLOADS}/{{attachment_id}}", self.download)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """REST fault switches on this API's paths; RestErrors become answers."""
        if request.path.startswith(FAULTABLE):
            fault = self.server.faults.rest.take(request.path)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status is not None:
                    return RestError(
                        fault.status,
                        "emulator.fault",
                        "Injected by the emulator.",
                        retry_after=fault.retry_after,
                    ).response()
        try:
            return await handler(request)
        except RestError as error:
            return error.response()

    async def history(self, request: web.Request) -> web.Response:
        server = self.server
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise RestError(401, "authentication.required", "No Authorization: bearer header.")
        try:
            session = server.sessions[server.signer.session_of(token)]
        except (TokenError, KeyError):
            raise RestError(401, "bad.credentials", "The token is not valid.") from None
        allowed = server.deployment.allowed_origins
        if allowed and request.headers.get("Origin") not in allowed:
            raise RestError(403, "not.authorized", "Requests from this origin are not allowed.")
        if not session.open:
            raise RestError(404, "not.found", "The session has ended.")
        wait = session.history_rate.take(self.server.clock())
        if wait is not None:
            raise RestError(
                429,
                "too.many.requests",
                "History rate too high for this session.",
                retry_after=wait,
            )
        size = _int_query(request, "pageSize", 25, 1, 100)
        number = _int_query(request, "pageNumber", 1, 1, 10_000)
        newest_first = session.messages[::-1]
        page = newest_first[(number - 1) * size : number * size]
        return web.json_response(
            {
                "entities": [message.history_entity() for message in page],
                "pageSize": size,
                "pageNumber": number,
                "total": len(newest_first),
                "pageCount": -(-len(newest_first) // size),
            }
        )

    async def config(self, request: web.Request) -> web.Response:
        server = self.server
        if request.match_info["deployment_id"] != server.deployment_id:
            raise RestError(404, "not.found", "No such deployment.")
        return web.json_response(
            config_json(server.deployment, server.deployment_id, server.base_url)
        )

    def _file(self, request: web.Request, *signed: str) -> Attachment:
        attachment = self.server.files.get(request.match_info["attachment_id"])
        signature = request.query.get("signature", "")
        if attachment is None or not self.server.signer.verify(
            signature, request.method, request.match_info["attachment_id"], *signed
        ):
            raise RestError(403, "", "SignatureDoesNotMatch", plain=True)
        return attachment

    async def upload(self, request: web.Request) -> web.Response:
        """The guest's PUT to the presigned URL; the service then tells its sockets."""
        attachment = self._file(request)
        if attachment.state not in (AttachmentState.REQUESTED, AttachmentState.FAILED):
            raise RestError(403, "", "AccessDenied", plain=True)
        for name, value in UPLOAD_HEADERS.items():
            if request.headers.get(name) != value:
                raise RestError(403, "", f"The {name} header must be sent as given.", plain=True)
        data = await request.read()
        session = self.server.sessions[attachment.session_id]
        if len(data) != attachment.file_size:
            attachment.state = AttachmentState.FAILED
            message = f"The file has {len(data)} bytes, not the {attachment.file_size} declared"
            event = frames.upload_failure(attachment.id, 4003, message, time.time())
        else:
            attachment.state, attachment.data = AttachmentState.UPLOADED, data
            url = self.server.download_url(attachment)
            event = frames.upload_success(attachment.id, url, time.time())
        await self.server.push(session, event)
        return web.Response(status=200)

    async def download(self, request: web.Request) -> web.Response:
        expires = request.query.get("expires", "")
        attachment = self._file(request, expires)
        if not expires.isdigit() or int(expires) < time.time():
            raise RestError(403, "", "Request has expired", plain=True)
        if attachment.state not in (AttachmentState.UPLOADED, AttachmentState.SENT):
            raise RestError(404, "", "NoSuchKey", plain=True)
        return web.Response(
            body=attachment.data,
            content_type=attachment.file_type,
            headers={"Content-Disposition": f'attachment; filename="{attachment.file_name}"'},
        )


def _int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    try:
        return int_query(request.query.get(name), default, low, high)
    except ValueError as error:
        raise RestError(400, "bad.request", f"{name} {error}.") from None
