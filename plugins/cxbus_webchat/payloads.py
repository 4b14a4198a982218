"""The shapes of what WebChatService's busiest commands answer and events carry.

They are ``TypedDict``\\ s: at run time the data are plain dicts, as the widgets' are;
for mypy and the editor, a subscriber or a commander that annotates its data gets its
keys checked::

    from cxbus_webchat import MessageReceivedData

    def show(event: Event) -> None:
        data: MessageReceivedData = event.data
        for message in data["messages"]:
            print(message["from"]["name"], message["text"])

WebChatService builds these very payloads with them (``messages``, ``record``,
``chat_updates``, ``service``), so the shapes cannot drift from what is published.
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    "CloudSessionData",
    "GmsSessionData",
    "MessageReceivedData",
    "MessageSender",
    "NoSessionData",
    "SessionInfo",
    "TranscriptData",
    "TranscriptMessage",
]


class MessageSender(TypedDict):
    """Who wrote a message: ``from`` of a ``TranscriptMessage``."""

    name: str
    type: str
    """``"Client"`` (the guest), ``"Agent"``, ``"External"`` (a flow or a bot); through GMS
    also ``"Supervisor"`` and ``"Bot"``."""


# "from" is a keyword: the functional form of TypedDict.
TranscriptMessage = TypedDict(
    "TranscriptMessage",
    {
        "index": int,
        "type": str,
        "from": MessageSender,
        "text": str,
        "timestamp": str,
        "original": dict[str, Any],
    },
)
"""One line of the transcript, as ``messageReceived`` and ``getTranscript`` give it:
``index`` (its place in the transcript), ``type`` (``"Message"``, ``"Notice"``,
``"ParticipantJoined"``, ``"ParticipantLeft"``, ``"MediaRequest"``; through GMS also
its own types, such as ``"PushUrl"``), ``from``, ``text``, ``timestamp`` (ISO-8601, as
the server sent it) and ``original`` (the server's own message)."""


class TranscriptData(TypedDict):
    """What ``getTranscript`` resolves with."""

    messages: list[TranscriptMessage]


class CloudSessionData(TypedDict):
    """``getSessionData`` (and ``started``, ``sessionData``) on Genesys Cloud and the fake
    transport: the conversation and the guest's member id, never the JWT."""

    conversationId: str
    memberId: str


class GmsSessionData(TypedDict):
    """``getSessionData`` through GMS: the page's shape "when using Chat via GMS API"."""

    secureKey: str
    sessionID: str
    alias: str | None
    userId: str


class NoSessionData(TypedDict):
    """``getSessionData`` with no chat: ``{}``."""


SessionInfo = CloudSessionData | GmsSessionData | NoSessionData
"""What ``getSessionData`` resolves with, on any transport."""


class _MessageReceivedData(TypedDict):
    originalMessages: list[Any]
    messages: list[TranscriptMessage]
    restoring: bool
    sessionData: SessionInfo


class MessageReceivedData(_MessageReceivedData, total=False):
    """The data of ``messageReceived``: the new transcript lines (``messages``), the
    server's own messages they came from (``originalMessages``), whether they come from a
    restore, and the session data; through GMS also ``idleTimeCountDown`` (seconds until an
    idle chat closes, while an idle alert runs, else ``None``)."""

    idleTimeCountDown: int | None
