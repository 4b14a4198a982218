"""File transfer in a GMS chat: limits, multipart upload, download and delete.

Limits are Chat Server's ``client-file-transfer`` options (``FileLimits``), read
back as the ``file-client-cfg-get`` Notice with string values. An upload is
checked in this order (ours): type (code 203, no advice), count (201, advice the
most files), the file's size against ``upload-max-file-size`` and then the chat's
total against ``upload-max-total-size`` (202, advice the byte limit that was
passed: Genesys's pages name only the total, so a client must read the advice,
not assume which limit it is).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Protocol

from aiohttp import web
from multidict import MultiDictProxy

from .chats import Chat, FileLimits, Reply, StoredFile, error_body, utc_ms

__all__ = ["ChatDesk", "FileDesk"]

Form = MultiDictProxy[Any]


class ChatDesk(Protocol):
    """What the file desk needs of its GMS server (a ``GmsServer``)."""

    async def form(self, request: web.Request) -> Form:
        """The request's form, read within the server's bounds."""

    def chat_of(self, request: web.Request, form: Form) -> Chat:
        """The chat of the request's path, its client proven by the form."""

    def envelope(self, chat: Chat) -> dict[str, Any]:
        """The chat's reply to its client."""

    def client_says(self, chat: Chat, kind: str, **fields: Any) -> None:
        """Add an event of the client's to the chat's transcript."""


class FileDesk:
    """The file side of the chat service; ``limits`` may be changed between calls."""

    def __init__(self, server: ChatDesk, limits: FileLimits) -> None:
        self.server = server
        self.limits = limits

    def limits_notice(self, chat: Chat) -> dict[str, Any]:
        """The ``file-client-cfg-get`` Notice: the limits and what the chat has used."""
        limits = self.limits
        values = {
            "upload-max-files": limits.upload_max_files,
            "upload-max-file-size": limits.upload_max_file_size,
            "upload-max-total-size": limits.upload_max_total_size,
            "upload-need-agent": "true" if limits.upload_need_agent else "false",
            "upload-file-types": ":".join(limits.upload_file_types),
            "download-attempts": limits.download_attempts,
            "delete-file": limits.delete_file,
            "used-upload-max-files": chat.used_upload_files,
            "used-upload-max-total-size": chat.used_upload_bytes,
            "used-download-attempts": chat.used_download_attempts,
        }
        # Not in the transcript, so no index (as in the captured reply).
        return {
            "from": chat.client.to_json(),
            "text": "file-client-cfg-get",
            "type": "Notice",
            "utcTime": utc_ms(),
            "userData": {key: str(value) for key, value in values.items()},
        }

    async def limits_reply(self, request: web.Request) -> web.Response:
        chat = self.server.chat_of(request, await self.server.form(request))
        body = self.server.envelope(chat)
        body["messages"] = [self.limits_notice(chat)]
        return web.json_response(body)

    def upload(self, chat: Chat, form: Form) -> Mapping[str, Any]:
        """The ``file`` operation: check the part against the limits and keep it."""
        part = form.get("file")
        if not isinstance(part, web.FileField):
            raise self._refuse(chat, advice="The multipart field file is required.")
        limits = self.limits
        if limits.upload_need_agent and chat.agent is None:
            raise self._refuse(chat, advice="Files can be sent once an agent has joined.")
        extension = part.filename.rsplit(".", 1)[-1].lower() if "." in part.filename else ""
        if extension not in limits.upload_file_types:
            raise self._refuse(chat, 203)
        if chat.used_upload_files >= limits.upload_max_files:
            raise self._refuse(chat, 201, str(limits.upload_max_files))
        content = part.file.read()
        if len(content) > limits.upload_max_file_size:
            raise self._refuse(chat, 202, str(limits.upload_max_file_size))
        if chat.used_upload_bytes + len(content) > limits.upload_max_total_size:
            raise self._refuse(chat, 202, str(limits.upload_max_total_size))
        description = form.get("userData[file-description]")
        stored = StoredFile(
            secrets.token_hex(8),
            part.filename,
            part.content_type,
            content,
            description if isinstance(description, str) else None,
        )
        chat.files[stored.id] = stored
        chat.used_upload_files += 1
        chat.used_upload_bytes += len(content)
        details = {
            "file-id": stored.id,
            "file-name": stored.name,
            "file-size": str(len(content)),
            "file-type": stored.content_type,
        }
        if stored.description is not None:
            details["file-description"] = stored.description
        self.server.client_says(chat, "FileUploaded", user_data=details)
        return {"userData": {"file-id": stored.id}}

    def _stored(self, chat: Chat, request: web.Request) -> StoredFile:
        file_id = request.match_info["file_id"]
        stored = chat.files.get(file_id)
        if stored is None or stored.deleted:
            raise self._refuse(chat, advice=f"There is no file {file_id} in this chat.")
        return stored

    async def download(self, request: web.Request) -> web.Response:
        """The file's bytes; each download spends one of ``download-attempts``."""
        chat = self.server.chat_of(request, await self.server.form(request))
        stored = self._stored(chat, request)
        if chat.used_download_attempts >= self.limits.download_attempts:
            raise self._refuse(chat, advice=str(self.limits.download_attempts))
        chat.used_download_attempts += 1
        return web.Response(
            body=stored.content,
            content_type=stored.content_type,
            headers={"Content-Disposition": f'attachment; filename="{stored.name}"'},
        )

    async def delete(self, request: web.Request) -> web.Response:
        """Delete a file: a ``FileDeleted`` event; nothing spent is given back (ours)."""
        chat = self.server.chat_of(request, await self.server.form(request))
        if chat.ended:
            return web.json_response(chat.envelope(status_code=2))
        stored = self._stored(chat, request)
        stored.deleted = True
        self.server.client_says(chat, "FileDeleted", user_data={"file-id": stored.id})
        return web.json_response(self.server.envelope(chat))

    @staticmethod
    def _refuse(chat: Chat, code: int | None = None, advice: str | None = None) -> Reply:
        return Reply(400, error_body(chat, code, advice))
