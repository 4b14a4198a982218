"""One emulator for the whole session, on a free loopback port; its faults and switches
are reset after each test."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import trustme

from cxbus_emulator import Emulator
from cxbus_emulator.guest_chat import Settings

SWITCHES = {"heartbeat_interval": 0.2}


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """A running emulator with no demo agent: tests play the agent themselves."""
    with Emulator(demo_agent=False, **SWITCHES) as running:
        yield running


@attrs.frozen
class TlsEmulator:
    """An emulator on HTTPS and WSS, with the CA bundle that signed its certificate
    (``signer``) and one that did not (``stranger``)."""

    emulator: Emulator
    signer: Path
    stranger: Path


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsEmulator]:
    ca, other = trustme.CA(), trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    folder = tmp_path_factory.mktemp("tls")
    ca.cert_pem.write_to_path(str(folder / "signer.pem"))
    other.cert_pem.write_to_path(str(folder / "stranger.pem"))
    with Emulator(demo_agent=False, ssl_context=context) as emulator:
        yield TlsEmulator(emulator, folder / "signer.pem", folder / "stranger.pem")


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
