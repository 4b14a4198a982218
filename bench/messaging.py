"""Inbound messages through MessagingService against a raw websocket-client loop, and many
conversations at once.

    python bench/messaging.py [--conversations 100,300,1000] [--messages 2000]

The emulator runs in a process of its own (``cxbus emulator``, one per part), driven
over its control API. First a raw websocket-client loop and then MessagingService
read the same session's pushes (the raw loop configures the service's own session
token: a session takes three sockets) while the agent sends a burst; each message
carries the (system-wide monotonic) time it was asked for, so the reader measures
latency with the burst's queue in it. Then both read a steady stream at once. Then N
conversations, each its own bus with MessagingService, start at once and get one
agent message each, asked for by a process of its own (so that its HTTP calls take
no time from this one): time to start them all, RSS and threads added, messages
lost, and p99 latency from the message's ``channel.time`` (the wall-clock millisecond
the emulator kept it, just before pushing it) to the subscriber.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import websocket
from emulator_process import MANY_CONNECTIONS, EmulatorProcess
from measures import milliseconds, percentile, rss_mib

from cxbus import Bus, Event

TIMEOUT = 60.0


def stamped(count: int) -> list[str]:
    return [f"{n} {time.monotonic()!r}" for n in range(count)]


def latency_of(message: dict[str, Any]) -> float:
    """From when the text was stamped (``stamped``) to now."""
    return time.monotonic() - float(message["text"].split()[1])


def since_kept(message: dict[str, Any]) -> float:
    """From the emulator keeping the message (``channel.time``, to the millisecond) to now."""
    kept = datetime.datetime.fromisoformat(message["channel"]["time"].replace("Z", "+00:00"))
    return time.time() - kept.timestamp()


# Asks the emulator's agent to send one message to each session read from stdin.
POSTER = """
import sys, requests
session = requests.Session()
for session_id in sys.stdin.read().split():
    session.post(sys.argv[1] + "/emulator/messaging/sessions/" + session_id + "/agent/send",
                 json={"text": "hello"}, timeout=60).raise_for_status()
"""


class TokenStore:
    """A session store that keeps the token in memory, for the raw loop to share."""

    def __init__(self) -> None:
        self.stored: Any = None

    def load(self) -> Any:
        return self.stored

    def save(self, stored: Any) -> None:
        self.stored = stored

    def clear(self) -> None:
        self.stored = None


def sessions(emulator: EmulatorProcess) -> list[str]:
    return list(emulator.call("GET", "/emulator/messaging/sessions")["sessions"])


def send(emulator: EmulatorProcess, session_id: str, text: str) -> None:
    emulator.post(f"/emulator/messaging/sessions/{session_id}/agent/send", {"text": text})


def send_many(emulator: EmulatorProcess, session_id: str, texts: list[str]) -> None:
    emulator.post(f"/emulator/messaging/sessions/{session_id}/agent/send-many", {"texts": texts})


class Conversation:
    """One MessagingService conversation, recording the latency of each agent message."""

    def __init__(self, emulator: EmulatorProcess, store: TokenStore | None = None) -> None:
        self.store = store or TokenStore()
        config = {**emulator.messaging, "sessionStore": self.store}
        self.bus = Bus(config={"messaging": config})
        self.latencies: list[float] = []
        self.measure = latency_of
        self.expected = 0
        self.done = threading.Event()
        self.on = threading.Event()
        me = self.bus.register_plugin("Bench")
        me.subscribe("MessagingService.messagesReceived", self.received)
        resuming = self.store.stored is not None
        on = "restored" if resuming else "started"  # a resumed one has read its history then
        me.subscribe(f"MessagingService.{on}", lambda event: self.on.set())
        self.bus.load_plugin("MessagingService").result(timeout=TIMEOUT)

    def start(self) -> Conversation:
        if self.store.stored is None:
            self.bus.command("MessagingService.startConversation").result(timeout=TIMEOUT)
        assert self.on.wait(TIMEOUT), "the conversation did not start"
        return self

    def received(self, event: Event) -> None:
        for message in event.data["messages"]:
            if message["direction"] == "Outbound" and message.get("text"):
                self.latencies.append(self.measure(message))
        if self.expected and len(self.latencies) >= self.expected:
            self.done.set()


class RawReader:
    """A bare websocket-client loop on the session of ``token``: configure, then read.

    ``skip_utf8``: websocket-client's own UTF-8 check (in Python) off, as cxbus's reader
    has it (``bytes.decode`` checks in C)."""

    def __init__(self, emulator: EmulatorProcess, token: str, skip_utf8: bool = False) -> None:
        url = emulator.messaging["baseURL"].replace("http", "ws", 1)
        deployment_id = emulator.messaging["deploymentId"]
        self.socket = websocket.create_connection(
            f"{url}/v1?deploymentId={deployment_id}",
            timeout=TIMEOUT,
            skip_utf8_validation=skip_utf8,
        )
        self.socket.send(
            json.dumps(
                {
                    "token": token,
                    "deploymentId": deployment_id,
                    "startNew": False,
                    "tracingId": str(uuid.uuid4()),
                    "action": "configureSession",
                }
            )
        )
        assert json.loads(self.socket.recv())["class"] == "SessionResponse"
        self.latencies: list[float] = []

    def read(self, count: int) -> None:
        while len(self.latencies) < count:
            frame = json.loads(self.socket.recv())
            body = frame.get("body")
            if frame.get("class") == "StructuredMessage" and body.get("direction") == "Outbound":
                self.latencies.append(latency_of(body))

    def close(self) -> None:
        self.socket.close()


def throughput(count: int) -> None:
    emulator = EmulatorProcess()
    try:
        conversation = Conversation(emulator).start()
        (session_id,) = sessions(emulator)
        store = conversation.store
        conversation.bus.close()  # the raw readers go alone first
        raws: list[tuple[str, RawReader, float]] = []
        for name, skip_utf8 in (
            ("raw websocket-client", False),
            ("raw, no UTF-8 check in Python", True),
        ):
            raw = RawReader(emulator, store.stored.token, skip_utf8)
            started = time.monotonic()
            sender = threading.Thread(target=send_many, args=(emulator, session_id, stamped(count)))
            sender.start()
            raw.read(count)
            raws.append((name, raw, count / (time.monotonic() - started)))
            sender.join()
            raw.close()

        conversation = Conversation(emulator, store).start()  # resumes the same session
        conversation.expected = count
        started = time.monotonic()
        send_many(emulator, session_id, stamped(count))
        assert conversation.done.wait(120), f"cxbus got {len(conversation.latencies)} of {count}"
        ours_seconds = time.monotonic() - started
        conversation.bus.close()

        ours_rate = count / ours_seconds
        print(f"Inbound burst of {count} messages, one conversation")
        print(f"  {'reader':<32}{'msgs/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'cxbus/it':>10}")
        for name, raw, rate in raws:
            ratio = f"{ours_rate / rate:.0%}"
            print(f"  {name:<32}{rate:>10.0f}{milliseconds(raw.latencies)}{ratio:>10}")
        ours = f"{ours_rate:>10.0f}{milliseconds(conversation.latencies)}"
        print(f"  {'cxbus MessagingService':<32}{ours}\n")
        paced_latency(emulator, session_id, store, rate=100, seconds=3)
    finally:
        emulator.stop()


def paced_latency(
    emulator: EmulatorProcess, session_id: str, store: TokenStore, rate: int, seconds: float
) -> None:
    """Messages at a steady ``rate`` a second, both readers at once on the same session."""
    conversation = Conversation(emulator, store).start()
    raw = RawReader(emulator, store.stored.token)
    total = int(rate * seconds)
    conversation.latencies.clear()
    conversation.expected = total
    reader = threading.Thread(target=raw.read, args=(total,))
    reader.start()
    for _ in range(total):
        send(emulator, session_id, stamped(1)[0])
        time.sleep(1 / rate)  # pacing the sender, not waiting on a result
    reader.join(TIMEOUT)
    conversation.done.wait(TIMEOUT)
    raw.close()
    conversation.bus.close()
    print(f"Steady {rate} messages/s for {seconds:g} s, both readers at once")
    for name, lat in (
        ("raw websocket-client", raw.latencies),
        ("cxbus MessagingService", conversation.latencies),
    ):
        print(f"  {name:<32}{'':>10}{milliseconds(lat)}")
    print()


def many_conversations(count: int) -> None:
    emulator = EmulatorProcess(*MANY_CONNECTIONS)
    try:
        before_rss, before_threads = rss_mib(), threading.active_count()
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            conversations = list(pool.map(lambda _: Conversation(emulator).start(), range(count)))
        start_seconds = time.monotonic() - started
        rss, threads = rss_mib() - before_rss, threading.active_count() - before_threads
        for conversation in conversations:
            conversation.expected = 1
            conversation.measure = since_kept
        subprocess.run(
            [sys.executable, "-c", POSTER, emulator.url],
            input="\n".join(sessions(emulator)),
            text=True,
            check=True,
            timeout=TIMEOUT,
        )
        deadline = time.monotonic() + TIMEOUT
        for conversation in conversations:
            conversation.done.wait(max(0.0, deadline - time.monotonic()))
        latencies = [lat for c in conversations for lat in c.latencies]
        lost = count - len(latencies)
        print(
            f"  {count:>5} conversations: started in {start_seconds:5.1f} s, "
            f"RSS +{rss:5.0f} MiB, threads +{threads:3d}, lost {lost}, "
            f"p99 {percentile(latencies, 0.99) * 1e3:.1f} ms"
        )
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            list(pool.map(lambda c: c.bus.close(), conversations))
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--conversations", default="100,300,1000")
    args = parser.parse_args()
    throughput(args.messages)
    print("Concurrent conversations in one process (one agent message each)")
    for count in (int(n) for n in args.conversations.split(",")):
        many_conversations(count)


if __name__ == "__main__":
    main()
