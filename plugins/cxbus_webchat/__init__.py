"""WebChatService: the customer's side of a Genesys Cloud web chat, as a cxbus plugin.

Installed with cxbus, it is found through the ``cxbus.plugins`` entry point::

    bus = cxbus.Bus(config={"webchat": {"transport": {"type": "fake"}}})
    bus.command("WebChatService.startChat", {"nickname": "Ada"}).result(timeout=5)

``transport.type`` picks the protocol: ``purecloud-v2-sockets`` for Genesys Cloud,
``fake`` for tests (see ``cxbus_webchat.transports.fake``). With no ``transport``
section, the chat goes through GMS (Genesys Engage / Multicloud CX), polled, with
the widgets' GMS options in the section itself (``dataURL``, ``apikey``, ...: see
``cxbus_webchat.config.GmsOptions``).
"""

from . import transports
from .config import ConfigError, GmsOptions, WebChatConfig, parse_config, parse_gms
from .payloads import (
    CloudSessionData,
    GmsSessionData,
    MessageReceivedData,
    MessageSender,
    NoSessionData,
    SessionInfo,
    TranscriptData,
    TranscriptMessage,
)
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
    "CloudSessionData",
    "ConfigError",
    "FileSessionStore",
    "GmsOptions",
    "GmsSessionData",
    "MemorySessionStore",
    "MessageReceivedData",
    "MessageSender",
    "NoSessionData",
    "SessionInfo",
    "SessionStore",
    "SessionStoreError",
    "StoredSession",
    "TranscriptData",
    "TranscriptMessage",
    "Transport",
    "TransportError",
    "WebChatConfig",
    "WebChatService",
    "parse_config",
    "parse_gms",
    "register_transport",
    "setup",
    "transports",
]
