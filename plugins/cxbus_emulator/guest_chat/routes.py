"""The guest chat API on an aiohttp app: the handlers of one ``ChatServer``'s parts.

The REST API, the event stream, the uploads and the controls each translate requests
into the server's calls; this module puts them all on the app.
"""

from __future__ import annotations

from aiohttp import web

from .control import Controls
from .rest import GuestChatApi
from .server import ChatServer
from .uploads import Uploads

__all__ = ["add_routes"]


def add_routes(app: web.Application, server: ChatServer) -> None:
    """Serve ``server``'s guest chat API, event stream, uploads and controls on ``app``.

    ``app`` must have ``server.middleware`` among its middlewares.
    """
    for part in (GuestChatApi(server), server.streams, Uploads(server), Controls(server)):
        part.add_routes(app)
