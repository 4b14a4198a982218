"""The webchat fixture, used as the README shows it."""

from __future__ import annotations

import pytest

from cxbus_webchat.testing import ChatDriver


def test_my_bot_answers_the_agent(webchat: ChatDriver) -> None:
    """The README's example: each FakeTransport command resolves once its events are out."""
    webchat("startChat", {"nickname": "Ada"})
    webchat("FakeTransport.agentJoin", {"name": "Alex"})
    webchat("FakeTransport.agentSend", {"text": "How can I help?"})
    assert webchat.texts()[-1] == "How can I help?"
    assert webchat.names()[-3:] == ["messageReceived", "agentConnected", "messageReceived"]


@pytest.mark.webchat_config(agentTypingTimeout=0.05)
def test_the_webchat_config_marker_adds_options_to_the_section(webchat: ChatDriver) -> None:
    """The marker's options reach WebChatService beside the fake transport."""
    webchat("startChat", {"nickname": "Ada"})
    webchat("FakeTransport.agentJoin", {"name": "Alex"})
    webchat("FakeTransport.agentTyping")
    assert webchat.wait("agentTypingTimeout")["name"] == "Alex"
