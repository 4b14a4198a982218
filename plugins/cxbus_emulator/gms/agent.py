"""The GMS demo agent: the guest chat's script, played through the GMS transcript."""

from __future__ import annotations

import asyncio
from typing import Protocol

import attrs

from ..guest_chat.agent import FAREWELLS, DemoAgent
from .chats import Chat, Participant

__all__ = ["AgentDesk", "GmsDemoAgent"]


class AgentDesk(Protocol):
    """What the demo agent does in a chat of its GMS server (a ``GmsServer``)."""

    def agent_join(self, chat: Chat, name: str) -> Participant: ...

    def agent_typing(self, chat: Chat) -> None: ...

    def agent_send(self, chat: Chat, text: str) -> int: ...

    def end_chat(self, chat: Chat) -> None: ...


@attrs.frozen
class GmsDemoAgent:
    """Joins ``script.join_delay`` s after the chat is requested, greets, echoes, says goodbye.

    What it says, and how long it waits, is the guest chat demo agent's ``script``;
    on a farewell it says goodbye, leaves and ends the chat (a GMS chat ends when
    its agent leaves: ours, see the package docstring).
    """

    script: DemoAgent

    async def greet(self, server: AgentDesk, chat: Chat) -> None:
        await asyncio.sleep(self.script.join_delay)
        if chat.ended or chat.agent is not None:
            return
        server.agent_join(chat, self.script.name)
        await self._say(
            server,
            chat,
            f"Hi {chat.client.nickname}, I'm {self.script.name}. How can I help you today?",
        )

    async def answer(self, server: AgentDesk, chat: Chat, text: str) -> None:
        if chat.agent is None:
            return
        await self._say(server, chat, self.script.reply(text))
        if text.strip().lower().rstrip("!.?") in FAREWELLS and chat.agent is not None:
            server.end_chat(chat)

    async def _say(self, server: AgentDesk, chat: Chat, text: str) -> None:
        server.agent_typing(chat)
        await asyncio.sleep(self.script.typing_delay)
        if chat.agent is not None and not chat.ended:
            server.agent_send(chat, text)
