"""Thousands of chats in one process: WebChatService, and a raw websocket-client loop.

    python bench/scale.py [--chats 5000] [--interval 10] [--duration 60] [--client cxbus]

The emulator runs in a process of its own (``cxbus emulator --json``), its demo agent
joining every chat. This process starts ``--chats`` chats (each a bus of its own with
WebChatService on ``purecloud-v2-sockets``, kept in memory), as fast as they will go;
then the emulator's agents send each chat a numbered, time-stamped message every
``--interval`` seconds for ``--duration`` seconds, spread evenly (5,000 chats at 10 s:
a steady 500 messages a second). It prints one table row: how fast the chats started,
RSS added, OS threads, messages lost and duplicated, disconnects, and the latency from
the emulator's send to the subscriber (both on this machine's clock).

``--client raw`` runs the same load on the stack's own limit: conversations created
with requests and their streams read by websocket-client in one selector loop, with
no bus, no state machine, no ping. To time another cxbus, run this script with the
Python of an environment where that version is installed, and ``CXBUS_EMULATOR_PYTHON``
naming a Python whose cxbus has this emulator.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import selectors
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
import websocket

TIMEOUT = 120.0


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


class EmulatorProcess:
    """``cxbus emulator --json`` in a process of its own."""

    def __init__(self) -> None:
        python = os.environ.get("CXBUS_EMULATOR_PYTHON", sys.executable)
        self.process = subprocess.Popen(
            [python, "-m", "cxbus", "emulator", "--port", "0", "--json"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.webchat = json.loads(self.process.stdout.readline())["webchat"]
        self.url = self.webchat["transport"]["dataURL"]

    def chatter(self, interval: float, duration: float) -> int:
        answer = requests.post(
            f"{self.url}/emulator/load",
            json={"interval": interval, "duration": duration},
            timeout=TIMEOUT,
        )
        answer.raise_for_status()
        return int(answer.json()["chats"])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=TIMEOUT)


class Received:
    """What the chats received of the load: numbers per chat, latencies, disconnects."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.numbers: dict[int, list[int]] = collections.defaultdict(list)
        self.latencies: list[float] = []
        self.disconnects = 0

    def text(self, chat: int, text: str) -> None:
        number, _, stamp = text.partition(" ")
        if not number.isdigit() or not stamp:
            return  # the agent's greeting
        latency = time.time() - float(stamp)
        with self.lock:
            self.numbers[chat].append(int(number))
            self.latencies.append(latency)

    def count(self) -> int:
        with self.lock:
            return sum(len(numbers) for numbers in self.numbers.values())


class CxbusChats:
    """The chats as a program on cxbus runs them: a bus and WebChatService each."""

    def __init__(
        self, emulator: EmulatorProcess, chats: int, received: Received, files: str | None = None
    ) -> None:
        from cxbus import Bus

        def section(index: int) -> dict[str, Any]:
            if files is None:
                return dict(emulator.webchat)
            return {**emulator.webchat, "sessionFile": f"{files}/{index}.json"}

        self.buses = [Bus(config={"webchat": section(index)}) for index in range(chats)]
        self.agents = threading.Semaphore(0)
        for index, bus in enumerate(self.buses):
            plugin = bus.register_plugin("Bench")
            plugin.subscribe(
                "WebChatService.messageReceived",
                lambda event, index=index: [
                    received.text(index, m["text"])
                    for m in event.data["messages"]
                    if m["type"] == "Message" and m["from"]["type"] == "Agent"
                ],
            )
            plugin.subscribe("WebChatService.agentConnected", lambda event: self.agents.release())
            plugin.subscribe("WebChatService.disconnected", lambda event: _disconnected(received))

    def start(self) -> None:
        answers = [bus.command("WebChatService.startChat", {"nickname": "B"}) for bus in self.buses]
        for answer in answers:
            answer.result(timeout=TIMEOUT)

    def wait_for_agents(self) -> None:
        for _ in self.buses:
            if not self.agents.acquire(timeout=TIMEOUT):
                raise TimeoutError("an agent did not join")

    def close(self) -> None:
        for bus in self.buses:
            bus.close()


def _disconnected(received: Received) -> None:
    with received.lock:
        received.disconnects += 1


class RawChats:
    """The stack's limit: requests for the create call, websocket-client sockets read in
    one selector loop."""

    def __init__(self, emulator: EmulatorProcess, chats: int, received: Received) -> None:
        transport = emulator.webchat["transport"]
        self.url = f"{transport['dataURL']}/api/v2/webchat/guest/conversations"
        self.body = {
            "organizationId": transport["orgGuid"],
            "deploymentId": transport["deploymentKey"],
            "routingTarget": {"targetType": "QUEUE", "targetAddress": "Support"},
            "memberInfo": {"displayName": "B"},
        }
        self.chats = chats
        self.received = received
        self.session = requests.Session()
        self.session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))
        self.selector = selectors.DefaultSelector()
        self.agents = threading.Semaphore(0)
        self.sockets: list[websocket.WebSocket] = []

    def _open(self, index: int) -> None:
        created = self.session.post(self.url, json=self.body, timeout=TIMEOUT).json()
        connected = websocket.create_connection(
            created["eventStreamUri"], timeout=TIMEOUT, skip_utf8_validation=True
        )
        connected.settimeout(0.02)
        self.sockets.append(connected)
        self.selector.register(connected.sock, selectors.EVENT_READ, (index, connected))

    def start(self) -> None:
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(self._open, range(self.chats)))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            for key, _ in self.selector.select(1.0):
                index, connected = key.data
                try:
                    frame = json.loads(connected.recv())
                except (websocket.WebSocketException, OSError, ValueError):
                    continue
                body = frame.get("eventBody", {})
                if frame.get("metadata", {}).get("type") != "message":
                    continue
                if body.get("bodyType") == "standard" and body["body"].startswith("Hi "):
                    self.agents.release()  # the demo agent's greeting: it has joined
                elif body.get("bodyType") == "standard":
                    self.received.text(index, str(body.get("body", "")))

    def wait_for_agents(self) -> None:
        for _ in range(self.chats):
            if not self.agents.acquire(timeout=TIMEOUT):
                raise TimeoutError("an agent did not join")

    def close(self) -> None:
        for connected in self.sockets:
            connected.close(timeout=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=5000)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--client", choices=("cxbus", "raw"), default="cxbus")
    parser.add_argument(
        "--session-files",
        metavar="DIR",
        help="a session file per chat in DIR (a cxbus that shares one file by default needs it)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    emulator = EmulatorProcess()
    received = Received()
    rss_before = rss_mib()
    chats: CxbusChats | RawChats
    if args.client == "cxbus":
        chats = CxbusChats(emulator, args.chats, received, args.session_files)
    else:
        chats = RawChats(emulator, args.chats, received)
    began = time.monotonic()
    chats.start()
    start_rate = args.chats / (time.monotonic() - began)
    chats.wait_for_agents()
    taking_part = emulator.chatter(args.interval, args.duration)
    expected = taking_part * int(args.duration // args.interval)
    deadline = time.monotonic() + args.duration + TIMEOUT
    while received.count() < expected and time.monotonic() < deadline:
        time.sleep(0.5)  # a progress check, not a synchronisation: the load runs on its own
    rss_added = rss_mib() - rss_before
    threads = threading.active_count()
    with received.lock:
        unique = sum(len(set(numbers)) for numbers in received.numbers.values())
        got = sum(len(numbers) for numbers in received.numbers.values())
        latencies = list(received.latencies)
        disconnects = received.disconnects
    chats.close()
    emulator.stop()
    print(
        "| client | chats | started | RSS added | OS threads | messages | lost | duplicated "
        "| disconnects | p50 / p99 / max |"
    )
    p50, p99 = (percentile(latencies, share) * 1e3 for share in (0.5, 0.99))
    worst = max(latencies, default=float("nan")) * 1e3
    print(
        f"| {args.client} | {args.chats:,} | {start_rate:,.0f} chats/s | {rss_added:,.0f} MiB "
        f"| {threads} | {expected:,} at {expected / args.duration:,.0f}/s | {expected - unique:,} "
        f"| {got - unique:,} | {disconnects} | {p50:,.1f} / {p99:,.1f} / {worst:,.0f} ms |"
    )
    os._exit(0)  # 5,000 buses need not be unwound one by one at exit


if __name__ == "__main__":
    main()
