"""The TypedDicts of cxbus_webchat.payloads are the shapes WebChatService publishes."""

from __future__ import annotations

from typing import Any

from cxbus_webchat import (
    CloudSessionData,
    MessageReceivedData,
    MessageSender,
    TranscriptData,
    TranscriptMessage,
)
from cxbus_webchat.testing import ChatDriver


def keys_fit(data: Any, shape: Any) -> None:
    """``data`` has every required key of the TypedDict ``shape`` and no key it lacks."""
    assert isinstance(data, dict)
    known = shape.__required_keys__ | shape.__optional_keys__
    assert shape.__required_keys__ <= data.keys() <= known


def test_a_message_received_and_the_transcript_have_their_typed_shapes(
    webchat: ChatDriver,
) -> None:
    webchat("startChat", {"nickname": "Ada"})
    webchat("FakeTransport.agentJoin", {"name": "Alex"})
    webchat("FakeTransport.agentSend", {"text": "How can I help?"})
    received = webchat.data("messageReceived")[-1]
    keys_fit(received, MessageReceivedData)
    keys_fit(received["sessionData"], CloudSessionData)
    transcript = webchat("getTranscript")
    keys_fit(transcript, TranscriptData)
    for message in [*received["messages"], *transcript["messages"]]:
        keys_fit(message, TranscriptMessage)
        keys_fit(message["from"], MessageSender)
    keys_fit(webchat("getSessionData"), CloudSessionData)


def test_started_carries_the_session_data_shape(webchat: ChatDriver) -> None:
    webchat("startChat", {"nickname": "Ada"})
    keys_fit(webchat.data("started")[-1], CloudSessionData)
