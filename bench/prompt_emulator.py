"""``cxbus emulator --json`` with its agents' delays as options, for the benchmarks that time
a reply: ``python bench/prompt_emulator.py --typing-delay 0 [--limit NAME=VALUE ...]``.

The command's demo agent and bot type for 0.5 s before each answer (and greet a second
after a chat begins), as a person would; a benchmark of the client's own cost wants
the answer at once, so that a reply's time is the client's and the protocol's. It
prints the same line of JSON as the command (its ``webchat``, ``gms`` and
``messaging`` sections) and serves until it is terminated.
"""

from __future__ import annotations

import argparse
import json
import threading

from cxbus_emulator import Emulator
from cxbus_emulator.web_messaging import Limits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--typing-delay", type=float, default=0.0, help="seconds (0)")
    parser.add_argument("--join-delay", type=float, default=1.0, help="seconds (1)")
    parser.add_argument(
        "--limit", action="append", default=[], metavar="NAME=VALUE", help="as the command's"
    )
    args = parser.parse_args()
    pairs = dict(each.partition("=")[::2] for each in args.limit)
    limits = Limits(**{name: int(value) for name, value in pairs.items()})
    emulator = Emulator(
        agent_join_delay=args.join_delay,
        agent_typing_delay=args.typing_delay,
        messaging_limits=limits,
    )
    emulator.start()  # it serves on a thread of its own; this one waits to be terminated
    sections = {
        "webchat": emulator.webchat_config(),
        "gms": emulator.gms_config(),
        "messaging": emulator.messaging_config(),
    }
    print(json.dumps(sections), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
