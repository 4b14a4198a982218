"""Transports of WebChatService, one module per ``transport.type``; importing registers them."""

from . import fake

__all__ = ["fake"]
