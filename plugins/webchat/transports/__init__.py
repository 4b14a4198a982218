"""Transports of WebChatService, one module per ``transport.type``; importing registers them."""

from . import fake, purecloud_v2_sockets

__all__ = ["fake", "purecloud_v2_sockets"]
