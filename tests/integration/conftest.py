"""One emulator for the whole session, on a free loopback port; its faults and switches
are reset after each test."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from cxbus_emulator import Emulator
from cxbus_emulator.guest_chat import Settings

SWITCHES = {"heartbeat_interval": 0.2}


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """A running emulator with no demo agent: tests play the agent themselves."""
    with Emulator(demo_agent=False, **SWITCHES) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_leftover_faults_or_switches(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "emulator" in request.fixturenames:
        emulator = request.getfixturevalue("emulator")
        emulator.clear_faults()
        emulator.gms.clear_faults()
        emulator.messaging.clear_faults()
        emulator.configure(**attrs.asdict(Settings().changed(**SWITCHES)))


@pytest.fixture(scope="session")
def messaging_emulator(emulator: Emulator) -> Emulator:
    """cxbus_messaging's ``messaging`` fixture talks to the session's emulator."""
    return emulator
