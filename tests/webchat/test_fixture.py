"""The webchat fixture, used as the README shows it."""

from __future__ import annotations

from cxbus_webchat.testing import ChatDriver


def test_my_bot_answers_the_agent(webchat: ChatDriver) -> None:
    """The README's example: each FakeTransport command resolves once its events are out."""
    webchat("startChat", {"nickname": "Ada"})
    webchat("FakeTransport.agentJoin", {"name": "Alex"})
    webchat("FakeTransport.agentSend", {"text": "How can I help?"})
    assert webchat.texts()[-1] == "How can I help?"
    assert webchat.names()[-3:] == ["messageReceived", "agentConnected", "messageReceived"]
