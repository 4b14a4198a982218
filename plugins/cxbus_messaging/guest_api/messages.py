"""The message body of the Web Messaging guest API, ``StructuredMessage``.

Its fields are those of the guest API's ``swagger.json`` in the official Java SDK,
``MyPureCloud/web-messaging-sdk-java``.

The same body comes in a ``StructuredMessage`` frame over the socket and as an
entity of the history REST answer. ``parse_message`` reads it tolerantly: content
and events of kinds this client does not model are kept as ``OtherContent`` and
``OtherEvent``; only ``id``, ``type`` and ``direction`` are required. Each message
keeps the JSON it was read from (``raw``), which the SDK's events publish as is.
"""

from __future__ import annotations

import datetime
from typing import Any

import attrs

from .json_object import JsonObject

__all__ = [
    "Attachment",
    "AvailableTime",
    "ButtonResponse",
    "Card",
    "CardAction",
    "Carousel",
    "Channel",
    "Content",
    "DatePicker",
    "Event",
    "OtherContent",
    "OtherEvent",
    "Participant",
    "Presence",
    "QuickReply",
    "Reason",
    "StructuredMessage",
    "Typing",
    "parse_message",
]


@attrs.frozen
class Participant:
    """``channel.from`` or ``channel.to``."""

    nickname: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    image: str | None = None

    @property
    def display_name(self) -> str | None:
        full = " ".join(n for n in (self.first_name, self.last_name) if n)
        return self.nickname or full or None


@attrs.frozen
class Channel:
    time: str | None = None  # ISO-8601
    message_id: str | None = None
    type: str | None = None  # "Private" or "Public"
    sender: Participant | None = None  # "from"
    recipient: Participant | None = None  # "to"
    custom_attributes: dict[str, str] = attrs.field(factory=dict)

    @property
    def timestamp(self) -> datetime.datetime | None:
        """``time`` as an aware datetime, or ``None`` when it is missing or not a time."""
        if self.time is None:
            return None
        try:
            return datetime.datetime.fromisoformat(self.time.replace("Z", "+00:00"))
        except ValueError:
            return None


@attrs.frozen
class QuickReply:
    text: str | None
    payload: str | None
    action: str | None = None


@attrs.frozen
class ButtonResponse:
    """The guest's answer to a quick reply, card button, date or list picker, or form."""

    text: str | None
    payload: str | None
    type: str | None = None  # QuickReply, Button, DatePicker, ListPicker, Form


@attrs.frozen
class CardAction:
    type: str | None  # "Link" or "Postback"
    text: str | None
    url: str | None = None
    payload: str | None = None


@attrs.frozen
class Card:
    title: str | None
    description: str | None = None
    image: str | None = None
    video: str | None = None
    default_action: CardAction | None = None
    actions: tuple[CardAction, ...] = ()


@attrs.frozen
class Carousel:
    cards: tuple[Card, ...]


@attrs.frozen
class AvailableTime:
    date_time: str | None
    duration: int | None = None


@attrs.frozen
class DatePicker:
    title: str | None
    subtitle: str | None = None
    image_url: str | None = None
    date_minimum: str | None = None
    date_maximum: str | None = None
    available_times: tuple[AvailableTime, ...] = ()


@attrs.frozen
class Attachment:
    id: str | None
    url: str | None = None
    filename: str | None = None
    file_size: int | None = None
    media_type: str | None = None  # Image, Video, Audio, File, Link
    mime: str | None = None
    sha256: str | None = None
    text: str | None = None


@attrs.frozen
class OtherContent:
    """Content this client does not model (ListPicker, Form, QuickReplyV2, new kinds)."""

    content_type: str | None
    fields: dict[str, Any] = attrs.field(factory=dict, eq=False)


Content = QuickReply | ButtonResponse | Card | Carousel | DatePicker | Attachment | OtherContent


@attrs.frozen
class Typing:
    type: str | None  # "On" or "Off"
    duration: int | None = None  # milliseconds


@attrs.frozen
class Presence:
    type: str | None  # Join, Disconnect, Clear, SignIn, ...


@attrs.frozen
class OtherEvent:
    event_type: str | None
    fields: dict[str, Any] = attrs.field(factory=dict, eq=False)


Event = Typing | Presence | OtherEvent


@attrs.frozen
class Reason:
    """Why a receipt says ``Failed``."""

    code: str | None
    message: str | None = None


@attrs.frozen
class StructuredMessage:
    """One message: text, structured content or events, in or out."""

    id: str
    type: str  # Text, Structured, Event, Receipt, Message
    direction: str  # "Inbound" (from the guest) or "Outbound" (to the guest)
    text: str | None = None
    channel: Channel = attrs.field(factory=Channel)
    content: tuple[Content, ...] = ()
    events: tuple[Event, ...] = ()
    metadata: dict[str, str] = attrs.field(factory=dict)
    originating_entity: str | None = None  # "Human" or "Bot"
    status: str | None = None  # receipts
    reasons: tuple[Reason, ...] = ()
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def inbound(self) -> bool:
        return self.direction == "Inbound"

    @property
    def typing(self) -> Typing | None:
        return next((e for e in self.events if isinstance(e, Typing)), None)

    @property
    def presence(self) -> Presence | None:
        return next((e for e in self.events if isinstance(e, Presence)), None)

    @property
    def read_only(self) -> bool:
        """The session turned read-only with this message (``metadata.readOnly``)."""
        return self.metadata.get("readOnly", "").lower() == "true"


def parse_message(value: Any, where: str = "StructuredMessage body") -> StructuredMessage:
    """Read a message body; ``ProtocolError`` when it is not an object or lacks a required field."""
    body = JsonObject(value, where)
    return StructuredMessage(
        id=body.required_text("id"),
        type=body.required_text("type"),
        direction=body.required_text("direction"),
        text=body.text("text"),
        channel=_channel(body.object("channel")),
        content=tuple(_content(entry) for entry in body.objects("content")),
        events=tuple(_event(entry) for entry in body.objects("events")),
        metadata=body.strings("metadata"),
        originating_entity=body.text("originatingEntity"),
        status=body.text("status"),
        reasons=tuple(Reason(r.text("code"), r.text("message")) for r in body.objects("reasons")),
        raw=body.value,
    )


def _participant(value: JsonObject | None) -> Participant | None:
    if value is None:
        return None
    return Participant(
        value.text("nickname"), value.text("firstName"), value.text("lastName"), value.text("image")
    )


def _channel(value: JsonObject | None) -> Channel:
    if value is None:
        return Channel()
    metadata = value.object("metadata")
    return Channel(
        time=value.text("time"),
        message_id=value.text("messageId"),
        type=value.text("type"),
        sender=_participant(value.object("from")),
        recipient=_participant(value.object("to")),
        custom_attributes=metadata.strings("customAttributes") if metadata else {},
    )


def _card_action(value: JsonObject | None) -> CardAction | None:
    if value is None:
        return None
    return CardAction(
        value.text("type"), value.text("text"), value.text("url"), value.text("payload")
    )


def _card(value: JsonObject) -> Card:
    return Card(
        title=value.text("title"),
        description=value.text("description"),
        image=value.text("image"),
        video=value.text("video"),
        default_action=_card_action(value.object("defaultAction")),
        actions=tuple(a for a in map(_card_action, value.objects("actions")) if a is not None),
    )


def _content(entry: JsonObject) -> Content:
    kind = entry.text("contentType")
    # A kind's fields sit under its name in camelCase: "QuickReply" -> "quickReply".
    inner = entry.object(kind[:1].lower() + kind[1:]) if kind else None
    if inner is None:
        return OtherContent(kind, entry.value)
    if kind == "QuickReply":
        return QuickReply(inner.text("text"), inner.text("payload"), inner.text("action"))
    if kind == "ButtonResponse":
        return ButtonResponse(inner.text("text"), inner.text("payload"), inner.text("type"))
    if kind == "Card":
        return _card(inner)
    if kind == "Carousel":
        return Carousel(tuple(_card(card) for card in inner.objects("cards")))
    if kind == "DatePicker":
        return DatePicker(
            title=inner.text("title"),
            subtitle=inner.text("subtitle"),
            image_url=inner.text("imageUrl"),
            date_minimum=inner.text("dateMinimum"),
            date_maximum=inner.text("dateMaximum"),
            available_times=tuple(
                AvailableTime(t.text("dateTime"), t.integer("duration"))
                for t in inner.objects("availableTimes")
            ),
        )
    if kind == "Attachment":
        return Attachment(
            id=inner.text("id"),
            url=inner.text("url"),
            filename=inner.text("filename"),
            file_size=inner.integer("fileSize"),
            media_type=inner.text("mediaType"),
            mime=inner.text("mime"),
            sha256=inner.text("sha256"),
            text=inner.text("text"),
        )
    return OtherContent(kind, entry.value)


def _event(entry: JsonObject) -> Event:
    kind = entry.text("eventType")
    if kind == "Typing":
        typing = entry.object("typing")
        if typing is not None:
            # The JS SDK reads duration, then durationMs.
            duration = typing.integer("duration")
            return Typing(
                typing.text("type"), typing.integer("durationMs") if duration is None else duration
            )
    if kind == "Presence":
        presence = entry.object("presence")
        if presence is not None:
            return Presence(presence.text("type"))
    return OtherEvent(kind, entry.value)
