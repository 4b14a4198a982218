"""A local Genesys Cloud for tests and demos: real HTTP and WebSocket on loopback.

``Emulator`` serves, on one port, the chat APIs the cxbus chat plugins speak, so
that everything runs and is tested with no account:

- the guest chat API of Genesys Cloud web chat (``cxbus_emulator.guest_chat``),
  which WebChatService's ``purecloud-v2-sockets`` transport talks to;
- the GMS Chat API v2 of Genesys Engage and Multicloud CX (``cxbus_emulator.gms``),
  the polling API of WebChatService's GMS mode.

Each API has a scripted demo agent and fault switches, driven from Python through
``Emulator`` (``Emulator.gms`` for GMS) or over HTTP under ``/emulator/...``. What
an API does as Genesys does it, and what is the emulator's own choice, is written
in its module.
"""

from .emulator import Emulator

__all__ = ["Emulator"]
