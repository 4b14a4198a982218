"""The ``/emulator/platform`` control paths: what ``Emulator.platform`` does, over HTTP.

- ``GET /emulator/platform/open-conversations``: ``[{"channel", "id"}, ...]``, every
  conversation still open on any API (``PlatformControls.open_conversations``), for a
  test run that checks it left none behind on an emulator in another process;
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
        app.router.add_get(f"{ROOT}/open-conversations", self.open_conversations)
        app.router.add_post(f"{ROOT}/tokens/expire", self.expire_tokens)

    async def open_conversations(self, request: web.Request) -> web.Response:
        found = self.server.open_conversations()
        return web.json_response([{"channel": channel, "id": id_} for channel, id_ in found])

    async def expire_tokens(self, request: web.Request) -> web.Response:
        return web.json_response({"expired": self.server.tokens.expire_all()})
