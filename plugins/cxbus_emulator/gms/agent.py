"""The GMS demo agent: the guest chat's script, played through the GMS transcript."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import attrs

from ..guest_chat.agent import FAREWELLS, DemoAgent
from .chats import Chat

if TYPE_CHECKING:
    from .server import GmsServer

__all__ = ["GmsDemoAgent"]


@attrs.frozen
class GmsDemoAgent:
    """Joins ``script.join_delay`` s after the chat is requested, greets, echoes, says goodbye.

    What it says, and how long it waits, is the guest chat demo agent's ``script``;
    on a farewell it says goodbye, leaves and ends the chat (a GMS chat ends when
    its agent leaves: ours, see the package docstring).
    """

    script: DemoAgent

    async def greet(self, server: GmsServer, chat: Chat) -> None:
        await asyncio.sleep(self.script.join_delay)
        if chat.ended or chat.agent is not None:
            return
        server.agent_join(chat, self.script.name)
        await self._say(
            server,
            chat,
            f"Hi {chat.client.nickname}, I'm {self.script.name}. How can I help you today?",
        )

    async def answer(self, server: GmsServer, chat: Chat, text: str) -> None:
        if chat.agent is None:
            return
        await self._say(server, chat, self.script.reply(text))
        if text.strip().lower().rstrip("!.?") in FAREWELLS and chat.agent is not None:
            server.end_chat(chat)

    async def _say(self, server: GmsServer, chat: Chat, text: str) -> None:
        server.agent_typing(chat)
        await asyncio.sleep(self.script.typing_delay)
        if chat.agent is not None and not chat.ended:
            server.agent_send(chat, text)
