"""WebChatService: the customer's side of a Genesys Cloud web chat, as a cxbus plugin.

Installed with cxbus, it is found through the ``cxbus.plugins`` entry point::

    bus = cxbus.Bus(config={"webchat": {"transport": {"type": "fake"}}})
    bus.command("WebChatService.startChat", {"nickname": "Ada"}).result(timeout=5)

``transport.type`` picks the protocol: ``purecloud-v2-sockets`` for Genesys Cloud,
``fake`` for tests (see ``cxbus_webchat.transports.fake``).
"""

from . import transports
from .config import ConfigError, WebChatConfig, parse_config
from .service import EVENTS, SERVICE, WebChatService, setup
from .session_store import (
    FileSessionStore,
    MemorySessionStore,
    SessionStore,
    SessionStoreError,
    StoredSession,
)
from .transport import Transport, TransportError, register_transport

__all__ = [
    "EVENTS",
    "SERVICE",
    "ConfigError",
    "FileSessionStore",
    "MemorySessionStore",
    "SessionStore",
    "SessionStoreError",
    "StoredSession",
    "Transport",
    "TransportError",
    "WebChatConfig",
    "WebChatService",
    "parse_config",
    "register_transport",
    "setup",
    "transports",
]
