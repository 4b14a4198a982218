"""The guest chat API of the emulator (Genesys Cloud web chat, ``purecloud-v2-sockets``).

It serves the guest chat REST API (``/api/v2/webchat/guest/...``), signs and checks
the guests' JWTs, and streams event frames at the ``eventStreamUri`` it hands out
(``ws://HOST:PORT/v1/token/<jwt>``), with the controls and fault switches of
``/emulator/...`` and a demo agent, or a flow file's bot (``flow_bot``). Its switches
are ``Settings``. What it does as Genesys does it, from which public source, and what
is its own choice: docs/emulator.md, "Genesys's and ours".
"""

from .server import ChatServer
from .settings import Settings

__all__ = ["ChatServer", "Settings"]
