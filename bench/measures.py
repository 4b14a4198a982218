"""What the benchmarks measure in their own process: memory, descriptors, percentiles."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cpu_seconds", "milliseconds", "open_fds", "percentile", "rss_mib"]


def rss_mib() -> float:
    """This process's resident memory, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) process ``pid`` has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds() -> int:
    """This process's open file descriptors."""
    return len(os.listdir("/proc/self/fd"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def milliseconds(latencies: list[float]) -> str:
    """p50 and p99 in ms, as two table columns."""
    return f"{percentile(latencies, 0.5) * 1e3:>10.2f}{percentile(latencies, 0.99) * 1e3:>10.2f}"
