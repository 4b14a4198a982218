"""A local Genesys Cloud for tests and demos: real HTTP and WebSocket on loopback.

``Emulator`` serves, on one port, the chat APIs the cxbus chat plugins speak, so
that everything runs and is tested with no account:

- the guest chat API of Genesys Cloud web chat (``cxbus_emulator.guest_chat``),
  which WebChatService's ``purecloud-v2-sockets`` transport talks to;
- the GMS Chat API v2 of Genesys Engage and Multicloud CX (``cxbus_emulator.gms``),
  the polling API of WebChatService's GMS mode;
- the Web Messaging guest API of the Genesys Messenger
  (``cxbus_emulator.web_messaging``), which MessagingService talks to.

Each API has a scripted demo agent and fault switches, driven from Python through
``Emulator`` (``Emulator.gms`` for GMS, ``Emulator.messaging`` for Web Messaging) or
over HTTP under ``/emulator/...`` (``/emulator/gms/...``, ``/emulator/messaging/...``).
What an API does as Genesys does it, and what is the emulator's own choice, is in
docs/emulator.md ("Genesys's and ours"). A flow file (``flow``: ``load_flow``,
``parse_flow``) scripts a bot that greets every conversation on every API instead
(``flow_bot``, and each API's ``flow_bot`` module); ``testing`` is the pytest plugin
with fixtures on both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxbus.extras import requiring

if TYPE_CHECKING:
    from .emulator import Emulator
    from .flow import Flow, FlowError, load_flow, parse_flow

__all__ = ["Emulator", "Flow", "FlowError", "load_flow", "parse_flow"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `cxbus emulator` can say which extra brings
    # aiohttp (or PyYAML) when it is missing (the package is imported to build
    # cxbus's parser).
    if name == "Emulator":
        with requiring("cxbus[emulator]", "cxbus_emulator"):
            from .emulator import Emulator

        return Emulator
    if name in ("Flow", "FlowError", "load_flow", "parse_flow"):
        from . import flow

        return getattr(flow, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
