"""CPU time per round trip of a chat's client process: cxbus against a bare client that
does the same protocol on one thread.

    python bench/roundtrip.py [--round-trips 5] [--rounds 5] [--poll-interval 0.25]

``cxbus emulator --json`` runs in a process of its own; its demo bot (Web Messaging) and
demo agent (guest chat, GMS) type for 0.5 s, then answer each message with "You said:
..." (that wait costs no CPU, only time). Each client runs in a process of its own too,
so that the CPU time of that process (``time.process_time()``: all its threads) is the
client's alone. Every client starts its chat (and warms it with one round trip) before
the first round, all at once; then the two clients of a row take turns, ``--rounds``
rounds of ``--round-trips`` round trips each, cxbus then the bare client, while the
other clients wait (cxbus's GMS chat polling on, in its own process). A round trip is
the guest's message sent and what the server sends back read, up to the agent's answer:

- Web Messaging: MessagingService's ``sendMessage`` (its answer waited for), then its
  ``messagesReceived`` with the bot's answer; the bare client is a websocket-client
  loop on one thread, its socket opened with the options cxbus opens its sockets with
  (``skip_utf8_validation``), that sent ``configureSession`` once and per round trip
  sends ``onMessage`` and reads frames up to the bot's answer (the echo of the
  message, the bot's typing, its answer);
- guest chat: WebChatService on ``purecloud-v2-sockets``, ``sendMessage`` then its
  ``messageReceived`` with the agent's answer; the bare client, requests and
  websocket-client on one thread, POSTs the message and reads the event stream up to
  the answer (the message, the agent's typing, the answer);
- GMS: WebChatService on GMS, polling every ``--poll-interval`` seconds (``pollRate``,
  ``dynamicPolling`` off), ``sendMessage`` then its ``messageReceived``; the bare
  client, requests on one thread, POSTs ``send`` and then ``refresh`` on the same
  schedule (a refresh is due an interval after the last one began) up to the answer.

Each row prints the CPU time per round trip of cxbus and of the bare client (min and
median of the rounds), the ratio of the medians and whether it meets issue 27's goal
(at most 1.3 times the bare client's), the system CPU time per round trip over all
rounds, and the OS threads of the client's process while its chat ran
(``/proc/self/task``). The system time is ``resource.getrusage``'s (what ``os.times``
reads, in µs rather than in clock ticks of 10 ms, longer than a round's system time);
Linux counts a process's CPU time exactly but splits it into user and system time by
sampling at its timer ticks, so the system time is a rough figure.

A second table shows that both clients did the same protocol: per round trip, the
WebSocket frames each sent and received (control frames too: cxbus pings its sockets,
the guest chat server sends heartbeats) and its HTTP requests, counted in each client's
process where websocket-client writes and reads a frame and where requests sends a
request (the same for both clients, and cheap beside a round trip).

``--profile N`` runs N Web Messaging round trips of cxbus in this process with a
profiler on every thread (``cProfile`` on each thread's CPU clock) and prints the 15
functions that took the most CPU time of their own, instead of the tables.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import dataclasses
import gc
import io
import itertools
import json
import multiprocessing
import os
import pstats
import queue
import resource
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, Protocol

import requests
import websocket
from emulator_process import EmulatorProcess
from websocket._abnf import frame_buffer

from cxbus import Bus, Event

TIMEOUT = 60.0
GOAL = 1.3  # issue 27: CPU per round trip at most 1.3 times the bare client's
NICKNAME = "Bench"


def answer_to(text: str) -> str:
    """What the emulator's demo bot and demo agent answer to ``text``."""
    return f"You said: {text}"


class Client(Protocol):
    """One chat, driven from the thread that calls it."""

    def start(self) -> None:
        """Start the chat; return once its agent is there to answer."""

    def round_trip(self, text: str) -> None:
        """Send ``text``; return once the agent's answer to it is read."""

    def close(self) -> None: ...


# cxbus ------------------------------------------------------------------------------------


class CxbusChat:
    """A chat through a cxbus service on a bus of its own: the agent's texts are queued
    for the calling thread by a subscriber (which runs on cxbus's delivery thread)."""

    namespace = ""
    messages = ""  # the event that carries the agent's messages

    def __init__(self, config: dict[str, Any]) -> None:
        self.bus = Bus(config=config)
        self.said: queue.SimpleQueue[str] = queue.SimpleQueue()
        me = self.bus.register_plugin("Bench")
        me.subscribe(f"{self.namespace}.{self.messages}", self._received)

    def _received(self, event: Event) -> None:
        for text in self.agent_texts(event.data):
            self.said.put(text)

    def agent_texts(self, data: Any) -> list[str]:
        raise NotImplementedError

    def wait_for(self, text: str | None) -> None:
        """Until the agent says ``text`` (``None``: anything)."""
        while True:
            said = self.said.get(timeout=TIMEOUT)
            if text is None or said == text:
                return

    def round_trip(self, text: str) -> None:
        sent = self.bus.command(f"{self.namespace}.sendMessage", {"message": text})
        sent.result(timeout=TIMEOUT)
        self.wait_for(answer_to(text))

    def close(self) -> None:
        self.bus.close()


class CxbusMessaging(CxbusChat):
    namespace = "MessagingService"
    messages = "messagesReceived"

    def __init__(self, section: dict[str, Any]) -> None:
        super().__init__({"messaging": section})

    def agent_texts(self, data: Any) -> list[str]:
        return [m["text"] for m in data["messages"] if m["direction"] == "Outbound" and "text" in m]

    def start(self) -> None:
        started = self.bus.wait_for("MessagingService.started", timeout=TIMEOUT)
        self.bus.command("MessagingService.startConversation").result(timeout=TIMEOUT)
        started.result(timeout=TIMEOUT)  # the bot greets with its first answer


class CxbusWebChat(CxbusChat):
    """WebChatService, on the transport its section names (guest chat or GMS)."""

    namespace = "WebChatService"
    messages = "messageReceived"

    def __init__(self, section: dict[str, Any]) -> None:
        super().__init__({"webchat": section})

    def agent_texts(self, data: Any) -> list[str]:
        return [
            m["text"]
            for m in data["messages"]
            if m["from"]["type"] == "Agent" and m["type"] == "Message"
        ]

    def start(self) -> None:
        self.bus.command("WebChatService.startChat", {"nickname": NICKNAME}).result(timeout=TIMEOUT)
        self.wait_for(None)  # the agent's greeting: it has joined


# Bare clients --------------------------------------------------------------------------


class BareMessaging:
    """Web Messaging with websocket-client on one thread, the socket opened as cxbus's."""

    def __init__(self, section: dict[str, Any]) -> None:
        self.deployment_id = section["deploymentId"]
        base = section["baseURL"].replace("http", "ws", 1)
        self.url = f"{base}/v1?deploymentId={self.deployment_id}"
        self.token = str(uuid.uuid4())

    def start(self) -> None:
        self.socket = websocket.create_connection(
            self.url, timeout=TIMEOUT, skip_utf8_validation=True
        )
        self._send("configureSession", deploymentId=self.deployment_id, startNew=False)
        while json.loads(self.socket.recv()).get("class") != "SessionResponse":
            pass

    def _send(self, action: str, **fields: Any) -> None:
        request = {"token": self.token, **fields, "tracingId": str(uuid.uuid4()), "action": action}
        self.socket.send(json.dumps(request, separators=(",", ":")))

    def round_trip(self, text: str) -> None:
        self._send("onMessage", message={"type": "Text", "text": text})
        answer = answer_to(text)
        while True:
            body = json.loads(self.socket.recv()).get("body")
            if isinstance(body, dict) and body.get("text") == answer:
                return

    def close(self) -> None:
        self.socket.close()


class BareGuestChat:
    """The guest chat API with requests and websocket-client on one thread."""

    def __init__(self, section: dict[str, Any]) -> None:
        self.transport = section["transport"]
        self.root = self.transport["dataURL"].rstrip("/") + "/api/v2/webchat/guest"
        self.http = requests.Session()

    def start(self) -> None:
        transport = self.transport
        created = self.http.post(
            f"{self.root}/conversations",
            json={
                "organizationId": transport["orgGuid"],
                "deploymentId": transport["deploymentKey"],
                "routingTarget": transport["interactionData"]["routing"],
                "memberInfo": {"displayName": NICKNAME},
            },
            timeout=TIMEOUT,
        )
        created.raise_for_status()
        chat = created.json()
        self.member_id = chat["member"]["id"]
        self.http.headers["Authorization"] = f"Bearer {chat['jwt']}"
        self.messages_url = f"{self.root}/conversations/{chat['id']}/members/{self.member_id}"
        self.messages_url += "/messages"
        self.stream = websocket.create_connection(
            chat["eventStreamUri"], timeout=TIMEOUT, skip_utf8_validation=True
        )
        self._read_until(lambda body: body["sender"]["id"] != self.member_id)  # the greeting

    def _read_until(self, said: Callable[[dict[str, Any]], bool]) -> None:
        """Read the stream up to a message ``said`` is true of."""
        while True:
            frame = json.loads(self.stream.recv())
            body = frame.get("eventBody")
            if frame.get("metadata", {}).get("type") == "message" and body["body"] and said(body):
                return

    def round_trip(self, text: str) -> None:
        self.http.post(
            self.messages_url, json={"body": text, "bodyType": "standard"}, timeout=TIMEOUT
        ).raise_for_status()
        answer = answer_to(text)
        self._read_until(lambda body: body["body"] == answer)

    def close(self) -> None:
        self.stream.close()
        self.http.close()


class BareGms:
    """GMS with requests on one thread, refreshing every ``pollRate`` milliseconds."""

    def __init__(self, section: dict[str, Any]) -> None:
        self.data_url = section["dataURL"].rstrip("/")
        self.interval = section["pollRate"] / 1000
        self.http = requests.Session()
        self.http.headers["apikey"] = section["apikey"]
        self.position = 1
        self.last_refresh = 0.0

    def start(self) -> None:
        started = self.http.post(f"{self.data_url}/", data={"nickname": NICKNAME}, timeout=TIMEOUT)
        started.raise_for_status()
        chat = started.json()
        self.form = {key: chat[key] for key in ("secureKey", "userId", "alias")}
        self.chat_url = f"{self.data_url}/{chat['chatId']}"
        self._refresh_until(lambda message: True)  # the agent's greeting

    def _refresh_until(self, said: Callable[[dict[str, Any]], bool]) -> None:
        """Refresh on schedule up to an agent's message ``said`` is true of."""
        while True:
            time.sleep(max(0.0, self.last_refresh + self.interval - time.monotonic()))
            self.last_refresh = time.monotonic()
            refreshed = self.http.post(
                f"{self.chat_url}/refresh",
                data={**self.form, "message": "", "transcriptPosition": str(self.position)},
                timeout=TIMEOUT,
            )
            refreshed.raise_for_status()
            reply = refreshed.json()
            self.position = reply.get("nextPosition", self.position)
            for message in reply.get("messages", []):
                agent = message["type"] == "Message" and message["from"]["type"] == "Agent"
                if agent and said(message):
                    return

    def round_trip(self, text: str) -> None:
        self.http.post(
            f"{self.chat_url}/send",
            data={**self.form, "message": text, "messageType": "text"},
            timeout=TIMEOUT,
        ).raise_for_status()
        answer = answer_to(text)
        self._refresh_until(lambda message: message["text"] == answer)

    def close(self) -> None:
        self.http.close()


CLIENTS: dict[str, Callable[[dict[str, Any]], Client]] = {
    "cxbus messaging": CxbusMessaging,
    "cxbus webchat": CxbusWebChat,
    "bare messaging": BareMessaging,
    "bare guest chat": BareGuestChat,
    "bare gms": BareGms,
}


# A client's process -----------------------------------------------------------------------


class Traffic:
    """The WebSocket frames and HTTP requests of this process, counted where
    websocket-client reads and writes a frame and where requests sends a request."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._wrap(frame_buffer, "recv_frame", "frames received")
        self._wrap(websocket.ABNF, "format", "frames sent")
        self._wrap(requests.Session, "send", "HTTP requests")

    def _wrap(self, owner: type, name: str, counted: str) -> None:
        method = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            done = method(*args, **kwargs)  # a read that finds no whole frame raises: uncounted
            with self._lock:
                self.counts[counted] += 1
            return done

        setattr(owner, name, wrapper)

    def now(self) -> collections.Counter[str]:
        with self._lock:
            return self.counts.copy()


def os_threads() -> int:
    return len(os.listdir("/proc/self/task"))


def run_batch(client: Client, texts: Iterator[str], count: int, traffic: Traffic) -> dict[str, Any]:
    """``count`` round trips, and what they cost this process."""
    gc.collect()  # a collection that the chat's start or the last round made due is not counted
    counted = traffic.now()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = time.process_time()
    for _ in range(count):
        client.round_trip(next(texts))
    cpu = time.process_time() - cpu
    system = resource.getrusage(resource.RUSAGE_SELF).ru_stime - usage.ru_stime
    return {"cpu": cpu, "system": system, "threads": os_threads(), **(traffic.now() - counted)}


def serve(kind: str, section: dict[str, Any], connection: Connection) -> None:
    """A client's process: its chat started and warmed, then the batches it is asked for
    (a number of round trips; 0 to stop)."""
    traffic = Traffic()
    client = CLIENTS[kind](section)
    client.start()
    client.round_trip("warm-up")
    connection.send("ready")
    texts = (f"message {n}" for n in itertools.count())
    while count := connection.recv():
        connection.send(run_batch(client, texts, count, traffic))
    client.close()


class Worker:
    """A client in a process of its own (``serve``), run a batch at a time."""

    def __init__(self, kind: str, section: dict[str, Any]) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=serve, args=(kind, section, theirs), daemon=True)
        self.process.start()

    def answer(self) -> Any:
        if not self.connection.poll(TIMEOUT * 2):
            raise TimeoutError("a client's process did not answer")
        return self.connection.recv()  # EOFError when the process died (its error is above)

    def batch(self, count: int) -> dict[str, Any]:
        self.connection.send(count)
        answer: dict[str, Any] = self.answer()
        return answer

    def stop(self) -> None:
        if self.process.is_alive():
            self.connection.send(0)
        self.process.join(TIMEOUT)


# The rows ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    cxbus: str  # the clients' kinds (CLIENTS)
    bare: str
    section: Callable[[EmulatorProcess, float], dict[str, Any]]  # (emulator, poll interval)


ROWS = (
    Row("Web Messaging", "cxbus messaging", "bare messaging", lambda e, _: e.messaging),
    Row("guest chat", "cxbus webchat", "bare guest chat", lambda e, _: e.webchat),
    Row(
        "GMS",
        "cxbus webchat",
        "bare gms",
        lambda e, poll: {**e.gms, "dynamicPolling": False, "pollRate": poll * 1000},
    ),
)


@dataclasses.dataclass
class Measured:
    """One client's batches."""

    batches: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def per_round_trip(self, count: int) -> list[float]:
        """CPU µs per round trip, a value per batch."""
        return [batch["cpu"] / count * 1e6 for batch in self.batches]

    def total(self, key: str) -> float:
        return float(sum(batch.get(key, 0) for batch in self.batches))


def measure(
    rows: list[tuple[Row, dict[str, Any]]], rounds: int, count: int
) -> list[dict[str, Measured]]:
    """Every client started at once (each row's two, on the row's section), then each
    row's rounds in turn, its clients taking turns; a client not measured waits idle."""
    pairs = [
        {"cxbus": Worker(row.cxbus, section), "bare": Worker(row.bare, section)}
        for row, section in rows
    ]
    try:
        for pair in pairs:
            for worker in pair.values():
                assert worker.answer() == "ready"
        results = []
        for pair in pairs:
            measured = {side: Measured() for side in pair}
            for _ in range(rounds):
                for side, worker in pair.items():
                    measured[side].batches.append(worker.batch(count))
            results.append(measured)
        return results
    finally:
        for pair in pairs:
            for worker in pair.values():
                worker.stop()


def min_median(values: list[float]) -> str:
    return f"{min(values):,.0f} / {statistics.median(values):,.0f}"


def print_tables(results: list[tuple[Row, dict[str, Measured]]], rounds: int, count: int) -> None:
    trips = rounds * count
    print(
        f"CPU time per round trip of the client's process, µs ({rounds} rounds of {count} "
        "round trips each, cxbus and bare client in turns)"
    )
    heads = ("", "cxbus min / med", "bare min / med", "ratio", f"<= {GOAL}x", "system µs")
    print(f"  {heads[0]:<15}{heads[1]:>17}{heads[2]:>17}{heads[3]:>8}{heads[4]:>9}", end="")
    print(f"{heads[5] + ' cxbus / bare':>26}{'threads cxbus / bare':>22}")
    for row, measured in results:
        cxbus, bare = (measured[side].per_round_trip(count) for side in ("cxbus", "bare"))
        ratio = statistics.median(cxbus) / statistics.median(bare)
        met = "met" if ratio <= GOAL else "not met"
        system = " / ".join(
            f"{measured[side].total('system') / trips * 1e6:,.0f}" for side in ("cxbus", "bare")
        )
        threads = " / ".join(
            str(max(batch["threads"] for batch in measured[side].batches))
            for side in ("cxbus", "bare")
        )
        print(f"  {row.name:<15}{min_median(cxbus):>17}{min_median(bare):>17}", end="")
        print(f"{ratio:>7.2f}x{met:>9}{system:>26}{threads:>22}")
    print("\nPer round trip, the same protocol on both sides (cxbus / bare)")
    kinds = ("frames sent", "frames received", "HTTP requests")
    print(f"  {'':<15}" + "".join(f"{kind:>20}" for kind in kinds))
    for row, measured in results:
        cells = (
            " / ".join(f"{measured[side].total(kind) / trips:.2f}" for side in ("cxbus", "bare"))
            for kind in kinds
        )
        print(f"  {row.name:<15}" + "".join(f"{cell:>20}" for cell in cells))


# Profiling ----------------------------------------------------------------------------------


class Snapshot(cProfile.Profile):
    """A running profiler's figures so far, for ``pstats``: the calls still under way (a
    thread blocked in a wait) are left out, where ``Profile.create_stats`` would end them
    on the clock of the thread that asks, not of theirs."""

    def __init__(self, running: cProfile.Profile) -> None:
        super().__init__()
        running.snapshot_stats()
        self.stats = running.stats

    def create_stats(self) -> None:
        """``pstats`` asks for it; the figures are taken already."""


def profile(emulator: EmulatorProcess, count: int) -> None:
    """``count`` cxbus Web Messaging round trips with a profiler on every thread."""
    profiles: list[cProfile.Profile] = []

    def profiled() -> cProfile.Profile:
        started = cProfile.Profile(time.thread_time_ns, 1e-9)  # this thread's CPU time
        profiles.append(started)
        return started

    def on_new_thread(*_: Any) -> None:  # the first event of a thread threading starts
        sys.setprofile(None)
        profiled().enable()

    threading.setprofile(on_new_thread)
    client = CxbusMessaging(emulator.messaging)
    client.start()
    client.round_trip("warm-up")
    for started in profiles:  # what the threads did before is left out
        started.clear()
    main = profiled()
    main.enable()
    for n in range(count):
        client.round_trip(f"message {n}")
    main.disable()
    shown = io.StringIO()
    snapshots = [Snapshot(running) for running in profiles]
    # pstats refuses a profile with no calls: a thread that had nothing to do
    stats = pstats.Stats(*(taken for taken in snapshots if taken.stats), stream=shown)
    stats.sort_stats("tottime").print_stats(15)
    print(f"cxbus Web Messaging, {count} round trips, every thread's CPU time (cProfile)")
    print(shown.getvalue())
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round-trips", type=int, default=5, help="round trips in a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--poll-interval", type=float, default=0.25, help="GMS: seconds between refreshes"
    )
    parser.add_argument("--profile", type=int, metavar="N", help="profile N round trips instead")
    args = parser.parse_args()
    count = args.round_trips
    emulator = EmulatorProcess()
    try:
        if args.profile:
            profile(emulator, args.profile)
            return
        rows = [(row, row.section(emulator, args.poll_interval)) for row in ROWS]
        results = list(zip(ROWS, measure(rows, args.rounds, count), strict=True))
    finally:
        emulator.stop()
    print_tables(results, args.rounds, args.round_trips)


if __name__ == "__main__":
    main()
