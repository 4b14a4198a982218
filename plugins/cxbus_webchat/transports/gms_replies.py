"""The GMS Chat API v2's replies, read into attrs classes.

Every reply is an envelope (``ChatV2Response``): ``chatId``, ``statusCode``,
``chatEnded``, ``messages``, ``nextPosition``, ``userData``, ``errors``, and the
chat's keys. The reading is tolerant, because real servers differ and GMS's
*Chat API Version 2* page leaves much open: any field may be missing or of another JSON type
(a number sent as text, an ``errors`` entry with no ``code``); what cannot be read
is ``None`` or empty, never an exception. The secure key is kept only in
``ChatKeys``, out of every repr; ``body`` holds the server's reply with it masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from cxbus.redaction import MASK

__all__ = [
    "ChatKeys",
    "ChatReply",
    "DownloadedFile",
    "ErrorEntry",
    "FileLimits",
    "Sender",
    "TranscriptMessage",
    "read_reply",
]

LIMITS_NOTICE = "file-client-cfg-get"


def _int(value: Any) -> int | None:
    """A whole number from JSON (a number or digits in text), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _strings(value: Any) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(key): str(item) for key, item in value.items()}


@attrs.frozen
class ChatKeys:
    """What proves a caller is the chat's client: the chat id and its keys.

    ``secure_key`` is a secret: it is sent as a form field and never shown.
    ``user_id`` and ``alias`` are legacy (deprecated in GMS 8.5.112); the Widgets
    still send them, so they are sent when known.
    """

    chat_id: str
    secure_key: str = attrs.field(repr=False)
    user_id: str | None = None
    alias: str | None = None

    def form(self) -> dict[str, str]:
        """The key fields of a call."""
        fields = {"secureKey": self.secure_key}
        if self.user_id is not None:
            fields["userId"] = self.user_id
        if self.alias is not None:
            fields["alias"] = self.alias
        return fields


@attrs.frozen
class Sender:
    """A message's ``from``: ``type`` is ``Client``, ``Agent``, ``Supervisor`` or ``External``."""

    nickname: str | None
    participant_id: int | None
    type: str | None


@attrs.frozen
class TranscriptMessage:
    """One event of the transcript (``ChatV2Message``).

    ``index`` is its place in the transcript (from 1; missing on some
    deployments); ``utc_time`` is in epoch milliseconds. ``original`` is the
    server's object, untouched.
    """

    type: str
    sender: Sender
    index: int | None = None
    utc_time: int | None = None
    text: str | None = None
    message_type: str | None = None
    user_data: Mapping[str, str] = attrs.field(factory=dict)
    event_attributes: Any = None
    original: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def read(cls, message: Mapping[str, Any]) -> TranscriptMessage:
        sender = message.get("from")
        sender = sender if isinstance(sender, Mapping) else {}
        return cls(
            type=_text(message.get("type")) or "",
            sender=Sender(
                _text(sender.get("nickname")),
                _int(sender.get("participantId")),
                _text(sender.get("type")),
            ),
            index=_int(message.get("index")),
            utc_time=_int(message.get("utcTime")),
            text=_text(message.get("text")),
            message_type=_text(message.get("messageType")),
            user_data=_strings(message.get("userData")),
            event_attributes=message.get("eventAttributes"),
            original=message,
        )


@attrs.frozen
class ErrorEntry:
    """One entry of ``errors``: a ``code`` (see ``gms_errors``) and its ``advice``."""

    code: int | None
    advice: str | None


@attrs.frozen
class FileLimits:
    """The chat's file transfer limits, from the ``file-client-cfg-get`` Notice.

    The ``used_*`` counts are what the chat has spent already; ``None`` where the
    server sent nothing readable.
    """

    file_types: tuple[str, ...]
    """Extensions, lower case (``upload-file-types``, colon-separated on the wire)."""
    max_files: int | None
    max_file_size: int | None
    max_total_size: int | None
    need_agent: bool
    download_attempts: int | None
    used_files: int | None
    used_total_size: int | None
    used_download_attempts: int | None
    delete_file: str | None
    raw: Mapping[str, str] = attrs.field(eq=False)

    @classmethod
    def read(cls, values: Mapping[str, str]) -> FileLimits:
        types = values.get("upload-file-types", "")
        return cls(
            file_types=tuple(t.strip().lower() for t in types.split(":") if t.strip()),
            max_files=_int(values.get("upload-max-files")),
            max_file_size=_int(values.get("upload-max-file-size")),
            max_total_size=_int(values.get("upload-max-total-size")),
            need_agent=_bool(values.get("upload-need-agent")) is True,
            download_attempts=_int(values.get("download-attempts")),
            used_files=_int(values.get("used-upload-max-files")),
            used_total_size=_int(values.get("used-upload-max-total-size")),
            used_download_attempts=_int(values.get("used-download-attempts")),
            delete_file=values.get("delete-file"),
            raw=values,
        )

    def allows_type(self, file_name: str) -> bool:
        """Whether a file of this name has an extension the server takes."""
        extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
        return extension in self.file_types


@attrs.frozen
class ChatReply:
    """One reply of the chat server.

    ``chat_ended`` is ``None`` when the reply did not say (the Widgets read that
    as ended on a restore, as not ended elsewhere). ``body`` is the whole reply
    with the secure key masked: what the page calls the AJAX Response Object.
    """

    status_code: int
    chat_ended: bool | None
    chat_id: str | None = None
    messages: tuple[TranscriptMessage, ...] = ()
    next_position: int | None = None
    user_data: Mapping[str, str] = attrs.field(factory=dict)
    errors: tuple[ErrorEntry, ...] = ()
    idle_timer_expire: int | None = None
    """While an idle alert runs, when the chat closes (the Widgets' ``idleTimeCountDown``)."""
    keys: ChatKeys | None = attrs.field(default=None, repr=False)
    """The keys, when the reply carried a chat id and a secure key."""
    body: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def file_id(self) -> str | None:
        """An upload's file id (``userData["file-id"]``)."""
        return self.user_data.get("file-id")

    @property
    def file_limits(self) -> FileLimits | None:
        """The limits, when the reply carries the ``file-client-cfg-get`` Notice."""
        for message in self.messages:
            if message.type == "Notice" and message.text == LIMITS_NOTICE:
                return FileLimits.read(message.user_data)
        return None


def read_reply(body: Mapping[str, Any]) -> ChatReply:
    """A ``ChatReply`` from a decoded JSON object."""
    messages = body.get("messages")
    errors = body.get("errors")
    chat_id, secure_key = _text(body.get("chatId")), _text(body.get("secureKey"))
    return ChatReply(
        status_code=_int(body.get("statusCode")) or 0,
        chat_ended=_bool(body.get("chatEnded")),
        chat_id=chat_id,
        messages=tuple(
            TranscriptMessage.read(m)
            for m in (messages if isinstance(messages, list) else ())
            if isinstance(m, Mapping)
        ),
        next_position=_int(body.get("nextPosition")),
        user_data=_strings(body.get("userData")),
        errors=tuple(
            ErrorEntry(_int(e.get("code")), _text(e.get("advice")))
            for e in (errors if isinstance(errors, list) else ())
            if isinstance(e, Mapping)
        ),
        idle_timer_expire=_int(body.get("idleTimerExpire")),
        keys=(
            ChatKeys(chat_id, secure_key, _text(body.get("userId")), _text(body.get("alias")))
            if chat_id and secure_key
            else None
        ),
        body={**body, "secureKey": MASK} if "secureKey" in body else dict(body),
    )


@attrs.frozen
class DownloadedFile:
    """A file's bytes, with the name and type the server gave it (when it did)."""

    content: bytes = attrs.field(repr=False)
    name: str | None
    content_type: str | None
