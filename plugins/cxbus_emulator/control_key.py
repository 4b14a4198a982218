"""The key of the emulator's control API, wanted once the emulator listens beyond loopback.

The control API (``/emulator/...``) plays the agent, lists sessions and shows whole
conversations. On loopback only this machine reaches it, and it is open; an emulator
bound to another address (``cxbus emulator --host 0.0.0.0``, for load tests or CI on
another machine) makes a key (or takes the one it is given), prints it, and answers
a control call without it in the ``X-Emulator-Key`` header with 401 and a sentence.

The paths under ``/emulator/`` that stand in for the services' own file stores
(the guest chat's uploads, which check the guest's JWT, and Web Messaging's presigned
URLs, which check their signature) are not control paths: their clients never have
the key.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from .guest_chat.paths import UPLOADS
from .web_messaging.settings import DOWNLOADS
from .web_messaging.settings import UPLOADS as MESSAGING_UPLOADS

__all__ = ["HEADER", "ControlKey", "is_loopback"]

HEADER = "X-Emulator-Key"
CONTROL = "/emulator/"
FILE_STORES = (f"{UPLOADS}/", f"{MESSAGING_UPLOADS}/", f"{DOWNLOADS}/")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (``127.0.0.1``, ``::1``, ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to any address
        return False


class ControlKey:
    """The control API's guard: ``key`` (``None``: open) in the ``X-Emulator-Key`` header."""

    def __init__(self, key: str | None) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"<ControlKey {'set' if self.key else 'open'}>"  # never the key itself

    @classmethod
    def for_host(cls, host: str, key: str | None) -> ControlKey:
        """``key`` if given; else a new one for a host beyond loopback, none on loopback."""
        if key is None and not is_loopback(host):
            key = secrets.token_urlsafe(24)
        return cls(key)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """A control call without the key is answered 401; anything else passes."""
        path = request.path
        if self.key is None or not path.startswith(CONTROL) or path.startswith(FILE_STORES):
            return await handler(request)
        given = request.headers.get(HEADER, "")
        if hmac.compare_digest(given.encode(), self.key.encode()):
            return await handler(request)
        return web.json_response(
            {
                "message": f"The emulator's control API wants the key it printed at start "
                f"in the {HEADER} header."
            },
            status=401,
        )
