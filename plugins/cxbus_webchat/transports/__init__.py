"""Transports of WebChatService, one module per ``transport.type``.

Each module is imported when its type is first used (``cxbus_webchat.transport``),
so that a chat on the fake transport needs neither requests nor websocket-client.
"""
