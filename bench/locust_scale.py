"""Many chats as Locust runs them: ``locust --headless --processes N`` against emulators in
processes of their own.

    python bench/locust_scale.py [--users 10000] [--processes 2] [--emulators 2]
                                 [--service webchat|messaging] [--pace 30] [--window 60]

Starts ``--emulators`` emulator processes (``cxbus emulator --json``), then Locust with
``bench/locustfile.py``: ``--users`` guests, spawned at ``--spawn-rate``, each sending one
message every ``--pace`` seconds and timing the agent's reply. Once every user has
started and sent a first message, Locust's statistics start again: they are the steady
state's. It watches Locust's processes for ``--window`` seconds after that and prints
one table row: users per worker, messages lost (sends refused, and replies that did not
come within the pace), p50/p99 of the reply (the demo agent types 0.5 s before it
answers: that is in it), the workers' RSS per chat (above what they held as they
began), their CPU per message over the window, and the emulators' CPU share; then
each row of Locust's statistics.
"""

from __future__ import annotations

import argparse
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
CLASSES = {"webchat": "WebChatGuest", "messaging": "MessagingGuest"}
NAMESPACES = {"webchat": "WebChatService", "messaging": "MessagingService"}


def workers(locust: psutil.Process) -> list[psutil.Process]:
    """Locust's worker processes (``--processes`` forks them from the master)."""
    return locust.children(recursive=True)


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        with_children = process.cpu_times()
        total += with_children.user + with_children.system
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2, help="Locust worker processes")
    parser.add_argument("--emulators", type=int, default=2, help="emulator processes")
    parser.add_argument("--service", choices=sorted(CLASSES), default="webchat")
    parser.add_argument("--spawn-rate", type=float, default=50.0)
    parser.add_argument("--pace", type=float, default=30.0, help="seconds between messages")
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured")
    parser.add_argument(
        "--stats-file", default=str(Path(tempfile.gettempdir()) / "locust_scale.json")
    )
    args = parser.parse_args()

    emulators = [EmulatorProcess(*MANY_CONNECTIONS) for _ in range(args.emulators)]
    sections = [{"webchat": e.webchat, "messaging": e.messaging} for e in emulators]
    spawning = args.users / args.spawn_rate
    settle = args.pace + 10  # every user has sent once and been answered
    run_time = int(spawning + settle + args.window + 5)
    env = {
        **os.environ,
        "CXBUS_LOCUST_SECTIONS": json.dumps(sections),
        "CXBUS_LOCUST_PACE": str(args.pace),
        "CXBUS_LOCUST_STATS": args.stats_file,
        "CXBUS_LOCUST_MEASURE_AFTER": str(spawning + settle),
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--processes",
        str(args.processes),
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{run_time}s",
        "--stop-timeout",
        "60",
        "--only-summary",
        "--loglevel",
        "WARNING",
        CLASSES[args.service],
    ]
    began = time.monotonic()
    popen = subprocess.Popen(command, env=env)
    locust = psutil.Process(popen.pid)
    while len(workers(locust)) < args.processes and popen.poll() is None:
        time.sleep(0.1)  # a worker's own RSS is taken before it holds many chats
    baseline = sum(p.memory_info().rss for p in workers(locust)) / 2**20
    time.sleep(spawning + settle)  # the measured window starts once every user chats
    held = workers(locust)
    emulator_processes = [psutil.Process(e.process.pid) for e in emulators]
    cpu_before = cpu_seconds(held)
    emulator_before = cpu_seconds(emulator_processes)
    time.sleep(args.window)
    cpu = cpu_seconds(held) - cpu_before
    emulator_cpu = cpu_seconds(emulator_processes) - emulator_before
    rss = sum(p.memory_info().rss for p in held) / 2**20
    master_rss = locust.memory_info().rss / 2**20
    returncode = popen.wait()
    psutil.wait_procs(held, timeout=60)  # the workers end their chats before the emulators go
    for emulator in emulators:
        emulator.stop()

    stats = json.loads(Path(args.stats_file).read_text())
    nothing = {"requests": 0, "failures": 0, "p50": 0, "p99": 0, "max": 0}
    reply = stats.get("agent reply", nothing)
    sending = stats.get(f"{NAMESPACES[args.service]}.sendMessage", nothing)
    sent = sending["requests"]
    failures = {name: row["failures"] for name, row in stats.items() if row["failures"]}
    messages_in_window = args.users * args.window / args.pace
    print(
        f"locust exited {returncode} after {time.monotonic() - began:.0f} s; failures: {failures}"
    )
    print(
        "| service | users | workers | users/worker | messages | lost | reply p50 / p99 "
        "| workers' RSS | RSS per chat | CPU per message | emulators' CPU |"
    )
    print(
        f"| {args.service} | {args.users:,} | {len(held)} | {args.users // max(1, len(held)):,} "
        f"| {sent:,} | {reply['failures'] + sending['failures']:,} "
        f"| {reply['p50']:,.0f} / {reply['p99']:,.0f} ms "
        f"| {rss:,.0f} MiB (+{master_rss:,.0f} master) "
        f"| {(rss - baseline) * 1024 / args.users:,.0f} KiB "
        f"| {cpu / messages_in_window * 1e3:,.2f} ms "
        f"| {emulator_cpu / args.window * 100:,.0f} % of a core |"
    )
    for name, row in sorted(stats.items()):
        print(
            f"  {name}: {row['requests']:,} ({row['failures']:,} failed), "
            f"p50 / p99 / max {row['p50']:,.0f} / {row['p99']:,.0f} / {row['max']:,.0f} ms"
        )


if __name__ == "__main__":
    main()
