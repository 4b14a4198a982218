"""A chat logged at DEBUG on every channel: customers' words never reach the log, unless
CXBUS_LOG_CONTENT asks for them."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from cxbus import Bus
from cxbus_emulator import Emulator

pytestmark = pytest.mark.integration

EMAIL = "ada.lovelace@example.org"
CARD = "4111 1111 1111 1111"
SAID = f"my card is {CARD}, write to {EMAIL}"


def chat(emulator: Emulator, channel: str) -> None:
    """Start a chat that gives the guest's email, say SAID, and end it."""
    sections: dict[str, tuple[str, dict[str, Any], str, dict[str, Any], str]] = {
        "messaging": (
            "messaging",
            {**emulator.messaging_config(), "customAttributes": {"email": EMAIL}},
            "MessagingService.startConversation",
            {},
            "MessagingService.clearConversation",
        ),
        "webchat": (
            "webchat",
            emulator.webchat_config(),
            "WebChatService.startChat",
            {"nickname": "Ada", "email": EMAIL},
            "WebChatService.endChat",
        ),
        "gms": (
            "webchat",
            emulator.gms_config(),
            "WebChatService.startChat",
            {"nickname": "Ada", "email": EMAIL},
            "WebChatService.endChat",
        ),
    }
    section, config, start, details, end = sections[channel]
    namespace = start.split(".")[0]
    with Bus(config={section: config}) as bus:
        bus.command(start, details).result(timeout=10)
        bus.command(f"{namespace}.sendMessage", {"message": SAID}).result(timeout=10)
        bus.command(end).result(timeout=10)


@pytest.mark.parametrize("channel", ["messaging", "webchat", "gms"])
def test_a_debug_log_holds_no_customer_words(
    emulator: Emulator, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        chat(emulator, channel)
    assert "sendMessage" in caplog.text  # the command was traced, its words were not
    assert CARD not in caplog.text
    assert EMAIL not in caplog.text


def test_the_switch_lets_the_words_through(
    emulator: Emulator, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXBUS_LOG_CONTENT", "1")
    with caplog.at_level(logging.DEBUG):
        chat(emulator, "messaging")
    assert CARD in caplog.text
