"""The conversation's files: the guest's uploads, and the agent's files fetched or downloaded.

An upload goes: the file is read on the I/O lane (a regular file only), checked against
what the session allows (type, extension, size, name: refused before any upload, with
the ``errorKey`` the server would give), ``onAttachment`` asks for a presigned URL
(``uploadApproved``), the bytes are PUT (``uploading``), and the server says how it
went (``fileUploaded`` or ``fileUploadError``). The next message carries every file
uploaded.

``GuestFiles`` keeps one session's files. It never calls the machine: each method
returns its steps, the effects to carry out and the calls (``Do``) and requests
(``Ask``) for the machine to make, in order.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from cxbus.runtime.machine_runner import Answer, CallFailed, CallSucceeded, Effect, Publish, Refuse
from cxbus.runtime.regular_files import FileTooLarge

from . import calls
from .error_event import error_data
from .guest_api import (
    AttachmentDeletedResponse,
    Frame,
    GenerateUrlError,
    PresignedUrlResponse,
    SessionResponse,
    UploadFailureEvent,
    UploadSuccessEvent,
    actions,
)
from .inputs import (
    AttachmentDelete,
    DeleteFile,
    DownloadFile,
    FileUrl,
    PutUpload,
    ReadUpload,
    RequestUpload,
    SaveDownload,
    UploadUrl,
)
from .payloads import MessageBody
from .sentences import ENDED_UPLOAD, UPLOADS_OFF

__all__ = [
    "GuestFile",
    "GuestFiles",
    "Step",
    "UploadState",
    "ask_url",
    "download",
    "downloaded",
    "refusal",
]

Step = Effect | calls.Do | calls.Ask
# Ours: the longest file name taken (the emulator's limit; Genesys gives none).
MAX_NAME = 255


class UploadState(enum.Enum):
    READING = "reading"  # the file is being read
    REQUESTED = "requested"  # onAttachment sent
    UPLOADING = "uploading"  # the PUT to the presigned URL is under way
    UPLOADED = "uploaded"  # the server said so: the next message carries it


@attrs.define
class GuestFile:
    """A file the guest uploads, until a message carries it (or it is deleted)."""

    attachment_id: str
    name: str
    state: UploadState = UploadState.READING
    data: bytes = attrs.field(default=b"", repr=False)


def refusal(
    name: str, mime: str, size: int, session: SessionResponse | None
) -> tuple[int, str] | None:
    """What the server would refuse the file with (code and sentence), if anything."""
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


def _error(frame: Frame | dict[str, Any]) -> Publish:
    return Publish("error", {"error": error_data(frame)})


class GuestFiles:
    """The files of one session: the guest's uploads no message carries yet (in the
    order they were asked for), and the messages that carry the agent's files."""

    def __init__(self) -> None:
        self.uploads: dict[str, GuestFile] = {}
        self.carriers: dict[str, MessageBody] = {}
        """Attachment id -> the body of the message that carries it (for getFile)."""

    def uploaded(self) -> list[str]:
        """The attachment ids the next message carries."""
        return [f.attachment_id for f in self.uploads.values() if f.state is UploadState.UPLOADED]

    def carried(self, attachment_ids: Iterable[str]) -> None:
        """A message of the guest's carries these: no other message may."""
        for attachment_id in attachment_ids:
            self.uploads.pop(attachment_id)

    def arrived(self, attachment_id: str, carrier: MessageBody) -> None:
        """The message ``carrier`` came with the file ``attachment_id``."""
        self.carriers[attachment_id] = carrier
        self.uploads.pop(attachment_id, None)

    # Uploads ------------------------------------------------------------------------------

    def request(
        self,
        command: RequestUpload,
        uploads_enabled: bool,
        ended: bool,
        session: SessionResponse | None,
        max_bytes: int,
        new_id: Callable[[], str],
    ) -> list[Step]:
        """``requestUpload``: the file is read first. ``ended``: no conversation, or a
        read-only one; ``max_bytes``: the limit when the session names none."""
        if not uploads_enabled:
            return [Refuse(command.ticket, UPLOADS_OFF)]
        if ended:
            return [Refuse(command.ticket, ENDED_UPLOAD)]
        if session is not None and session.allowed_media is None:
            return [Refuse(command.ticket, UPLOADS_OFF)]
        attachment_id = new_id()
        self.uploads[attachment_id] = GuestFile(attachment_id, command.name)
        limit = max_bytes
        if session is not None and session.allowed_media is not None:
            limit = (session.allowed_media.max_file_size_kb or limit // 1024) * 1024
        read = calls.ReadFile(command.source, command.name, limit)
        return [calls.Do(read, ReadUpload(attachment_id)), Answer(command.ticket)]

    def read(
        self,
        purpose: ReadUpload,
        outcome: CallSucceeded | CallFailed,
        token: str | None,
        session: SessionResponse | None,
    ) -> list[Step]:
        """The file was read (bytes and MIME type), or could not be: checked, then
        ``onAttachment`` asks for the URL to upload it to."""
        attachment_id = purpose.attachment_id
        if isinstance(outcome, CallFailed):
            code = 4002 if isinstance(outcome.reason, FileTooLarge) else 0
            return self._failed(attachment_id, code, str(outcome.reason))
        guest_file = self.uploads.get(attachment_id)
        if guest_file is None:
            return []  # deleted while it was read
        data, mime = outcome.value
        refused = refusal(guest_file.name, mime, len(data), session)
        if refused is not None:
            return self._failed(attachment_id, *refused)
        guest_file.data = data
        guest_file.state = UploadState.REQUESTED
        assert token is not None, "a conversation under way has a token"
        request = actions.on_attachment(token, attachment_id, guest_file.name, mime, len(data))
        return [calls.Ask(request, UploadUrl(attachment_id))]

    def approved(self, attachment_id: str, frame: Frame) -> list[Step]:
        """``onAttachment``'s answer: the URL to PUT the bytes to, or a refusal."""
        body = frame.body
        guest_file = self.uploads.get(attachment_id)
        if not isinstance(body, PresignedUrlResponse) or frame.is_error:
            error = body if isinstance(body, GenerateUrlError) else None
            code = (error.error_code if error else None) or frame.code
            self.uploads.pop(attachment_id, None)
            failed = {
                "attachmentId": attachment_id,
                "errorCode": code,
                "errorMessage": error.error_message if error else frame.raw.get("body"),
            }
            return [_error(frame), Publish("fileUploadError", failed)]
        if guest_file is None:
            return []  # deleted meanwhile
        approved = {
            "attachmentId": attachment_id,
            "headers": dict(body.headers),
            "uploadURL": body.url,
        }
        guest_file.state = UploadState.UPLOADING
        upload = calls.Upload(body.url, dict(body.headers), guest_file.data, guest_file.name)
        return [
            Publish("uploadApproved", approved),
            Publish("uploading", {"attachmentId": attachment_id, "percentage": 0}),
            calls.Do(upload, PutUpload(attachment_id)),
        ]

    def put(self, purpose: PutUpload, outcome: CallSucceeded | CallFailed) -> list[Step]:
        """The bytes were PUT (the server says later whether it took them), or not."""
        attachment_id = purpose.attachment_id
        if isinstance(outcome, CallFailed):
            return self._failed(attachment_id, outcome.status or 0, str(outcome.reason))
        if attachment_id not in self.uploads:
            return []
        return [Publish("uploading", {"attachmentId": attachment_id, "percentage": 100})]

    def reported(self, frame: Frame) -> list[Step]:
        """The server's word on an upload: success, failure, or a refused URL."""
        body = frame.body
        if isinstance(body, UploadSuccessEvent):
            guest_file = self.uploads.get(body.attachment_id)
            if guest_file is None:
                return []  # another connection's, or deleted
            guest_file.state, guest_file.data = UploadState.UPLOADED, b""
            uploaded = {
                "attachmentId": body.attachment_id,
                "downloadUrl": body.download_url,
                "timestamp": body.timestamp,
            }
            return [Publish("fileUploaded", uploaded)]
        if isinstance(body, UploadFailureEvent):
            self.uploads.pop(body.attachment_id, None)
            return [_error(frame), Publish("fileUploadError", frame.raw.get("body"))]
        if isinstance(body, GenerateUrlError) and body.attachment_id is not None:
            return self.approved(body.attachment_id, frame)
        return []

    def _failed(self, attachment_id: str, code: int, sentence: str) -> list[Step]:
        """An upload failed here or at the server: ``error``, then ``fileUploadError``."""
        self.uploads.pop(attachment_id, None)
        failed = {"attachmentId": attachment_id, "errorCode": code, "errorMessage": sentence}
        return [_error({"code": code, "body": sentence}), Publish("fileUploadError", failed)]

    # Deleting -------------------------------------------------------------------------------

    def delete(self, command: DeleteFile, token: str | None) -> list[Step]:
        """``deleteFile``: one being read is forgotten here; the server deletes the others."""
        steps: list[Step] = []
        attachment_id = command.attachment_id
        guest_file = self.uploads.get(attachment_id)
        if guest_file is not None and guest_file.state is not UploadState.UPLOADED:
            steps.append(Publish("fileUploadCancelled", {"attachmentId": attachment_id}))
        if guest_file is not None and guest_file.state is UploadState.READING:
            self.uploads.pop(attachment_id)  # the server has not heard of it
            steps += [
                Publish("fileDeleted", {"attachmentId": attachment_id}),
                Answer(command.ticket),
            ]
            return steps
        assert token is not None, "a conversation under way has a token"
        request = actions.delete_attachment(token, attachment_id)
        return [*steps, calls.Ask(request, AttachmentDelete(command.ticket, attachment_id))]

    def deleted(self, purpose: AttachmentDelete, frame: Frame) -> list[Step]:
        """``deleteAttachment``'s answer."""
        if frame.is_error or not isinstance(frame.body, AttachmentDeletedResponse):
            body = frame.raw.get("body")
            return [
                _error(frame),
                Refuse(purpose.ticket, body if isinstance(body, str) else str(body)),
            ]
        self.uploads.pop(purpose.attachment_id, None)
        return [
            Publish("fileDeleted", {"attachmentId": purpose.attachment_id}),
            Answer(purpose.ticket),
        ]

    # The agent's files -----------------------------------------------------------------------

    def fresh_url(self, purpose: FileUrl, frame: Frame, now: float) -> list[Step]:
        """``getAttachment``'s answer: the message that carries the file, with its new URL."""
        attachment_id = purpose.attachment_id
        body = frame.body
        if frame.is_error or not isinstance(body, PresignedUrlResponse):
            return [_error(frame)]
        carrier = self.carriers.get(attachment_id)
        updated = [_with_url(carrier, attachment_id, body.url)] if carrier is not None else []
        if carrier is not None:
            self.carriers[attachment_id] = updated[0]
        steps: list[Step] = [Publish("messagesUpdated", {"updatedMessages": updated})]
        if purpose.received:
            at = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
            received = {
                "attachmentId": attachment_id,
                "downloadUrl": body.url,
                "timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            }
            steps.append(Publish("fileReceived", received))
        return steps


def ask_url(token: str, attachment_id: str, received: bool) -> calls.Ask:
    """``getFile`` (``received``) or ``refreshFiles``: a fresh URL of the file."""
    return calls.Ask(actions.get_attachment(token, attachment_id), FileUrl(attachment_id, received))


def download(command: DownloadFile) -> calls.Do:
    """``downloadFile``: the bytes, or a file written."""
    return calls.Do(calls.Download(command.url, command.path), SaveDownload(command))


def downloaded(purpose: SaveDownload, outcome: CallSucceeded | CallFailed) -> list[Step]:
    command = purpose.command
    if isinstance(outcome, CallFailed):
        sentence = str(outcome.reason)
        failed = {"downloadUrl": command.url, "name": command.name, "error": sentence}
        return [Publish("fileDownloadError", failed), Refuse(command.ticket, sentence)]
    downloaded = {"downloadUrl": command.url, "name": command.name}
    if command.path is not None:
        downloaded["path"] = str(command.path)
    return [Publish("fileDownloaded", downloaded), Answer(command.ticket, outcome.value)]


def _with_url(carrier: MessageBody, attachment_id: str, url: str) -> MessageBody:
    """A copy of the message ``carrier`` with the attachment's URL replaced."""
    content: list[dict[str, Any]] = []
    for entry in carrier.get("content") or []:
        attachment = entry.get("attachment") if isinstance(entry, dict) else None
        if isinstance(attachment, dict) and attachment.get("id") == attachment_id:
            entry = {**entry, "attachment": {**attachment, "url": url}}
        content.append(entry)
    return {**carrier, "content": content}
