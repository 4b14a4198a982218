"""Thousands of chats in one process: WebChatService, MessagingService, and a raw
websocket-client loop.

    python bench/scale.py [--service webchat|messaging] [--client cxbus|raw]
                          [--chats 5000] [--interval 10] [--duration 60] [--burst]

The emulator runs in a process of its own (``cxbus emulator --json``): its demo agent
joins every guest chat, its bot keeps every Web Messaging session. This process starts
``--chats`` chats (each a bus of its own with WebChatService on ``purecloud-v2-sockets``
or MessagingService, kept in memory), at most 200 starts asked for and not answered at a
time; then the emulator's agents send each chat a numbered, time-stamped message every
``--interval`` seconds for ``--duration`` seconds, spread evenly (5,000 chats at 10 s: a
steady 500 messages a second). It prints one table row: how fast the chats started (from
the first start asked to the last answered) and this process's CPU time per start
meanwhile, RSS added, OS threads, messages lost and duplicated, disconnects, the latency
from the emulator's send to the subscriber (both on this machine's clock), this
process's CPU time per message under the steady load, and the emulator's CPU share while
the load runs (near a whole core, it is the emulator that lags). Then the gc-tracked
objects each started chat added (after a full collection), the longest garbage-collector
pause (``gc.callbacks``) and its generation while the chats started and under the load,
with the full collections of the steady phase, and, beside cxbus's start rate, a bare
client's in the same run: the same number of conversations opened by a pool of 24
threads with the protocol's handshake only
(guest chat: the create POST and the stream's WebSocket; Web Messaging: the WebSocket
and ``configureSession`` until its ``SessionResponse``), with no bus.

``--burst`` then has every chat's agent send one more message, all at once (the
emulator sends them within milliseconds), and prints a second row: what the burst
lost, duplicated, and its latency.

``--client both`` runs cxbus, then the raw client, each in a process of its own, and
prints their rows together. ``--client raw`` runs the load on the stack's own limit:
conversations opened (guest chat: created with requests; Web Messaging: the session
configured) by a pool of threads, then their sockets read by websocket-client in one
selector loop, with no bus, no state machine, no ping. To time another cxbus, run this
script with the Python of an environment where that version is installed, and
``CXBUS_EMULATOR_PYTHON`` naming a Python whose cxbus has this emulator
(``--session-files`` for a cxbus that shares one session file by default). ``--freeze``
moves what the started chats hold out of the garbage collector's way (``gc.freeze()``):
with thousands of chats in one process, a full collection walks all of them and stops
every thread meanwhile.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import gc
import json
import logging
import os
import selectors
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
import websocket
from emulator_process import MANY_CONNECTIONS, EmulatorProcess
from measures import cpu_seconds, percentile, rss_mib

TIMEOUT = 120.0
# The bare client's threads that open conversations: as many as cxbus's I/O pool.
BARE_THREADS = 24
# Chats whose start is asked for and not answered yet, at most.
IN_FLIGHT = 200
# The burst's interval and duration: one round, every chat's turn within a millisecond.
BURST = 0.001


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

    def disconnected(self) -> None:
        with self.lock:
            self.disconnects += 1

    def count(self) -> int:
        with self.lock:
            return sum(len(numbers) for numbers in self.numbers.values())

    def phase(self) -> Phase:
        """What the phase now ending brought; the next starts from nothing."""
        with self.lock:
            unique = sum(len(set(numbers)) for numbers in self.numbers.values())
            got = sum(len(numbers) for numbers in self.numbers.values())
            ended = Phase(unique, got - unique, sorted(self.latencies))
            self.numbers.clear()
            self.latencies = []
        return ended


@dataclasses.dataclass(frozen=True)
class Phase:
    """The messages of one phase of the load: those that came, twice, and their latencies."""

    unique: int
    duplicated: int
    latencies: list[float]

    def row(self, expected: int) -> str:
        """Its cells: messages lost, duplicated, and latency p50 / p99 / max."""
        p50, p99 = (percentile(self.latencies, share) * 1e3 for share in (0.5, 0.99))
        worst = max(self.latencies, default=float("nan")) * 1e3
        return (
            f"| {expected - self.unique:,} | {self.duplicated:,} "
            f"| {p50:,.1f} / {p99:,.1f} / {worst:,.0f} ms"
        )


def webchat_texts(data: Any) -> list[str]:
    return [
        m["text"]
        for m in data["messages"]
        if m["type"] == "Message" and m["from"]["type"] == "Agent"
    ]


def messaging_texts(data: Any) -> list[str]:
    return [m["text"] for m in data["messages"] if m["direction"] == "Outbound" and m.get("text")]


@dataclasses.dataclass(frozen=True)
class Service:
    """How the benchmark drives one chat plugin: its section, start command and events."""

    section: str
    namespace: str
    start: str
    start_data: dict[str, Any]
    ready: str  # the event after which the emulator's load reaches the chat
    messages: str
    agent_texts: Callable[[Any], list[str]]  # the agent's texts in a ``messages`` event
    disconnected: str
    load_path: str


SERVICES = {
    "webchat": Service(
        "webchat",
        "WebChatService",
        "startChat",
        {"nickname": "B"},
        "agentConnected",
        "messageReceived",
        webchat_texts,
        "disconnected",
        "/emulator/load",
    ),
    "messaging": Service(
        "messaging",
        "MessagingService",
        "startConversation",
        {},
        "started",
        "messagesReceived",
        messaging_texts,
        "offline",
        "/emulator/messaging/load",
    ),
}


class Pauses:
    """The garbage collector's longest pause (and its generation) while installed,
    kept apart for the chats' start and for the load that follows (``loading()``):
    the start makes and drops many objects, which the steady load does not. It counts
    the load's full collections too."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.generation = -1
        self.longest_starting = 0.0
        self.generation_starting = -1
        self.full = 0
        self.counting = True  # off for the collections this script asks for
        self._began = 0.0
        gc.callbacks.append(self._observe)

    def loading(self) -> None:
        """The chats have started: what comes is the load's."""
        self.longest_starting, self.generation_starting = self.longest, self.generation
        self.longest, self.generation, self.full = 0.0, -1, 0

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if not self.counting:
            return
        if phase == "start":
            self._began = time.perf_counter()
            return
        self.full += info["generation"] == 2
        if (took := time.perf_counter() - self._began) > self.longest:
            self.longest, self.generation = took, info["generation"]


def tracked_objects(pauses: Pauses) -> int:
    """The objects the garbage collector tracks, after a full collection (not counted
    among the ``pauses``)."""
    pauses.counting = False
    gc.collect()
    pauses.counting = True
    return len(gc.get_objects())


def bare_start_rate(emulator: EmulatorProcess, service: Service, count: int) -> float:
    """Conversations a second that a bare client opens: the protocol's handshake only,
    by ``BARE_THREADS`` threads (as many as cxbus's I/O pool), each closed once open."""
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))

    def webchat() -> None:
        transport = emulator.webchat["transport"]
        created = session.post(
            f"{transport['dataURL']}/api/v2/webchat/guest/conversations",
            json={
                "organizationId": transport["orgGuid"],
                "deploymentId": transport["deploymentKey"],
                "routingTarget": {"targetType": "QUEUE", "targetAddress": "Support"},
                "memberInfo": {"displayName": "B"},
            },
            timeout=TIMEOUT,
        ).json()
        websocket.create_connection(
            created["eventStreamUri"], timeout=TIMEOUT, skip_utf8_validation=True
        ).close(timeout=0)

    def messaging() -> None:
        deployment_id = emulator.messaging["deploymentId"]
        url = emulator.messaging["baseURL"].replace("http", "ws", 1)
        connected = websocket.create_connection(
            f"{url}/v1?deploymentId={deployment_id}", timeout=TIMEOUT, skip_utf8_validation=True
        )
        connected.send(
            json.dumps(
                {
                    "action": "configureSession",
                    "deploymentId": deployment_id,
                    "token": str(uuid.uuid4()),
                    "tracingId": str(uuid.uuid4()),
                }
            )
        )
        while json.loads(connected.recv()).get("class") != "SessionResponse":
            pass
        connected.close(timeout=0)

    open_one = webchat if service.section == "webchat" else messaging
    began = time.monotonic()
    with ThreadPoolExecutor(BARE_THREADS) as pool:
        list(pool.map(lambda _: open_one(), range(count)))
    return count / (time.monotonic() - began)


def chatter(emulator: EmulatorProcess, service: Service, interval: float, duration: float) -> int:
    """Start the emulator's load; how many chats take part."""
    answer = emulator.post(service.load_path, {"interval": interval, "duration": duration})
    return int(answer.get("chats", answer.get("sessions", 0)))


def wait_for(received: Received, expected: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds + TIMEOUT
    while received.count() < expected and time.monotonic() < deadline:
        time.sleep(0.5)  # a progress check, not a synchronisation: the load runs on its own


class CxbusChats:
    """The chats as a program on cxbus runs them: a bus and a chat plugin each."""

    def __init__(
        self,
        emulator: EmulatorProcess,
        service: Service,
        chats: int,
        received: Received,
        files: str | None = None,
    ) -> None:
        from cxbus import Bus

        self.service = service
        base = getattr(emulator, service.section)

        def section(index: int) -> dict[str, Any]:
            if files is None:
                return dict(base)
            return {**base, "sessionFile": f"{files}/{index}.json"}

        self.buses = [Bus(config={service.section: section(index)}) for index in range(chats)]
        self.ready = threading.Semaphore(0)
        ns = service.namespace
        for index, bus in enumerate(self.buses):
            plugin = bus.register_plugin("Bench")
            plugin.subscribe(
                f"{ns}.{service.messages}",
                lambda event, index=index: [
                    received.text(index, text) for text in service.agent_texts(event.data)
                ],
            )
            plugin.subscribe(f"{ns}.{service.ready}", lambda event: self.ready.release())
            plugin.subscribe(f"{ns}.{service.disconnected}", lambda event: received.disconnected())

    def start(self) -> None:
        """Start every chat, ``IN_FLIGHT`` at a time: all at once, a few thousand plugins
        loading together would each wait longer than their ready timeout for the CPU."""
        command = f"{self.service.namespace}.{self.service.start}"
        room = threading.Semaphore(IN_FLIGHT)
        answers = []
        for bus in self.buses:
            room.acquire()
            answer = bus.command(command, dict(self.service.start_data))
            answer.then(lambda _: room.release(), lambda _: room.release())
            answers.append(answer)
        for answer in answers:
            answer.result(timeout=TIMEOUT)

    def wait_until_ready(self) -> None:
        for _ in self.buses:
            if not self.ready.acquire(timeout=TIMEOUT):
                raise TimeoutError(f"a chat did not publish {self.service.ready}")

    def close(self) -> None:
        for bus in self.buses:
            bus.close()


class RawChats:
    """The stack's limit: websocket-client sockets opened by a pool of threads, then read
    in one selector loop, with no bus, no state machine, no ping."""

    def __init__(self, chats: int, received: Received) -> None:
        self.chats = chats
        self.received = received
        self.selector = selectors.DefaultSelector()
        self.sockets: list[websocket.WebSocket] = []

    def _open(self, index: int) -> websocket.WebSocket:
        raise NotImplementedError

    def _texts(self, frame: dict[str, Any]) -> list[str]:
        """The agent's texts in a frame."""
        raise NotImplementedError

    def _watch(self, index: int) -> None:
        connected = self._open(index)
        connected.settimeout(0.02)
        self.sockets.append(connected)
        self.selector.register(connected.sock, selectors.EVENT_READ, (index, connected))

    def start(self) -> None:
        with ThreadPoolExecutor(BARE_THREADS) as pool:
            list(pool.map(self._watch, range(self.chats)))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            for key, _ in self.selector.select(1.0):
                index, connected = key.data
                try:
                    frame = json.loads(connected.recv())
                except (websocket.WebSocketException, OSError, ValueError):
                    continue
                for text in self._texts(frame):
                    self.received.text(index, text)

    def wait_until_ready(self) -> None:
        pass

    def close(self) -> None:
        for connected in self.sockets:
            connected.close(timeout=0)


class RawGuestChats(RawChats):
    """Guest chat: requests for the create call, then the stream."""

    def __init__(self, emulator: EmulatorProcess, chats: int, received: Received) -> None:
        super().__init__(chats, received)
        transport = emulator.webchat["transport"]
        self.url = f"{transport['dataURL']}/api/v2/webchat/guest/conversations"
        self.body = {
            "organizationId": transport["orgGuid"],
            "deploymentId": transport["deploymentKey"],
            "routingTarget": {"targetType": "QUEUE", "targetAddress": "Support"},
            "memberInfo": {"displayName": "B"},
        }
        self.session = requests.Session()
        self.session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=BARE_THREADS))
        self.agents = threading.Semaphore(0)

    def _open(self, index: int) -> websocket.WebSocket:
        created = self.session.post(self.url, json=self.body, timeout=TIMEOUT).json()
        return websocket.create_connection(
            created["eventStreamUri"], timeout=TIMEOUT, skip_utf8_validation=True
        )

    def _texts(self, frame: dict[str, Any]) -> list[str]:
        body = frame.get("eventBody", {})
        if frame.get("metadata", {}).get("type") != "message":
            return []
        if body.get("bodyType") == "standard" and body["body"].startswith("Hi "):
            self.agents.release()  # the demo agent's greeting: it has joined
            return []
        return [str(body.get("body", ""))] if body.get("bodyType") == "standard" else []

    def wait_until_ready(self) -> None:
        for _ in range(self.chats):
            if not self.agents.acquire(timeout=TIMEOUT):
                raise TimeoutError("an agent did not join")


class RawMessagingChats(RawChats):
    """Web Messaging: each socket's session configured (``configureSession`` until its
    ``SessionResponse``) before the selector loop reads it."""

    def __init__(self, emulator: EmulatorProcess, chats: int, received: Received) -> None:
        super().__init__(chats, received)
        self.deployment_id = emulator.messaging["deploymentId"]
        base = emulator.messaging["baseURL"].replace("http", "ws", 1)
        self.url = f"{base}/v1?deploymentId={self.deployment_id}"

    def _open(self, index: int) -> websocket.WebSocket:
        connected = websocket.create_connection(
            self.url, timeout=TIMEOUT, skip_utf8_validation=True
        )
        configure = {
            "action": "configureSession",
            "deploymentId": self.deployment_id,
            "token": str(uuid.uuid4()),
            "tracingId": str(uuid.uuid4()),
        }
        connected.send(json.dumps(configure))
        while json.loads(connected.recv()).get("class") != "SessionResponse":
            pass
        return connected

    def _texts(self, frame: dict[str, Any]) -> list[str]:
        body = frame.get("body")
        if frame.get("class") != "StructuredMessage" or not isinstance(body, dict):
            return []
        return messaging_texts({"messages": [body]})


def both(argv: list[str]) -> None:
    """cxbus, then the raw client, each in a process of its own (the measures are the
    process's), with the same options: their rows one under the other."""
    rows, notes = [], []
    for client in ("cxbus", "raw"):
        command = [sys.executable, __file__, *argv, "--client", client]
        printed = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        lines = printed.strip().splitlines()
        rows += lines[1 if rows else 0 : lines.index("")]
        notes += lines[lines.index("") + 1 :]
    print("\n".join(rows), "", "\n".join(notes), sep="\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=5000)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--service", choices=("webchat", "messaging"), default="webchat")
    parser.add_argument("--client", choices=("cxbus", "raw", "both"), default="cxbus")
    parser.add_argument(
        "--session-files",
        metavar="DIR",
        help="a session file per chat in DIR (a cxbus that shares one file by default needs it)",
    )
    parser.add_argument(
        "--burst",
        action="store_true",
        help="after the steady load, one message to every chat at once",
    )
    parser.add_argument(
        "--freeze",
        action="store_true",
        help="gc.freeze() once the chats have started, so that full collections skip them",
    )
    args = parser.parse_args()
    if args.client == "both":
        both(sys.argv[1:])
        return
    logging.basicConfig(level=logging.ERROR)

    service = SERVICES[args.service]
    emulator = EmulatorProcess(*MANY_CONNECTIONS)
    received = Received()
    pauses = Pauses()
    objects_before = tracked_objects(pauses)
    rss_before = rss_mib()
    chats: CxbusChats | RawChats
    if args.client == "cxbus":
        chats = CxbusChats(emulator, service, args.chats, received, args.session_files)
    else:
        raw = RawGuestChats if args.service == "webchat" else RawMessagingChats
        chats = raw(emulator, args.chats, received)
    began, cpu_began = time.monotonic(), time.process_time()
    chats.start()
    start_rate = args.chats / (time.monotonic() - began)
    start_cpu = (time.process_time() - cpu_began) / args.chats
    chats.wait_until_ready()
    objects_loading = tracked_objects(pauses)
    objects_per_chat = (objects_loading - objects_before) / args.chats
    if args.freeze:
        gc.freeze()
    pauses.loading()
    emulator_cpu_began, load_began = cpu_seconds(emulator.process.pid), time.monotonic()
    load_cpu_began = time.process_time()
    taking_part = chatter(emulator, service, args.interval, args.duration)
    expected = taking_part * int(args.duration // args.interval)
    wait_for(received, expected, args.duration)
    emulator_share = (cpu_seconds(emulator.process.pid) - emulator_cpu_began) / (
        time.monotonic() - load_began
    )
    cpu_per_message = (time.process_time() - load_cpu_began) / max(1, expected)
    rss_added = rss_mib() - rss_before
    threads = threading.active_count()
    full_in_load = pauses.full
    steady = received.phase()
    if args.burst:  # every chat's agent sends once, all within a few milliseconds
        in_burst = chatter(emulator, service, BURST, BURST)
        wait_for(received, in_burst, BURST)
        burst = received.phase()
        threads = max(threads, threading.active_count())
    disconnects = received.disconnects
    chats.close()
    bare_rate = bare_start_rate(emulator, service, args.chats)
    emulator.stop()
    print(
        "| client | service | chats | started | CPU per start | RSS added | OS threads "
        "| messages | lost "
        "| duplicated | p50 / p99 / max | disconnects | CPU per message | emulator's CPU |"
    )
    print(
        f"| {args.client} | {args.service} | {args.chats:,} | {start_rate:,.0f} chats/s "
        f"| {start_cpu * 1e3:.1f} ms | {rss_added:,.0f} MiB | {threads} "
        f"| {expected:,} at {expected / args.duration:,.0f}/s "
        f"{steady.row(expected)} | {disconnects} | {cpu_per_message * 1e6:,.0f} µs "
        f"| {emulator_share:.0%} of a core |"
    )
    if args.burst:
        print(f"| | | | | | | | burst: {in_burst:,} at once {burst.row(in_burst)} | | | |")
    print(
        f"\ngc-tracked objects per chat: {objects_per_chat:,.0f} ({objects_loading:,} in all, "
        f"imports included); longest gc pause under the load: {pauses.longest * 1e3:,.1f} ms "
        f"(generation {pauses.generation}; {full_in_load} full collections in the steady "
        f"phase){' after gc.freeze()' if args.freeze else ''}, "
        f"while the chats started: {pauses.longest_starting * 1e3:,.1f} ms "
        f"(generation {pauses.generation_starting})\n"
        f"start rate: {args.client} {start_rate:,.0f} chats/s, bare client "
        f"{bare_rate:,.0f} chats/s (this client at {start_rate / bare_rate:.2f} of the bare one)"
    )
    os._exit(0)  # 5,000 buses need not be unwound one by one at exit


if __name__ == "__main__":
    main()
