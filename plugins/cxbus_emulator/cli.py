"""``cxbus emulator``: the emulator's subcommand, offered through ``cxbus.subcommands``.

It runs the emulator in the foreground and prints what a client configures to talk
to it, one API after another. Imported for every ``cxbus`` run to build its parser:
aiohttp is imported only when the emulator runs (the names of the Web Messaging limits
are listed here for the same reason; a test keeps them in step with ``Limits``).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import socket
import time
from typing import Any

import attrs

from cxbus.cli import Subcommand, SubcommandError, require_extra

__all__ = ["LIMIT_NAMES", "emulator"]

# The fields of cxbus_emulator.web_messaging.Limits.
LIMIT_NAMES = (
    "messages_per_second",
    "requests_per_minute",
    "configures_per_minute",
    "history_per_minute",
    "health_checks_per_minute",
    "connections_per_session",
    "connections_per_minute",
    "text_bytes",
    "custom_attributes_bytes",
    "jwt_seconds",
    "auth_jwt_seconds",
    "refresh_token_seconds",
    "download_url_seconds",
    "file_name_chars",
)
AUTH_MODES = ("off", "on", "required")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535; got {text!r}")
    return port


def _seconds(text: str) -> int:
    try:
        seconds = int(text)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of seconds, 1 or more; got {text!r}"
        )
    return seconds


def _limit(text: str) -> tuple[str, int]:
    name, _, value = text.partition("=")
    if name not in LIMIT_NAMES or not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE, NAME one of {', '.join(LIMIT_NAMES)} and VALUE a whole "
            f"number, 1 or more; got {text!r}"
        )
    return name, int(value)


def _user(text: str) -> tuple[str, str, str]:
    login, first, last = [*text.split(":"), "", ""][:3]
    if not login or text.count(":") > 2:
        raise argparse.ArgumentTypeError(f"expected LOGIN[:FIRST[:LAST]]; got {text!r}")
    return login, first, last


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
        "--flow",
        metavar="FILE",
        help="a flow file (YAML): its bot greets every conversation on every API instead of "
        "the demo agents, and hands over to them",
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
        '{"webchat": ..., "gms": ..., "messaging": ...} (and "identity" with --auth, '
        '"controlKey" beyond loopback)',
    )
    messaging = parser.add_argument_group("Web Messaging")
    messaging.add_argument(
        "--session-duration",
        type=_seconds,
        metavar="SECONDS",
        help="how long a session lives after its last activity (default: 259200, 72 hours)",
    )
    messaging.add_argument(
        "--limit",
        type=_limit,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change one of the service's limits, e.g. connections_per_minute=100000 for "
        "a load test or auth_jwt_seconds=60; repeatable. NAME is one of: " + ", ".join(LIMIT_NAMES),
    )
    messaging.add_argument(
        "--auth",
        choices=AUTH_MODES,
        default="off",
        help="authenticated conversations: off, on (guests may sign in midway), or "
        "required (guests are refused) (default: off)",
    )
    messaging.add_argument(
        "--user",
        type=_user,
        action="append",
        default=[],
        metavar="LOGIN[:FIRST[:LAST]]",
        help="a user of the emulator's identity provider; repeatable (default: ada and grace)",
    )


def _run(args: argparse.Namespace) -> int:
    require_extra("cxbus[emulator]", "aiohttp", "jwt", "yaml", "jsonschema")
    from .control_key import HEADER
    from .emulator import IDLE_TIMEOUT, Emulator
    from .flow import FlowError, load_flow
    from .web_messaging import Deployment, Limits, User
    from .web_messaging.identity import DEMO_USERS

    try:
        flow = load_flow(args.flow) if args.flow is not None else None
    except FlowError as error:
        raise SubcommandError(f"argument --flow: {error}") from None
    deployment = Deployment(auth_enabled=args.auth != "off", auth_required=args.auth == "required")
    if args.session_duration is not None:
        deployment = attrs.evolve(deployment, session_duration_seconds=args.session_duration)
    users = tuple(User(*user) for user in args.user) or DEMO_USERS
    emulator = Emulator(
        args.host,
        args.port,
        messaging_deployment=deployment,
        messaging_limits=Limits(**dict(args.limit)),
        messaging_users=users,
        flow=flow,
        idle_timeout=args.idle_timeout or IDLE_TIMEOUT,
    )
    try:
        emulator.start()
    except socket.gaierror as error:  # before OSError: it is one, with the resolver's errno
        raise SubcommandError(
            f"--host {args.host}: no such address or host name ({error.strerror}); "
            "give an address of this machine, such as 127.0.0.1, or 0.0.0.0 for all of them",
            2,
        ) from None
    except OSError as error:
        raise SubcommandError(_cannot_listen(args.host, args.port, error), 1) from None
    # SIGINT stops it even where it started with SIGINT ignored (a shell's background
    # job, as tests and benchmarks start it): it is how its callers stop it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:  # Ctrl-C may come while the lines are still being printed
        identity = {
            "signInURL": emulator.messaging.sign_in_url,
            "redirectUri": emulator.messaging.redirect_uri,
            "users": emulator.messaging.users(),
        }
        if args.json:
            sections: dict[str, Any] = {
                "webchat": emulator.webchat_config(),
                "gms": emulator.gms_config(),
                "messaging": emulator.messaging_config(),
            }
            if args.auth != "off":
                sections["identity"] = identity
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
        if args.auth != "off":
            print(f"Web Messaging sign-in (authentication {args.auth}):")
            print(f"  sign-in page:  {identity['signInURL']}")
            print(f"  redirectUri:   {identity['redirectUri']}")
            print(f"  users:         {', '.join(identity['users'])}")
        if flow is not None:
            print(f"Flow-file bot {flow.bot} ({args.flow}) greets every conversation.")
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


def _cannot_listen(host: str, port: int, error: OSError) -> str:
    """One line: why the emulator cannot listen on ``host:port``, and what to do."""
    # The errno's own words: aiohttp's message repeats the address in a tuple.
    why = os.strerror(error.errno) if error.errno else str(error)
    if error.errno == errno.EADDRINUSE:
        advice = "pick another --port, or --port 0 for a free one"
    elif error.errno == errno.EADDRNOTAVAIL:
        advice = "give --host an address of this machine, such as 127.0.0.1, or 0.0.0.0"
    elif error.errno in (errno.EACCES, errno.EPERM):
        advice = "ports below 1024 need privileges: pick --port 1024 or above, or 0"
    else:
        advice = "check --host and --port"
    return f"cannot listen on {host}:{port} ({why}): {advice}"


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
