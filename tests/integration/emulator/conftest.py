"""A guest (and a GMS chat) on the session's emulator, closed after the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cxbus_emulator import Emulator

from .gms import GmsChat
from .guest import Guest


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
