"""What a run prints: a line per play, the failures in full, the reply latencies, a summary.

A failure shows where (the file, the step's line, the step as written), what was
expected and which message came nearest (the conversation's own sentence), the
conversation's id on the server when it is known, and the transcript so far. The
latencies are each waiting step's (``expect``, ``any_order``, ``collect``) over every
play of it: p50, p95 and the maximum, then all of them together.
With a flow file, the coverage says which of its states and branches the scenarios
reached, and which not.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .player import Play
from .runner import Run

if TYPE_CHECKING:
    from cxbus_emulator.flow_bot import Coverage

__all__ = ["coverage", "failure", "junit", "latencies", "percentile", "progress", "summary"]

MARKS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "interrupted": "STOP"}


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (``share`` 0.5 is the median)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def progress(play: Play) -> str:
    """One line for a play that ended: ``PASS  order status [messaging]  1.24 s``."""
    line = f"{MARKS[play.status]}  {play.scenario.name} [{play.channel}]"
    if play.status == "skipped":
        return f"{line}  (not for this channel)"
    return f"{line}  {play.seconds:.2f} s"


def failure(play: Play) -> str:
    """A failed play in full: where, what was expected, what came nearest, the
    conversation's id on the server (when known), the transcript."""
    scenario = play.scenario
    if play.failed_step is None:
        where = f"{scenario.source}, line {scenario.line}: the start"
    else:
        step = scenario.steps[play.failed_step]
        where = f"{scenario.source}, line {step.line}: step {play.failed_step + 1}, {step.written}"
    transcript = "\n".join(f"  {line}" for line in str(play.transcript).splitlines())
    known = f"  conversation {play.conversation_id}\n" if play.conversation_id else ""
    return (
        f"{scenario.name} [{play.channel}] failed at {where}\n"
        f"  {play.problem}\n{known}"
        f"  transcript:\n{transcript}"
    )


def latencies(plays: Sequence[Play]) -> list[str]:
    """The reply latency of each waiting step over its plays, and of all together, as
    table lines (seconds)."""
    by_step: dict[tuple[str, str, int], list[float]] = {}
    for play in plays:
        for result in play.steps:
            if result.latency is not None:
                key = (play.scenario.source, play.scenario.name, result.index)
                by_step.setdefault(key, []).append(result.latency)
    if not by_step:
        return []
    steps = {(play.scenario.source, play.scenario.name): play.scenario for play in plays}
    rows = []
    for (source, name, index), values in by_step.items():
        step = steps[(source, name)].steps[index]
        rows.append((f"{name}, step {index + 1} (line {step.line}) {step.written}", values))
    rows.append(("every reply", [value for values in by_step.values() for value in values]))
    width = min(max(len(label) for label, _ in rows), 80)
    lines = [f"{'reply latency (s)':<{width}}  {'n':>5}  {'p50':>6}  {'p95':>6}  {'max':>6}"]
    for label, values in rows:
        shown = label if len(label) <= width else label[: width - 3] + "..."
        lines.append(
            f"{shown:<{width}}  {len(values):>5}  {percentile(values, 0.5):>6.2f}  "
            f"{percentile(values, 0.95):>6.2f}  {max(values):>6.2f}"
        )
    return lines


def summary(run: Run) -> str:
    """``3 passed, 1 failed, 2 skipped in 4.21 s (run cxbus-...)``."""
    counts: dict[str, int] = {}
    for play in run.plays:
        counts[play.status] = counts.get(play.status, 0) + 1
    told = ", ".join(
        f"{counts[status]} {status}"
        for status in ("passed", "failed", "skipped", "interrupted")
        if counts.get(status)
    )
    return f"{told or 'nothing played'} in {run.seconds:.2f} s (run {run.run_id})"


def coverage(found: Coverage, branches: Mapping[str, str], flow: str) -> list[str]:
    """Which of ``flow``'s states and branches (``branches``: their names and what takes
    them) the conversations reached: counts, then what none reached."""
    states = found.states
    taken = found.branches
    lines = [
        f"flow coverage of {flow}: {sum(1 for n in states.values() if n)} of {len(states)} "
        f"states, {sum(1 for n in taken.values() if n)} of {len(taken)} branches",
        "  states entered: " + ", ".join(f"{name} {count}" for name, count in states.items()),
    ]
    missed = [name for name, count in states.items() if not count]
    if missed:
        lines.append(f"  states not reached: {', '.join(missed)}")
    untaken = [name for name, count in taken.items() if not count]
    if untaken:
        lines.append("  branches not taken:")
        lines.extend(f"    {name}: {branches[name]}" for name in untaken)
    return lines


def junit(run: Run) -> str:
    """The run as a JUnit XML report: a test case per play (named ``scenario [channel]``,
    its class the scenario's file), a failure with its full report, a skip for a scenario
    that is not for the channel, each reply's latency as a property."""
    suites = ElementTree.Element("testsuites")
    suite = ElementTree.SubElement(
        suites,
        "testsuite",
        name="cxbus test",
        tests=str(len(run.plays)),
        failures=str(sum(play.failed for play in run.plays)),
        skipped=str(sum(play.status in ("skipped", "interrupted") for play in run.plays)),
        time=f"{run.seconds:.3f}",
    )
    for play in run.plays:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=play.scenario.source,
            name=f"{play.scenario.name} [{play.channel}]",
            time=f"{play.seconds:.3f}",
        )
        timed = [result for result in play.steps if result.latency is not None]
        if timed:
            properties = ElementTree.SubElement(case, "properties")
            for result in timed:
                ElementTree.SubElement(
                    properties,
                    "property",
                    name=f"latency step {result.index + 1}",
                    value=f"{result.latency:.3f}",
                )
        if play.failed:
            ElementTree.SubElement(case, "failure", message=play.problem or "").text = failure(play)
        elif play.status != "passed":
            ElementTree.SubElement(case, "skipped", message=play.status)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True)
