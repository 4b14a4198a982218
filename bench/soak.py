"""A soak: many chats on the emulator under random faults, and nothing lost.

    python bench/soak.py [--chats 50] [--messages 100] [--rate 80]

The emulator runs in a process of its own (``cxbus emulator``). Each chat is a bus
with WebChatService on ``purecloud-v2-sockets``; the agent of every chat sends
numbered messages (through the emulator's control API) at ``--rate`` messages a
second in all, while a fault thread injects, at random: dropped sockets,
``socket_closing`` notices, 5xx and 429 answers on the guest's REST calls, delays,
and malformed frames. At the end it prints messages sent, lost, duplicated and out
of order (the goal is 0 / 0 / 0), the faults injected, and this process's threads,
file descriptors and RSS before and after.
"""

from __future__ import annotations

import argparse
import collections
import logging
import random
import re
import threading
import time

from emulator_process import EmulatorProcess
from measures import open_fds, rss_mib

from cxbus import Bus, Event

TIMEOUT = 30.0


class Chat:
    """One chat, recording the numbered agent messages it receives."""

    NUMBERED = re.compile(r"n(\d+)$")

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.bus = Bus(config={"webchat": emulator.webchat})
        self.received: list[int] = []
        self.all_in = threading.Event()
        self.expected = 0
        self.plugin = self.bus.register_plugin("Soak")
        self.plugin.subscribe("WebChatService.messageReceived", self._received)
        self.agent_here = threading.Event()
        self.plugin.subscribe("WebChatService.agentConnected", lambda e: self.agent_here.set())
        self.conversation = ""

    def start(self) -> None:
        session = self.bus.command("WebChatService.startChat", {"nickname": "Soak"}).result(
            timeout=TIMEOUT
        )
        self.conversation = session["conversationId"]

    def _received(self, event: Event) -> None:
        for message in event.data["messages"]:
            found = self.NUMBERED.match(message["text"])
            if found and message["from"]["type"] == "Agent":
                self.received.append(int(found.group(1)))
        if self.expected and len(set(self.received)) >= self.expected:
            self.all_in.set()


def inject_faults(
    emulator: EmulatorProcess,
    chats: list[Chat],
    stop: threading.Event,
    counts: collections.Counter[str],
) -> None:
    """A random fault every so often, until ``stop``."""
    rng = random.Random(7)
    faults = {
        "socket dropped": lambda cid: emulator.post(
            "/emulator/sockets/drop", {"conversationId": cid}
        ),
        "socket_closing": lambda cid: emulator.post(
            "/emulator/sockets/close-notice", {"conversationId": cid}
        ),
        "5xx on a read": lambda cid: emulator.post(
            "/emulator/faults", {"path": f"*/{cid}/*", "status": 503, "count": 2}
        ),
        "429 Retry-After 1": lambda cid: emulator.post(
            "/emulator/faults", {"path": f"*/{cid}/*", "status": 429, "count": 1, "retryAfter": 1}
        ),
        "delay 0.5 s": lambda cid: emulator.post(
            "/emulator/faults", {"path": f"*/{cid}/*", "delay": 0.5, "count": 2}
        ),
        "malformed frame": lambda cid: emulator.post(
            f"/emulator/conversations/{cid}/malformed-frame"
        ),
    }
    names = list(faults)
    while not stop.wait(rng.uniform(0.05, 0.25)):
        name = rng.choice(names)
        faults[name](rng.choice(chats).conversation)
        counts[name] += 1


class LogCount(logging.Handler):
    """Counts the log records of cxbus by level, instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[record.levelname] += 1


def main() -> None:
    log_count = LogCount()
    logging.getLogger("cxbus").addHandler(log_count)
    logging.getLogger("cxbus").propagate = False
    logging.getLogger("websocket").setLevel(logging.CRITICAL)  # a drop is an ERROR line there
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--messages", type=int, default=100, help="per chat")
    parser.add_argument("--rate", type=float, default=80.0, help="agent messages a second, in all")
    args = parser.parse_args()

    emulator = EmulatorProcess()
    before = (threading.active_count(), open_fds(), rss_mib())
    chats = [Chat(emulator) for _ in range(args.chats)]
    for chat in chats:
        chat.start()
        chat.expected = args.messages
    for chat in chats:  # the demo agent joins each chat a moment after it is routed
        chat.agent_here.wait(TIMEOUT)
    stop, counts = threading.Event(), collections.Counter[str]()
    faulting = threading.Thread(target=inject_faults, args=(emulator, chats, stop, counts))
    faulting.start()
    started = time.monotonic()
    interval = 1.0 / args.rate
    for number in range(args.messages):
        for chat in chats:
            emulator.post(
                f"/emulator/conversations/{chat.conversation}/agent/send", {"text": f"n{number}"}
            )
            time.sleep(interval)  # pacing the load, not waiting for a result
    stop.set()
    faulting.join()
    for chat in chats:
        chat.all_in.wait(TIMEOUT)
    elapsed = time.monotonic() - started
    during = (threading.active_count(), open_fds(), rss_mib())
    for chat in chats:
        chat.bus.close()
    # The reader closes the sockets on its own thread: wait (bounded) until it has.
    deadline = time.monotonic() + TIMEOUT
    while open_fds() > before[1] + 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    after = (threading.active_count(), open_fds(), rss_mib())
    emulator.stop()

    sent = args.chats * args.messages
    lost = sum(args.messages - len(set(chat.received)) for chat in chats)
    duplicated = sum(len(chat.received) - len(set(chat.received)) for chat in chats)
    out_of_order = sum(
        sum(1 for a, b in zip(chat.received, chat.received[1:], strict=False) if b < a)
        for chat in chats
    )
    print(f"{args.chats} chats, {sent} agent messages in {elapsed:.1f} s, faults injected:")
    for name, count in sorted(counts.items()):
        print(f"  {name:<20} {count:>5}")
    print(f"  {'in all':<20} {sum(counts.values()):>5}")
    print(
        f"messages sent {sent}, lost {lost}, duplicated {duplicated}, out of order {out_of_order}"
    )
    print(
        f"cxbus log lines: {log_count.counts['WARNING']} warnings, "
        f"{log_count.counts['ERROR'] + log_count.counts['CRITICAL']} errors"
    )
    print(f"{'':<22}{'threads':>8}{'fds':>8}{'RSS MiB':>10}")
    for label, (threads, fds, rss) in (
        ("before the chats", before),
        ("with the chats", during),
        ("after closing", after),
    ):
        print(f"{label:<22}{threads:>8}{fds:>8}{rss:>10.1f}")


if __name__ == "__main__":
    main()
