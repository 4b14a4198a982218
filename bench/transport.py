"""Inbound messages through cxbus against a raw websocket-client loop, and many chats at once.

    python bench/transport.py [--chats 100,300,1000] [--messages 2000]

Everything runs in this one process against the embedded emulator on loopback:
first a raw websocket-client loop and then WebChatService on the
purecloud-v2-sockets transport read the same conversation's stream while the
agent sends a burst; each message carries the time it was sent, so the reader
measures frame-to-subscriber latency. Then N chats, each its own bus, get a burst
(one agent message to every chat at once) and a steady rate (``--rate`` messages a
second across the chats, three rounds): RSS, threads, messages lost and the
p50/p99/max latency of each.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import tempfile
import threading
import time
from pathlib import Path

import websocket
from measures import milliseconds, rss_mib

from cxbus import Bus, Event
from cxbus_emulator import Emulator


def stamped(count: int) -> list[str]:
    return [f"{n} {time.time()!r}" for n in range(count)]


def latency_of(text: str) -> float:
    """The emulator's load (``Emulator.chatter``) stamps ``time.time()`` too."""
    return time.time() - float(text.split()[1])


class Chat:
    """One chat through cxbus, recording the latency of each agent message."""

    def __init__(self, emulator: Emulator, index: int, scratch: Path) -> None:
        self.index = index
        config = {**emulator.webchat_config(), "sessionFile": str(scratch / f"{index}.json")}
        self.bus = Bus(config={"webchat": config})
        self.latencies: list[float] = []
        self.done = threading.Event()
        self.expected = 0
        self.bus.register_plugin("Bench").subscribe("WebChatService.messageReceived", self.received)
        self.conversation = self.bus.command(
            "WebChatService.startChat", {"nickname": f"g{index}"}
        ).result(timeout=60)["conversationId"]

    def received(self, event: Event) -> None:
        counted = False
        for message in event.data["messages"]:
            if message["from"]["type"] == "Agent" and message["type"] == "Message":
                self.latencies.append(latency_of(message["text"]))
                counted = True
        # Only a counted message can finish the wait: join and leave lines come any time.
        if counted and len(self.latencies) >= self.expected:
            self.done.set()


_indexes = iter(range(10**9))


def next_index() -> int:
    return next(_indexes)


def session_file(scratch: Path, chat: Chat) -> Path:
    return scratch / f"{chat.index}.json"


def throughput(emulator: Emulator, scratch: Path, count: int) -> None:
    chat = Chat(emulator, next_index(), scratch)
    emulator.agent_join(chat.conversation, "Alex")
    stream_uri = json.loads(session_file(scratch, chat).read_text())["session"]["event_stream_uri"]

    raw = websocket.create_connection(stream_uri, timeout=30)
    raw_latencies: list[float] = []
    chat.expected = count
    chat.bus.close()  # the raw reader goes alone first
    sender = threading.Thread(
        target=emulator.agent_send_many, args=(chat.conversation, stamped(count))
    )
    started = time.monotonic()
    sender.start()
    while len(raw_latencies) < count:
        frame = json.loads(raw.recv())
        if frame.get("metadata", {}).get("type") == "message":
            raw_latencies.append(latency_of(frame["eventBody"]["body"]))
    raw_seconds = time.monotonic() - started
    sender.join()
    raw.close()

    chat = Chat(emulator, next_index(), scratch)
    emulator.agent_join(chat.conversation, "Alex")
    chat.latencies.clear()
    chat.expected = count
    started = time.monotonic()
    emulator.agent_send_many(chat.conversation, stamped(count))
    assert chat.done.wait(120), f"cxbus got {len(chat.latencies)} of {count}"
    ours_seconds = time.monotonic() - started
    chat.bus.close()

    raw_rate, ours_rate = count / raw_seconds, count / ours_seconds
    print(f"Inbound burst of {count} messages, one chat")
    print(f"  {'reader':<28}{'msgs/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, rate, lat in (
        ("raw websocket-client", raw_rate, raw_latencies),
        ("cxbus WebChatService", ours_rate, chat.latencies),
    ):
        print(f"  {name:<28}{rate:>10.0f}{milliseconds(lat)}")
    print(f"  cxbus / raw throughput: {ours_rate / raw_rate:.0%}\n")


def paced_latency(emulator: Emulator, scratch: Path, rate: int, seconds: float) -> None:
    """Messages at a steady ``rate`` per second: latency with no burst queued ahead."""
    chat = Chat(emulator, next_index(), scratch)
    emulator.agent_join(chat.conversation, "Alex")
    uri = json.loads(session_file(scratch, chat).read_text())["session"]["event_stream_uri"]
    raw = websocket.create_connection(uri, timeout=30)
    raw_latencies: list[float] = []

    def read_raw() -> None:
        while len(raw_latencies) < total:
            frame = json.loads(raw.recv())
            if frame.get("metadata", {}).get("type") == "message":
                raw_latencies.append(latency_of(frame["eventBody"]["body"]))

    total = int(rate * seconds)
    chat.expected = total
    reader = threading.Thread(target=read_raw)
    reader.start()
    for n in range(total):
        emulator.agent_send(chat.conversation, f"{n} {time.time()!r}")
        time.sleep(1 / rate)  # pacing the sender, not waiting on a result
    reader.join(60)
    chat.done.wait(60)
    raw.close()
    chat.bus.close()
    print(f"Steady {rate} messages/s for {seconds:g} s, both readers at once")
    for name, lat in (
        ("raw websocket-client", raw_latencies),
        ("cxbus WebChatService", chat.latencies),
    ):
        print(f"  {name:<28}{'':>10}{milliseconds(lat)}")
    print()


def many_chats(emulator: Emulator, scratch: Path, count: int, rate: int) -> None:
    before = rss_mib()
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        chats = list(pool.map(lambda n: Chat(emulator, next_index(), scratch), range(count)))
    start_seconds = time.monotonic() - started
    for chat in chats:
        emulator.agent_join(chat.conversation, "Alex")
    rows = []
    # A burst: every agent sends at once. Then a steady rate, three rounds of it.
    for kind, interval, rounds in (("burst", 0.001, 1), (f"{rate}/s", count / rate, 3)):
        for chat in chats:
            chat.latencies.clear()
            chat.done.clear()
            chat.expected = rounds
        emulator.chatter(interval, interval * rounds)
        deadline = time.monotonic() + interval * rounds + 60
        for chat in chats:
            chat.done.wait(max(0.0, deadline - time.monotonic()))
        latencies = [lat for chat in chats for lat in chat.latencies]
        rows.append((kind, count * rounds - len(latencies), latencies))
    print(
        f"  {count:>5} chats: started in {start_seconds:5.1f} s, "
        f"RSS +{rss_mib() - before:6.0f} MiB, threads {threading.active_count():5d}"
    )
    for kind, lost, latencies in rows:
        worst = max(latencies, default=float("nan")) * 1e3
        print(f"  {kind:>13}: lost {lost}, p50/p99 ms{milliseconds(latencies)}, max {worst:.1f} ms")
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda chat: chat.bus.close(), chats))
    for chat in chats:  # no agent of these chats takes part in the next load
        emulator.end_conversation(chat.conversation)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--chats", default="100,300,1000")
    parser.add_argument("--rate", type=int, default=200, help="messages a second, all chats")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, Emulator(demo_agent=False) as emulator:
        throughput(emulator, Path(scratch), args.messages)
        paced_latency(emulator, Path(scratch), rate=200, seconds=3)
        print("Concurrent chats in one process: a burst, then a steady rate")
        for count in (int(n) for n in args.chats.split(",")):
            many_chats(emulator, Path(scratch), count, args.rate)


if __name__ == "__main__":
    main()
