"""A soak: chats on all three channels under the faults of a reliability review.

    python bench/soak.py [--chats 10] [--minutes 1] [--restarts 1] [--loop-minutes 1]
                         [--slow 0.5] [--seed 7]

The emulator runs in a process of its own (``cxbus emulator --json``, its demo agents
on). This process runs ``--chats`` chats on each channel, each a bus of its own: the
guest chat API (WebChatService on ``purecloud-v2-sockets``), GMS (WebChatService in
GMS mode) and Web Messaging (MessagingService). A third of them have a slow
subscriber (``--slow`` seconds on every message event). Three phases:

1. Chatting under faults, ``--minutes``: the agents send numbered messages (through the
   emulator's control API) and the guests send numbered messages (``sendMessage``),
   while a fault thread cuts sockets, announces closes, answers 5xx, 429 and busy,
   delays answers, cuts calls unanswered and sends malformed frames, at random.
   Then every message is accounted for: the agents' as the guests received them, the
   guests' as the emulator holds them. A guest's send either resolves (and the server
   must have it once) or rejects with a sentence.
2. ``--restarts`` restarts of the emulator (``POST /emulator/restart``: every socket
   cut, every chat and session forgotten), each followed by a send in every chat:
   what each chat told its user (``error``, ``ended``, ``started`` again).
3. Chats created and closed in a loop for ``--loop-minutes`` (one per channel at a
   time: start, send, end, close the bus): this process's threads and memory after
   a warm-up and at the end (``--loop-minutes 60`` for an hour).

It prints, per channel: messages sent, delivered, rejected with a sentence, lost
(must be 0) and duplicated (0); ``error`` events per chat; how long sends took in
chats with and without a slow subscriber; then threads and memory over the loop.
"""

from __future__ import annotations

import argparse
import collections
import gc
import logging
import random
import re
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from emulator_process import MANY_CONNECTIONS, EmulatorProcess
from measures import open_fds, percentile, rss_mib

from cxbus import Bus, Deferred, Event

TIMEOUT = 30.0
AGENT_TEXT = re.compile(r"a(\d+)$")
GUEST_TEXT = re.compile(r"g(\d+)$")


# Channels: how a chat of each is driven ----------------------------------------------------


class Channel:
    """One of the three channels: its plugin, its events, and the emulator's side of it."""

    name = ""
    namespace = ""
    messages = ""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator

    def bus(self) -> Bus:
        raise NotImplementedError

    def start(self, bus: Bus) -> str:
        """Start a chat; its id on the emulator."""
        raise NotImplementedError

    def ready(self) -> str | None:
        """The event after which the agent can send (``None``: at once)."""
        return None

    def agent_texts(self, data: Any) -> list[str]:
        raise NotImplementedError

    def agent_send(self, chat_id: str, text: str) -> None:
        raise NotImplementedError

    def server_texts(self, chat_id: str) -> list[str]:
        """What the guest said, as the emulator holds it."""
        raise NotImplementedError

    def faults(self) -> dict[str, Callable[[str], object]]:
        raise NotImplementedError

    def end(self, bus: Bus) -> None:
        raise NotImplementedError

    def send(self, bus: Bus, text: str) -> Deferred:
        return bus.command(f"{self.namespace}.sendMessage", {"message": text})


class GuestChat(Channel):
    name = "guest chat"
    namespace = "WebChatService"
    messages = "messageReceived"

    def bus(self) -> Bus:
        return Bus(config={"webchat": self.emulator.webchat})

    def start(self, bus: Bus) -> str:
        started = bus.command("WebChatService.startChat", {"nickname": "Soak"})
        return str(started.result(timeout=TIMEOUT)["conversationId"])

    def ready(self) -> str | None:
        return "agentConnected"

    def agent_texts(self, data: Any) -> list[str]:
        return [m["text"] for m in data["messages"] if m["from"]["type"] == "Agent"]

    def agent_send(self, chat_id: str, text: str) -> None:
        self.emulator.post(f"/emulator/conversations/{chat_id}/agent/send", {"text": text})

    def server_texts(self, chat_id: str) -> list[str]:
        shown = self.emulator.call("GET", f"/emulator/conversations/{chat_id}")
        return [m["body"] for m in shown["messages"] if m["sender"]["role"] == "CUSTOMER"]

    def faults(self) -> dict[str, Callable[[str], object]]:
        post = self.emulator.post
        return {
            "socket cut": lambda cid: post("/emulator/sockets/drop", {"conversationId": cid}),
            "socket_closing": lambda cid: post(
                "/emulator/sockets/close-notice", {"conversationId": cid}
            ),
            "503": lambda cid: post("/emulator/faults", {"path": f"*/{cid}/*", "status": 503}),
            "429": lambda cid: post(
                "/emulator/faults", {"path": f"*/{cid}/*", "status": 429, "retryAfter": 1}
            ),
            "delay 0.5 s": lambda cid: post(
                "/emulator/faults", {"path": f"*/{cid}/*", "delay": 0.5}
            ),
            "malformed frame": lambda cid: post(f"/emulator/conversations/{cid}/malformed-frame"),
        }

    def end(self, bus: Bus) -> None:
        bus.command("WebChatService.endChat").result(timeout=TIMEOUT)


class Gms(GuestChat):
    name = "GMS"

    def bus(self) -> Bus:
        return Bus(config={"webchat": self.emulator.gms})

    def start(self, bus: Bus) -> str:
        bus.command("WebChatService.startChat", {"nickname": "Soak"}).result(timeout=TIMEOUT)
        data = bus.command("WebChatService.getSessionData").result(timeout=TIMEOUT)
        return str(data["sessionID"])

    def agent_send(self, chat_id: str, text: str) -> None:
        self.emulator.post(f"/emulator/gms/chats/{chat_id}/agent/send", {"text": text})

    def server_texts(self, chat_id: str) -> list[str]:
        shown = self.emulator.call("GET", f"/emulator/gms/chats/{chat_id}")
        return [
            m["text"]
            for m in shown["transcript"]
            if m["type"] == "Message" and m["from"]["type"] == "Client"
        ]

    def faults(self) -> dict[str, Callable[[str], object]]:
        def fault(**armed: Any) -> Callable[[str], object]:
            return lambda cid: self.emulator.post(
                "/emulator/gms/faults", {**armed, "path": f"*/{cid}/*"}
            )

        return {
            "call cut unanswered": fault(answer="cut"),
            "statusCode 1": fault(answer="busy"),
            "503": fault(status=503),
            "delay 0.5 s": fault(delay=0.5),
        }


class WebMessaging(Channel):
    name = "Web Messaging"
    namespace = "MessagingService"
    messages = "messagesReceived"

    def bus(self) -> Bus:
        return Bus(config={"messaging": self.emulator.messaging})

    def start(self, bus: Bus) -> str:
        before = set(self._sessions())
        bus.command("MessagingService.startConversation").result(timeout=TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:  # the session appears once configured
            new = [s for s in self._sessions() if s not in before]
            if new:
                return new[0]
            time.sleep(0.05)
        raise TimeoutError("the conversation's session did not appear on the emulator")

    def _sessions(self) -> list[str]:
        return list(self.emulator.call("GET", "/emulator/messaging/sessions")["sessions"])

    def agent_texts(self, data: Any) -> list[str]:
        return [
            m["text"] for m in data["messages"] if m["direction"] == "Outbound" and m.get("text")
        ]

    def agent_send(self, chat_id: str, text: str) -> None:
        self.emulator.post(f"/emulator/messaging/sessions/{chat_id}/agent/send", {"text": text})

    def server_texts(self, chat_id: str) -> list[str]:
        shown = self.emulator.call("GET", f"/emulator/messaging/sessions/{chat_id}")
        return [m.get("text") or "" for m in shown["messages"] if m["direction"] == "Inbound"]

    def faults(self) -> dict[str, Callable[[str], object]]:
        post = self.emulator.post
        return {
            "socket cut": lambda sid: post("/emulator/messaging/sockets/drop", {"sessionId": sid}),
            "malformed frame": lambda sid: post(
                f"/emulator/messaging/sessions/{sid}/malformed-frame"
            ),
            "429 on a send": lambda sid: post(
                "/emulator/messaging/faults/action",
                {"action": "onMessage", "code": 429, "retryAfter": 1},
            ),
            "503 on history": lambda sid: post(
                "/emulator/messaging/faults/rest", {"path": "*/messages*", "status": 503}
            ),
        }

    def end(self, bus: Bus) -> None:
        bus.command("MessagingService.clearConversation").result(timeout=TIMEOUT)


# A chat and what it saw -------------------------------------------------------------------------


def sentence(reason: Any) -> str:
    """The sentence a rejection carries ('' when it carries none)."""
    if isinstance(reason, str):
        return reason.strip()
    if isinstance(reason, BaseException):
        return str(reason).strip()
    if isinstance(reason, dict):
        for key in ("message", "errorMessage", "body", "error"):
            if key in reason:
                found = sentence(reason[key])
                if found:
                    return found
    return ""


class Chat:
    """One chat: its bus, what it received, its sends and its events."""

    def __init__(self, channel: Channel, slow: float) -> None:
        self.channel = channel
        self.bus = channel.bus()
        self.slow = slow
        self.lock = threading.Lock()
        self.received: list[int] = []
        self.events: collections.Counter[str] = collections.Counter()
        self.ready = threading.Event()
        self.agent_sent: list[int] = []
        self.sends: dict[int, str] = {}  # number -> "pending", "resolved", "rejected"
        self.unexplained: list[Any] = []  # rejections with no sentence
        self.send_seconds: list[float] = []
        plugin = self.bus.register_plugin("Soak")
        plugin.subscribe(f"{channel.namespace}.*", self._event)
        if slow:
            plugin.subscribe(f"{channel.namespace}.{channel.messages}", self._slow)
        self.id = ""

    def start(self) -> None:
        ready = self.channel.ready()
        self.id = self.channel.start(self.bus)
        if ready is None:
            self.ready.set()

    def _event(self, event: Event) -> None:
        name = event.name.split(".", 1)[1]
        with self.lock:
            self.events[name] += 1
        if name == self.channel.ready():
            self.ready.set()
        if name == self.channel.messages:
            numbers = [
                int(found.group(1))
                for text in self.channel.agent_texts(event.data)
                if (found := AGENT_TEXT.match(text))
            ]
            with self.lock:
                self.received.extend(numbers)

    def _slow(self, event: Event) -> None:
        time.sleep(self.slow)  # the fault: a subscriber that takes its time

    def say(self, number: int) -> None:
        """Send guest message ``number``; its outcome is recorded when it comes."""
        started = time.monotonic()
        with self.lock:
            self.sends[number] = "pending"

        def settled(outcome: str, reason: Any = None) -> None:
            with self.lock:
                self.sends[number] = outcome
                self.send_seconds.append(time.monotonic() - started)
                if outcome == "rejected" and not sentence(reason):
                    self.unexplained.append(reason)

        answer = self.channel.send(self.bus, f"g{number}")
        answer.done(lambda _: settled("resolved")).fail(lambda reason: settled("rejected", reason))

    def pending(self) -> int:
        with self.lock:
            return sum(1 for outcome in self.sends.values() if outcome == "pending")


# Phase 1: chatting under faults -------------------------------------------------------------------


def inject_faults(
    chats: list[Chat], stop: threading.Event, counts: collections.Counter[str], rng: random.Random
) -> None:
    """A random fault on a random chat every 0.1 to 0.4 s, until ``stop``."""
    while not stop.wait(rng.uniform(0.1, 0.4)):
        chat = rng.choice(chats)
        faults = chat.channel.faults()
        name = rng.choice(sorted(faults))
        try:
            faults[name](chat.id)
        except Exception:  # a chat that ended meanwhile
            counts["(not armed: chat gone)"] += 1
            continue
        counts[f"{chat.channel.name}: {name}"] += 1


def agents_talk(chats: list[Chat], stop: threading.Event, rate: float) -> None:
    """The agents send numbered messages, round robin, ``rate`` a second in all."""
    numbers = collections.Counter[int]()
    while not stop.is_set():
        for chat in chats:
            if stop.wait(1 / rate):
                return
            number = numbers[id(chat)]
            try:
                chat.channel.agent_send(chat.id, f"a{number}")
            except Exception:
                continue  # not sent: not counted
            numbers[id(chat)] += 1
            with chat.lock:
                chat.agent_sent.append(number)


def guests_talk(chats: list[Chat], stop: threading.Event, rate: float) -> None:
    """The guests send numbered messages, round robin, ``rate`` a second in all."""
    numbers = collections.Counter[int]()
    while not stop.is_set():
        for chat in chats:
            if stop.wait(1 / rate):
                return
            chat.say(numbers[id(chat)])
            numbers[id(chat)] += 1


def wait_for(test: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def clear_faults(emulator: EmulatorProcess) -> None:
    emulator.post("/emulator/gms/faults/clear")
    emulator.call("DELETE", "/emulator/messaging/faults")
    # The guest chat's switches are spent by count; the rest run out in a moment.


def account(chats: list[Chat]) -> None:
    """Every message of phase 1, per channel: sent, delivered, rejected, lost, twice."""
    print(
        f"{'':<15}{'':>8}{'sent':>7}{'deliv.':>8}{'reject.':>8}{'no sent.':>9}"
        f"{'lost':>6}{'twice':>6}"
    )
    for channel in sorted({chat.channel.name for chat in chats}):
        mine = [chat for chat in chats if chat.channel.name == channel]
        sent = sum(len(chat.agent_sent) for chat in mine)
        delivered = sum(len(set(chat.received)) for chat in mine)
        twice = sum(len(chat.received) - len(set(chat.received)) for chat in mine)
        lost = sum(len(set(chat.agent_sent) - set(chat.received)) for chat in mine)
        print(f"{channel:<15}{'agent':>8}{sent:>7}{delivered:>8}{'':>8}{'':>9}{lost:>6}{twice:>6}")
        said = resolved = rejected = unexplained = lost = twice = on_server = 0
        for chat in mine:
            held = collections.Counter(
                int(found.group(1))
                for text in chat.channel.server_texts(chat.id)
                if (found := GUEST_TEXT.match(text))
            )
            said += len(chat.sends)
            for number, outcome in chat.sends.items():
                resolved += outcome == "resolved"
                rejected += outcome == "rejected"
                lost += outcome == "resolved" and held[number] == 0
            on_server += len(held)
            twice += sum(count - 1 for count in held.values() if count > 1)
            unexplained += len(chat.unexplained)
        print(
            f"{'':<15}{'guest':>8}{said:>7}{on_server:>8}{rejected:>8}{unexplained:>9}"
            f"{lost:>6}{twice:>6}"
        )


def errors_per_chat(chats: list[Chat], label: str) -> None:
    print(f"`error` events per chat, {label} (min / median / max, in all):")
    for channel in sorted({chat.channel.name for chat in chats}):
        counts = [chat.events["error"] for chat in chats if chat.channel.name == channel]
        print(
            f"  {channel:<15}{min(counts)} / {statistics.median(counts):g} / {max(counts)}, "
            f"{sum(counts)}"
        )


def send_times(chats: list[Chat]) -> None:
    print("sendMessage, from the command to its answer (p50 / p99 / max, ms):")
    for label, slow in (("slow subscriber", True), ("no slow one", False)):
        seconds = [s for chat in chats if bool(chat.slow) == slow for s in chat.send_seconds]
        if seconds:
            print(
                f"  {label:<17}{percentile(seconds, 0.5) * 1e3:>8.0f}"
                f"{percentile(seconds, 0.99) * 1e3:>8.0f}{max(seconds) * 1e3:>8.0f}"
            )


def chatting(
    emulator: EmulatorProcess, chats: list[Chat], args: argparse.Namespace, rng: random.Random
) -> None:
    stop, counts = threading.Event(), collections.Counter[str]()
    workers = [
        threading.Thread(target=inject_faults, args=(chats, stop, counts, rng)),
        threading.Thread(target=agents_talk, args=(chats, stop, args.agent_rate)),
        threading.Thread(target=guests_talk, args=(chats, stop, args.guest_rate)),
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    stop.wait(args.minutes * 60)
    stop.set()
    for worker in workers:
        worker.join()
    clear_faults(emulator)
    # Everything sent arrives, or is given up on, in time.
    wait_for(
        lambda: all(set(c.agent_sent) <= set(c.received) and not c.pending() for c in chats),
        TIMEOUT,
    )
    print(f"1. {len(chats)} chats for {time.monotonic() - started:.0f} s under faults:")
    for name, count in sorted(counts.items()):
        print(f"  {name:<36}{count:>5}")
    print(f"  {'in all':<36}{sum(counts.values()):>5}")
    account(chats)
    errors_per_chat(chats, "under faults")
    send_times(chats)


# Phase 2: the emulator restarts ------------------------------------------------------------------


def restarts(emulator: EmulatorProcess, chats: list[Chat], count: int) -> None:
    """Restart the emulator ``count`` times; what each chat told its user, and a send."""
    for number in range(count):
        before = {id(chat): collections.Counter(chat.events) for chat in chats}
        forgotten = emulator.post("/emulator/restart")
        time.sleep(5)  # pacing: the chats find out on their own clocks (polls, reconnects)
        # Each handled from the start (always): one that rejects before its turn below
        # is not an unhandled rejection.
        answers = [
            (chat, chat.channel.send(chat.bus, "after the restart").always(lambda _: None))
            for chat in chats
        ]
        sends: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        for chat, answer in answers:
            try:
                answer.result(timeout=TIMEOUT)
                sends[chat.channel.name]["resolved"] += 1
            except Exception as error:
                reason = getattr(error, "reason", error)
                kind = "rejected with a sentence" if sentence(reason) else "rejected, no sentence"
                sends[chat.channel.name][kind] += 1
        time.sleep(5)  # pacing: what the sends stir up
        print(f"2. restart {number + 1} of the emulator (it forgot {forgotten}); per channel:")
        for channel in sorted(sends):
            mine = [chat for chat in chats if chat.channel.name == channel]
            after = [chat.events - before[id(chat)] for chat in mine]
            errors = [told["error"] for told in after]
            told = ", ".join(
                f"{name} in {sum(1 for t in after if t[name])}"
                for name in ("ended", "started", "disconnected", "offline")
                if any(t[name] for t in after)
            )
            outcome = ", ".join(f"{kind} {n}" for kind, n in sorted(sends[channel].items()))
            print(
                f"  {channel:<15}{len(mine)} chats; `error` per chat {min(errors)} / "
                f"{statistics.median(errors):g} / {max(errors)}; {told}; a send after: {outcome}"
            )


# Phase 3: chats made and closed in a loop --------------------------------------------------------


def process_threads() -> int:
    return threading.active_count()


def loop(channels: list[Channel], minutes: float) -> None:
    """Start, send, end and close chats, one per channel at a time, for ``minutes``; this
    process's threads, RSS and descriptors every tenth of the time (collected first)."""
    started = time.monotonic()
    deadline = started + minutes * 60
    samples: list[tuple[float, int, int, float, int]] = []  # (s, chats, threads, RSS, fds)
    every = minutes * 60 / 10
    made = failed = 0
    next_sample = started
    while True:
        for channel in channels:
            bus = channel.bus()
            try:
                channel.start(bus)
                channel.send(bus, "hello").result(timeout=TIMEOUT)
                channel.end(bus)
            except Exception:
                failed += 1
            finally:
                bus.close()
            made += 1
        now = time.monotonic()
        if now >= next_sample or now >= deadline:
            gc.collect()
            samples.append((now - started, made, process_threads(), rss_mib(), open_fds()))
            next_sample += every
        if now >= deadline:
            break
    print(f"3. chats made and closed in a loop for {minutes:g} min ({failed} failed):")
    print(f"  {'s':>6}{'chats':>7}{'threads':>9}{'RSS MiB':>9}{'fds':>6}")
    for seconds, made_then, threads, rss, fds in samples:
        print(f"  {seconds:>6.0f}{made_then:>7}{threads:>9}{rss:>9.1f}{fds:>6}")
    warm, last = samples[min(1, len(samples) - 1)], samples[-1]  # after a tenth: warmed up
    print(
        f"  from the second sample to the last: {last[2] - warm[2]:+d} threads, "
        f"{last[3] - warm[3]:+.1f} MiB RSS, {last[4] - warm[4]:+d} fds "
        f"over {last[1] - warm[1]} chats"
    )


class LogCount(logging.Handler):
    """Counts the log records of cxbus by level, instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: collections.Counter[str] = collections.Counter()

        self.said: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[record.levelname] += 1
        self.said[f"{record.levelname} {record.getMessage()[:110]}"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10, help="per channel")
    parser.add_argument("--minutes", type=float, default=1.0, help="of chatting under faults")
    parser.add_argument("--restarts", type=int, default=1)
    parser.add_argument("--loop-minutes", type=float, default=1.0)
    parser.add_argument("--slow", type=float, default=0.5, help="seconds a slow subscriber takes")
    parser.add_argument("--agent-rate", type=float, default=15.0, help="messages a second, in all")
    parser.add_argument("--guest-rate", type=float, default=6.0, help="messages a second, in all")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    log_count = LogCount()
    logging.getLogger("cxbus").addHandler(log_count)
    logging.getLogger("cxbus").propagate = False
    logging.getLogger("websocket").setLevel(logging.CRITICAL)  # a cut is an ERROR line there
    rng = random.Random(args.seed)
    emulator = EmulatorProcess(*MANY_CONNECTIONS)  # the loop opens many a minute
    channels: list[Channel] = [GuestChat(emulator), Gms(emulator), WebMessaging(emulator)]
    before = (process_threads(), open_fds(), rss_mib())
    try:
        chats = []
        for channel in channels:
            for number in range(args.chats):
                chat = Chat(channel, args.slow if number % 3 == 0 else 0.0)
                chat.start()
                chats.append(chat)
        for chat in chats:
            if not chat.ready.wait(TIMEOUT):
                raise TimeoutError(f"a {chat.channel.name} chat got no agent")
        chatting(emulator, chats, args, rng)
        restarts(emulator, chats, args.restarts)
        during = (process_threads(), open_fds(), rss_mib())
        for chat in chats:
            chat.bus.close()
        loop(channels, args.loop_minutes)
    finally:
        emulator.stop()
    after = (process_threads(), open_fds(), rss_mib())
    print(
        f"cxbus log lines: {log_count.counts['WARNING']} warnings, "
        f"{log_count.counts['ERROR'] + log_count.counts['CRITICAL']} errors; the most said:"
    )
    for line, times in log_count.said.most_common(6):
        print(f"  {times:>4} x {line}")
    print(f"{'':<24}{'threads':>8}{'fds':>6}{'RSS MiB':>9}")
    for label, (threads, fds, rss) in (
        ("before the chats", before),
        ("with the chats", during),
        ("at the end", after),
    ):
        print(f"{label:<24}{threads:>8}{fds:>6}{rss:>9.1f}")


if __name__ == "__main__":
    main()
