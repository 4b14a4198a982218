"""What a GMS chat server's refusals mean: one exception class per case, one sentence each.

``refusal(operation, status, answer)`` reads an HTTP answer the way the Widgets do
(their GMS module, ``webchatservicelegacy.mod.js``): an ``errors`` code 306, or HTTP
404, 500 or 502 with no ``errors``, is an invalid service; the codes the Widgets know
get their own class; HTTP 401 is a refused caller; any other HTTP error, or an
``errors`` entry with no known code, is a plain ``GmsError``; a 200 says
``statusCode`` 1 (try again: the chat goes on) or 2 (the chat is over). Any other
refusal that says ``statusCode`` 2 (a chat the server has lost: 404 after a restart)
is ``ChatFinished`` too; whatever its class, an exception whose reply says
``statusCode`` 2 is ``final``: the chat cannot go on. In a refresh reply, code 204 is
ignored, as the Widgets do.

Every exception keeps what the server said: ``reply`` (the envelope, read) and
``body`` (the decoded JSON with the secure key masked, or the text of a body that
was not JSON). Its message never holds a key.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..transport import TransportError
from .gms_replies import ChatReply, ErrorEntry

__all__ = [
    "ChatFinished",
    "ChatServerBusy",
    "ChatServerUnreachable",
    "FileRejected",
    "FileTooLarge",
    "FileTypeNotAllowed",
    "GmsError",
    "InvalidService",
    "MessageTooLong",
    "NotAuthorized",
    "StartRefused",
    "TooManyFiles",
    "refusal",
]


class GmsError(TransportError):
    """The GMS chat server, or the way to it, refused a call.

    ``operation`` is the call (``"refresh"``, ``"send"``, ...; ``"requestChat"``
    for the start), ``status`` the HTTP status (``None``: no answer), ``reply`` the
    envelope when the body was one, ``body`` what the server sent (secrets masked).
    """

    def __init__(
        self,
        sentence: str,
        *,
        operation: str,
        status: int | None = None,
        reply: ChatReply | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(sentence, status)
        self.operation = operation
        self.reply = reply
        self.body = body

    @property
    def final(self) -> bool:
        """Whether the reply says ``statusCode`` 2: whatever the refusal, the chat cannot
        go on (the Widgets' reading)."""
        return self.reply is not None and self.reply.status_code == 2

    @property
    def codes(self) -> tuple[int, ...]:
        """The ``errors`` codes of the reply."""
        if self.reply is None:
            return ()
        return tuple(entry.code for entry in self.reply.errors if entry.code is not None)


class ChatServerUnreachable(GmsError):
    """No HTTP answer: the server is down, the network or a proxy cut the call, or it
    timed out (the Widgets' status 0: ``disconnected``, or ``FileUploadError``)."""


class NotAuthorized(GmsError):
    """HTTP 401: the ``apikey``, or the chat's keys, were refused."""


class InvalidService(GmsError):
    """Code 306, or HTTP 404, 500 or 502 with no ``errors``: the Widgets'
    ``errorReason: "InvalidService"``."""


class ChatServerBusy(GmsError):
    """``statusCode`` 1: the call was not carried out, the chat goes on; a refresh
    answered so is a poll exception."""


class ChatFinished(GmsError):
    """``statusCode`` 2: the chat is over on the server (ended, or lost)."""


class StartRefused(GmsError):
    """The chat did not start: codes 102, 103, 161, 364 (``field`` names the form field
    at fault) and 240 (not now)."""

    field: str | None = None


class MessageTooLong(GmsError):
    """Code 204: the message is longer than the server takes."""


class FileRejected(GmsError):
    """An upload the server refused; ``limit`` is the number its advice gave, if any."""

    @property
    def limit(self) -> int | None:
        for entry in self.reply.errors if self.reply else ():
            if entry.advice and entry.advice.strip().isdigit():
                return int(entry.advice)
        return None


class TooManyFiles(FileRejected):
    """Code 201: the chat has sent as many files as it may (``limit``)."""


class FileTooLarge(FileRejected):
    """Code 202: the file, or the chat's files together, pass ``limit`` bytes."""


class FileTypeNotAllowed(FileRejected):
    """Code 203: the server does not take files of this type."""


@attrs.frozen
class KnownCode:
    """An ``errors`` code the Widgets know: its class, its sentence, the form field at
    fault, and what its advice counts (``unit``) when it is a limit."""

    cls: type[GmsError]
    sentence: str
    field: str | None = None
    unit: str | None = None

    def describe(self, code: int, advice: str | None) -> str:
        if advice and self.unit and advice.strip().isdigit():
            return f"{self.sentence} (code {code}: at most {advice.strip()} {self.unit})."
        if advice:
            return f'{self.sentence} (code {code}: "{advice}").'
        return f"{self.sentence} (code {code})."


KNOWN_CODES = {
    102: KnownCode(StartRefused, "The chat server needs a first name", "firstName"),
    103: KnownCode(StartRefused, "The chat server needs a last name", "lastName"),
    161: KnownCode(
        StartRefused, "The chat server needs a nickname, or a first and a last name", "nickname"
    ),
    364: KnownCode(StartRefused, "The chat server refused the email address", "emailAddress"),
    240: KnownCode(StartRefused, "The chat server cannot start a chat now"),
    204: KnownCode(MessageTooLong, "The message is too long", unit="characters"),
    201: KnownCode(TooManyFiles, "No more files can be sent in this chat", unit="files"),
    202: KnownCode(FileTooLarge, "The file is too large", unit="bytes"),
    203: KnownCode(FileTypeNotAllowed, "The chat server does not take files of this type"),
    306: KnownCode(InvalidService, "The chat server has no such chat service: check dataURL"),
}


def _advice(errors: tuple[ErrorEntry, ...]) -> str:
    said = [entry.advice.rstrip(". ") for entry in errors if entry.advice]
    return "; ".join(said) if said else "no reason given"


def refusal(operation: str, status: int, answer: ChatReply | Any) -> GmsError | None:
    """The exception an HTTP answer stands for, or ``None`` when the call succeeded.

    ``answer`` is the reply read from a JSON object (``read_reply``), else what the
    body was: the text of a body that was not JSON, or JSON that is no object.
    """
    reply = answer if isinstance(answer, ChatReply) else None
    kept = reply.body if reply is not None else answer
    errors = reply.errors if reply is not None else ()
    if operation == "refresh":
        errors = tuple(entry for entry in errors if entry.code != 204)
    codes = [entry.code for entry in errors if entry.code in KNOWN_CODES]

    def error(cls: type[GmsError], sentence: str) -> GmsError:
        return cls(f"{sentence}.", operation=operation, status=status, reply=reply, body=kept)

    if not codes and not errors and status in (404, 500, 502):
        return error(
            InvalidService,
            f"The chat server answered {operation} with HTTP {status} and no errors: "
            "the chat service of dataURL is not there or not working",
        )
    if codes:
        code = 306 if 306 in codes else codes[0]
        known = KNOWN_CODES[code]
        advice = next((e.advice for e in errors if e.code == code and e.advice), None)
        found = known.cls(
            known.describe(code, advice), operation=operation, status=status, reply=reply, body=kept
        )
        if isinstance(found, StartRefused):
            found.field = known.field
        return found
    if status == 401:
        return error(
            NotAuthorized,
            f"The chat server refused {operation} (HTTP 401): check the apikey, "
            "and that the chat's keys are its own",
        )
    if reply is not None and reply.status_code == 2 and (errors or not 200 <= status < 300):
        # Refused, and unrecoverable: the chat is gone from the server (restarted, say).
        return error(
            ChatFinished,
            f"The chat server refused {operation} (HTTP {status}, statusCode 2): "
            f"{_advice(errors)}; the chat is over there",
        )
    if not 200 <= status < 300 or errors:
        said = _advice(errors)
        return error(GmsError, f"The chat server refused {operation} (HTTP {status}): {said}")
    if reply is None:
        return error(
            GmsError, f"The chat server answered {operation} with something that is not JSON"
        )
    if reply.status_code == 1:
        return error(
            ChatServerBusy,
            f"The chat server could not carry out {operation} just now (statusCode 1); "
            "the chat goes on",
        )
    if reply.status_code == 2:
        return error(
            ChatFinished,
            f"The chat server says the chat is over (statusCode 2): {operation} was not done",
        )
    if reply.status_code != 0:
        return error(
            GmsError, f"The chat server answered {operation} with statusCode {reply.status_code}"
        )
    return None
