"""The GMS emulator's chats: participants, the indexed transcript, files, and reply bodies.

Field names are the GMS Chat API v2's (``ChatV2Response``, ``ChatV2Message``); see
the package docstring for what is Genesys's and what is ours.
"""

from __future__ import annotations

import itertools
import secrets
import string
import time
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "Chat",
    "FileLimits",
    "Participant",
    "Reply",
    "StoredFile",
    "TranscriptMessage",
    "error_body",
    "utc_ms",
]

_ALPHANUMERIC = string.digits + string.ascii_letters
_aliases = itertools.count(117)


def utc_ms() -> int:
    """Now, in epoch milliseconds (``utcTime``)."""
    return int(time.time() * 1000)


def _chat_id() -> str:
    # Shaped like the official example, "00048aAPEQJ8000U": 16 letters and digits.
    return "0004" + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(12))


@attrs.define
class Participant:
    """A ``from`` object: who said or did something in the chat."""

    nickname: str
    participant_id: int
    type: str
    """``Client``, ``Agent``, ``Supervisor`` or ``External``."""
    connected: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"nickname": self.nickname, "participantId": self.participant_id, "type": self.type}


@attrs.frozen
class TranscriptMessage:
    """One transcript event: ``index`` is its place in the transcript (from 1)."""

    index: int
    type: str
    sender: dict[str, Any]
    """The ``from`` object as it was when the event happened (nicknames change)."""
    text: str | None = None
    message_type: str | None = None
    user_data: Mapping[str, str] = attrs.field(factory=dict)
    event_attributes: Any = None
    utc_time: int = attrs.field(factory=utc_ms)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "from": self.sender,
            "index": self.index,
            "type": self.type,
            "utcTime": self.utc_time,
        }
        optional = {
            "text": self.text,
            "messageType": self.message_type,
            "userData": dict(self.user_data) or None,
            "eventAttributes": self.event_attributes,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        return body


_count = [attrs.validators.instance_of(int), attrs.validators.ge(0)]


@attrs.define
class FileLimits:
    """Chat Server's ``client-file-transfer`` options, with its documented defaults.

    ``upload_file_types``, ``download_attempts``, ``delete_file`` and
    ``upload_need_agent`` have no documented default: ours.
    """

    upload_max_files: int = attrs.field(default=3, validator=_count)
    upload_max_file_size: int = attrs.field(default=2_097_152, validator=_count)
    upload_max_total_size: int = attrs.field(default=5_242_880, validator=_count)
    upload_file_types: tuple[str, ...] = attrs.field(
        default=("jpeg", "jpg", "png", "gif", "pdf", "txt"),
        converter=tuple,
        validator=attrs.validators.deep_iterable(attrs.validators.instance_of(str)),
    )
    upload_need_agent: bool = attrs.field(
        default=False, validator=attrs.validators.instance_of(bool)
    )
    download_attempts: int = attrs.field(default=10, validator=_count)
    delete_file: str = attrs.field(default="odd", validator=attrs.validators.instance_of(str))


@attrs.define
class StoredFile:
    """An uploaded file, with the bytes the download hands back."""

    id: str
    name: str
    content_type: str
    content: bytes = attrs.field(repr=False)
    description: str | None = None
    deleted: bool = False


@attrs.define
class Chat:
    """One GMS chat: keys, participants, the transcript, user data and files."""

    service: str
    client: Participant
    subject: str | None = None
    email: str | None = None
    user_data: dict[str, str] = attrs.field(factory=dict)
    id: str = attrs.field(factory=_chat_id)
    secure_key: str = attrs.field(factory=lambda: secrets.token_hex(8), repr=False)
    user_id: str = attrs.field(factory=lambda: secrets.token_hex(8).upper())
    alias: str = attrs.field(factory=lambda: str(next(_aliases)))
    participants: list[Participant] = attrs.field(factory=list)
    transcript: list[TranscriptMessage] = attrs.field(factory=list)
    files: dict[str, StoredFile] = attrs.field(factory=dict)
    used_upload_files: int = 0
    used_upload_bytes: int = 0
    used_download_attempts: int = 0
    ended: bool = False
    typing_preview: str = ""
    """What the client last sent as ``message`` with startTyping (the agent's preview)."""
    idle_alert_at: float | None = None
    """While the idle clock runs: when the idle alert comes (the server loop's clock)."""
    idle_close_at: float | None = None
    """While an idle alert runs: when the chat closes (the server loop's clock)."""
    participant_data: dict[str, str] = attrs.field(factory=dict)
    """What the flow-file bot set on the chat (kept apart from the client's ``user_data``)."""

    def __attrs_post_init__(self) -> None:
        self.participants.append(self.client)

    @property
    def agent(self) -> Participant | None:
        """The connected agent (or supervisor) who joined last, if any."""
        return next(
            (p for p in reversed(self.participants) if p.type != "Client" and p.connected), None
        )

    def add_participant(self, nickname: str, kind: str) -> Participant:
        participant = Participant(nickname, len(self.participants) + 1, kind)
        self.participants.append(participant)
        return participant

    def record(
        self,
        kind: str,
        sender: Participant,
        *,
        text: str | None = None,
        message_type: str | None = None,
        user_data: Mapping[str, str] | None = None,
        event_attributes: Any = None,
    ) -> TranscriptMessage:
        """Add an event at the next index of the transcript."""
        message = TranscriptMessage(
            len(self.transcript) + 1,
            kind,
            sender.to_json(),
            text,
            message_type,
            dict(user_data or {}),
            event_attributes,
        )
        self.transcript.append(message)
        return message

    @property
    def next_position(self) -> int:
        """The index the next event will get: pass it back to read only what is new."""
        return len(self.transcript) + 1

    def since(self, position: int) -> list[TranscriptMessage]:
        """The events whose index is at least ``position``; none for position 0."""
        if position == 0:
            return []
        return self.transcript[position - 1 :]

    def envelope(self, position: int | None = None, status_code: int = 0) -> dict[str, Any]:
        """A reply: the keys, the chat's state and, when a position was given, its messages."""
        body: dict[str, Any] = {
            "chatId": self.id,
            "statusCode": status_code,
            "chatEnded": self.ended,
            "alias": self.alias,
            "userId": self.user_id,
            "secureKey": self.secure_key,
            "nextPosition": self.next_position,
        }
        if position is not None:
            body["messages"] = [message.to_json() for message in self.since(position)]
        return body


class Reply(Exception):
    """Answer the request at once with HTTP ``status`` and the JSON ``body``."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def error_body(
    chat: Chat | None,
    code: int | None = None,
    advice: str | None = None,
    status_code: int = 1,
) -> dict[str, Any]:
    """A refusal: the chat's envelope (for its own client) with one ``errors`` entry.

    ``code`` is left out where neither GMS's page nor the Widgets know a code for
    the case, and ``advice`` where they say there is none (ours).
    """
    body: dict[str, Any] = (
        chat.envelope(status_code=status_code)
        if chat is not None
        else {"statusCode": status_code, "chatEnded": False}
    )
    entry: dict[str, Any] = {}
    if code is not None:
        entry["code"] = code
    if advice is not None:
        entry["advice"] = advice
    body["errors"] = [entry]
    return body
