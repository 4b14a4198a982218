"""MessagingService's events as messages: Web Messaging's structured messages, in one shape.

A message body (``messagesReceived``) is read with ``cxbus_messaging.guest_api.parse_message``:

- ``direction`` ``Inbound`` is the customer (its own echoes, kept like every message);
  ``Outbound`` is the contact centre, ``originatingEntity`` ``Bot`` a bot and ``Human``
  an agent. Ours: an outbound message that says neither is taken as an agent's.
- ``QuickReply`` content becomes quick replies, ``Card`` and ``Carousel`` cards (their
  ``Postback`` actions buttons to choose, their ``Link`` actions buttons with a URL),
  ``Attachment`` attachments; the customer's ``ButtonResponse`` gives its text when the
  message has none. Date and list pickers and forms stay in ``raw``.
- An outbound Presence ``Join`` is its sender joining; ``Disconnect`` is its sender
  leaving, and the conversation's end. Typing, receipts and the customer's own presence
  events make no message.
- Ours: Web Messaging tells the guest of no agent joining, so the first message of a
  human agent (by name) counts as that agent joining: a ``joined`` message comes just
  before it.

``conversationCleared``, ``sessionExpired`` and ``sessionCleared`` end the conversation.
"""

from __future__ import annotations

from cxbus import Event
from cxbus_messaging import guest_api
from cxbus_messaging.guest_api import StructuredMessage, parse_message

from . import message as shape
from .message import Message

__all__ = ["ENDINGS", "EVENTS", "MessagingReader"]

CHANNEL = "messaging"
# The events that end the conversation, and what its end says.
ENDINGS = {
    "MessagingService.conversationCleared": "The conversation was cleared.",
    "MessagingService.sessionExpired": "The session expired.",
    "MessagingService.sessionCleared": "The session was closed here.",
}
EVENTS = ("MessagingService.messagesReceived", *ENDINGS)
"""What a conversation subscribes to on MessagingService."""
SENDERS = {"Bot": "bot", "Human": "agent"}


class MessagingReader:
    """Turns MessagingService's events into messages, for one conversation.

    It remembers the human agents it has seen join (see the module docstring); it
    runs on whichever thread publishes, one event at a time.
    """

    def __init__(self) -> None:
        self._agents: set[str] = set()

    def read(self, event: Event) -> list[Message]:
        """The messages ``event`` brings, in order (none for what is not said or done)."""
        ending = ENDINGS.get(event.name)
        if ending is not None:
            return [Message("system", text=ending, event="ended", channel=CHANNEL, raw=_raw(event))]
        messages: list[Message] = []
        for raw in event.data["messages"]:
            messages.extend(self.read_body(parse_message(raw)))
        return messages

    def read_body(self, body: StructuredMessage) -> list[Message]:
        """The messages of one message body."""
        time = body.channel.timestamp
        sender = "customer" if body.inbound else SENDERS.get(body.originating_entity or "", "agent")
        participant = body.channel.sender
        name = participant.display_name if participant is not None else None
        base = Message(sender, name, time=time, channel=CHANNEL, raw=body.raw)
        presence = body.presence
        if presence is not None:
            return self._presence(base, presence.type, body.inbound)
        if body.type not in ("Text", "Structured", "Message"):
            return []  # typing, receipts, events of kinds not modelled
        said = _said(base, body)
        if sender == "agent" and (name or sender) not in self._agents:
            self._agents.add(name or sender)
            return [_joined(base), said]
        return [said]

    def _presence(self, base: Message, kind: str | None, inbound: bool) -> list[Message]:
        if inbound:
            return []
        who = base.sender_name or base.sender
        if kind == "Join":
            if base.sender == "agent":
                self._agents.add(who)
            return [_joined(base)]
        if kind == "Disconnect":
            self._agents.discard(who)
            left = _event(base, "left", f"{who} left the conversation.")
            ended = Message(
                "system",
                text=f"The conversation ended: {who} disconnected it.",
                event="ended",
                time=base.time,
                channel=CHANNEL,
                raw=base.raw,
            )
            return [left, ended]
        return []


def _event(base: Message, event: str, text: str) -> Message:
    """``base`` (its sender, time, raw) as a ``joined`` or ``left`` message."""
    return Message(
        base.sender,
        base.sender_name,
        text=text,
        event=event,
        time=base.time,
        channel=base.channel,
        raw=base.raw,
    )


def _joined(base: Message) -> Message:
    return _event(base, "joined", f"{base.sender_name or base.sender} joined the conversation.")


def _said(base: Message, body: StructuredMessage) -> Message:
    quick_replies: list[shape.QuickReply] = []
    cards: list[shape.Card] = []
    carousels: list[shape.Carousel] = []
    attachments: list[shape.Attachment] = []
    text = body.text or ""
    for content in body.content:
        if isinstance(content, guest_api.QuickReply) and (content.text or content.payload):
            label = content.text or content.payload or ""
            quick_replies.append(shape.QuickReply(label, content.payload))
        elif isinstance(content, guest_api.Card):
            cards.append(_card(content))
        elif isinstance(content, guest_api.Carousel):
            carousels.append(shape.Carousel(tuple(_card(card) for card in content.cards)))
        elif isinstance(content, guest_api.Attachment):
            attachments.append(
                shape.Attachment(content.filename, content.url, content.mime, content.id)
            )
        elif isinstance(content, guest_api.ButtonResponse) and not text:
            text = content.text or content.payload or ""
    return Message(
        base.sender,
        base.sender_name,
        text=text,
        quick_replies=tuple(quick_replies),
        cards=tuple(cards),
        carousels=tuple(carousels),
        attachments=tuple(attachments),
        time=base.time,
        channel=CHANNEL,
        raw=base.raw,
    )


def _card(card: guest_api.Card) -> shape.Card:
    return shape.Card(
        card.title or "",
        card.description,
        card.image,
        tuple(_button(action) for action in card.actions if action.text),
    )


def _button(action: guest_api.CardAction) -> shape.Button:
    label = action.text or ""
    if action.type == "Link":
        return shape.Button(label, url=action.url or "")
    return shape.Button(label, action.payload)


def _raw(event: Event) -> dict[str, object]:
    data = event.data
    return dict(data) if isinstance(data, dict) else {}
