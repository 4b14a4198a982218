"""The demo bot of Web Messaging: greets, answers, shows a quick reply and a card, types.

It works from what the guest writes (case and end punctuation ignored):

- ``options``: a Structured message with three quick replies (Red, Green, Blue);
- ``card``: a Structured message with one card (a postback button and a link);
- ``disconnect`` or ``bye``: says goodbye and disconnects (read-only as the
  deployment's ``conversationDisconnect.type`` says);
- ``clear``: clears the conversation, as a guest's Presence Clear does;
- ``help``: says all this; anything else is echoed back.

A quick reply or card button the guest presses (``ButtonResponse`` content) is
acknowledged by name, and a file by its name. Before each answer it sends a
Typing event and waits ``typing_delay`` seconds. It answers one message of a
session at a time, in order.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import attrs

from .sessions import Message, Session

__all__ = ["CARD", "QUICK_REPLIES", "BotSide", "DemoBot", "quick_replies"]


class BotSide(Protocol):
    """What the demo bot does in a session of its server (a ``MessagingServer``)."""

    async def agent_typing(self, session: Session) -> None: ...

    async def agent_send(
        self, session: Session, text: str | None, content: list[dict[str, Any]] | None = None
    ) -> Message: ...

    async def agent_disconnect(
        self, session: Session, read_only: bool | None, sender: str
    ) -> Message: ...

    async def clear(self, session: Session) -> None: ...


def quick_replies(choices: list[str]) -> list[dict[str, Any]]:
    """QuickReply content entries, one per choice (the payload is the choice in capitals)."""
    return [
        {
            "contentType": "QuickReply",
            "quickReply": {"text": choice, "payload": choice.upper(), "action": "Message"},
        }
        for choice in choices
    ]


QUICK_REPLIES = quick_replies(["Red", "Green", "Blue"])
CARD = {
    "contentType": "Card",
    "card": {
        "title": "cxbus",
        "description": "A CXBus for Python, with Genesys Cloud chat plugins.",
        "actions": [
            {"type": "Postback", "text": "Tell me more", "payload": "MORE"},
            {"type": "Link", "text": "Genesys Cloud", "url": "https://developer.genesys.cloud/"},
        ],
    },
}
HELP = (
    "Say options for a quick reply, card for a card, disconnect to end the chat, "
    "clear to clear it; anything else I echo."
)


def said(message: Message) -> str:
    return (message.text or "").strip().lower().rstrip("!.?")


@attrs.define
class DemoBot:
    """A bot named ``name`` that greets ``greet_delay`` s after a conversation starts."""

    name: str = "Alex"
    greet_delay: float = 1.0
    typing_delay: float = 0.5
    _turns: dict[str, asyncio.Lock] = attrs.field(factory=dict, init=False, repr=False)

    async def on_inbound(
        self, server: BotSide, session: Session, message: Message, first: bool
    ) -> None:
        """React to the guest's ``message``; ``first`` when it started the conversation."""
        async with self._turns.setdefault(session.id, asyncio.Lock()):
            if first:
                await self._greet(server, session)
            if message.type != "Event":
                await self._answer(server, session, message)

    async def greet(self, server: BotSide, session: Session) -> None:
        """Greet a conversation that began with someone else (a flow handed it over)."""
        async with self._turns.setdefault(session.id, asyncio.Lock()):
            await self._greet(server, session)

    async def _greet(self, server: BotSide, session: Session) -> None:
        await asyncio.sleep(self.greet_delay)
        await self._say(server, session, f"Hi, I'm {self.name}, the demo bot. {HELP}")

    async def _answer(self, server: BotSide, session: Session, message: Message) -> None:
        pressed = _first(message, "ButtonResponse")
        attached = _first(message, "Attachment")
        if pressed is not None:
            await self._say(server, session, f"You chose {pressed['buttonResponse'].get('text')}.")
        elif attached is not None:
            await self._say(server, session, f"Thanks, I got {attached['attachment']['filename']}.")
        elif said(message) == "options":
            await self._say(server, session, "Pick a colour:", QUICK_REPLIES)
        elif said(message) == "card":
            await self._say(server, session, "Here is a card:", [CARD])
        elif said(message) in ("disconnect", "bye"):
            await self._say(server, session, "Goodbye, and thanks for chatting!")
            if session.open:
                await server.agent_disconnect(session, None, self.name)
        elif said(message) == "clear":
            if session.open:
                await server.clear(session)
        elif said(message) == "help":
            await self._say(server, session, HELP)
        else:
            await self._say(server, session, f"You said: {message.text}")

    async def _say(
        self,
        server: BotSide,
        session: Session,
        text: str,
        content: list[dict[str, Any]] | None = None,
    ) -> None:
        if not session.open:
            return
        await server.agent_typing(session)
        await asyncio.sleep(self.typing_delay)
        if session.open:
            await server.agent_send(session, text, content)


def _first(message: Message, content_type: str) -> dict[str, Any] | None:
    return next((c for c in message.content if c.get("contentType") == content_type), None)
