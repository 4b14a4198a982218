"""The frames the emulator sends a guest, in the shapes of the official SDK's tests.

The shapes are those of ``Response.kt`` in the tests of
``MyPureCloud/genesys-messenger-transport-mobile-sdk``.

Every frame is ``{"type", "class", "code", "body"}`` plus ``tracingId`` when it
answers (or echoes) a request that had one. ``type`` is ``"response"`` for an
answer and ``"message"`` for what the server pushes, except where captures show
otherwise (an ``AttachmentDeletedResponse`` and a ``GenerateUrlError`` come as
``"message"``).
"""

from __future__ import annotations

from typing import Any

from ..cloud import iso_time
from .sessions import Attachment, Session, SessionState
from .settings import Deployment, Limits

__all__ = [
    "READ_ONLY",
    "Refused",
    "attachment_deleted",
    "connection_closed",
    "error_text",
    "frame",
    "generate_url_error",
    "get_configuration_response",
    "jwt_response",
    "presigned_url",
    "session_response",
    "structured_message",
    "too_many",
    "too_many_requests",
    "upload_failure",
    "upload_success",
]

Frame = dict[str, Any]
READ_ONLY = "Session is read-only, no new messages allowed"


def frame(
    kind: str, frame_class: str, body: Any, code: int = 200, tracing_id: str | None = None
) -> Frame:
    """One frame; ``kind`` is ``"response"`` or ``"message"``."""
    result: Frame = {"type": kind, "class": frame_class, "code": code, "body": body}
    if tracing_id is not None:
        result["tracingId"] = tracing_id
    return result


def error_text(code: int, text: str, tracing_id: str | None) -> Frame:
    """An error answer: class ``string``, the body a sentence."""
    return frame("response", "string", text, code, tracing_id)


def too_many_requests(
    retry_after: int, message: str, tracing_id: str | None, error_code: int = 4029
) -> Frame:
    body = {"retryAfter": retry_after, "errorCode": error_code, "errorMessage": message}
    return frame("response", "TooManyRequestsErrorMessage", body, 429, tracing_id)


def _allowed_media(deployment: Deployment) -> dict[str, Any]:
    """``allowedMedia``: the files a guest may send, none when uploads are off."""
    if not deployment.uploads:
        return {}
    return {
        "inbound": {
            "fileTypes": [{"type": kind} for kind in deployment.file_types],
            "maxFileSizeKB": deployment.max_file_size_kb,
        }
    }


def session_response(
    session: Session,
    deployment: Deployment,
    limits: Limits,
    *,
    new_session: bool,
    connected: bool = True,
    cleared_existing_session: bool = False,
    tracing_id: str | None = None,
) -> Frame:
    """The answer to ``configureSession`` and ``configureAuthenticatedSession`` (and, with
    ``connected`` off, to ``closeSession``): the fields of the Java SDK's
    ``SessionResponse`` model, and ``authenticated`` (ours)."""
    body = {
        "connected": connected,
        "newSession": new_session,
        "readOnly": session.state is SessionState.READ_ONLY,
        "maxCustomDataBytes": limits.custom_attributes_bytes,
        "allowedMedia": _allowed_media(deployment),
        "blockedExtensions": list(deployment.blocked_extensions),
        "clearedExistingSession": cleared_existing_session,
        "durationSeconds": deployment.session_duration_seconds,
        "expirationDate": int(session.expires_at),
        "autoStarted": session.auto_started,
        "authenticated": session.authenticated,
    }
    return frame("response", "SessionResponse", body, tracing_id=tracing_id)


def get_configuration_response(deployment: Deployment, limits: Limits) -> Frame:
    """The answer to ``getConfiguration``: the Java SDK's ``GetConfigurationResponse``,
    whose model requires ``allowedMedia.inbound`` (empty when uploads are off)."""
    body = {
        "allowedMedia": _allowed_media(deployment)
        or {"inbound": {"fileTypes": [], "maxFileSizeKB": 0}},
        "blockedExtensions": list(deployment.blocked_extensions),
        "maxCustomDataBytes": limits.custom_attributes_bytes,
        "messageRoutingEnabled": True,
        "sessionDurationSeconds": deployment.session_duration_seconds,
    }
    return frame("response", "GetConfigurationResponse", body)


def structured_message(
    body: dict[str, Any], tracing_id: str | None = None, kind: str = "message"
) -> Frame:
    return frame(kind, "StructuredMessage", body, tracing_id=tracing_id)


def jwt_response(token: str, expires: int, tracing_id: str | None) -> Frame:
    return frame("response", "JwtResponse", {"jwt": token, "exp": expires}, tracing_id=tracing_id)


def presigned_url(
    attachment: Attachment,
    url: str,
    headers: dict[str, str],
    tracing_id: str | None,
    *,
    describe: bool,
) -> Frame:
    """An upload URL (``describe`` off) or a fresh download URL with the file's facts."""
    body: dict[str, Any] = {"attachmentId": attachment.id, "headers": headers, "url": url}
    if describe:
        body.update(
            fileName=attachment.file_name,
            fileSize=attachment.file_size,
            fileType=attachment.file_type,
        )
    return frame("response", "PresignedUrlResponse", body, tracing_id=tracing_id)


def generate_url_error(
    attachment_id: str, error_code: int, message: str, tracing_id: str | None
) -> Frame:
    body = {"attachmentId": attachment_id, "errorCode": error_code, "errorMessage": message}
    return frame("message", "GenerateUrlError", body, tracing_id=tracing_id)


def upload_success(attachment_id: str, download_url: str, seconds: float) -> Frame:
    body = {
        "attachmentId": attachment_id,
        "downloadUrl": download_url,
        "timestamp": iso_time(seconds),
    }
    return frame("message", "UploadSuccessEvent", body)


def upload_failure(attachment_id: str, error_code: int, message: str, seconds: float) -> Frame:
    body = {
        "attachmentId": attachment_id,
        "errorCode": error_code,
        "errorMessage": message,
        "timestamp": iso_time(seconds),
    }
    return frame("message", "UploadFailureEvent", body)


def attachment_deleted(attachment_id: str, tracing_id: str | None) -> Frame:
    body = {"attachmentId": attachment_id}
    return frame("message", "AttachmentDeletedResponse", body, tracing_id=tracing_id)


def connection_closed(reason: str | None) -> Frame:
    """Pushed before the server closes a socket; no reason means the session limit."""
    return frame("message", "ConnectionClosedEvent", {"reason": reason} if reason else {})


class Refused(Exception):
    """Answer the request with an error frame instead: ``string``, or a 429 with ``retry_after``."""

    def __init__(
        self, code: int, text: str, retry_after: int | None = None, error_code: int = 4029
    ) -> None:
        super().__init__(text)
        self.code, self.text = code, text
        self.retry_after, self.error_code = retry_after, error_code

    def frame(self, tracing_id: str | None) -> Frame:
        if self.retry_after is not None:
            return too_many_requests(self.retry_after, self.text, tracing_id, self.error_code)
        return error_text(self.code, self.text, tracing_id)


def too_many(retry_after: int, text: str, error_code: int = 4029) -> Refused:
    return Refused(429, text, retry_after, error_code)
