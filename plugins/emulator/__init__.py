"""A local Genesys Cloud for tests and demos: real HTTP and WebSocket on loopback.

``Emulator`` serves, on one port, the chat APIs the cxbus chat plugins speak, so
that everything runs and is tested with no account:

- the guest chat API of Genesys Cloud web chat (``cxbus_emulator.guest_chat``),
  which WebChatService's ``purecloud-v2-sockets`` transport talks to;
- the Web Messaging guest API of the Genesys Messenger
  (``cxbus_emulator.web_messaging``), which MessagingService talks to.

Each API has a scripted demo agent and fault switches, driven from Python through
``Emulator`` (``Emulator.messaging`` for Web Messaging) or over HTTP under
``/emulator/...`` (``/emulator/messaging/...``). What an API does as Genesys
does it, and what is the emulator's own choice, is written in its module.
"""

from .emulator import Emulator

__all__ = ["Emulator"]
