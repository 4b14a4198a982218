"""What the GMS WebChatService tests share: a configuration, a chat, and reading it back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cxbus import Bus, Deferred
from cxbus_emulator import Emulator
from cxbus_webchat import WebChatService
from cxbus_webchat.testing import ChatDriver

# Quick polls for tests (the widgets' defaults are 500 ms to 3 s), calls that may take
# their time on a busy machine.
FAST = {"pollRateMin": 20, "pollRateMax": 100, "ajaxTimeout": 10000}


def gms_config(emulator: Emulator, tmp_path: Path, **options: Any) -> dict[str, Any]:
    """A webchat section in GMS mode (no transport) for the emulator's chat service."""
    return {
        **emulator.gms_config(),
        **FAST,
        "sessionFile": str(tmp_path / "session.json"),
        "agentTypingTimeout": 5,
        **options,
    }


@contextmanager
def gms_chat(emulator: Emulator, tmp_path: Path, **options: Any) -> Iterator[ChatDriver]:
    """WebChatService in GMS mode, ready, no chat yet."""
    with Bus(config={"webchat": gms_config(emulator, tmp_path, **options)}) as bus:
        bus.load_plugin("WebChatService").result(timeout=10)
        yield ChatDriver(bus)


def chat_id(chat: ChatDriver) -> str:
    return str(chat("getSessionData")["sessionID"])


def said(chat: ChatDriver, text: str) -> Any:
    """Wait until ``text`` is received in a messageReceived."""
    return chat.wait(
        "messageReceived", lambda d: any(m["text"] == text for m in d["messages"]), timeout=10
    )


def message_texts(chat: ChatDriver) -> list[str]:
    """The texts of the transcript's messages (joins, leaves and notices left out)."""
    return [m["text"] for m in chat("getTranscript")["messages"] if m["type"] == "Message"]


def private(chat: ChatDriver, command: str, data: Any = None) -> Deferred:
    """A command as WebChatService itself gives it (``poll`` is private)."""
    service = WebChatService.of(chat.bus)
    assert service is not None
    return service.plugin.command(f"WebChatService.{command}", data)
