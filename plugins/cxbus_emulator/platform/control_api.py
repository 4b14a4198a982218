"""The ``/emulator/platform`` control path: what ``Emulator.platform`` does, over HTTP.

- ``POST /emulator/platform/tokens/expire``: every access token issued so far expires
  (``{"expired": count}``), so that a client's refresh is tested without waiting.

Runs on the emulator's loop.
"""

from __future__ import annotations

from aiohttp import web

from .server import PlatformServer

__all__ = ["ControlApi"]

ROOT = "/emulator/platform"


class ControlApi:
    """The control paths of one ``PlatformServer``."""

    def __init__(self, server: PlatformServer) -> None:
        self.server = server

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(f"{ROOT}/tokens/expire", self.expire_tokens)

    async def expire_tokens(self, request: web.Request) -> web.Response:
        return web.json_response({"expired": self.server.tokens.expire_all()})
