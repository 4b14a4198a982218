"""asyncio programs chatting on the emulator: many conversations at once, each awaiting its
reply with bus.wait_for, and a loop that keeps running while plugins load and chats start."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import cxbus.loading
from cxbus import Bus
from cxbus_emulator import Emulator

pytestmark = pytest.mark.integration

CHATS = 50
TIMEOUT = 30.0


@pytest.fixture(scope="module")
def demo() -> Iterator[Emulator]:
    """An emulator with its demo bot and agent, quick to answer."""
    with Emulator(agent_join_delay=0.1, agent_typing_delay=0.1) as running:
        yield running


def bot_says(start: str) -> Callable[[Any], bool]:
    """A ``where`` for messagesReceived: the bot's message, beginning with ``start``."""

    def where(data: Any) -> bool:
        return any(
            message["direction"] == "Outbound" and (message.get("text") or "").startswith(start)
            for message in data["messages"]
        )

    return where


async def conversation(config: dict[str, Any], number: int) -> str:
    async with Bus(config={"messaging": config}) as bus:
        await bus.command("MessagingService.startConversation")
        reply = bus.wait_for(
            "MessagingService.messagesReceived", where=bot_says("You said"), timeout=TIMEOUT
        )
        await bus.command("MessagingService.sendMessage", {"message": f"order {number}"})
        event = await reply
        return str(event.data["messages"][0]["text"])


def test_an_asyncio_program_awaits_the_replies_of_many_chats(demo: Emulator) -> None:
    """50 Web Messaging conversations at once, each awaiting the bot's answer to its own
    message; no callback of the program's own."""

    async def main() -> list[str]:
        config = demo.messaging_config()
        return await asyncio.gather(*(conversation(config, n) for n in range(CHATS)))

    assert asyncio.run(main()) == [f"You said: order {n}" for n in range(CHATS)]


class Heartbeat:
    """A task that beats while its loop runs; other threads wait for it to beat."""

    def __init__(self) -> None:
        self.beats = 0
        self._beat = threading.Condition()

    async def run(self) -> None:
        while True:
            with self._beat:
                self.beats += 1
                self._beat.notify_all()
            await asyncio.sleep(0.001)

    def beats_on(self, count: int = 3) -> bool:
        """Whether the loop beats ``count`` times more (from another thread), within
        a generous time: it does unless something holds the loop."""
        with self._beat:
            now = self.beats
            return self._beat.wait_for(lambda: self.beats >= now + count, TIMEOUT)


def test_the_loop_runs_on_while_the_chat_plugins_load_and_start(
    demo: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While MessagingService and WebChatService are found and set up, the asyncio loop
    that commanded them keeps beating; their chats then start and answer."""
    heartbeat = Heartbeat()
    loads: list[str] = []
    real = cxbus.loading.find_plugin_setup

    def find_while_the_loop_beats(name: str) -> Callable[[Bus], Any] | None:
        if not heartbeat.beats_on():
            raise AssertionError(f"the asyncio loop stood still while {name} loaded")
        loads.append(name)
        return real(name)

    monkeypatch.setattr(cxbus.loading, "find_plugin_setup", find_while_the_loop_beats)

    async def main() -> tuple[Any, Any]:
        beating = asyncio.create_task(heartbeat.run())
        config = {"messaging": demo.messaging_config(), "webchat": demo.webchat_config()}
        async with Bus(config=config) as bus:
            messaging_reply = bus.wait_for(
                "MessagingService.messagesReceived", where=bot_says("You said"), timeout=TIMEOUT
            )
            agent = bus.wait_for("WebChatService.agentConnected", timeout=TIMEOUT)
            await asyncio.gather(
                bus.command("MessagingService.sendMessage", {"message": "hello"}),
                bus.command("WebChatService.startChat", {"nickname": "Ada"}),
            )
            replied, joined = await asyncio.gather(messaging_reply, agent)
        beating.cancel()
        return replied.data, joined.data

    replied, joined = asyncio.run(main())
    assert sorted(loads) == ["MessagingService", "WebChatService"]
    assert replied["messages"][0]["text"] == "You said: hello"
    assert joined["numAgentsConnected"] == 1
