"""What a chat keeps between messages: gc-tracked objects per chat, by type.

    python bench/objects.py [--chats 200] [--service webchat|messaging|both] [--top 25]

The emulator runs in a process of its own (``cxbus emulator --json``, its demo agent
and bot on). This process starts ``--chats`` chats (a bus each, with WebChatService on
``purecloud-v2-sockets`` or MessagingService), sends one message in each and waits for
the answer, then counts the objects the garbage collector tracks, after a full
collection, against the count before the chats were made: per chat in all, and the
``--top`` types that grew most. Then it closes every bus and checks that a full
collection frees them (a weak reference to each). A full collection walks every tracked
object and stops every thread meanwhile: fewer per chat, shorter pauses.
"""

from __future__ import annotations

import argparse
import collections
import gc
import threading
import time
import weakref
from typing import Any

from emulator_process import MANY_CONNECTIONS, EmulatorProcess

from cxbus import Bus

TIMEOUT = 120.0

SERVICES: dict[str, dict[str, Any]] = {
    "webchat": {
        "namespace": "WebChatService",
        "start": ("startChat", {"nickname": "B"}),
        "on": "agentConnected",
        "send": ("sendMessage", {"message": "hello"}),
        "answered": "messageReceived",
    },
    "messaging": {
        "namespace": "MessagingService",
        "start": ("startConversation", {}),
        "on": "started",
        "send": ("sendMessage", {"message": "hello"}),
        "answered": "messagesReceived",
    },
}


def by_type() -> collections.Counter[str]:
    gc.collect()
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


def chat(emulator: EmulatorProcess, service: str, chats: int) -> list[Bus]:
    """``chats`` buses, each with a chat started and one message answered."""
    spec = SERVICES[service]
    ns = spec["namespace"]
    section = {"webchat": emulator.webchat, "messaging": emulator.messaging}[service]
    buses = [Bus(config={service: dict(section)}) for _ in range(chats)]
    answered = threading.Semaphore(0)
    on = threading.Semaphore(0)
    for bus in buses:
        me = bus.register_plugin("Bench")
        me.subscribe(f"{ns}.{spec['on']}", lambda event: on.release())
        me.subscribe(f"{ns}.{spec['answered']}", lambda event: answered.release())
    start, start_data = spec["start"]
    for answer in [bus.command(f"{ns}.{start}", dict(start_data)) for bus in buses]:
        answer.result(timeout=TIMEOUT)
    for _ in buses:
        assert on.acquire(timeout=TIMEOUT), f"a chat did not publish {spec['on']}"
    while answered.acquire(timeout=0.5):
        pass  # greetings and history: drained, so that the count below is the message's
    send, send_data = spec["send"]
    for answer in [bus.command(f"{ns}.{send}", dict(send_data)) for bus in buses]:
        answer.result(timeout=TIMEOUT)
    for _ in buses:
        assert answered.acquire(timeout=TIMEOUT), f"a chat did not publish {spec['answered']}"
    while answered.acquire(timeout=0.5):
        pass  # the bot's reply after the echo, and the agent's typing
    return buses


def measure(emulator: EmulatorProcess, service: str, chats: int, top: int) -> None:
    for bus in chat(emulator, service, 1):  # imports and first-use caches: not a chat's
        bus.close()
    before = by_type()
    buses = chat(emulator, service, chats)
    grown = by_type() - before
    total = sum(grown.values())
    print(f"{service}: {total / chats:,.0f} gc-tracked objects per chat ({chats} chats)")
    for name, count in grown.most_common(top):
        print(f"  {count / chats:8.1f}  {name}")
    alive = [weakref.ref(bus) for bus in buses]
    for bus in buses:
        bus.close()
    del buses, bus
    gc.collect()
    left = sum(ref() is not None for ref in alive)
    # The runtime's threads may still be delivering a closed chat's last events.
    deadline = time.monotonic() + 5.0
    while any(ref() is not None for ref in alive) and time.monotonic() < deadline:
        time.sleep(0.1)  # a progress check: nothing here waits on a result
        gc.collect()
    later = sum(ref() is not None for ref in alive)
    print(
        f"  buses still alive after close and a full collection: {left} of {chats}, "
        f"{later} after 5 s more\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--service", choices=("webchat", "messaging", "both"), default="both")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    emulator = EmulatorProcess(*MANY_CONNECTIONS)
    try:
        for service in ("webchat", "messaging") if args.service == "both" else (args.service,):
            measure(emulator, service, args.chats, args.top)
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
