"""``cxbus emulator``: the emulator's subcommand, offered through ``cxbus.subcommands``.

It runs the emulator in the foreground and prints what a client configures to talk
to it, one API after another. Imported for every ``cxbus`` run to build its parser:
aiohttp is imported only when the emulator runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from typing import Any

from cxbus.cli import Subcommand, SubcommandError, require_extra

__all__ = ["emulator"]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535; got {text!r}")
    return port


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0; got {text!r}")
    return seconds


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run a local Genesys Cloud in the foreground, with a demo agent, until Ctrl-C,\n"
        "and print what a configuration needs to talk to each of its APIs."
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default: 127.0.0.1, this machine only)",
    )
    parser.add_argument(
        "--port", type=_port, default=0, help="the port to listen on (default: 0, a free one)"
    )
    parser.add_argument(
        "--idle-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="close a connection with no request under way after this long (default: 60)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the configuration sections as one line of JSON, for programs: "
        '{"webchat": ..., "gms": ..., "messaging": ...} (and "controlKey" beyond loopback)',
    )


def _run(args: argparse.Namespace) -> int:
    require_extra("cxbus[emulator]", "aiohttp", "jwt")
    from .control_key import HEADER
    from .emulator import IDLE_TIMEOUT, Emulator

    emulator = Emulator(args.host, args.port, idle_timeout=args.idle_timeout or IDLE_TIMEOUT)
    try:
        emulator.start()
    except OSError as error:
        # The errno's own words: aiohttp's message repeats the address in a tuple.
        why = os.strerror(error.errno) if error.errno else str(error)
        raise SubcommandError(f"cannot listen on {args.host}:{args.port}: {why}", 1) from None
    # SIGINT stops it even where it started with SIGINT ignored (a shell's background
    # job, as tests and benchmarks start it): it is how its callers stop it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:  # Ctrl-C may come while the lines are still being printed
        if args.json:
            sections: dict[str, Any] = {
                "webchat": emulator.webchat_config(),
                "gms": emulator.gms_config(),
                "messaging": emulator.messaging_config(),
            }
            if emulator.control_key is not None:
                sections["controlKey"] = emulator.control_key
            print(json.dumps(sections), flush=True)
            _wait_for_ctrl_c()
        print("Guest chat API (webchat transport purecloud-v2-sockets):")
        print(f"  dataURL:       {emulator.data_url}")
        print(f"  deploymentKey: {emulator.deployment_key}")
        print(f"  orgGuid:       {emulator.org_guid}")
        print(f"  queue:         {emulator.queue}")
        print("GMS Chat API (a webchat section with no transport section):")
        print(f"  dataURL:       {emulator.gms.data_url}")
        print(f"  apikey:        {emulator.gms.apikey}")
        messaging = emulator.messaging_config()
        print("Web Messaging guest API (a messaging section):")
        print(f"  deploymentId:  {messaging['deploymentId']}")
        print(f"  baseURL:       {messaging['baseURL']}")
        if emulator.control_key is not None:
            print(f"Control API (/emulator/...), beyond loopback: send the header {HEADER}:")
            print(f"  key:           {emulator.control_key}")
        print("Ctrl-C stops it.", flush=True)
        _wait_for_ctrl_c()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def _wait_for_ctrl_c() -> None:
    """Wait until Ctrl-C (``KeyboardInterrupt``).

    In short waits, not one endless one: the kernel may hand SIGINT to another thread
    (the emulator's), and then only a main thread that wakes runs Python's handler.
    """
    while True:
        time.sleep(0.5)


emulator = Subcommand(
    help="run the local Genesys Cloud emulator in the foreground",
    run=_run,
    arguments=_arguments,
)
