"""MessagingService: the customer's side of a Genesys Cloud Web Messaging conversation.

Web Messaging is the channel of the Genesys Messenger, which Genesys tells web chat
customers to move to. MessagingService is the Messenger's headless ``MessagingService``
plugin on a cxbus, with the ``Database`` plugin beside it; it is found through the
``cxbus.plugins`` entry point::

    bus = cxbus.Bus(config={"messaging": {"deploymentId": "...", "domain": "mypurecloud.com"}})
    bus.command("MessagingService.sendMessage", {"message": "Hello"}).result(timeout=10)

``cxbus_messaging.guest_api`` is the client side of the Web Messaging guest API it
speaks: the frames, the requests, the history and configuration calls.
"""

from . import guest_api
from .config import ConfigError, MessagingConfig, parse_config
from .database import Database
from .payloads import (
    HistoryPageData,
    MessageBody,
    MessageChannel,
    MessagesReceivedData,
    StartedData,
)
from .service import EVENTS, SERVICE, MessagingService, setup
from .session_store import FileSessionStore, MemorySessionStore, StoredSession

__all__ = [
    "EVENTS",
    "SERVICE",
    "ConfigError",
    "Database",
    "FileSessionStore",
    "HistoryPageData",
    "MemorySessionStore",
    "MessageBody",
    "MessageChannel",
    "MessagesReceivedData",
    "MessagingConfig",
    "MessagingService",
    "StartedData",
    "StoredSession",
    "guest_api",
    "parse_config",
    "setup",
]
