"""The Web Messaging guest API on an aiohttp app: the handlers of one ``MessagingServer``.

The guest's WebSocket, the REST and token endpoints, the ``/emulator/messaging``
controls and the identity provider's pages
each translate requests into the server's calls; ``MessagingApi`` puts them all on
the app, with the REST middleware (fault switches and error bodies, for the API's
paths only).
"""

from __future__ import annotations

from aiohttp import web

from .control_api import ControlApi
from .idp_api import IdpApi
from .rest_api import RestApi
from .server import MessagingServer
from .socket_api import SocketApi
from .token_api import TokenApi

__all__ = ["MessagingApi"]


class MessagingApi:
    """``server``'s guest API: ``middleware`` for the app, then ``add_routes(app)``."""

    def __init__(self, server: MessagingServer) -> None:
        self.server = server
        self._rest = RestApi(server)
        self.middleware = self._rest.middleware

    def add_routes(self, app: web.Application) -> None:
        """Serve the WebSocket, the REST endpoints and the controls on ``app``.

        ``app`` must have ``self.middleware`` among its middlewares.
        """
        SocketApi(self.server).add_routes(app)
        self._rest.add_routes(app)
        TokenApi(self.server).add_routes(app)
        ControlApi(self.server).add_routes(app)
        IdpApi(self.server).add_routes(app)
