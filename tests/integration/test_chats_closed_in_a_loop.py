"""Chats made and closed in a loop, over real sockets, leave nothing behind: a closed bus
and all its chat holds are collected at once (not after its timers run out), and no
thread is added beyond the runtime's shared ones.

``bench/soak.py`` runs the same loop for minutes (or an hour) and prints the figures.
"""

from __future__ import annotations

import gc
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest

from cxbus import Bus
from cxbus_emulator import Emulator

from .gms_chat import gms_config

pytestmark = pytest.mark.integration

TIMEOUT = 10.0
SHARED = ("cxbus-loop", "cxbus-io", "cxbus-delivery", "cxbus-answers", "cxbus-ws-reader")


def guest_chat(emulator: Emulator, tmp_path: Path) -> Bus:
    bus = Bus(config={"webchat": emulator.webchat_config()})
    bus.command("WebChatService.startChat", {"nickname": "Ada"}).result(timeout=TIMEOUT)
    bus.command("WebChatService.sendMessage", {"message": "hello"}).result(timeout=TIMEOUT)
    bus.command("WebChatService.endChat").result(timeout=TIMEOUT)
    return bus


def gms(emulator: Emulator, tmp_path: Path) -> Bus:
    config = gms_config(emulator, tmp_path, sessionFile=str(tmp_path / f"{uuid.uuid4()}.json"))
    bus = Bus(config={"webchat": config})
    bus.command("WebChatService.startChat", {"nickname": "Ada"}).result(timeout=TIMEOUT)
    bus.command("WebChatService.sendMessage", {"message": "hello"}).result(timeout=TIMEOUT)
    bus.command("WebChatService.endChat").result(timeout=TIMEOUT)
    return bus


def web_messaging(emulator: Emulator, tmp_path: Path) -> Bus:
    bus = Bus(config={"messaging": emulator.messaging_config()})
    bus.command("MessagingService.startConversation").result(timeout=TIMEOUT)
    bus.command("MessagingService.sendMessage", {"message": "hello"}).result(timeout=TIMEOUT)
    bus.command("MessagingService.clearConversation").result(timeout=TIMEOUT)
    return bus


def others() -> set[int | None]:
    return {t.ident for t in threading.enumerate() if not t.name.startswith(SHARED)}


@pytest.mark.parametrize("chat", [guest_chat, gms, web_messaging], ids=lambda f: f.__name__)
def test_closed_chats_are_collected_and_add_no_thread(
    emulator: Emulator, tmp_path: Path, chat: Callable[[Emulator, Path], Bus]
) -> None:
    chat(emulator, tmp_path).close()  # the runtime's threads start with the first chat
    before = others()
    closed: weakref.WeakSet[Bus] = weakref.WeakSet()
    for _ in range(5):
        bus = chat(emulator, tmp_path)
        bus.close()
        closed.add(bus)
        del bus
    deadline = time.monotonic() + TIMEOUT
    while gc.collect() >= 0 and len(closed) and time.monotonic() < deadline:
        time.sleep(0.05)  # what a closed chat still does (its lanes' last jobs) ends soon
    assert len(closed) == 0
    assert others() == before
