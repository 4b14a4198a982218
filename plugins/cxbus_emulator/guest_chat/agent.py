"""The demo agent: joins a routed chat, greets, types before it answers, and says goodbye."""

from __future__ import annotations

import asyncio
from typing import Protocol

import attrs

from .conversations import Conversation, Member, Message

__all__ = ["AgentSide", "DemoAgent"]


class AgentSide(Protocol):
    """What the demo agent does in a conversation of its server (a ``ChatServer``)."""

    async def agent_join(self, conversation: Conversation, name: str) -> Member: ...

    async def agent_typing(self, conversation: Conversation) -> None: ...

    async def agent_send(self, conversation: Conversation, text: str) -> Message: ...

    async def agent_leave(self, conversation: Conversation) -> None: ...


CANNED = {
    "hello": "Hello again! What can I do for you?",
    "hi": "Hi! What can I do for you?",
    "help": "I echo what you say; say bye to end the chat.",
}
FAREWELLS = ("bye", "goodbye", "thanks, bye")


@attrs.frozen
class DemoAgent:
    """An agent who joins ``join_delay`` s after routing and types ``typing_delay`` s a line."""

    name: str = "Alex"
    join_delay: float = 1.0
    typing_delay: float = 0.5

    def reply(self, text: str) -> str:
        """What the agent answers to ``text``: a canned reply, or an echo."""
        said = text.strip().lower().rstrip("!.?")
        if said in FAREWELLS:
            return "Goodbye, and thanks for chatting!"
        if said in CANNED:
            return CANNED[said]
        return f"You said: {text}"

    async def greet(self, server: AgentSide, conversation: Conversation) -> None:
        await asyncio.sleep(self.join_delay)
        if conversation.ended or conversation.agent is not None:
            return
        await server.agent_join(conversation, self.name)
        await self._say(
            server,
            conversation,
            f"Hi {conversation.guest.display_name}, I'm {self.name}. How can I help you today?",
        )

    async def answer(self, server: AgentSide, conversation: Conversation, text: str) -> None:
        if conversation.agent is None:
            return
        await self._say(server, conversation, self.reply(text))
        if text.strip().lower().rstrip("!.?") in FAREWELLS and conversation.agent is not None:
            await server.agent_leave(conversation)

    async def _say(self, server: AgentSide, conversation: Conversation, text: str) -> None:
        await server.agent_typing(conversation)
        await asyncio.sleep(self.typing_delay)
        if conversation.agent is not None and not conversation.ended:
            await server.agent_send(conversation, text)
