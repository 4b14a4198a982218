"""The platform API on an aiohttp app: the handlers of one ``PlatformServer``.

The token endpoint and conversation calls (``api``) and the ``/emulator/platform``
controls (``control_api``) each translate requests into the server's calls; this module
puts them on the app. They answer their own errors: no middleware is needed.
"""

from __future__ import annotations

from aiohttp import web

from .api import PlatformApi
from .control_api import ControlApi
from .server import PlatformServer

__all__ = ["add_routes"]


def add_routes(app: web.Application, server: PlatformServer) -> None:
    """Serve ``server``'s platform API and its controls on ``app``."""
    for part in (PlatformApi(server), ControlApi(server)):
        part.add_routes(app)
