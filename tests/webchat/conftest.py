"""A bus with WebChatService on the fake transport, and a recorder of its events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxbus import Bus, CommandRejected, Event


class Chat:
    """A test's handle on the bus: commands answered within a timeout, events recorded."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.events: list[Event] = []
        bus.register_plugin("Recorder").subscribe("WebChatService.*", self.events.append)

    def __call__(self, command: str, data: Any = None) -> Any:
        """Run ``command`` (``"startChat"`` or ``"FakeTransport.agentJoin"``); its value."""
        name = command if "." in command else f"WebChatService.{command}"
        return self.bus.command(name, data).result(timeout=5)

    def rejection(self, command: str, data: Any = None) -> Any:
        """Run ``command``, which must reject; its reason."""
        with pytest.raises(CommandRejected) as raised:
            self(command, data)
        return raised.value.reason

    def names(self) -> list[str]:
        """The names of the events so far, without the namespace, in order."""
        return [event.name.split(".", 1)[1] for event in self.events]

    def data(self, name: str) -> list[Any]:
        """The data of every event ``name`` so far."""
        return [e.data for e in self.events if e.name == f"WebChatService.{name}"]

    def forget_events(self) -> None:
        self.events.clear()


def webchat_config(tmp_path: Path, **options: Any) -> dict[str, Any]:
    """A webchat section on the fake transport, its session file in ``tmp_path``."""
    return {
        "transport": {"type": "fake"},
        "sessionFile": str(tmp_path / "session.json"),
        **options,
    }


@pytest.fixture
def chat(tmp_path: Path) -> Iterator[Chat]:
    """WebChatService on the fake transport, loaded and ready, no chat started yet."""
    with Bus(config={"webchat": webchat_config(tmp_path)}) as bus:
        bus.load_plugin("WebChatService").result(timeout=5)
        chat = Chat(bus)
        chat.forget_events()  # the retained ready
        yield chat


@pytest.fixture
def started(chat: Chat) -> Chat:
    """A chat started as Ada, with agent Alex joined; events recorded from here on."""
    chat("startChat", {"nickname": "Ada"})
    chat("FakeTransport.agentJoin", {"name": "Alex"})
    chat.forget_events()
    return chat
