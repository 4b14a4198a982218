"""Load for benchmarks: the agents of every chat send numbered, time-stamped messages.

``Load.start(interval, duration)`` has the connected agent of each chat send one
message every ``interval`` seconds for ``duration`` seconds, the chats' turns spread
evenly over the interval (so 5,000 chats at a 10 s interval make a steady 500 messages
a second, not a burst every 10 s). Each text is ``"<number> <time.time()>"``: a client
on the same machine takes its latency from it and its order from the number. Ours: the
reference has nothing of the kind. Runs on the emulator's loop.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from .conversations import Conversation

if TYPE_CHECKING:
    from .server import ChatServer

__all__ = ["Load"]

# The loop wakes at most this often: sends due within a tick go out together.
TICK = 0.005


class Load:
    """The agents' chatter of one emulator."""

    def __init__(self, server: ChatServer) -> None:
        self.server = server

    def start(self, interval: float, duration: float) -> tuple[int, int]:
        """Start the chatter; (how many chats take part, how many messages each gets)."""
        chats = [c for c in self.server.conversations.values() if c.agent is not None]
        rounds = int(duration // interval)
        if chats and rounds:
            self.server.spawn(self._chatter(chats, interval, rounds))
        return len(chats), rounds

    async def _chatter(self, chats: list[Conversation], interval: float, rounds: int) -> None:
        step = interval / len(chats)
        start = time.monotonic()
        for turn in range(rounds * len(chats)):
            due = start + turn * step
            delay = due - time.monotonic()
            if delay > TICK:
                await asyncio.sleep(delay)
            chat = chats[turn % len(chats)]
            if chat.agent is not None:
                number = turn // len(chats)
                await self.server.agent_send(chat, f"{number} {time.time()!r}")
