"""Scenario files at scale: 200 scenarios, 50 at a time, on each channel, against the emulator.

    python bench/scenarios.py [--scenarios 200] [--parallel 50] [--channel messaging ...]

The emulator runs in a process of its own (``cxbus emulator``), its demo bot and agent
answering at once. For each channel, ``Runner`` plays a scenario file (the one below:
a greeting, an echo, quick replies offered and one chosen, a collect until quiet) that
many times, ``--parallel`` conversations at once, as ``cxbus test --repeat N --parallel
P`` does; it prints the run's time, each step's reply latency (p50, p95, max, from the
customer's last send to the reply), and how many conversations are still open on the
emulator afterwards (0: every conversation was ended).

The peer: the same conversations written by hand as Python with ``Conversation`` on
the same number of threads, so the ratio is what the scenario layer costs.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import time
from typing import Any

import requests

from cxbus_conversations import Conversation
from cxbus_conversations.scenarios import DeploymentTarget, Runner, new_run_id, read_scenarios
from cxbus_conversations.scenarios.report import latencies, summary

# What each channel's demo answers: the bot of Web Messaging greets once the customer
# speaks; the agent of guest chat and GMS joins, greets, and answers what comes after.
SCENARIOS = {
    "messaging": """\
name: demo bot
steps:
  - say: hello
  - expect: {contains: demo bot}
  - expect: {contains: "You said: hello"}
  - say: options
  - expect: {quick_replies: [Red, Green, Blue]}
  - choose: Blue
  - expect: {equals: You chose Blue.}
  - say: one more
  - collect: {quiet: 0.3, expect: [{contains: one more}]}
""",
    "webchat": """\
name: demo agent
steps:
  - expect: {joined: agent}
  - expect: {contains: How can I help}
  - say: hello
  - expect: {contains: Hello again}
  - say: options
  - expect: {contains: "You said: options"}
  - say: one more
  - collect: {quiet: 0.3, expect: [{contains: one more}]}
""",
}
SCENARIOS["gms"] = SCENARIOS["webchat"]


# The emulator of the conversation fixtures (its demo answers at once), in a process of
# its own; it prints its sections as one line of JSON and runs until its stdin closes.
EMULATOR = """
import json, sys
from cxbus_conversations.emulator_sections import JOIN_DELAY, TYPING_DELAY, emulator_config
from cxbus_emulator import Emulator
from cxbus_emulator.web_messaging import Limits

limits = Limits(connections_per_minute=1_000_000)
with Emulator(agent_join_delay=JOIN_DELAY, agent_typing_delay=TYPING_DELAY,
              messaging_limits=limits) as emulator:
    channels = ("messaging", "webchat", "gms")
    print(json.dumps({c: emulator_config(emulator, c) for c in channels}), flush=True)
    sys.stdin.read()
"""


class EmulatorProcess:
    """The emulator above in a process of its own: its sections and open conversations."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", EMULATOR],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.sections: dict[str, dict[str, Any]] = json.loads(self.process.stdout.readline())
        self.url = self.sections["messaging"]["baseURL"]

    def open_conversations(self) -> dict[str, int]:
        answer = requests.get(f"{self.url}/emulator/open-conversations", timeout=30)
        answer.raise_for_status()
        counts: dict[str, int] = answer.json()
        return counts

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def by_hand(channel: str, section: dict[str, Any]) -> None:
    """The scenario written as Python: the peer."""
    with Conversation(channel, section, timeout=30) as chat:
        if channel == "messaging":
            chat.say("hello")
            chat.wait_for(contains="demo bot")
            chat.wait_for(contains="You said: hello")
            chat.say("options")
            chat.wait_for(quick_reply=["Red", "Green", "Blue"])
            chat.choose("Blue")
            chat.wait_for(equals="You chose Blue.")
        else:
            chat.wait_for_joined()
            chat.wait_for(contains="How can I help")
            chat.say("hello")
            chat.wait_for(contains="Hello again")
            chat.say("options")
            chat.wait_for(contains="You said: options")
        chat.say("one more")
        chat.wait_for(contains="one more")
        while True:
            try:
                chat.wait_for(timeout=0.3)
            except TimeoutError:
                break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=50)
    parser.add_argument("--channel", action="append", choices=("messaging", "webchat", "gms"))
    args = parser.parse_args()
    channels = args.channel or ["messaging", "webchat", "gms"]
    emulator = EmulatorProcess()
    sections = emulator.sections
    print(
        f"{args.scenarios} scenarios at --parallel {args.parallel} on each channel; "
        f"the emulator in its own process (pid {emulator.process.pid}); {os.cpu_count()} cores"
    )
    try:
        for channel in channels:
            scenarios = read_scenarios(SCENARIOS[channel], f"{channel}.scenario.yaml", {})
            target = DeploymentTarget({channel: sections[channel]})
            runner = Runner(
                target,
                channels=[channel],
                within=30,
                parallel=args.parallel,
                run_id=new_run_id(),
                environ={},
            )
            run = runner.run(scenarios, repeat=args.scenarios)
            still_open = emulator.open_conversations()
            began = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
                hands = [
                    pool.submit(by_hand, channel, sections[channel]) for _ in range(args.scenarios)
                ]
                for hand in hands:
                    hand.result()
            peer = time.monotonic() - began
            print(f"\n{channel}: {summary(run)}")
            print(
                f"  by hand with Conversation: {peer:.2f} s "
                f"(scenario runner / by hand: {run.seconds / peer:.2f})"
            )
            print("  " + "\n  ".join(latencies(run.plays)))
            print(f"  conversations still open on the emulator afterwards: {still_open[channel]}")
            failed = [play for play in run.plays if play.status != "passed"]
            if failed:
                print(f"  first failure: {failed[0].problem}", file=sys.stderr)
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
