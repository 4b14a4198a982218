"""One emulator for the whole session, on a free loopback port; its faults reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cxbus_emulator import Emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """A running emulator with no demo agent: tests play the agent themselves."""
    with Emulator(demo_agent=False, heartbeat_interval=0.2) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_leftover_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "emulator" in request.fixturenames:
        emulator = request.getfixturevalue("emulator")
        emulator.clear_faults()
        emulator.gms.clear_faults()
        emulator.messaging.clear_faults()


@pytest.fixture(scope="session")
def messaging_emulator(emulator: Emulator) -> Emulator:
    """cxbus_messaging's ``messaging`` fixture talks to the session's emulator."""
    return emulator
