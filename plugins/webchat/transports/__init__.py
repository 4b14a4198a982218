"""Transports of WebChatService, one module per ``transport.type``."""
