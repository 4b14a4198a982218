"""The emulator's own file flow (Genesys's guest API has none): upload and download.

``POST /emulator/uploads/{conversationId}`` (Bearer JWT, the file's bytes with its
``Content-Type`` and an ``X-File-Name`` header) keeps the file with the chat;
``GET /emulator/uploads/{conversationId}/{uploadId}`` gives the bytes back. Uploads
are not media requests: those are Genesys's co-browse and screen-share offers.
"""

from __future__ import annotations

from aiohttp import web

from .conversations import Upload
from .errors import ApiError, not_found
from .paths import UPLOADS
from .rest import authorize
from .server import ChatServer

__all__ = ["UPLOAD_TYPES", "Uploads"]

UPLOAD_TYPES = ("image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain")


class Uploads:
    """The upload handlers: a type allow-list, a size limit and a count limit per chat."""

    def __init__(self, server: ChatServer) -> None:
        self.server = server

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(f"{UPLOADS}/{{cid}}", self.upload)
        app.router.add_get(f"{UPLOADS}/{{cid}}/{{uid}}", self.download)

    async def upload(self, request: web.Request) -> web.Response:
        conversation, _ = authorize(self.server, request)
        settings = self.server.settings
        content_type = request.content_type
        if content_type not in UPLOAD_TYPES:
            raise ApiError(
                415, "file.type.not.allowed", f"Files of type {content_type} are not allowed."
            )
        if len(conversation.uploads) >= settings.max_uploads:
            raise ApiError(
                403, "file.upload.limit", f"A chat may upload up to {settings.max_uploads} files."
            )
        content = await request.read()
        if len(content) > settings.max_upload_bytes:
            raise ApiError(
                413, "file.too.large", f"Files may be up to {settings.max_upload_bytes} bytes."
            )
        upload = Upload(request.headers.get("X-File-Name", "file"), content_type, content)
        conversation.uploads[upload.id] = upload
        return web.json_response(upload.to_json(UPLOADS, conversation.id), status=201)

    async def download(self, request: web.Request) -> web.Response:
        conversation, _ = authorize(self.server, request)
        upload = conversation.uploads.get(request.match_info["uid"])
        if upload is None:
            raise not_found("No such upload.")
        return web.Response(body=upload.content, content_type=upload.content_type)
