"""The requests a guest sends over the socket, built as the SDKs build them.

Their shapes are the ``shyrka/send`` requests of the official mobile SDK,
``MyPureCloud/genesys-messenger-transport-mobile-sdk``.

Each builder returns a ``Request``: its ``to_json()`` is the text to send, with
the keys in the order the official clients write them. The session token is in
it, so a ``Request``'s repr shows only the action and its ``tracingId``.
``onMessage`` takes a message built by ``text_message``, ``button_response``,
``typing_event`` or ``presence_event``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

__all__ = [
    "HEALTH_CHECK_TRACING_ID",
    "MAX_CUSTOM_ATTRIBUTES_BYTES",
    "PRESENCE_TYPES",
    "Request",
    "button_response",
    "close_session",
    "configure_authenticated_session",
    "configure_session",
    "custom_attributes_size",
    "delete_attachment",
    "echo",
    "get_attachment",
    "get_jwt",
    "new_tracing_id",
    "on_attachment",
    "on_message",
    "presence_event",
    "text_message",
    "typing_event",
]

# The mobile client's fixed tracingId for the echo health check.
HEALTH_CHECK_TRACING_ID = "SGVhbHRoQ2hlY2tNZXNzYWdlSWQ="
MAX_CUSTOM_ATTRIBUTES_BYTES = 2048
PRESENCE_TYPES = ("Join", "Disconnect", "Clear")
BUTTON_TYPES = ("QuickReply", "Button", "DatePicker", "ListPicker", "Form")


def new_tracing_id() -> str:
    """A fresh ``tracingId`` (a UUID), for a request to carry."""
    return str(uuid.uuid4())


@attrs.frozen
class Request:
    """One request: ``action``, its ``tracing_id``, and the JSON it sends (token and all).

    ``answered_by`` names the frame classes that answer it (besides error frames);
    empty when only an error ever answers (a guest's Typing). ``attachment_id`` is
    the file it is about, for answers that come without a ``tracingId``.
    """

    action: str
    tracing_id: str
    payload: dict[str, Any] = attrs.field(repr=False)
    answered_by: tuple[str, ...] = ()
    attachment_id: str | None = None

    def to_json(self) -> str:
        return json.dumps(self.payload, separators=(",", ":"))


def _request(
    token: str,
    action: str,
    fields: Mapping[str, Any],
    tracing_id: str | None,
    answered_by: tuple[str, ...],
    *,
    message: dict[str, Any] | None = None,
    attachment_id: str | None = None,
) -> Request:
    if not isinstance(token, str) or not token:
        raise ValueError("token must be a non-empty string (the session token).")
    tracing_id = tracing_id or new_tracing_id()
    payload: dict[str, Any] = {"token": token, **fields, "tracingId": tracing_id, "action": action}
    if message is not None:
        payload["message"] = message
    return Request(action, tracing_id, payload, answered_by, attachment_id)


def configure_session(
    token: str,
    deployment_id: str,
    *,
    start_new: bool = False,
    journey_context: dict[str, Any] | None = None,
    tracing_id: str | None = None,
) -> Request:
    """Open (or resume) the session of ``token``; ``start_new`` replaces a read-only one."""
    fields: dict[str, Any] = {"deploymentId": deployment_id, "startNew": start_new}
    if journey_context is not None:
        fields["journeyContext"] = journey_context
    return _request(token, "configureSession", fields, tracing_id, ("SessionResponse",))


def configure_authenticated_session(
    token: str,
    deployment_id: str,
    jwt: str,
    *,
    start_new: bool = False,
    tracing_id: str | None = None,
) -> Request:
    """Open the session of a signed-in guest, ``jwt`` from the OAuth exchange."""
    fields = {"deploymentId": deployment_id, "startNew": start_new, "data": {"code": jwt}}
    return _request(
        token, "configureAuthenticatedSession", fields, tracing_id, ("SessionResponse",)
    )


def echo(token: str, text: str = "ping", *, tracing_id: str = HEALTH_CHECK_TRACING_ID) -> Request:
    """The health check: the server answers with ``text`` as an Inbound message."""
    message = {"text": text, "type": "Text"}
    return _request(token, "echo", {}, tracing_id, ("StructuredMessage",), message=message)


def get_jwt(token: str, *, tracing_id: str | None = None) -> Request:
    """A JWT for the history REST call."""
    return _request(token, "getJwt", {}, tracing_id, ("JwtResponse",))


def close_session(
    token: str, *, close_all_connections: bool = True, tracing_id: str | None = None
) -> Request:
    """Leave the session (before ``configure_session(start_new=True)``)."""
    fields = {"closeAllConnections": close_all_connections}
    return _request(token, "closeSession", fields, tracing_id, ("SessionResponse",))


def on_attachment(
    token: str,
    attachment_id: str,
    file_name: str,
    file_type: str,
    file_size: int,
    *,
    file_md5: str | None = None,
    tracing_id: str | None = None,
) -> Request:
    """Ask for a presigned upload URL for a file (``attachment_id``: a new UUID)."""
    fields: dict[str, Any] = {
        "attachmentId": attachment_id,
        "fileName": file_name,
        "fileType": file_type,
        "fileSize": file_size,
    }
    if file_md5 is not None:
        fields["fileMd5"] = file_md5
    fields["errorsAsJson"] = True
    answers = ("PresignedUrlResponse", "GenerateUrlError")
    return _request(token, "onAttachment", fields, tracing_id, answers, attachment_id=attachment_id)


def get_attachment(token: str, attachment_id: str, *, tracing_id: str | None = None) -> Request:
    """A fresh download URL for a file."""
    return _request(
        token,
        "getAttachment",
        {"attachmentId": attachment_id},
        tracing_id,
        ("PresignedUrlResponse",),
        attachment_id=attachment_id,
    )


def delete_attachment(token: str, attachment_id: str, *, tracing_id: str | None = None) -> Request:
    """Delete an uploaded file that no message carries yet."""
    return _request(
        token,
        "deleteAttachment",
        {"attachmentId": attachment_id},
        tracing_id,
        ("AttachmentDeletedResponse",),
        attachment_id=attachment_id,
    )


def on_message(token: str, message: dict[str, Any], *, tracing_id: str | None = None) -> Request:
    """Send ``message``: its echo (or, for a Clear, ``SessionClearedEvent``) answers it."""
    kind = message.get("type")
    events = message.get("events") or [{}]
    event_type = events[0].get("eventType")
    if kind == "Event" and event_type == "Typing":
        answered_by: tuple[str, ...] = ()
    elif kind == "Event" and events[0].get("presence", {}).get("type") == "Clear":
        answered_by = ("SessionClearedEvent",)
    else:
        answered_by = ("StructuredMessage",)
    return _request(token, "onMessage", {}, tracing_id, answered_by, message=message)


def custom_attributes_size(attributes: Mapping[str, str]) -> int:
    """The size the service counts: UTF-8 bytes of every key and value."""
    return sum(len(k.encode()) + len(v.encode()) for k, v in attributes.items())


def _with_channel(
    message: dict[str, Any],
    metadata: Mapping[str, str] | None,
    custom_attributes: Mapping[str, str] | None,
) -> dict[str, Any]:
    for name, mapping in (("metadata", metadata), ("custom_attributes", custom_attributes)):
        if mapping is not None and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise ValueError(f"{name} must map strings to strings.")
    if metadata:
        message["metadata"] = dict(metadata)
    if custom_attributes:
        # Inside the message, as the mobile client and Botium send them.
        message["channel"] = {"metadata": {"customAttributes": dict(custom_attributes)}}
    return message


def text_message(
    text: str,
    *,
    attachment_ids: Iterable[str] = (),
    metadata: Mapping[str, str] | None = None,
    custom_attributes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A Text message, carrying the uploaded files ``attachment_ids`` if any."""
    message: dict[str, Any] = {"text": text, "type": "Text"}
    content = [{"contentType": "Attachment", "attachment": {"id": i}} for i in attachment_ids]
    if content:
        message["content"] = content
    return _with_channel(message, metadata, custom_attributes)


def button_response(
    text: str,
    payload: str,
    button_type: str = "QuickReply",
    *,
    metadata: Mapping[str, str] | None = None,
    custom_attributes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The guest's choice of a quick reply, card button, date, list item or form (Structured,
    with the label as text, as the JavaScript SDK sends it)."""
    if button_type not in BUTTON_TYPES:
        raise ValueError(
            f"button_type must be one of {', '.join(BUTTON_TYPES)}, not {button_type!r}."
        )
    message: dict[str, Any] = {
        "text": text,
        "type": "Structured",
        "content": [
            {
                "contentType": "ButtonResponse",
                "buttonResponse": {"text": text, "payload": payload, "type": button_type},
            }
        ],
    }
    return _with_channel(message, metadata, custom_attributes)


def typing_event() -> dict[str, Any]:
    """The guest is typing."""
    return {"events": [{"eventType": "Typing", "typing": {"type": "On"}}], "type": "Event"}


def presence_event(presence_type: str) -> dict[str, Any]:
    """A Presence event: ``Join`` (start with autoStart), ``Disconnect``, ``Clear``."""
    if presence_type not in PRESENCE_TYPES:
        raise ValueError(
            f"presence_type must be one of {', '.join(PRESENCE_TYPES)}, not {presence_type!r}."
        )
    return {
        "events": [{"eventType": "Presence", "presence": {"type": presence_type}}],
        "type": "Event",
    }
