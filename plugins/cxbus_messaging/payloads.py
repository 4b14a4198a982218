"""The shapes of what MessagingService's busiest events carry and commands answer.

They are ``TypedDict``\\ s: at run time the data are plain dicts (a message is the Guest
API's own body, as the Messenger's plugin hands it on); for mypy and the editor, a
subscriber that annotates its data gets its keys checked::

    from cxbus_messaging import MessagesReceivedData

    def show(event: Event) -> None:
        data: MessagesReceivedData = event.data
        for message in data["messages"]:
            if message["direction"] == "Outbound":
                print(message.get("text", ""))

A message body's ``id``, ``type`` and ``direction`` are always there (a body without
them is refused as malformed); its other keys are there when the server sent them.
MessagingService builds these payloads with them (``record``, ``conversation_updates``,
``conversation_commands``), so the shapes cannot drift from what is published.
"""

from __future__ import annotations

from typing import Any, TypedDict, cast

from .guest_api import StructuredMessage

__all__ = [
    "HistoryPageData",
    "MessageBody",
    "MessageChannel",
    "MessagesReceivedData",
    "StartedData",
    "message_body",
]


# "from" is a keyword: the functional form of TypedDict.
MessageChannel = TypedDict(
    "MessageChannel",
    {
        "time": str,
        "messageId": str,
        "type": str,
        "from": dict[str, Any],
        "to": dict[str, Any],
    },
    total=False,
)
"""A message's ``channel``: when the server took it (``time``, ISO-8601), and who sent it
(``from``: ``nickname``, ``image``...)."""


class _MessageBody(TypedDict):
    id: str
    type: str
    direction: str


class MessageBody(_MessageBody, total=False):
    """A message of the conversation, both ways: the Guest API's ``StructuredMessage``
    body. ``type``: ``"Text"``, ``"Structured"``, ``"Event"``, ``"Receipt"`` or
    ``"Message"``; ``direction``: ``"Inbound"`` (from the guest) or ``"Outbound"`` (to
    the guest, from an agent or a bot: ``originatingEntity`` ``"Human"`` or ``"Bot"``).
    ``content`` holds quick replies, cards, attachments and button responses, ``events``
    presence and typing events. ``tracingId`` (ours) is on the echo of the guest's own
    message: the one its ``sendingMessage`` had."""

    text: str
    channel: MessageChannel
    content: list[dict[str, Any]]
    events: list[dict[str, Any]]
    metadata: dict[str, str]
    originatingEntity: str
    status: str
    reasons: list[dict[str, Any]]
    tracingId: str


class MessagesReceivedData(TypedDict):
    """The data of ``messagesReceived``: one message, in a list (as the Messenger's)."""

    messages: list[MessageBody]


class HistoryPageData(TypedDict):
    """The data of ``restored`` and ``oldMessages``, and what ``fetchHistory`` resolves
    with: a page of the history, newest message first."""

    messages: list[MessageBody]
    pageNumber: int
    pageSize: int


class _StartedData(TypedDict):
    newSession: bool
    authenticated: bool
    readOnly: bool


class StartedData(_StartedData, total=False):
    """The data of ``started`` and ``conversationReset``: the session. ``newSession`` is
    false when a stored session was resumed; ``durationSeconds`` and ``expirationDate``
    (milliseconds since the epoch) are there when the server said them."""

    durationSeconds: int
    expirationDate: int


def message_body(message: StructuredMessage, tracing_id: str | None = None) -> MessageBody:
    """The body subscribers get for ``message``: the server's, as it came (a copy), with
    ``tracingId`` when it is the echo of the guest's own message."""
    # parse_message has checked id, type and direction: the rest is the server's to say.
    body = cast(MessageBody, dict(message.raw))
    if tracing_id is not None:
        body["tracingId"] = tracing_id
    return body
