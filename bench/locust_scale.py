"""Many chats as Locust runs them: ``locust --headless --processes N`` against emulators in
processes of their own.

    python bench/locust_scale.py [--users 10000] [--processes 2] [--emulators 2]
                                 [--service webchat|messaging|http|fasthttp] [--pace 30]
                                 [--window 60] [--phases batch|random] [--typing-delay S]

Starts ``--emulators`` emulator processes (``cxbus emulator --json``; with
``--typing-delay``, ``bench/prompt_emulator.py``, whose agents type that long), then
Locust with ``bench/locustfile.py``: ``--users`` guests, spawned at ``--spawn-rate``,
each sending one message every ``--pace`` seconds and timing the agent's reply
(``http`` and ``fasthttp``: Locust's own HTTP users POSTing on the guest chat API,
timing the POST). ``--phases batch``: a guest's first message as soon as its chat has
started (those spawned in the same second send together); ``random``: at a random
offset within the pace. Once every user has started and sent a first message,
Locust's statistics start again: they are the steady state's. It watches Locust's
processes for ``--window`` seconds after that and prints one table row: users per
worker, messages lost (sends refused, and replies that did not come within the pace),
p50/p99 of the reply (the demo agent's typing is in it), the workers' RSS per chat
(above what they held as they began), their CPU per message over the window, and the
emulators' CPU share; then each row of Locust's statistics.

``run`` is the same run for other benchmarks (``bench/locust_compare.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from emulator_process import MANY_CONNECTIONS, EmulatorProcess

HERE = Path(__file__).parent
# The users of bench/locustfile.py by service, and the row of Locust's statistics that
# times their answer.
CLASSES = {
    "webchat": "WebChatGuest",
    "messaging": "MessagingGuest",
    "http": "HttpGuest",
    "fasthttp": "FastHttpGuest",
}
REPLY_ROWS = {
    "webchat": "agent reply",
    "messaging": "agent reply",
    "http": "guest message",
    "fasthttp": "guest message",
}
NO_ROW = {"requests": 0, "failures": 0, "p50": 0, "p99": 0, "max": 0}
Rows = dict[str, dict[str, float]]


@dataclasses.dataclass(frozen=True)
class Load:
    """One Locust run: whose users, how many, and how they are paced and measured."""

    service: str
    users: int
    processes: int = 1
    emulators: int = 1
    spawn_rate: float = 50.0
    pace: float = 10.0
    window: float = 30.0
    phases: str = "batch"
    typing_delay: float | None = None
    stop_timeout: int = 60
    stats_file: str = str(Path(tempfile.gettempdir()) / "locust_scale.json")
    log_file: str = str(Path(tempfile.gettempdir()) / "locust_scale.log")  # Locust's output

    @property
    def messages(self) -> float:
        """The messages the users send in the window."""
        return self.users * self.window / self.pace


@dataclasses.dataclass(frozen=True)
class Measured:
    """What a ``Load`` did: Locust's statistics (``before`` the window: the chats'
    starts; ``window``) and its processes' resources over the window."""

    load: Load
    returncode: int
    seconds: float
    workers: int
    before: Rows
    window: Rows
    rss_mib: float  # the workers', at the window's end
    baseline_mib: float  # the workers', as they began
    master_rss_mib: float
    cpu: float  # the workers' CPU seconds in the window
    emulator_cpu: float

    @property
    def reply(self) -> dict[str, float]:
        return self.window.get(REPLY_ROWS[self.load.service], NO_ROW)

    @property
    def failures(self) -> dict[str, float]:
        """Each row's failures, before and in the window."""
        counts: dict[str, float] = {}
        for rows in (self.before, self.window):
            for name, row in rows.items():
                if row["failures"]:
                    counts[name] = counts.get(name, 0) + row["failures"]
        return counts

    @property
    def rss_per_user_kib(self) -> float:
        return (self.rss_mib - self.baseline_mib) * 1024 / self.load.users

    @property
    def cpu_per_message_ms(self) -> float:
        return self.cpu / max(1, self.reply["requests"]) * 1e3

    @property
    def cpu_share(self) -> float:
        """The workers' CPU over the window, in cores."""
        return self.cpu / self.load.window


def workers(locust: psutil.Process) -> list[psutil.Process]:
    """Locust's worker processes (``--processes`` forks them from the master)."""
    return locust.children(recursive=True)


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        with_children = process.cpu_times()
        total += with_children.user + with_children.system
    return total


def run(load: Load) -> Measured:
    """Run ``load`` against emulators of its own and measure it."""
    emulators = [
        EmulatorProcess(*MANY_CONNECTIONS, typing_delay=load.typing_delay)
        for _ in range(load.emulators)
    ]
    sections = [{"webchat": e.webchat, "messaging": e.messaging} for e in emulators]
    spawning = load.users / load.spawn_rate
    settle = load.pace + 10  # every user has sent once and been answered
    stats_file = Path(load.stats_file)
    stats_file.unlink(missing_ok=True)
    env = {
        **os.environ,
        "CXBUS_LOCUST_SECTIONS": json.dumps(sections),
        "CXBUS_LOCUST_PACE": str(load.pace),
        "CXBUS_LOCUST_PHASES": load.phases,
        "CXBUS_LOCUST_STATS": str(stats_file),
        "CXBUS_LOCUST_MEASURE_AFTER": str(spawning + settle),
        "CXBUS_LOCUST_WINDOW": str(load.window),
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--processes",
        str(load.processes),
        "--users",
        str(load.users),
        "--spawn-rate",
        str(load.spawn_rate),
        "--run-time",
        f"{int(spawning + settle + load.window + 3)}s",  # the window's statistics are written
        "--stop-timeout",
        str(load.stop_timeout),
        "--only-summary",
        "--loglevel",
        "WARNING",
        CLASSES[load.service],
    ]
    began = time.monotonic()
    with open(load.log_file, "w") as log:
        popen = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    locust = psutil.Process(popen.pid)
    while len(workers(locust)) < load.processes and popen.poll() is None:
        time.sleep(0.1)  # a worker's own RSS is taken before it holds many chats
    baseline = sum(p.memory_info().rss for p in workers(locust)) / 2**20
    time.sleep(spawning + settle)  # the measured window starts once every user chats
    held = workers(locust)
    emulator_processes = [psutil.Process(e.process.pid) for e in emulators]
    cpu_before = cpu_seconds(held)
    emulator_before = cpu_seconds(emulator_processes)
    time.sleep(load.window)
    cpu = cpu_seconds(held) - cpu_before
    emulator_cpu = cpu_seconds(emulator_processes) - emulator_before
    rss = sum(p.memory_info().rss for p in held) / 2**20
    master_rss = locust.memory_info().rss / 2**20
    returncode = popen.wait()
    psutil.wait_procs(held, timeout=60)  # the workers end their chats before the emulators go
    for emulator in emulators:
        emulator.stop()
    stats: dict[str, Rows] = (
        json.loads(stats_file.read_text()) if stats_file.exists() else {"before": {}, "window": {}}
    )
    return Measured(
        load,
        returncode,
        time.monotonic() - began,
        len(held),
        stats["before"],
        stats["window"],
        rss,
        baseline,
        master_rss,
        cpu,
        emulator_cpu,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2, help="Locust worker processes")
    parser.add_argument("--emulators", type=int, default=2, help="emulator processes")
    parser.add_argument("--service", choices=sorted(CLASSES), default="webchat")
    parser.add_argument("--spawn-rate", type=float, default=50.0)
    parser.add_argument("--pace", type=float, default=30.0, help="seconds between messages")
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--phases", choices=["batch", "random"], default="batch")
    parser.add_argument(
        "--typing-delay",
        type=float,
        help="seconds the emulator's agents type before they answer (the command's 0.5)",
    )
    parser.add_argument(
        "--stats-file", default=str(Path(tempfile.gettempdir()) / "locust_scale.json")
    )
    args = parser.parse_args()
    measured = run(
        Load(
            args.service,
            args.users,
            args.processes,
            args.emulators,
            args.spawn_rate,
            args.pace,
            args.window,
            args.phases,
            args.typing_delay,
            stats_file=args.stats_file,
        )
    )
    print_row(measured)


def print_row(measured: Measured) -> None:
    load, reply = measured.load, measured.reply
    print(
        f"locust exited {measured.returncode} after {measured.seconds:.0f} s; "
        f"failures: {measured.failures}; its output in {load.log_file}"
    )
    print(
        "| service | users | workers | users/worker | messages | lost | reply p50 / p99 "
        "| workers' RSS | RSS per chat | CPU per message | emulators' CPU |"
    )
    print(
        f"| {load.service} | {load.users:,} | {measured.workers} "
        f"| {load.users // max(1, measured.workers):,} "
        f"| {reply['requests']:,} | {sum(measured.failures.values()):,} "
        f"| {reply['p50']:,.0f} / {reply['p99']:,.0f} ms "
        f"| {measured.rss_mib:,.0f} MiB (+{measured.master_rss_mib:,.0f} master) "
        f"| {measured.rss_per_user_kib:,.0f} KiB "
        f"| {measured.cpu_per_message_ms:,.2f} ms "
        f"| {measured.emulator_cpu / load.window * 100:,.0f} % of a core |"
    )
    for name, row in sorted(measured.window.items()):
        print(
            f"  {name}: {row['requests']:,} ({row['failures']:,} failed), "
            f"p50 / p99 / max {row['p50']:,.0f} / {row['p99']:,.0f} / {row['max']:,.0f} ms"
        )


if __name__ == "__main__":
    main()
