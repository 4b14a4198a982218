"""pytest fixtures for testing against WebChatService: the pytest plugin ``cxbus_webchat``.

``webchat``: a bus with WebChatService on the fake transport, ready, no chat yet,
as a ``ChatDriver`` that runs commands and records events::

    def test_my_plugin_greets_the_agent(webchat):
        webchat("startChat", {"nickname": "Ada"})
        webchat("FakeTransport.agentJoin", {"name": "Alex"})
        assert webchat.names()[-1] == "agentConnected"

The marker ``webchat_config`` adds options to its ``webchat`` section::

    @pytest.mark.webchat_config(agentTypingTimeout=0.05)
    def test_typing_times_out(webchat): ...

The plugin is on wherever cxbus is installed; ``pytest -p no:cxbus_webchat`` turns it off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cxbus import Bus, CommandRejected, Event

from .service import WebChatService

__all__ = ["ChatDriver", "webchat"]

TIMEOUT = 5.0


class ChatDriver:
    """Runs WebChatService commands with a timeout and records its events in order."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.events: list[Event] = []
        self._arrived = threading.Condition()
        bus.register_plugin(f"ChatDriver{id(self)}").subscribe("WebChatService.*", self._record)

    def _record(self, event: Event) -> None:
        with self._arrived:
            self.events.append(event)
            self._arrived.notify_all()

    def __call__(self, command: str, data: Any = None, timeout: float = TIMEOUT) -> Any:
        """Run ``command`` (``"startChat"``, or ``"FakeTransport.agentJoin"``); its value,
        once WebChatService has settled (see ``settle``)."""
        name = command if "." in command else f"WebChatService.{command}"
        try:
            return self.bus.command(name, data).result(timeout=timeout)
        finally:
            self.settle(timeout)

    def settle(self, timeout: float = TIMEOUT) -> None:
        """Wait until WebChatService has handled what it was handed so far and the
        events it published are recorded."""
        service = WebChatService.of(self.bus)
        if service is not None:
            service.settled().result(timeout=timeout)

    def rejection(self, command: str, data: Any = None) -> Any:
        """Run ``command``, which must reject; its reason."""
        try:
            self(command, data)
        except CommandRejected as rejected:
            return rejected.reason
        raise AssertionError(f"{command} resolved; a rejection was expected")

    def names(self) -> list[str]:
        """The names of the events so far, without the namespace, in order."""
        with self._arrived:
            return [event.name.split(".", 1)[1] for event in self.events]

    def data(self, name: str) -> list[Any]:
        """The data of every event ``name`` so far."""
        with self._arrived:
            return [e.data for e in self.events if e.name == f"WebChatService.{name}"]

    def wait(
        self, name: str, where: Callable[[Any], bool] = lambda data: True, timeout: float = TIMEOUT
    ) -> Any:
        """Wait for an event ``name`` (recorded already, or to come) whose data fits ``where``."""
        full_name = f"WebChatService.{name}"
        with self._arrived:
            matches = self._arrived.wait_for(
                lambda: [e.data for e in self.events if e.name == full_name and where(e.data)],
                timeout,
            )
        if not matches:
            raise AssertionError(f"no {name} event in {timeout} s; events: {self.names()}")
        return matches[0]

    def texts(self) -> list[str]:
        """The transcript's texts."""
        return [m["text"] for m in self("getTranscript")["messages"]]

    def forget_events(self) -> None:
        with self._arrived:
            self.events.clear()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "webchat_config(**options): options added to the webchat section of the "
        "cxbus_webchat `webchat` fixture (fake transport, a session file of the test's own)",
    )


@pytest.fixture
def webchat(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChatDriver]:
    """WebChatService on the fake transport, ready, with no chat yet.

    Its section is ``{"transport": {"type": "fake"}, "sessionFile": ...}`` in the test's
    ``tmp_path``, with the options of the test's ``webchat_config`` marker added.
    """
    marker = request.node.get_closest_marker("webchat_config")
    config = {
        "transport": {"type": "fake"},
        "sessionFile": str(tmp_path / "session.json"),
        **(marker.kwargs if marker else {}),
    }
    with Bus(config={"webchat": config}) as bus:
        bus.load_plugin("WebChatService").result(timeout=TIMEOUT)
        driver = ChatDriver(bus)
        driver.forget_events()
        yield driver
