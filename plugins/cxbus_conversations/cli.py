"""``cxbus test``: runs scenario files, offered through ``cxbus.subcommands``.

::

    cxbus test scenarios/ --channel messaging --parallel 10

It reads every file first (a bad one ends the run with one line naming its file and
line, status 2, before anything connects), plays each scenario on each channel
asked, prints a line per play as it ends, then the failures in full, the parity
differences (``--parity``), each waiting step's reply latency, the coverage of a flow
file (``--flow``), and a summary (and a JUnit XML report with ``--junit``). Status:
0 all passed, 1 one failed (or the channels differ, with ``--parity``), 2 bad
input, 130 interrupted (every conversation under way ended first).

Imported for every ``cxbus`` run to build its parser: what it runs is imported in
``_run``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cxbus.cli import Subcommand, SubcommandError, require_extra

from .options import CHANNELS

__all__ = ["test"]

DESCRIPTION = """\
Run scenario files (YAML: a chat flow's test, see the documentation's Scenarios page):
files, and folders (their *.scenario.yaml files). Each scenario plays on each --channel,
against the embedded emulator unless --config names a deployment's configuration.
Exit status: 0 all passed, 1 one failed, 2 bad input, 130 interrupted."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0; got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0; got {text!r}")
    return value


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.add_argument("paths", nargs="+", metavar="PATH", help="scenario files and folders")
    parser.add_argument(
        "--channel",
        action="append",
        choices=CHANNELS,
        help="the channel to play on (repeat it for several; default: messaging)",
    )
    parser.add_argument(
        "--config",
        action="append",
        metavar="[CHANNEL=]FILE",
        help="a deployment's configuration: a JSON file shaped like the channel's section "
        "(CHANNEL=FILE for each of several channels); default: the embedded emulator",
    )
    parser.add_argument(
        "--flow",
        metavar="FILE",
        help="a flow file the embedded emulator's bot plays (see cxbus emulator --flow); "
        "the run then reports which of its states and branches the scenarios reached",
    )
    parser.add_argument(
        "--parallel", type=_positive_int, default=1, metavar="N", help="conversations at once"
    )
    parser.add_argument(
        "--within",
        type=_seconds,
        metavar="SECONDS",
        help="how long an expect waits unless its file says (default: 10)",
    )
    parser.add_argument(
        "--repeat", type=_positive_int, default=1, metavar="N", help="play each scenario N times"
    )
    parser.add_argument(
        "--run-id",
        metavar="ID",
        help="the run's name: the custom attribute cxbusTestRun of every conversation, "
        "and ${run.id} (default: cxbus- and the time)",
    )
    parser.add_argument(
        "--junit",
        metavar="FILE",
        help="also write the run as a JUnit XML report (a test case per scenario and channel)",
    )
    parser.add_argument(
        "--parity",
        action="store_true",
        help="compare each scenario's conversations on the channels step by step",
    )


def _config_files(given: list[str] | None, channels: list[str]) -> dict[str, str]:
    """``--config`` values by channel: ``CHANNEL=FILE``, or a bare ``FILE`` for one channel."""
    files: dict[str, str] = {}
    for value in given or []:
        channel, equals, path = value.partition("=")
        if not equals or channel not in CHANNELS:
            if len(channels) > 1:
                raise SubcommandError(
                    "argument --config: with several channels, expected CHANNEL=FILE; "
                    f"got {value!r}"
                )
            channel, path = channels[0], value
        if channel not in channels:
            raise SubcommandError(
                f"argument --config: {channel} is not a --channel of this run; got {value!r}"
            )
        if channel in files:
            raise SubcommandError(f"argument --config: given twice for {channel}")
        files[channel] = path
    missing = [channel for channel in channels if channel not in files]
    if files and missing:
        raise SubcommandError(f"argument --config: no configuration file for {missing[0]}")
    return files


def _run(args: argparse.Namespace) -> int:
    require_extra("cxbus[scenarios]", "yaml", "jsonschema")
    from cxbus.cli.options import OptionError

    from .platform import PlatformError
    from .scenarios import (
        DEFAULT_WITHIN,
        DocumentError,
        EmulatorTarget,
        Runner,
        Target,
        load_scenarios,
        new_run_id,
        parity_report,
        platform_side,
        read_deployment,
    )
    from .scenarios.report import coverage, failure, junit, latencies, progress, summary

    channels = list(dict.fromkeys(args.channel or ["messaging"]))
    if args.parity and len(channels) < 2:
        raise SubcommandError("argument --parity: expected two --channel or more to compare")
    files = _config_files(args.config, channels)
    if files and args.flow:
        raise SubcommandError(
            "argument --flow: a flow file is played by the embedded emulator; "
            "expected no --config with it"
        )
    environ = dict(os.environ)
    try:
        scenarios = load_scenarios(args.paths, environ)
    except (DocumentError, FileNotFoundError) as error:
        raise SubcommandError(str(error)) from None
    target: Target
    if files:
        try:
            target = read_deployment(files, environ)
        except OptionError as error:
            raise SubcommandError(str(error)) from None
    else:
        require_extra("cxbus[emulator]", "aiohttp", "jwt")
        from cxbus_emulator.flow import load_flow

        try:
            target = EmulatorTarget(None if args.flow is None else load_flow(args.flow))
        except DocumentError as error:
            raise SubcommandError(str(error)) from None
    with target:
        try:  # before anything connects: the OAuth client's credentials and permissions
            platform = platform_side(target, channels)
        except (PlatformError, ValueError) as error:
            raise SubcommandError(str(error)) from None
        runner = Runner(
            target,
            channels=channels,
            within=args.within or DEFAULT_WITHIN,
            parallel=args.parallel,
            run_id=args.run_id or new_run_id(),
            environ=environ,
            platform=platform,
        )
        print(
            f"{len(scenarios)} scenarios on {', '.join(channels)}, against "
            f"{target.description} (run {runner.run_id})",
            flush=True,
        )
        run = runner.run(
            scenarios, repeat=args.repeat, on_play=lambda play: print(progress(play), flush=True)
        )
        reached = target.coverage() if isinstance(target, EmulatorTarget) else None
        branches = target.branches() if isinstance(target, EmulatorTarget) else {}
    failed = [play for play in run.plays if play.failed]
    for play in failed:
        print(f"\n{failure(play)}")
    differ = 0
    if args.parity:
        for start in range(0, len(run.plays), len(channels)):
            lines = parity_report(run.plays[start : start + len(channels)])
            differ += bool(lines)
            if lines:
                print("\nparity: " + "\n".join(lines))
    table = latencies(run.plays)
    if table:
        print()
        print("\n".join(table))
    if reached is not None:
        print()
        print("\n".join(coverage(reached, branches, args.flow)))
    unwritten = False
    if args.junit:
        try:
            Path(args.junit).write_text(junit(run), encoding="utf-8")
        except OSError as error:
            print(f"cxbus test: --junit {args.junit}: {error.strerror}", file=sys.stderr)
            unwritten = True
    print(f"\n{summary(run)}", flush=True)
    if args.parity:
        compared = len(run.plays) // len(channels)
        print(f"parity: {', '.join(channels)} differ in {differ} of {compared} scenarios played")
    if run.interrupted:
        print("cxbus test: interrupted; every conversation under way was ended", file=sys.stderr)
        return 130
    return 1 if failed or differ else 2 if unwritten else 0


test = Subcommand(
    help="run scenario files (YAML tests of a chat flow) on the emulator or a deployment",
    run=_run,
    arguments=_arguments,
)
