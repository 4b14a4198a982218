"""``PlatformServer``: the emulated org's OAuth clients, and what the platform does to
the emulator's conversations.

It holds the clients and their tokens, finds conversations by id and Web Messaging
messages by id, and disconnects conversations as the platform does. The HTTP side is
``api``; the Python side ``controls``. Everything here runs on the emulator's loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .clients import AccessTokens, OAuthClient
from .views import disconnected_at

if TYPE_CHECKING:
    from ..gms.server import GmsServer
    from ..guest_chat.conversations import Conversation as GuestChat
    from ..guest_chat.server import ChatServer
    from ..web_messaging.server import MessagingServer
    from ..web_messaging.sessions import Message, Session

__all__ = ["CHANNELS", "PlatformServer"]

CHANNELS = ("messaging", "webchat", "gms")
"""The channels whose conversations ``open_conversations`` names, as cxbus names them."""


class PlatformServer:
    """The Genesys Cloud platform API's side of one emulator."""

    def __init__(
        self,
        clients: tuple[OAuthClient, ...],
        messaging: MessagingServer,
        guest_chat: ChatServer,
        gms: GmsServer,
    ) -> None:
        if not clients:
            raise ValueError("platform_clients must hold one OAuthClient at least.")
        self.clients = {client.client_id: client for client in clients}
        self.tokens = AccessTokens()
        self.messaging = messaging
        self.guest_chat = guest_chat
        self.gms = gms
        # Web Messaging messages by id, and how many of each session's are indexed: the
        # sessions' lists only grow, so a lookup that misses indexes what is new.
        self._messages: dict[str, tuple[Session, Message]] = {}
        self._indexed: dict[str, int] = {}

    def add_client(self, client: OAuthClient) -> None:
        """One more client, or a client changed (its tokens so far grant nothing then)."""
        if client.client_id in self.clients:
            self.tokens.revoke_client(client.client_id)
        self.clients[client.client_id] = client

    # Conversations ------------------------------------------------------------------------

    def message(self, message_id: str) -> tuple[Session, Message] | None:
        """The Web Messaging message of that id, with its conversation."""
        found = self._messages.get(message_id)
        if found is None:
            for session in self.messaging.sessions.values():
                start = self._indexed.get(session.id, 0)
                for message in session.messages[start:]:
                    self._messages[message.id] = (session, message)
                self._indexed[session.id] = len(session.messages)
            found = self._messages.get(message_id)
        return found

    def messaging_conversation(self, conversation_id: str) -> Session | None:
        """The Web Messaging conversation of that id: a session that has begun."""
        session = self.messaging.sessions.get(conversation_id)
        return session if session is not None and session.messages else None

    def chat(self, conversation_id: str) -> GuestChat | None:
        """The guest chat of that id."""
        return self.guest_chat.conversations.get(conversation_id)

    async def disconnect_messaging(self, session: Session, client: OAuthClient) -> None:
        """Disconnect a Web Messaging conversation (nothing if it is over already): the
        guest gets a Presence Disconnect, read-only as the deployment says."""
        if disconnected_at(session) is None:
            await self.messaging.agent_disconnect(session, None, client.name)

    async def disconnect_chat(self, chat: GuestChat) -> None:
        """Disconnect a guest chat: every member leaves, the guest first."""
        await self.guest_chat.end(chat)

    def open_conversations(self) -> list[tuple[str, str]]:
        """Every conversation still open on any API, as (channel, id): Web Messaging
        conversations that have begun and not been disconnected, guest chats and GMS
        chats that have not ended."""
        found = [
            ("messaging", session.id)
            for session in self.messaging.sessions.values()
            if session.messages and disconnected_at(session) is None
        ]
        found += [
            ("webchat", chat.id)
            for chat in self.guest_chat.conversations.values()
            if not chat.ended
        ]
        found += [("gms", chat.id) for chat in self.gms.chats.values() if not chat.ended]
        return found
