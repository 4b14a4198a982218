"""Load for benchmarks: the agents of every chat send numbered, time-stamped messages.

``start_chatter(spawn, chats, send, interval, duration)`` has each chat's agent send one
message every ``interval`` seconds for ``duration`` seconds, the chats' turns spread
evenly over the interval (so 5,000 chats at a 10 s interval make a steady 500 messages
a second, not a burst every 10 s). Each text is ``"<number> <time.time()>"``: a client
on the same machine takes its latency from it and its order from the number. The guest
chat API (``POST /emulator/load``) and Web Messaging (``POST /emulator/messaging/load``)
both use it. Ours: Genesys's APIs have nothing of the kind. Runs on the emulator's loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

__all__ = ["chatter_plan", "start_chatter"]

# The loop wakes at most this often: sends due within a tick go out together.
TICK = 0.005

Chat = TypeVar("Chat")


def chatter_plan(body: Any) -> tuple[float, float]:
    """``(interval, duration)`` from a request's ``{"interval", "duration"}``; ``ValueError``
    naming the field that is not a number of seconds above 0."""
    numbers = []
    for name in ("interval", "duration"):
        value = body.get(name) if isinstance(body, dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(name)
        numbers.append(float(value))
    return numbers[0], numbers[1]


def start_chatter(
    spawn: Callable[[Awaitable[Any]], None],
    chats: Sequence[Chat],
    send: Callable[[Chat, str], Awaitable[Any] | None],
    interval: float,
    duration: float,
) -> tuple[int, int]:
    """Start the chatter on ``chats``; (how many take part, how many messages each gets).
    ``send(chat, text)`` sends one message, or answers ``None`` when the chat can no
    longer take one (its agent has left)."""
    rounds = int(duration // interval)
    if chats and rounds:
        spawn(_chatter(list(chats), send, interval, rounds))
    return len(chats), rounds


async def _chatter(
    chats: list[Chat],
    send: Callable[[Chat, str], Awaitable[Any] | None],
    interval: float,
    rounds: int,
) -> None:
    step = interval / len(chats)
    start = time.monotonic()
    for turn in range(rounds * len(chats)):
        due = start + turn * step
        delay = due - time.monotonic()
        if delay > TICK:
            await asyncio.sleep(delay)
        sending = send(chats[turn % len(chats)], f"{turn // len(chats)} {time.time()!r}")
        if sending is not None:
            await sending
