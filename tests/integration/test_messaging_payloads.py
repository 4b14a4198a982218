"""The TypedDicts of cxbus_messaging.payloads are the shapes MessagingService publishes."""

from __future__ import annotations

from typing import Any

import pytest

from cxbus_messaging import HistoryPageData, MessageBody, MessagesReceivedData, StartedData
from cxbus_messaging.testing import MessagingDriver

pytestmark = pytest.mark.integration


def keys_fit(data: Any, shape: Any) -> None:
    """``data`` has every required key of the TypedDict ``shape`` and no key it lacks."""
    assert isinstance(data, dict)
    known = shape.__required_keys__ | shape.__optional_keys__
    assert shape.__required_keys__ <= data.keys() <= known, data.keys() - known


def test_messages_started_and_history_have_their_typed_shapes(messaging: MessagingDriver) -> None:
    messaging("startConversation")
    keys_fit(messaging.wait("started"), StartedData)
    messaging("sendMessage", {"message": "hello"})
    messaging.agent_send_quick_replies("Pick one", ("Yes", "No"))
    messaging.agent_send_card("A card")
    received = messaging.data("messagesReceived")
    assert len(received) >= 3
    for data in received:
        keys_fit(data, MessagesReceivedData)
        for message in data["messages"]:
            keys_fit(message, MessageBody)
    echo = next(d["messages"][0] for d in received if d["messages"][0]["direction"] == "Inbound")
    assert echo["tracingId"] == messaging.data("sendingMessage")[0]["message"]["tracingId"]
    page = messaging("fetchHistory")
    keys_fit(page, HistoryPageData)
    for message in page["messages"]:
        keys_fit(message, MessageBody)
