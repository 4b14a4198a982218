"""Slow subscribers over real sockets: a chat whose subscriber is held delays its own later
events only, never a command (its own or another chat's), nor another chat's events.

More chats are held at once than a pool of user code keeps threads
(``cxbus.runtime.threads.USER_THREADS``), on WebChatService (the guest chat API) and
MessagingService (Web Messaging), against the emulator.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxbus import Bus, Event
from cxbus.runtime.threads import USER_THREADS
from cxbus_emulator import Emulator
from cxbus_messaging.testing import MessagingDriver, messaging_on
from cxbus_webchat.testing import ChatDriver

pytestmark = pytest.mark.integration

HELD = USER_THREADS + 4
TIMEOUT = 15.0
HOLD_AT_MOST = 60.0  # a held subscriber lets go by itself then, should a test fail


class Hold:
    """A subscriber that stops at every event until ``release()``; ``entered`` counts
    the events it has stopped at."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)

    def __call__(self, event: Event) -> None:
        self.entered.release()
        self.gate.wait(HOLD_AT_MOST)

    def wait_entered(self, count: int) -> None:
        for _ in range(count):
            assert self.entered.acquire(timeout=TIMEOUT), "a held subscriber never ran"

    def release(self) -> None:
        self.gate.set()


def received(chat: ChatDriver | MessagingDriver, event: str, text: str) -> None:
    chat.wait(event, lambda d: any(m.get("text") == text for m in d["messages"]), TIMEOUT)


# WebChatService --------------------------------------------------------------------------


@contextlib.contextmanager
def webchats(emulator: Emulator, count: int) -> Iterator[list[tuple[ChatDriver, str]]]:
    """``count`` chats with an agent, each on a bus of its own: (driver, conversation id)."""
    with contextlib.ExitStack() as stack:
        chats = []
        for number in range(count):
            bus = stack.enter_context(Bus(config={"webchat": emulator.webchat_config()}))
            chat = ChatDriver(bus)
            cid = chat("startChat", {"nickname": f"Guest {number}"})["conversationId"]
            chat.wait("clientConnected", timeout=TIMEOUT)
            emulator.agent_join(cid, "Alex")
            chat.wait("agentConnected", timeout=TIMEOUT)
            chats.append((chat, cid))
        yield chats


def test_webchat_commands_answer_while_many_chats_subscribers_are_held(
    emulator: Emulator,
) -> None:
    hold = Hold()
    with webchats(emulator, HELD + 1) as chats:
        (free, free_id), held = chats[0], chats[1:]
        try:
            for chat, cid in held:
                chat.bus.register_plugin("Slow").subscribe("WebChatService.messageReceived", hold)
                emulator.agent_send(cid, "hold on")
            hold.wait_entered(HELD)
            # Another chat's command and events, while every held chat holds a thread.
            sent = free.bus.command("WebChatService.sendMessage", {"message": "hello"})
            assert sent.result(timeout=TIMEOUT)
            emulator.agent_send(free_id, "hi there")
            received(free, "messageReceived", "hi there")
            # A held chat's own command: its subscriber holds its events, not its answers.
            chat, cid = held[0]
            own = chat.bus.command("WebChatService.sendMessage", {"message": "still here"})
            assert own.result(timeout=TIMEOUT)
            emulator.agent_send(cid, "later")
        finally:
            hold.release()
        for chat, _ in held:
            received(chat, "messageReceived", "hold on")
        chat, _ = held[0]
        received(chat, "messageReceived", "later")
        texts = [m["text"] for d in chat.data("messageReceived") for m in d["messages"]]
        assert texts.index("hold on") < texts.index("still here") < texts.index("later")


# MessagingService -------------------------------------------------------------------------


@contextlib.contextmanager
def conversations(emulator: Emulator, folder: Path, count: int) -> Iterator[list[MessagingDriver]]:
    """``count`` started conversations, each on a bus of its own."""
    with contextlib.ExitStack() as stack:
        drivers = []
        for number in range(count):
            driver = stack.enter_context(messaging_on(emulator, folder / f"session-{number}.json"))
            driver("startConversation")
            driver.wait("started", timeout=TIMEOUT)
            drivers.append(driver)
        yield drivers


def test_messaging_commands_answer_while_many_conversations_subscribers_are_held(
    emulator: Emulator, tmp_path: Path
) -> None:
    hold = Hold()
    with conversations(emulator, tmp_path, HELD + 1) as drivers:
        free, held = drivers[0], drivers[1:]
        try:
            for driver in held:
                driver.bus.register_plugin("Slow").subscribe(
                    "MessagingService.messagesReceived", hold
                )
                emulator.messaging.agent_send(driver.session_id, "hold on")
            hold.wait_entered(HELD)
            sent = free.bus.command("MessagingService.sendMessage", {"message": "hello"})
            sent.result(timeout=TIMEOUT)
            emulator.messaging.agent_send(free.session_id, "hi there")
            received(free, "messagesReceived", "hi there")
            driver = held[0]
            own = driver.bus.command("MessagingService.sendMessage", {"message": "still here"})
            own.result(timeout=TIMEOUT)
            emulator.messaging.agent_send(driver.session_id, "later")
        finally:
            hold.release()
        for driver in held:
            received(driver, "messagesReceived", "hold on")
        driver = held[0]
        received(driver, "messagesReceived", "later")
        texts = driver.texts()
        assert texts.index("hold on") < texts.index("later")
