"""The frames the server sends, read into attrs classes.

Their shapes are the ``shyrka/receive`` models of the official mobile SDK,
``MyPureCloud/genesys-messenger-transport-mobile-sdk``.

A frame is ``{"type", "class", "code", "body", "tracingId"?}``. ``parse_frame``
reads the envelope into ``Frame`` and the body into the class ``class`` names;
a class this client does not know becomes ``Unknown``, for the caller to
ignore. Unknown fields are ignored everywhere and missing optional fields are
fine. The only exception it raises is ``ProtocolError``: the text is not JSON, the
envelope lacks ``type``, ``class`` or ``code``, or a body lacks a field its class
cannot do without. Reprs never show a JWT.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from typing import Any

import attrs

from .errors import ProtocolError
from .json_object import JsonObject
from .messages import StructuredMessage, parse_message

__all__ = [
    "AllowedMedia",
    "AttachmentDeletedResponse",
    "Body",
    "ConnectionClosedEvent",
    "ErrorText",
    "Frame",
    "GenerateUrlError",
    "GetConfigurationResponse",
    "JwtResponse",
    "LogoutEvent",
    "PresignedUrlResponse",
    "ResumeTokenResponse",
    "ServerError",
    "SessionClearedEvent",
    "SessionExpiredEvent",
    "SessionResponse",
    "TooManyRequestsErrorMessage",
    "Unknown",
    "UploadFailureEvent",
    "UploadSuccessEvent",
    "epoch_seconds",
    "parse_frame",
]


@attrs.frozen
class AllowedMedia:
    """What a guest may upload: MIME types (wildcards such as ``image/*`` allowed) and size."""

    file_types: tuple[str, ...] = ()
    max_file_size_kb: int | None = None

    def accepts(self, mime: str) -> bool:
        return any(fnmatch.fnmatchcase(mime.lower(), t.lower()) for t in self.file_types)


@attrs.frozen
class SessionResponse:
    """The answer to ``configureSession`` (and to ``closeSession``, ``connected`` off)."""

    connected: bool
    new_session: bool | None = None
    read_only: bool = False
    cleared_existing_session: bool = False
    max_custom_data_bytes: int | None = None
    allowed_media: AllowedMedia | None = None  # None: no uploads
    blocked_extensions: tuple[str, ...] = ()
    duration_seconds: int | None = None
    expiration_date: int | None = None
    """Epoch seconds (``epoch_seconds``: milliseconds are taken too)."""
    auto_started: bool | None = None

    def blocks(self, file_name: str) -> bool:
        """Whether the deployment refuses a file of this name (its extension)."""
        name = file_name.lower()
        return any(name.endswith(extension.lower()) for extension in self.blocked_extensions)


@attrs.frozen
class JwtResponse:
    """A JWT for the history REST call; ``exp`` in epoch seconds."""

    jwt: str = attrs.field(repr=False)
    exp: int

    def expires_within(self, seconds: float, now: float) -> bool:
        """Whether it is gone (or will be) ``seconds`` after ``now`` (epoch seconds)."""
        return self.exp - seconds <= now


@attrs.frozen
class PresignedUrlResponse:
    """An upload URL (answer to ``onAttachment``) or a download URL (to ``getAttachment``)."""

    attachment_id: str
    url: str
    headers: dict[str, str] = attrs.field(factory=dict)
    file_name: str | None = None
    file_size: int | None = None
    file_type: str | None = None


@attrs.frozen
class GenerateUrlError:
    """``onAttachment`` refused: ``error_code`` 4000-4005 or 4102 (the SDK's ``ErrorCode.kt``)."""

    attachment_id: str | None
    error_code: int | None = None
    error_message: str | None = None


@attrs.frozen
class UploadSuccessEvent:
    attachment_id: str
    download_url: str | None = None
    timestamp: str | None = None


@attrs.frozen
class UploadFailureEvent:
    attachment_id: str
    error_code: int | None = None
    error_message: str | None = None
    timestamp: str | None = None


@attrs.frozen
class AttachmentDeletedResponse:
    attachment_id: str


@attrs.frozen
class ConnectionClosedEvent:
    """The server closes this socket: ``reason`` ``signedIn``, or none (session limit, ...)."""

    reason: str | None = None


@attrs.frozen
class SessionClearedEvent:
    """The conversation was cleared (a Presence Clear); the sockets close next."""


@attrs.frozen
class SessionExpiredEvent:
    """The session expired."""


@attrs.frozen
class LogoutEvent:
    """An authenticated guest was logged out."""


@attrs.frozen
class GetConfigurationResponse:
    allowed_media: AllowedMedia | None = None
    blocked_extensions: tuple[str, ...] = ()
    max_custom_data_bytes: int | None = None
    message_routing_enabled: bool | None = None
    session_duration_seconds: int | None = None


@attrs.frozen
class TooManyRequestsErrorMessage:
    """A rate limit refused the request: send it again after ``retry_after`` seconds."""

    retry_after: int | None = None
    error_code: int | None = None  # 4029, or 429 (seen on configureSession)
    error_message: str | None = None


@attrs.frozen
class ResumeTokenResponse:
    """Listed by the API model, never seen in use; kept whole."""

    fields: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.frozen
class ErrorText:
    """Class ``string``: an error sentence; the frame's ``code`` says which (``ErrorCode.kt``)."""

    text: str


@attrs.frozen
class ServerError:
    """Class ``Error``, whose body the official SDKs do not show: read as code and message."""

    error_code: int | None = None
    error_message: str | None = None


@attrs.frozen
class Unknown:
    """A class this client does not know (or ``Unknown``): to be ignored."""

    frame_class: str
    body: Any = attrs.field(default=None, repr=False)


Body = (
    SessionResponse
    | StructuredMessage
    | JwtResponse
    | PresignedUrlResponse
    | GenerateUrlError
    | UploadSuccessEvent
    | UploadFailureEvent
    | AttachmentDeletedResponse
    | ConnectionClosedEvent
    | SessionClearedEvent
    | SessionExpiredEvent
    | LogoutEvent
    | GetConfigurationResponse
    | TooManyRequestsErrorMessage
    | ResumeTokenResponse
    | ErrorText
    | ServerError
    | Unknown
)
ERRORS = (ErrorText, ServerError, TooManyRequestsErrorMessage, GenerateUrlError)


@attrs.frozen
class Frame:
    """One frame: ``type`` is ``"response"`` (an answer) or ``"message"`` (pushed)."""

    type: str
    frame_class: str
    code: int
    body: Body
    tracing_id: str | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def is_response(self) -> bool:
        return self.type == "response"

    @property
    def is_error(self) -> bool:
        """An error answer: an error class, or a code of 400 or more."""
        return self.code >= 400 or isinstance(self.body, ERRORS)


def _allowed_media(body: JsonObject) -> AllowedMedia | None:
    media = body.object("allowedMedia")
    inbound = media.object("inbound") if media is not None else None
    if inbound is None:
        return None
    types = tuple(t for t in (e.text("type") for e in inbound.objects("fileTypes")) if t)
    return AllowedMedia(types, inbound.integer("maxFileSizeKB"))


# Ours: the SDKs' test fixtures show expirationDate in seconds only; no page gives its unit.
# An epoch this large in seconds is past the year 5000; in milliseconds it is 1973 on.
_MILLISECONDS_FROM = 10**11


def epoch_seconds(value: int | None) -> int | None:
    """An ``expirationDate`` in epoch seconds, whether it came in seconds or milliseconds."""
    if value is not None and value > _MILLISECONDS_FROM:
        return value // 1000
    return value


def _session_response(body: JsonObject) -> SessionResponse:
    return SessionResponse(
        connected=body.required_flag("connected"),
        new_session=body.flag("newSession"),
        read_only=bool(body.flag("readOnly")),
        cleared_existing_session=bool(body.flag("clearedExistingSession")),
        max_custom_data_bytes=body.integer("maxCustomDataBytes"),
        allowed_media=_allowed_media(body),
        blocked_extensions=body.texts("blockedExtensions"),
        duration_seconds=body.integer("durationSeconds"),
        expiration_date=epoch_seconds(body.integer("expirationDate")),
        auto_started=body.flag("autoStarted"),
    )


def _presigned(body: JsonObject) -> PresignedUrlResponse:
    return PresignedUrlResponse(
        attachment_id=body.required_text("attachmentId"),
        url=body.required_text("url"),
        headers=body.strings("headers"),
        file_name=body.text("fileName"),
        file_size=body.integer("fileSize"),
        file_type=body.text("fileType"),
    )


def _server_error(value: Any) -> ServerError:
    if isinstance(value, str):
        return ServerError(None, value)
    body = JsonObject(value, "Error body")
    return ServerError(
        body.integer("errorCode") or body.integer("code"),
        body.text("errorMessage") or body.text("message"),
    )


# Each known class, and how its body is read (a JSON object, found at the given place).
READERS: dict[str, Callable[[JsonObject], Body]] = {
    "SessionResponse": _session_response,
    "StructuredMessage": lambda b: parse_message(b.value, b.where),
    "JwtResponse": lambda b: JwtResponse(b.required_text("jwt"), b.required_integer("exp")),
    "PresignedUrlResponse": _presigned,
    "GenerateUrlError": lambda b: GenerateUrlError(
        b.text("attachmentId"), b.integer("errorCode"), b.text("errorMessage")
    ),
    "UploadSuccessEvent": lambda b: UploadSuccessEvent(
        b.required_text("attachmentId"), b.text("downloadUrl"), b.text("timestamp")
    ),
    "UploadFailureEvent": lambda b: UploadFailureEvent(
        b.required_text("attachmentId"),
        b.integer("errorCode"),
        b.text("errorMessage"),
        b.text("timestamp"),
    ),
    "AttachmentDeletedResponse": lambda b: AttachmentDeletedResponse(
        b.required_text("attachmentId")
    ),
    # The mobile client reads reason; the API model names it reasonCode.
    "ConnectionClosedEvent": lambda b: ConnectionClosedEvent(
        b.text("reason") or b.text("reasonCode")
    ),
    "SessionClearedEvent": lambda b: SessionClearedEvent(),
    "SessionExpiredEvent": lambda b: SessionExpiredEvent(),
    "LogoutEvent": lambda b: LogoutEvent(),
    "GetConfigurationResponse": lambda b: GetConfigurationResponse(
        _allowed_media(b),
        b.texts("blockedExtensions"),
        b.integer("maxCustomDataBytes"),
        b.flag("messageRoutingEnabled"),
        b.integer("sessionDurationSeconds"),
    ),
    "TooManyRequestsErrorMessage": lambda b: TooManyRequestsErrorMessage(
        b.integer("retryAfter"), b.integer("errorCode"), b.text("errorMessage")
    ),
    "ResumeTokenResponse": lambda b: ResumeTokenResponse(b.value),
}


def _body(frame_class: str, value: Any) -> Body:
    if frame_class == "string":
        return ErrorText(value if isinstance(value, str) else json.dumps(value))
    if frame_class == "Error":
        return _server_error(value)
    reader = READERS.get(frame_class)
    if reader is None:
        return Unknown(frame_class, value)
    return reader(JsonObject({} if value is None else value, f"{frame_class} body"))


def parse_frame(data: str | bytes | dict[str, Any]) -> Frame:
    """Read one frame (its text, or its decoded JSON); ``ProtocolError`` if unreadable."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise ProtocolError("The server sent a frame that is not JSON.") from None
    envelope = JsonObject(data, "A frame")
    frame_class = envelope.required_text("class")
    return Frame(
        type=envelope.required_text("type"),
        frame_class=frame_class,
        code=envelope.required_integer("code"),
        body=_body(frame_class, envelope.value.get("body")),
        tracing_id=envelope.text("tracingId"),
        raw=envelope.value,
    )
