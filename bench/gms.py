"""A GMS refresh through GmsChatApi against the same refresh made with a bare requests.Session.

    python bench/gms.py [--rounds 20] [--calls 100] [--messages 50]

Everything runs in this one process against the embedded emulator on loopback. The
two clients take turns, round after round, so that the machine's noise falls on
both; each refreshes one chat of ``--messages`` agent messages twice per call: from
position 1 (the whole transcript, as a restore reads it) and from ``nextPosition``
(nothing new, as most polls are). The ratio is what reading the reply into attrs
classes and checking it cost on top of the HTTP round trip.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import requests

from cxbus_emulator import Emulator
from cxbus_webchat.transports.gms_api import GmsChatApi


def per_call(work: Callable[[], object], calls: int) -> float:
    """Microseconds per call of ``work``."""
    started = time.perf_counter()
    for _ in range(calls):
        work()
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()

    with Emulator(demo_agent=False) as emulator:
        api = GmsChatApi(emulator.gms.data_url, apikey=emulator.gms.apikey, timeout=10)
        started = api.request_chat(nickname="Bench")
        assert api.keys is not None
        emulator.gms.agent_join(api.keys.chat_id)
        for n in range(args.messages):
            emulator.gms.agent_send(api.keys.chat_id, f"message {n} of the bench")
        end = api.refresh(1).next_position or 1
        raw = requests.Session()
        raw.headers["apikey"] = emulator.gms.apikey or ""
        url = f"{emulator.gms.data_url}/{started.chat_id}/refresh"
        form = api.keys.form()

        def bare(position: int) -> Callable[[], object]:
            return lambda: raw.post(url, data={**form, "transcriptPosition": position}).json()

        def client(position: int) -> Callable[[], object]:
            return lambda: api.refresh(position)

        print(f"{'refresh':<34}{'requests':>12}{'GmsChatApi':>12}{'ratio':>8}")
        for name, position in ((f"whole transcript ({end - 1} events)", 1), ("nothing new", end)):
            bare_times, client_times = [], []
            for _ in range(args.rounds):
                bare_times.append(per_call(bare(position), args.calls))
                client_times.append(per_call(client(position), args.calls))
            b, c = statistics.median(bare_times), statistics.median(client_times)
            print(f"{name:<34}{b:>10.0f}µs{c:>10.0f}µs{c / b:>7.2f}x")
        api.close()
        raw.close()


if __name__ == "__main__":
    main()
