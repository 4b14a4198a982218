"""The flow-file bot on the guest chat API: the chat's inbound flow, a ``WORKFLOW`` member.

As a Genesys Cloud inbound chat flow does, the bot takes the chat once its event
stream is attached, before any queue: its ``WORKFLOW`` member (named after the flow's
``bot``) joins and greets. It says everything as text (``Reply.as_text``). A hand-over
is the flow's transfer to a queue: the bot's member leaves, an ``ACD`` member named
after the queue joins, and the demo agent (when the emulator has one) answers it as
it answers any queued chat; from then on the guest's messages are the agent's. A
disconnect ends the chat as the agent's side does (``ChatServer.end``: the guest
leaves, then every member). Participant data go to ``Conversation.participant_data``.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ..flow import Flow
from ..flow_bot import FlowRun, Phase, Reply
from .conversations import Conversation, Member
from .server import ChatServer

__all__ = ["GuestChatFlowBot"]


@attrs.define
class GuestChatChannel:
    """One guest chat, as the flow's bot acts in it (a ``flow_bot.Channel``)."""

    server: ChatServer
    conversation: Conversation
    bot: Member

    @property
    def open(self) -> bool:
        return not self.conversation.ended and self.bot.state == "CONNECTED"

    async def join(self) -> None:
        await self.server.connect_member(self.conversation, self.bot)

    async def typing(self) -> None:
        await self.server.member_typing(self.conversation, self.bot)

    async def send(self, reply: Reply) -> None:
        await self.server.post_message(self.conversation, self.bot, reply.as_text())

    def set_participant_data(self, values: Mapping[str, str]) -> None:
        self.conversation.participant_data.update(values)

    async def handover(self, queue: str | None) -> None:
        if self.open:
            await self.server.disconnect_member(self.conversation, self.bot)
            await self.server.enqueue(self.conversation, queue)

    async def disconnect(self) -> None:
        await self.server.end(self.conversation)


@attrs.define
class GuestChatFlowBot:
    """``flow``'s bot in every guest chat of a ``ChatServer``; it types ``typing_delay`` s."""

    flow: Flow
    typing_delay: float
    runs: dict[str, FlowRun] = attrs.field(factory=dict, repr=False)

    def start(self, server: ChatServer, conversation: Conversation) -> None:
        """The chat was routed: the bot joins and greets (in the background)."""
        bot = Member("WORKFLOW", self.flow.bot)
        channel = GuestChatChannel(server, conversation, bot)
        run = self.runs[conversation.id] = FlowRun(self.flow, channel, self.typing_delay)
        server.spawn(run.begin())

    async def answer(self, server: ChatServer, conversation: Conversation, text: str) -> None:
        """The guest said ``text``: the bot's, or, once handed over, the demo agent's to answer."""
        run = self.runs.get(conversation.id)
        if run is None or await run.hear(text):
            return
        if run.phase is Phase.HANDED_OVER and server.demo_agent is not None:
            await server.demo_agent.answer(server, conversation, text)
