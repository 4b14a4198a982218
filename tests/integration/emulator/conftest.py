"""A guest chat guest, a GMS chat and a Web Messaging guest on the session's emulator,
closed after the test."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from cxbus_emulator import Emulator

from .gms import GmsChat
from .guest import Guest
from .messenger import Messenger


@pytest.fixture
def guest(emulator: Emulator) -> Iterator[Guest]:
    """A new conversation on the emulator, its event stream attached."""
    chat = Guest(emulator)
    yield chat
    chat.close()


@pytest.fixture
def gms_chat(emulator: Emulator) -> Iterator[GmsChat]:
    """A new GMS chat on the emulator, as Ada."""
    chat = GmsChat(emulator)
    yield chat
    chat.close()


@pytest.fixture
def messenger(emulator: Emulator) -> Iterator[Messenger]:
    """A new Web Messaging session on the emulator, configured over its own socket."""
    guest = Messenger(emulator)
    yield guest
    guest.close()


@pytest.fixture
def frozen_clock(emulator: Emulator) -> Iterator[list[float]]:
    """The messaging server's clock, stopped: rate windows fill up at once. Move it with
    ``clock[0] += seconds``."""
    clock = [1000.0]
    emulator.messaging_server.clock = lambda: clock[0]
    yield clock
    emulator.messaging_server.clock = time.monotonic
