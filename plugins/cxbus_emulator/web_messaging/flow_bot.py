"""The flow-file bot on Web Messaging: the deployment's bot, as Architect's bot flows are.

A conversation begins with the guest's first message or Presence Join: the bot greets
from the flow's first state, then hears that first message, if it was one. Its
messages are a bot's (``originatingEntity`` ``Bot``); quick replies are
``QuickReply`` content, a card ``Card`` content and a carousel ``Carousel`` content,
each choice's payload its label. The guest answers with a text, or by pressing a
quick reply or postback button (``ButtonResponse``: its text, else its payload, is the
answer); files and events are not heard. A hand-over: the demo bot (when the emulator
has one) greets, and from then on the guest's messages are its. A disconnect is
Presence Disconnect from the bot, read-only as the deployment's
``conversationDisconnect.type`` says. Participant data go to
``Session.participant_data``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..flow import Card, Flow
from ..flow_bot import FlowRun, Phase, Reply
from .server import MessagingServer
from .sessions import Message, Session

__all__ = ["MessagingFlowBot", "content_of", "words_of"]


def content_of(reply: Reply) -> list[dict[str, Any]]:
    """The structured content of a reply: its quick replies, its card, or its carousel."""
    content = [
        {
            "contentType": "QuickReply",
            "quickReply": {"text": label, "payload": label, "action": "Message"},
        }
        for label in reply.quick_replies
    ]
    cards = [_card(card) for card in reply.cards]
    if reply.carousel:
        content.append({"contentType": "Carousel", "carousel": {"cards": cards}})
    else:
        content += [{"contentType": "Card", "card": card} for card in cards]
    return content


def _card(card: Card) -> dict[str, Any]:
    body: dict[str, Any] = {"title": card.title}
    if card.description is not None:
        body["description"] = card.description
    if card.image is not None:
        body["image"] = card.image
    body["actions"] = [
        {"type": "Postback", "text": b.label, "payload": b.label}
        if b.url is None
        else {"type": "Link", "text": b.label, "url": b.url}
        for b in card.buttons
    ]
    return body


def words_of(message: Message) -> str | None:
    """What the guest said in ``message``: a pressed button's text (or payload), or the
    message's text; ``None`` for an event, or a file without words."""
    if message.type == "Event":
        return None
    for entry in message.content:
        pressed = entry.get("buttonResponse")
        if entry.get("contentType") == "ButtonResponse" and isinstance(pressed, dict):
            said = pressed.get("text") or pressed.get("payload")
            if isinstance(said, str) and said:
                return said
    return message.text or None


@attrs.define
class MessagingChannel:
    """One Web Messaging conversation, as the flow's bot acts in it (a ``flow_bot.Channel``)."""

    server: MessagingServer
    session: Session
    name: str

    @property
    def open(self) -> bool:
        return self.session.open

    async def join(self) -> None:
        """Nothing: a bot in Web Messaging is there from the start."""

    async def typing(self) -> None:
        await self.server.agent_typing(self.session)

    async def send(self, reply: Reply) -> None:
        await self.server.agent_send(self.session, reply.text, content_of(reply))

    def set_participant_data(self, values: Mapping[str, str]) -> None:
        self.session.participant_data.update(values)

    async def handover(self, queue: str | None) -> None:
        if self.open and self.server.demo_agent is not None:
            await self.server.demo_agent.greet(self.server, self.session)

    async def disconnect(self) -> None:
        if self.open:
            await self.server.agent_disconnect(self.session, None, self.name)


@attrs.define
class MessagingFlowBot:
    """``flow``'s bot in every conversation of a ``MessagingServer``; it types
    ``typing_delay`` s before each message."""

    flow: Flow
    typing_delay: float
    runs: dict[str, FlowRun] = attrs.field(factory=dict, repr=False)

    async def on_inbound(
        self, server: MessagingServer, session: Session, message: Message, first: bool
    ) -> None:
        """React to the guest's ``message``; ``first`` when it began the conversation."""
        words = words_of(message)
        if first:
            channel = MessagingChannel(server, session, self.flow.bot)
            begun = self.runs[session.id] = FlowRun(self.flow, channel, self.typing_delay)
            await begun.begin(words)
            return
        run = self.runs.get(session.id)
        if run is None or (words is not None and await run.hear(words)):
            return
        if run.phase is Phase.HANDED_OVER and server.demo_agent is not None:
            await server.demo_agent.on_inbound(server, session, message, first=False)
