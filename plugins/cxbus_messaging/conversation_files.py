"""The conversation's files: the guest's uploads, and the agent's files fetched or downloaded.

Part of ``machine.ConversationMachine`` (kept apart to keep each module to one idea):
it runs inside ``handle``, on the loop thread. An upload goes: the file is read on the
I/O lane (a regular file only), checked against what the session allows (type,
extension, size, name: refused before any upload, with the ``errorKey`` the server
would give), ``onAttachment`` asks for a presigned URL (``uploadApproved``), the bytes
are PUT (``uploading``), and the server says how it went (``fileUploaded`` or
``fileUploadError``). The next message carries every file uploaded.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cxbus.runtime.machine_runner import CallFailed
from cxbus.runtime.regular_files import FileTooLarge

from . import calls, inputs
from .conversation_states import ReadOnly
from .guest_api import (
    AttachmentDeletedResponse,
    Frame,
    GenerateUrlError,
    PresignedUrlResponse,
    UploadFailureEvent,
    UploadSuccessEvent,
    actions,
)
from .payloads import MessageBody
from .record import Asked, GuestFile, UploadState

if TYPE_CHECKING:
    from .machine import ConversationMachine, Pending

__all__ = ["ConversationFiles"]

# The SDK's sentences, word for word.
UPLOADS_OFF = "Sending attachments is disabled in the configuration"
ENDED_UPLOAD = "Conversation session has ended, start a new session to upload a file."
ENDED_DELETE = "Conversation session has ended, start a new session to delete a file."
# Ours: the longest file name taken (the emulator's limit; Genesys gives none).
MAX_NAME = 255


class ConversationFiles:
    """The machine's handling of files (see the module docstring)."""

    def __init__(self, machine: ConversationMachine) -> None:
        self._machine = machine

    def handlers(self) -> dict[type, Callable[[Any], None]]:
        return {
            inputs.RequestUpload: self._request_upload,
            inputs.GetFile: self._get_file,
            inputs.RefreshFiles: self._refresh_files,
            inputs.DownloadFile: self._download_file,
            inputs.DeleteFile: self._delete_file,
        }

    # Uploads ------------------------------------------------------------------------------

    def _request_upload(self, command: inputs.RequestUpload) -> None:
        machine = self._machine
        session, deployment = machine.record.session, machine.deployment
        if deployment is not None and not deployment.uploads_enabled:
            machine.refuse(command.ticket, UPLOADS_OFF)
        elif isinstance(machine.state, ReadOnly) or not machine.has_session:
            machine.refuse(command.ticket, ENDED_UPLOAD)
        elif session is not None and session.allowed_media is None:
            machine.refuse(command.ticket, UPLOADS_OFF)
        else:
            attachment_id = machine.new_id()
            machine.record.files[attachment_id] = GuestFile(attachment_id, command.name)
            limit = machine.settings.max_upload_bytes
            if session is not None and session.allowed_media is not None:
                limit = (session.allowed_media.max_file_size_kb or limit // 1024) * 1024
            machine.call(calls.ReadFile(command.source, command.name, limit), detail=attachment_id)
            machine.answer(command.ticket)

    def _read(self, attachment_id: str, value: tuple[bytes, str]) -> None:
        machine = self._machine
        guest_file = machine.record.files.get(attachment_id)
        if guest_file is None:
            return  # deleted while it was read
        data, mime = value
        refusal = self._refusal(guest_file.name, mime, len(data))
        if refusal is not None:
            self._failed(attachment_id, *refusal)
            return
        guest_file.data = data
        guest_file.state = UploadState.REQUESTED
        token = machine.record.token
        assert token is not None
        request = actions.on_attachment(token, attachment_id, guest_file.name, mime, len(data))
        machine.send(request, Asked("upload", detail=attachment_id))

    def _refusal(self, name: str, mime: str, size: int) -> tuple[int, str] | None:
        """What the server would refuse the file with (code and sentence), if anything."""
        session = self._machine.record.session
        media = session.allowed_media if session is not None else None
        if size == 0:
            return 4102, f"{name} is empty."
        if not name.strip():
            return 4004, "The file has no name."
        if len(name) > MAX_NAME:
            return 4005, f"The file name is longer than {MAX_NAME} characters."
        if session is not None and session.blocks(name):
            return 4001, f"Files such as {name} are blocked by the deployment."
        if media is not None and media.file_types and not media.accepts(mime):
            return 4001, f"File type {mime} not supported."
        if media is not None and media.max_file_size_kb and size > media.max_file_size_kb * 1024:
            return 4002, f"{name} is larger than {media.max_file_size_kb} KB."
        return None

    def _failed(self, attachment_id: str, code: int, sentence: str) -> None:
        """An upload failed here or at the server: ``error``, then ``fileUploadError``."""
        machine = self._machine
        machine.record.files.pop(attachment_id, None)
        machine.error({"code": code, "body": sentence})
        machine.publish(
            "fileUploadError",
            {"attachmentId": attachment_id, "errorCode": code, "errorMessage": sentence},
        )

    def _approved(self, attachment_id: str, frame: Frame) -> None:
        machine = self._machine
        body = frame.body
        guest_file = machine.record.files.get(attachment_id)
        if not isinstance(body, PresignedUrlResponse) or frame.is_error:
            error = body if isinstance(body, GenerateUrlError) else None
            code = (error.error_code if error else None) or frame.code
            machine.error(frame)
            machine.record.files.pop(attachment_id, None)
            machine.publish(
                "fileUploadError",
                {
                    "attachmentId": attachment_id,
                    "errorCode": code,
                    "errorMessage": error.error_message if error else frame.raw.get("body"),
                },
            )
            return
        if guest_file is None:
            return  # deleted meanwhile
        machine.publish(
            "uploadApproved",
            {"attachmentId": attachment_id, "headers": dict(body.headers), "uploadURL": body.url},
        )
        guest_file.state = UploadState.UPLOADING
        machine.publish("uploading", {"attachmentId": attachment_id, "percentage": 0})
        upload = calls.Upload(body.url, dict(body.headers), guest_file.data, guest_file.name)
        machine.call(upload, detail=attachment_id)

    def pushed(self, frame: Frame) -> None:
        """The server's word on an upload: success, failure, or a refused URL."""
        machine = self._machine
        body = frame.body
        if isinstance(body, UploadSuccessEvent):
            guest_file = machine.record.files.get(body.attachment_id)
            if guest_file is None:
                return  # another connection's, or deleted
            guest_file.state, guest_file.data = UploadState.UPLOADED, b""
            machine.publish(
                "fileUploaded",
                {
                    "attachmentId": body.attachment_id,
                    "downloadUrl": body.download_url,
                    "timestamp": body.timestamp,
                },
            )
        elif isinstance(body, UploadFailureEvent):
            machine.record.files.pop(body.attachment_id, None)
            machine.error(frame)
            machine.publish("fileUploadError", frame.raw.get("body"))
        elif isinstance(body, GenerateUrlError) and body.attachment_id is not None:
            self._approved(body.attachment_id, frame)

    # The agent's files --------------------------------------------------------------------

    def _get_file(self, command: inputs.GetFile) -> None:
        self._ask_url(command.attachment_id, "get")
        self._machine.answer(command.ticket)

    def _refresh_files(self, command: inputs.RefreshFiles) -> None:
        for attachment_id in command.attachment_ids:
            self._ask_url(attachment_id, "refresh")
        self._machine.answer(command.ticket)

    def _ask_url(self, attachment_id: str, why: str) -> None:
        machine = self._machine
        token = machine.record.token
        if token is not None and machine.has_session:
            request = actions.get_attachment(token, attachment_id)
            machine.send(request, Asked("file", detail=(attachment_id, why)))

    def _fresh_url(self, asked: Asked, frame: Frame) -> None:
        machine = self._machine
        attachment_id, why = asked.detail
        body = frame.body
        if frame.is_error or not isinstance(body, PresignedUrlResponse):
            machine.error(frame)
            return
        carrier = machine.record.carriers.get(attachment_id)
        updated = [_with_url(carrier, attachment_id, body.url)] if carrier is not None else []
        if carrier is not None:
            machine.record.carriers[attachment_id] = updated[0]
        machine.publish("messagesUpdated", {"updatedMessages": updated})
        if why == "get":
            now = datetime.datetime.fromtimestamp(machine.clock(), datetime.timezone.utc)
            machine.publish(
                "fileReceived",
                {
                    "attachmentId": attachment_id,
                    "downloadUrl": body.url,
                    "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                },
            )

    def _download_file(self, command: inputs.DownloadFile) -> None:
        download = calls.Download(command.url, command.path)
        self._machine.call(download, command.ticket, detail=command)

    def _delete_file(self, command: inputs.DeleteFile) -> None:
        machine = self._machine
        if isinstance(machine.state, ReadOnly) or not machine.has_session:
            machine.refuse(command.ticket, ENDED_DELETE)
            return
        guest_file = machine.record.files.get(command.attachment_id)
        if guest_file is not None and guest_file.state is not UploadState.UPLOADED:
            machine.publish("fileUploadCancelled", {"attachmentId": command.attachment_id})
        if guest_file is not None and guest_file.state is UploadState.READING:
            machine.record.files.pop(command.attachment_id)  # the server has not heard of it
            machine.publish("fileDeleted", {"attachmentId": command.attachment_id})
            machine.answer(command.ticket)
            return
        token = machine.record.token
        assert token is not None
        request = actions.delete_attachment(token, command.attachment_id)
        machine.send(request, Asked("delete", command.ticket, command.attachment_id))

    def _deleted(self, asked: Asked, frame: Frame) -> None:
        machine = self._machine
        if frame.is_error or not isinstance(frame.body, AttachmentDeletedResponse):
            machine.error(frame)
            if asked.ticket is not None:
                body = frame.raw.get("body")
                machine.refuse(asked.ticket, body if isinstance(body, str) else str(body))
            return
        machine.record.files.pop(asked.detail, None)
        machine.publish("fileDeleted", {"attachmentId": asked.detail})
        if asked.ticket is not None:
            machine.answer(asked.ticket)

    # Outcomes ------------------------------------------------------------------------------

    def answered(self, asked: Asked, frame: Frame) -> None:
        if asked.kind == "upload":
            self._approved(asked.detail, frame)
        elif asked.kind == "file":
            self._fresh_url(asked, frame)
        elif asked.kind == "delete":
            self._deleted(asked, frame)

    def call_succeeded(self, pending: Pending, value: Any) -> None:
        machine = self._machine
        action = pending.action
        if isinstance(action, calls.ReadFile):
            self._read(pending.detail, value)
        elif isinstance(action, calls.Upload):
            if pending.detail in machine.record.files:
                machine.publish("uploading", {"attachmentId": pending.detail, "percentage": 100})
        elif isinstance(action, calls.Download):
            command: inputs.DownloadFile = pending.detail
            downloaded = {"downloadUrl": command.url, "name": command.name}
            if command.path is not None:
                downloaded["path"] = str(command.path)
            machine.publish("fileDownloaded", downloaded)
            if pending.ticket is not None:
                machine.answer(pending.ticket, value)

    def call_failed(self, pending: Pending, outcome: CallFailed) -> None:
        machine = self._machine
        action = pending.action
        sentence = str(outcome.reason)
        if isinstance(action, calls.ReadFile):
            code = 4002 if isinstance(outcome.reason, FileTooLarge) else 0
            self._failed(pending.detail, code, sentence)
        elif isinstance(action, calls.Upload):
            self._failed(pending.detail, outcome.status or 0, sentence)
        elif isinstance(action, calls.Download):
            command: inputs.DownloadFile = pending.detail
            machine.publish(
                "fileDownloadError",
                {"downloadUrl": command.url, "name": command.name, "error": sentence},
            )
            if pending.ticket is not None:
                machine.refuse(pending.ticket, sentence)


def _with_url(carrier: MessageBody, attachment_id: str, url: str) -> MessageBody:
    """A copy of the message ``carrier`` with the attachment's URL replaced."""
    content: list[dict[str, Any]] = []
    for entry in carrier.get("content") or []:
        attachment = entry.get("attachment") if isinstance(entry, dict) else None
        if isinstance(attachment, dict) and attachment.get("id") == attachment_id:
            entry = {**entry, "attachment": {**attachment, "url": url}}
        content.append(entry)
    return {**carrier, "content": content}
