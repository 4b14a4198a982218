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

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cxbus import Bus, Deferred
from cxbus.plugin_driver import TIMEOUT, PluginDriver

from .service import WebChatService

if TYPE_CHECKING:
    from cxbus_emulator import Emulator

__all__ = ["GMS_POLLING", "ChatDriver", "gms_on_emulator", "webchat", "webchat_on_emulator"]

# WebChatService's GMS polling, quicker than the Widgets' (0.5 s growing to 3 s) so that a
# bot's answer is seen within a quarter of a second.
GMS_POLLING = {"pollRateMin": 50, "pollRateMax": 250}


class ChatDriver(PluginDriver):
    """Runs WebChatService commands with a timeout and records its events in order
    (a ``cxbus.plugin_driver.PluginDriver`` of WebChatService)."""

    def __init__(self, bus: Bus) -> None:
        super().__init__(bus, "WebChatService", settled=lambda: self._service_settled())

    def _service_settled(self) -> Deferred | None:
        service = WebChatService.of(self.bus)
        return service.settled() if service is not None else None

    def texts(self) -> list[str]:
        """The transcript's texts."""
        return [m["text"] for m in self("getTranscript")["messages"]]


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


def _marked_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("webchat_config")
    return dict(marker.kwargs) if marker is not None else {}


@pytest.fixture
def webchat_on_emulator(
    request: pytest.FixtureRequest, emulator: Emulator, tmp_path: Path
) -> Iterator[ChatDriver]:
    """WebChatService on the cxbus_emulator plugin's ``emulator`` over the guest chat API
    (``purecloud-v2-sockets``), ready, no chat yet (with the options of the test's
    ``webchat_config`` marker)."""
    config = {
        **emulator.webchat_config(),
        "sessionFile": str(tmp_path / "webchat-session.json"),
        **_marked_options(request),
    }
    yield from _driving(config)


@pytest.fixture
def gms_on_emulator(
    request: pytest.FixtureRequest, emulator: Emulator, tmp_path: Path
) -> Iterator[ChatDriver]:
    """WebChatService on the cxbus_emulator plugin's ``emulator`` over GMS, ready, no chat
    yet, polling every 50 to 250 ms (``GMS_POLLING``; the test's ``webchat_config`` marker
    adds to it)."""
    config = {
        **emulator.gms_config(),
        **GMS_POLLING,
        "sessionFile": str(tmp_path / "gms-session.json"),
        **_marked_options(request),
    }
    yield from _driving(config)


def _driving(config: dict[str, Any]) -> Iterator[ChatDriver]:
    with Bus(config={"webchat": config}) as bus:
        bus.load_plugin("WebChatService").result(timeout=TIMEOUT)
        driver = ChatDriver(bus)
        driver.forget_events()
        yield driver
