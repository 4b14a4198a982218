"""WebChatService on the fake transport: the ``webchat`` fixture of cxbus_webchat.testing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cxbus_webchat.testing import ChatDriver as Chat

__all__ = ["Chat", "webchat_config"]


def webchat_config(tmp_path: Path, **options: Any) -> dict[str, Any]:
    """A webchat section on the fake transport, its session file in ``tmp_path``."""
    return {
        "transport": {"type": "fake"},
        "sessionFile": str(tmp_path / "session.json"),
        **options,
    }


@pytest.fixture
def chat(webchat: Chat) -> Chat:
    """WebChatService on the fake transport, loaded and ready, no chat started yet."""
    return webchat


@pytest.fixture
def started(chat: Chat) -> Chat:
    """A chat started as Ada, with agent Alex joined; events recorded from here on."""
    chat("startChat", {"nickname": "Ada"})
    chat("FakeTransport.agentJoin", {"name": "Alex"})
    chat.forget_events()
    return chat
