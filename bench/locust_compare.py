"""How many cxbus users one Locust worker sustains, beside Locust's own HTTP users in the
same run.

    python bench/locust_compare.py [--ladder 500,1000,2000,3000,5000]
                                   [--classes messaging,webchat,http,fasthttp]
                                   [--phases batch,random] [--pace 10] [--window 30]
                                   [--spawn-rate 50] [--p99 200] [--typing-delay 0]

For each phase mode, each rung of the ladder and each user class in turn, it runs
``bench/locust_scale.run``: one Locust worker process (``--processes 1``) with that
many users of ``bench/locustfile.py``, against one emulator in a process of its own
whose agents answer at once (``--typing-delay``), each user sending one message every
``--pace`` seconds, measured for ``--window`` seconds once every user has started and
sent a first message. ``messaging`` is ``MessagingGuest`` (MessagingService, timed to
the bot's reply), ``webchat`` ``WebChatGuest`` (WebChatService, timed to the agent's
reply), ``http`` and ``fasthttp`` Locust's ``HttpUser`` and ``FastHttpUser`` doing the
guest chat API's requests with no cxbus (timed to the POST's answer; the event stream
attached and never read). Web Messaging has no HTTP equivalent: MessagingGuest is
compared with the same ``http`` peer.

``--phases batch``: users spawned as Locust spawns them (``--spawn-rate`` a second,
all at once), each sending its first message as soon as its chat has started, so that
those spawned in the same second send together, every pace; ``random``: each user's
first message at a uniformly random offset within the pace.

A rung is met with a reply p99 below ``--p99`` ms and no failure (starting the
chats included); a class climbs until its first rung not met. It prints a line per
run as it goes (reply p50 / p99 / max, failures, the worker's CPU share, CPU per
message, RSS per user above what the worker held as it began, the emulator's CPU
share), then a table per phase mode (the largest rung met, each rung's p99, its ratio
to ``http``'s) and the goals: each cxbus class at least 0.8 times ``http``'s users with
batches, and 5,000 users at random phases.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable

from locust_scale import CLASSES, Load, Measured, run

PEER = "http"
CXBUS_CLASSES = ("messaging", "webchat")
BATCH_RATIO_GOAL = 0.8
RANDOM_USERS_GOAL = 5_000


def numbers(text: str) -> list[int]:
    """``--ladder``: user counts, comma-separated, rising."""
    try:
        counts = [int(each) for each in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas; got {text!r}"
        ) from None
    if not counts or counts != sorted(set(counts)) or counts[0] < 1:
        raise argparse.ArgumentTypeError(f"expected rising numbers, 1 or more; got {text!r}")
    return counts


def names(choices: list[str]) -> Callable[[str], list[str]]:
    """A parser of some of ``choices``, comma-separated."""

    def parse(text: str) -> list[str]:
        chosen = text.split(",")
        unknown = [each for each in chosen if each not in choices]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(
                f"expected some of {','.join(choices)}, comma-separated; got {text!r}"
            )
        return chosen

    return parse


@dataclasses.dataclass(frozen=True)
class Rung:
    """One class at one user count, and whether it was met."""

    measured: Measured
    met: bool


def climb(
    base: Load, classes: list[str], ladder: list[int], p99_limit: float
) -> dict[str, list[Rung]]:
    """Each class's rungs, climbed in turn (a rung for every class still climbing before
    the next: the machine's load changes over a long run, and it changes for all)."""
    rungs: dict[str, list[Rung]] = {service: [] for service in classes}
    for users in ladder:
        for service in classes:
            climbed = rungs[service]
            if climbed and not climbed[-1].met:
                continue
            measured = run(dataclasses.replace(base, service=service, users=users))
            reply = measured.reply
            met = reply["requests"] > 0 and reply["p99"] < p99_limit and not measured.failures
            climbed.append(Rung(measured, met))
            print_run(measured, met)
    return rungs


def print_run(measured: Measured, met: bool) -> None:
    load, reply = measured.load, measured.reply
    print(
        f"  {load.phases:<6} {CLASSES[load.service]:<14} {load.users:>6,} users: "
        f"reply p50 / p99 / max {reply['p50']:,.0f} / {reply['p99']:,.0f} / "
        f"{reply['max']:,.0f} ms over {reply['requests']:,.0f} "
        f"(of {load.messages:,.0f}), failures {measured.failures or 'none'}, "
        f"worker CPU {measured.cpu_share * 100:.0f} % of a core, "
        f"{measured.cpu_per_message_ms:.2f} ms a message, "
        f"{measured.rss_per_user_kib:,.0f} KiB a user, "
        f"emulator {measured.emulator_cpu / load.window * 100:.0f} %, "
        f"{'met' if met else 'NOT met'} ({measured.seconds:.0f} s)",
        flush=True,
    )


def largest(rungs: list[Rung]) -> int:
    return max((r.measured.load.users for r in rungs if r.met), default=0)


def print_table(phases: str, rungs: dict[str, list[Rung]], ladder: list[int]) -> None:
    peer = largest(rungs[PEER]) if PEER in rungs else 0
    print(f"\nPhases: {phases}")
    header = " | ".join(f"p99 at {users:,}" for users in ladder)
    print(f"| class | largest met | {header} | ratio to {CLASSES[PEER]} |")
    print("|---|---|" + "---|" * len(ladder) + "---|")
    for service, climbed in rungs.items():
        at = {r.measured.load.users: r for r in climbed}
        cells = [
            (
                f"{at[users].measured.reply['p99']:,.0f} ms"
                + ("" if at[users].met else " (not met)")
                if users in at
                else "-"
            )
            for users in ladder
        ]
        most = largest(climbed)
        top = " (top of the ladder)" if most == ladder[-1] else ""
        ratio = f"{most / peer:.2f}x" if peer else "-"
        print(f"| {CLASSES[service]} | {most:,}{top} | {' | '.join(cells)} | {ratio} |")


def print_goals(tables: dict[str, dict[str, list[Rung]]], ladder: list[int]) -> None:
    print("\nGoals (MessagingGuest has no HTTP equivalent: it is compared with HttpGuest too):")
    batch = tables.get("batch", {})
    if PEER in batch:
        peer = largest(batch[PEER])
        for service in CXBUS_CLASSES:
            if service in batch and peer:
                ratio = largest(batch[service]) / peer
                verdict = "met" if ratio >= BATCH_RATIO_GOAL else "not met"
                print(
                    f"- batches: {CLASSES[service]} {largest(batch[service]):,} users, "
                    f"{ratio:.2f}x {CLASSES[PEER]}'s {peer:,}"
                    f"{' (the top of the ladder: a bound)' if peer == ladder[-1] else ''}; "
                    f"goal >= {BATCH_RATIO_GOAL}x: {verdict}"
                )
    for service in CXBUS_CLASSES:
        if service in tables.get("random", {}):
            most = largest(tables["random"][service])
            verdict = "met" if most >= RANDOM_USERS_GOAL else "not met"
            print(
                f"- random phases: {CLASSES[service]} {most:,} users; "
                f"goal >= {RANDOM_USERS_GOAL:,}: {verdict}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ladder", type=numbers, default=numbers("500,1000,2000,3000,5000"))
    parser.add_argument(
        "--classes",
        type=names(list(CLASSES)),
        default=["messaging", "webchat", "http", "fasthttp"],
        help="comma-separated, of: " + ",".join(CLASSES),
    )
    parser.add_argument("--phases", type=names(["batch", "random"]), default=["batch", "random"])
    parser.add_argument("--pace", type=float, default=10.0, help="seconds between messages")
    parser.add_argument("--window", type=float, default=30.0, help="seconds measured")
    parser.add_argument("--spawn-rate", type=float, default=50.0, help="users a second")
    parser.add_argument("--p99", type=float, default=200.0, help="ms, the reply's limit")
    parser.add_argument(
        "--typing-delay",
        type=float,
        default=0.0,
        help="seconds the emulator's agents type before they answer",
    )
    parser.add_argument("--stop-timeout", type=int, default=60, help="seconds to end the chats")
    args = parser.parse_args()
    began = time.monotonic()
    tables: dict[str, dict[str, list[Rung]]] = {}
    for phases in args.phases:
        base = Load(
            service=args.classes[0],
            users=args.ladder[0],
            spawn_rate=args.spawn_rate,
            pace=args.pace,
            window=args.window,
            phases=phases,
            typing_delay=args.typing_delay,
            stop_timeout=args.stop_timeout,
        )
        tables[phases] = climb(base, args.classes, args.ladder, args.p99)
    for phases, rungs in tables.items():
        print_table(phases, rungs, args.ladder)
    print_goals(tables, args.ladder)
    print(f"\n{time.monotonic() - began:.0f} s in all")


if __name__ == "__main__":
    main()
