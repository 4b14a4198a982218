"""Inbound messages through cxbus against a raw websocket-client loop, and many chats at once.

    python bench/transport.py [--chats 100,300,1000] [--messages 2000]

Everything runs in this one process against the embedded emulator on loopback:
first a raw websocket-client loop and then WebChatService on the
purecloud-v2-sockets transport read the same conversation's stream while the
agent sends a burst; each message carries the time it was sent, so the reader
measures frame-to-subscriber latency. Then N chats, each its own bus, get one
agent message each: RSS, threads, messages lost and p99 latency.
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
from measures import milliseconds, percentile, rss_mib

from cxbus import Bus, Event
from cxbus_emulator import Emulator


def stamped(count: int) -> list[str]:
    return [f"{n} {time.monotonic()!r}" for n in range(count)]


def latency_of(text: str) -> float:
    return time.monotonic() - float(text.split()[1])


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
        emulator.agent_send(chat.conversation, f"{n} {time.monotonic()!r}")
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


def many_chats(emulator: Emulator, scratch: Path, count: int) -> None:
    before = rss_mib()
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        chats = list(pool.map(lambda n: Chat(emulator, next_index(), scratch), range(count)))
    start_seconds = time.monotonic() - started
    for chat in chats:
        emulator.agent_join(chat.conversation, "Alex")
        chat.expected = 1
    for chat in chats:
        emulator.agent_send_many(chat.conversation, stamped(1))
    deadline = time.monotonic() + 60
    for chat in chats:
        chat.done.wait(max(0.0, deadline - time.monotonic()))
    latencies = [lat for chat in chats for lat in chat.latencies]
    lost = count - len(latencies)
    p99 = percentile(latencies, 0.99) * 1e3
    print(
        f"  {count:>5} chats: started in {start_seconds:5.1f} s, "
        f"RSS +{rss_mib() - before:6.0f} MiB, threads {threading.active_count():5d}, "
        f"lost {lost}, p99 {p99:.1f} ms"
    )
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda chat: chat.bus.close(), chats))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--chats", default="100,300,1000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, Emulator(demo_agent=False) as emulator:
        throughput(emulator, Path(scratch), args.messages)
        paced_latency(emulator, Path(scratch), rate=200, seconds=3)
        print("Concurrent chats in one process (one agent message each)")
        for count in (int(n) for n in args.chats.split(",")):
            many_chats(emulator, Path(scratch), count)


if __name__ == "__main__":
    main()
