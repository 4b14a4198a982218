"""The flow-file bot on GMS: a bot participant of the chat, as Genesys Engage's bots are.

The bot joins as soon as the chat is requested, as an ``External`` participant named
after the flow's ``bot``; each of its transcript events carries the ``eventAttributes``
by which the Widgets tell a bot (``GCTI_SYSTEM`` -> ``party-info`` -> ``style``
``BOT``), so WebChatService reports it as a bot. It says everything as text
(``Reply.as_text``). A hand-over: the bot leaves, and the demo agent (when the emulator
has one) joins as it joins any chat; from then on the guest's messages are the
agent's. A disconnect: the bot leaves and the chat ends (every reply says
``chatEnded``). Participant data go to ``Chat.participant_data``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..flow import Flow
from ..flow_bot import FlowRun, Phase, Reply
from .chats import Chat, Participant
from .server import GmsServer

__all__ = ["BOT_ATTRIBUTES", "GmsFlowBot"]

# How the Widgets know a bot's events (their GMS transcript reader).
BOT_ATTRIBUTES: dict[str, Any] = {"GCTI_SYSTEM": {"party-info": {"style": "BOT"}}}


@attrs.define
class GmsChannel:
    """One GMS chat, as the flow's bot acts in it (a ``flow_bot.Channel``)."""

    server: GmsServer
    chat: Chat
    name: str
    bot: Participant | None = None

    @property
    def open(self) -> bool:
        return not self.chat.ended and self.bot is not None and self.bot.connected

    def _says(self, kind: str, **fields: Any) -> None:
        assert self.bot is not None
        self.server.party_says(self.chat, self.bot, kind, event_attributes=BOT_ATTRIBUTES, **fields)

    async def join(self) -> None:
        if not self.chat.ended:
            self.bot = self.chat.add_participant(self.name, "External")
            self._says("ParticipantJoined")

    async def typing(self) -> None:
        self._says("TypingStarted")

    async def send(self, reply: Reply) -> None:
        self._says("Message", text=reply.as_text(), message_type="text")

    def set_participant_data(self, values: Mapping[str, str]) -> None:
        self.chat.participant_data.update(values)

    def _leave(self) -> None:
        assert self.bot is not None
        self.bot.connected = False
        self._says("ParticipantLeft")

    async def handover(self, queue: str | None) -> None:
        if self.open:
            self._leave()
            if self.server.demo_agent is not None:
                self.server.spawn(self.server.demo_agent.greet(self.server, self.chat))

    async def disconnect(self) -> None:
        if self.open:
            self._leave()
            self.server.close_chat(self.chat)


@attrs.define
class GmsFlowBot:
    """``flow``'s bot in every chat of a ``GmsServer``; it types ``typing_delay`` s."""

    flow: Flow
    typing_delay: float
    runs: dict[str, FlowRun] = attrs.field(factory=dict, repr=False)

    def start(self, server: GmsServer, chat: Chat) -> None:
        """The chat was requested: the bot joins and greets (in the background)."""
        channel = GmsChannel(server, chat, self.flow.bot)
        run = self.runs[chat.id] = FlowRun(self.flow, channel, self.typing_delay)
        server.spawn(run.begin())

    async def answer(self, server: GmsServer, chat: Chat, text: str) -> None:
        """The guest said ``text``: the bot's, or, once handed over, the demo agent's to answer."""
        run = self.runs.get(chat.id)
        if run is None or await run.hear(text):
            return
        if run.phase is Phase.HANDED_OVER and server.demo_agent is not None:
            await server.demo_agent.answer(server, chat, text)
