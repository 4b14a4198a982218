"""Conversations: one object that a test or a script drives, the same on every channel.

A ``Conversation`` (or, for asyncio code, an ``AsyncConversation``) runs a customer's
side of a chat over Web Messaging (MessagingService), the guest chat API or GMS
(WebChatService), chosen by configuration: start it, ``say`` a text, ``choose`` a
quick reply, ``send_file``, ``wait_for`` the next bot or agent message that matches,
the agent joining or leaving, the end; ``end`` it. Every channel's messages come in
one shape (``Message``), and the conversation keeps a timed ``Transcript``::

    from cxbus_conversations import Conversation

    with Conversation("messaging", {"deploymentId": "...", "domain": "mypurecloud.com"}) as chat:
        chat.say("Where is my order?")
        print(chat.wait_for(contains="order number").text)

A layer above the channels: it uses the public API of cxbus, cxbus_messaging and
cxbus_webchat, and none of them knows it. ``cxbus_conversations.testing`` is its
pytest plugin (conversations with the emulator's demo bot and demo agent).
``PlatformClient`` (``cxbus_conversations.platform``) asks Genesys Cloud's platform API
what the guest cannot see: the conversation's id, its participant data; and
disconnects it.
"""

from .async_conversation import AsyncConversation
from .conditions import Condition
from .conversation import Conversation
from .errors import (
    ConversationEnded,
    ConversationError,
    NotOffered,
    NotReceived,
    WaitTimeout,
    WrongState,
)
from .message import EVENTS, SENDERS, Attachment, Button, Card, Carousel, Message, QuickReply
from .options import CHANNELS
from .platform import PlatformClient, PlatformError, PlatformSection
from .transcript import Entry, Transcript
from .web_chat import WebChatReader
from .web_messaging import MessagingReader

__all__ = [
    "CHANNELS",
    "EVENTS",
    "SENDERS",
    "AsyncConversation",
    "Attachment",
    "Button",
    "Card",
    "Carousel",
    "Condition",
    "Conversation",
    "ConversationEnded",
    "ConversationError",
    "Entry",
    "Message",
    "MessagingReader",
    "NotOffered",
    "NotReceived",
    "PlatformClient",
    "PlatformError",
    "PlatformSection",
    "QuickReply",
    "Transcript",
    "WaitTimeout",
    "WebChatReader",
    "WrongState",
]
