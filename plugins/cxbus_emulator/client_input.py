"""What a client sends the emulator, read within bounds: JSON bodies, forms, WebSocket frames.

Every API of the emulator reads its clients through here, so that no input crashes a
handler (a JSON body nested 100,000 deep, a form in a broken encoding) or holds the
server (a body or a frame of many megabytes). What cannot be read is a ``BadInput``:
an HTTP status and one sentence, which each API answers in its own shape.

The bounds:

- ``JSON_LIMIT``: a JSON body of a Genesys API (ours: Genesys publishes none; its
  bodies are a few kilobytes). The control API takes what the application takes
  (``Emulator``'s ``client_max_size``: an agent's file, in base64, goes through it).
- ``FORM_LIMIT`` and ``FORM_FIELDS``: a GMS form, as Jetty (the server GMS runs in)
  bounds it by default (``maxFormContentSize`` 200,000 bytes, ``maxFormKeys`` 1,000);
  it answers 400 past them, and so does the emulator.
- ``FRAME_LIMIT``: a WebSocket frame from a guest (ours). A bigger one is answered
  with the API's error frame, if it has one, then a close with 1009 ("message too
  big", RFC 6455 §7.4.1); a text frame that is not UTF-8 with a close with 1007.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.parse
from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode, web
from multidict import MultiDict, MultiDictProxy

__all__ = [
    "FORM_FIELDS",
    "FORM_LIMIT",
    "FRAME_LIMIT",
    "JSON_LIMIT",
    "BadInput",
    "BoundedWebSocket",
    "parse_json",
    "read_form",
    "read_json",
]

JSON_LIMIT = 2**20
FORM_LIMIT = 200_000
FORM_FIELDS = 1000
FRAME_LIMIT = 128 * 2**10
# How long a socket that sent a frame too big is read on (and what it sends dropped)
# before it is closed: the client finishes sending and reads why, where closing at
# once, with its bytes unread, would reset the connection under it.
LINGER = 2.0
# Why a socket closes on a bad frame, in its close frame.
CLOSE_REASONS: dict[int, bytes] = {
    WSCloseCode.MESSAGE_TOO_BIG: f"A frame may be {FRAME_LIMIT} bytes at most.".encode(),
    WSCloseCode.INVALID_TEXT: b"A text frame must be UTF-8.",
}


class BadInput(Exception):
    """What a client sent cannot be read: answer ``status`` with ``sentence``."""

    def __init__(self, status: int, sentence: str) -> None:
        super().__init__(sentence)
        self.status = status
        self.sentence = sentence


def parse_json(text: str | bytes, what: str = "The body") -> Any:
    """The JSON value of ``text``; ``BadInput`` (400) saying what is wrong with ``what``."""
    try:
        return json.loads(text)
    except RecursionError:
        raise BadInput(400, f"{what} is JSON nested too deeply to be read.") from None
    except UnicodeDecodeError:
        raise BadInput(400, f"{what} is not UTF-8 text.") from None
    except json.JSONDecodeError:
        raise BadInput(400, f"{what} is not JSON.") from None


async def _read(request: web.Request, limit: int | None, what: str, status: int) -> bytes:
    """The body, once it is known to be ``limit`` bytes at most (``None``: the application's
    ``client_max_size``); ``BadInput`` with ``status`` past it."""
    bounded = request if limit is None else request.clone(client_max_size=limit)
    try:
        return await bounded.read()
    except web.HTTPRequestEntityTooLarge as too_large:
        raise BadInput(status, _too_large(what, limit, too_large)) from None


def _too_large(what: str, limit: int | None, error: web.HTTPRequestEntityTooLarge) -> str:
    if limit is None:
        return f"{what} is too large: {error.text}"
    return f"{what} is larger than {limit} bytes."


async def read_json(request: web.Request, limit: int | None = JSON_LIMIT) -> Any:
    """The request's JSON body, read within ``limit`` bytes (``None``: the application's
    ``client_max_size``); ``BadInput`` 413 past it, 400 for what is not JSON."""
    return parse_json(await _read(request, limit, "The body", 413))


async def read_form(request: web.Request, limit: int | None = FORM_LIMIT) -> MultiDictProxy[Any]:
    """The request's form (url-encoded or multipart), read within ``limit`` bytes (``None``:
    the application's ``client_max_size``) and ``FORM_FIELDS`` fields, its text decoded
    strictly in its charset (UTF-8 unless it says another); ``BadInput`` 400 otherwise."""
    charset = request.charset or "utf-8"
    try:
        if request.content_type in ("", "application/x-www-form-urlencoded"):
            raw = await _read(request, limit, "The form", 400)
            pairs = urllib.parse.parse_qsl(
                raw.decode(charset),
                keep_blank_values=True,
                encoding=charset,
                errors="strict",
                max_num_fields=FORM_FIELDS,
            )
            return MultiDictProxy(MultiDict(pairs))
        bounded = request if limit is None else request.clone(client_max_size=limit)
        return await bounded.post()
    except web.HTTPRequestEntityTooLarge as too_large:
        raise BadInput(400, _too_large("The form", limit, too_large)) from None
    except UnicodeDecodeError:
        raise BadInput(400, f"The form is not text in its charset ({charset}).") from None
    except LookupError:
        raise BadInput(400, f"The form's charset {charset} is not one the server knows.") from None
    except ValueError as error:
        raise BadInput(400, f"The form cannot be read: {error}.") from None


class BoundedWebSocket(web.WebSocketResponse):
    """A server's WebSocket that takes frames of ``FRAME_LIMIT`` bytes at most, and says
    why when it closes on a bad frame.

    aiohttp closes a socket whose frame is too big (1009) or whose text is not UTF-8
    (1007) on its own, with no reason and, for a frame too big, while the client is
    still sending it, which resets the connection. This one first sends
    ``refusal(close_code)`` when it gives a text (the API's error frame), puts the
    reason in the close frame, and reads on for ``LINGER`` seconds before closing a
    socket that sent a frame too big (``LINGER`` at most: it stops once the client has
    gone).
    """

    def __init__(self, refusal: Callable[[int], str | None] = lambda code: None) -> None:
        super().__init__(max_msg_size=FRAME_LIMIT)
        self._refusal = refusal

    async def close(
        self, *, code: int = WSCloseCode.OK, message: bytes = b"", drain: bool = True
    ) -> bool:
        reason = CLOSE_REASONS.get(code)
        if reason is not None and not self.closed:
            text = self._refusal(code)
            if text is not None:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self.send_str(text)
            if code == WSCloseCode.MESSAGE_TOO_BIG:
                await self._linger()
            message = message or reason
        return await super().close(code=code, message=message, drain=drain)

    async def _linger(self) -> None:
        """Let the client finish sending (what it sends is dropped), ``LINGER`` s at most."""
        loop = asyncio.get_running_loop()
        until = loop.time() + LINGER
        while loop.time() < until and self._client_is_there():
            await asyncio.sleep(0.05)

    def _client_is_there(self) -> bool:
        request = self._req
        transport = request.transport if request is not None else None
        return transport is not None and not transport.is_closing()
