"""pytest fixtures for chats with the emulator's bots: the pytest plugin ``cxbus_emulator``.

``emulator``: a running ``Emulator`` whose demo agents answer every conversation, or,
with the marker ``emulator_flow``, the bot of a flow file (a path relative to the
test's file)::

    @pytest.mark.emulator_flow("order-status.yaml")
    def test_the_bot_greets(webchat_on_emulator):
        webchat_on_emulator("startChat", {"nickname": "Ada"})
        webchat_on_emulator.wait("messageReceived", lambda d: "Ava" in d["messages"][0]["text"])

One emulator runs per flow file (and one with the demo agents) for the whole test
session; its demo agents join after ``JOIN_DELAY`` and type for ``TYPING_DELAY``
seconds, and its faults and switches are reset after each test.

``emulators``: the session's emulators, ``emulators.get(flow_file)`` (``None``: the demo
agents), for a session-scoped fixture of one's own.

The channels' pytest plugins hold the fixtures that talk to ``emulator``
(``messaging_on_emulator`` in cxbus_messaging's, ``webchat_on_emulator`` and
``gms_on_emulator`` in cxbus_webchat's): the emulator knows no channel. The plugin is on
wherever cxbus is installed with its emulator extra; ``pytest -p no:cxbus_emulator``
turns it off.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = [
    "JOIN_DELAY",
    "TYPING_DELAY",
    "Emulators",
    "emulator",
    "emulators",
]

JOIN_DELAY = 0.1
TYPING_DELAY = 0.05


class Emulators:
    """The running emulators of a test session: one per flow file, and one (``None``)
    with the demo agents; each is started when first asked for."""

    def __init__(self) -> None:
        self._running: dict[Path | None, Emulator] = {}

    def get(self, flow: str | os.PathLike[str] | None) -> Emulator:
        """The emulator playing the flow file ``flow`` (``None``: the demo agents)."""
        path = Path(flow).resolve() if flow is not None else None
        running = self._running.get(path)
        if running is None:
            from .emulator import Emulator

            running = Emulator(
                flow=path, agent_join_delay=JOIN_DELAY, agent_typing_delay=TYPING_DELAY
            )
            running.start()
            self._running[path] = running
        return running

    def stop(self) -> None:
        for running in self._running.values():
            running.stop()
        self._running.clear()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "emulator_flow(path): the flow file whose bot answers on the cxbus_emulator "
        "`emulator` fixture (a path relative to the test's file)",
    )


@pytest.fixture(scope="session")
def emulators() -> Iterator[Emulators]:
    """The test session's running emulators, stopped when it ends."""
    pool = Emulators()
    yield pool
    pool.stop()


@pytest.fixture
def emulator(request: pytest.FixtureRequest, emulators: Emulators) -> Iterator[Emulator]:
    """An emulator whose demo agents answer, or the bot of the test's ``emulator_flow``."""
    marker = request.node.get_closest_marker("emulator_flow")
    flow = None
    if marker is not None:
        if len(marker.args) != 1 or marker.kwargs or not isinstance(marker.args[0], (str, Path)):
            raise pytest.UsageError(
                f"emulator_flow takes one path (of the flow file); got {marker.args!r}"
            )
        flow = request.path.parent / marker.args[0]
    running = emulators.get(flow)
    settings = running.settings
    yield running
    running.clear_faults()
    running.gms.clear_faults()
    running.messaging.clear_faults()
    running.configure(**attrs.asdict(settings))
