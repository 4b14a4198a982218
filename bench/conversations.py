"""1,000 concurrent ``AsyncConversation``s awaiting their replies, beside the bus's own wait.

    python bench/conversations.py [--chats 1000]

N Web Messaging conversations (default 1,000), started at once from one asyncio loop,
each saying a text and awaiting the demo bot's answer with no callback of its own:
once as ``AsyncConversation``s (``await chat.say(...)``, ``await chat.wait_for(...)``),
and, as its peer in the same run, as buses driven by hand with ``await
bus.wait_for(...)`` (bench/waiting.py's chats). Each way runs in a process of its own
(what a run leaves in the heap slows the next), taking turns, twice, and prints the
time until every reply is in (and its ratio to the peer's in the same round), the
threads it added at the most, how long the program's calls of cxbus took on the loop's
thread, the loop's longest gap between 1 ms heartbeats, and its peak memory. The
emulator runs in a process of its own (``cxbus emulator``, its demo bot typing for
0.5 s before each answer), so that its work takes no time from the chats'.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from emulator_process import MANY_CONNECTIONS, EmulatorProcess
from measures import percentile, rss_mib
from waiting import ON_LOOP, TIMEOUT, chat_awaiting, many_chats, on_loop

from cxbus_conversations import AsyncConversation

ROUNDS = 2


async def chat_conversing(config: dict[str, Any], number: int) -> str:
    """One conversation: say a text, await the bot's answer; the answer's text."""
    async with on_loop(AsyncConversation, "messaging", config, timeout=TIMEOUT) as chat:
        await chat.say(f"order {number}")
        return (await chat.wait_for(contains=f"order {number}")).text


Chat = Callable[[dict[str, Any], int], Coroutine[Any, Any, str]]
WAYS: dict[str, tuple[str, Chat]] = {
    "conversation": ("AsyncConversation: say, wait_for", chat_conversing),
    "bus": ("peer: a bus, await bus.wait_for(...)", chat_awaiting),
}


def one_run(way: str, count: int, config: dict[str, Any]) -> None:
    """In a process of its own: ``count`` chats the ``way`` of ``WAYS``; its measures,
    printed as one line of JSON."""
    chat = WAYS[way][1]
    threads_before = threading.active_count()
    asyncio.run(many_chats(chat, config, 10))  # imports, entry points: once
    rss_before = rss_mib()
    ON_LOOP.clear()
    seconds, heartbeat = asyncio.run(many_chats(chat, config, count))
    measures = {
        "seconds": seconds,
        "threads": heartbeat.threads - threads_before,
        "calls_p99": percentile(ON_LOOP, 0.99),
        "max_gap": max(heartbeat.gaps),
        "rss": heartbeat.rss - rss_before,
    }
    print(json.dumps(measures))


def chats(count: int) -> None:
    """Each way's runs, in processes of their own, taking turns; a table."""
    emulator = EmulatorProcess(*MANY_CONNECTIONS)
    try:
        config = json.dumps(emulator.messaging)
        print(f"{count:,} Web Messaging conversations at once from one asyncio loop")
        print(
            f"  {'':<45}{'seconds':>8}{'x peer':>8}{'threads':>8}{'calls: p99':>11}"
            f"{'loop gap: max':>14}{'peak RSS +MiB':>15}"
        )
        for round_ in range(ROUNDS):
            measured: dict[str, dict[str, float]] = {}
            for way in WAYS:
                command = [sys.executable, __file__, "--run", way, "--chats", str(count)]
                ran = subprocess.run(
                    [*command, "--config", config], capture_output=True, text=True, check=True
                )
                measured[way] = json.loads(ran.stdout)
            peer = measured["bus"]["seconds"]
            for way, (label, _) in WAYS.items():
                row = measured[way]
                print(
                    f"  {f'{label}, run {round_ + 1}':<45}{row['seconds']:8.1f}"
                    f"{row['seconds'] / peer:8.2f}{row['threads']:>8.0f}"
                    f"{row['calls_p99'] * 1e3:11.1f}{row['max_gap'] * 1e3:14.0f}{row['rss']:15.0f}"
                )
        print(
            "  (threads: added to the process at the most, the emulator runs in another; "
            "calls: of cxbus on the loop's thread; calls and loop gaps in ms)"
        )
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=1_000, help="concurrent chats (1,000)")
    parser.add_argument("--run", choices=sorted(WAYS), help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.run is not None:
        one_run(arguments.run, arguments.chats, json.loads(arguments.config))
        return
    chats(arguments.chats)


if __name__ == "__main__":
    main()
