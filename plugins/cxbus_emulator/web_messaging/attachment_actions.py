"""The guest's file actions: ``onAttachment``, ``getAttachment``, ``deleteAttachment``.

``onAttachment`` names the file's id (the mobile SDK makes one) or leaves it to the
server (the Java SDK's ``attachment()``; its ``GenerateUploadUrlRequest`` does not
require one): then the server makes a UUID and the answer carries it. An upload
URL is handed out only for a file the deployment takes (type, extension, size,
name); the PUT to it (``rest_api``) makes the file uploaded, a message that carries
it makes it sent, and only an unsent file may be deleted. Runs on the emulator's
loop.
"""

from __future__ import annotations

import fnmatch
import uuid
from typing import Any

from . import frames
from .frames import Refused
from .server import MessagingServer
from .sessions import Attachment, AttachmentState, Connection, Session
from .sessions import SessionState as State
from .settings import UPLOADS

__all__ = ["UPLOAD_HEADERS", "AttachmentActions"]

Request = dict[str, Any]
# The headers a presigned upload URL comes with; the PUT must send them back.
UPLOAD_HEADERS = {"x-amz-tagging": "origin=cxbus-emulator"}


class AttachmentActions:
    """The file actions of one ``MessagingServer``'s guests."""

    def __init__(self, server: MessagingServer) -> None:
        self.server = server

    async def on_attachment(
        self, connection: Connection, session: Session, request: Request
    ) -> frames.Frame:
        attachment_id = request.get("attachmentId", str(uuid.uuid4()))
        if not isinstance(attachment_id, str) or not attachment_id:
            raise Refused(4020, "attachmentId must be a non-empty string when given")
        if session.state is State.READ_ONLY:
            raise Refused(409, frames.READ_ONLY)
        existing = self.server.files.get(attachment_id)
        if existing is not None and existing.session_id != session.id:
            raise Refused(400, "attachmentId is taken: make a new one")
        try:
            name, kind, size = self._file(request)
        except Refused as refusal:
            return frames.generate_url_error(attachment_id, refusal.code, refusal.text, None)
        attachment = Attachment(session.id, name, kind, size, id=attachment_id)
        self.server.keep_file(session, attachment)
        signature = self.server.signer.sign("PUT", attachment.id)
        url = f"{self.server.base_url}{UPLOADS}/{attachment.id}?signature={signature}"
        return frames.presigned_url(attachment, url, dict(UPLOAD_HEADERS), None, describe=False)

    def _file(self, request: Request) -> tuple[str, str, int]:
        """The file's name, type and size, once the deployment takes them; else ``Refused``
        with the code and text of the ``GenerateUrlError`` to answer."""
        deployment, limits = self.server.deployment, self.server.limits
        name, kind, size = request.get("fileName"), request.get("fileType"), request.get("fileSize")
        if not deployment.uploads:
            raise Refused(4000, "File upload is not enabled for this deployment")
        if not isinstance(name, str) or not name.strip():
            raise Refused(4004, "File name is invalid")
        if len(name) > limits.file_name_chars:
            raise Refused(4005, f"File name is longer than {limits.file_name_chars} characters")
        if name.lower().endswith(deployment.blocked_extensions):
            raise Refused(4001, f"File extension of {name} is blocked")
        if not isinstance(kind, str) or not any(
            fnmatch.fnmatchcase(kind, allowed) for allowed in deployment.file_types
        ):
            raise Refused(4001, f"File type {kind} not supported")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise Refused(4020, "Missing parameter: fileSize")
        if size == 0:
            raise Refused(4102, "File is empty")
        if size > deployment.max_file_size_kb * 1024:
            raise Refused(4002, f"File size {size} is larger than {deployment.max_file_size_kb} KB")
        return name, kind, size

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
