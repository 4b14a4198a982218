"""The ``cxbus`` command (also ``python -m cxbus``).

cxbus chat                 a web chat in the terminal (the embedded emulator when
                           no deployment is configured)
cxbus commands             the installed plugins, their commands and events
cxbus emulator             run the emulator (guest chat and Web Messaging) in the foreground
cxbus --version / --debug  the version; a debug log (secrets masked) on stderr
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Sequence

from cxbus import __version__

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxbus", description="cxbus: a CXBus for Python.")
    parser.add_argument("--version", action="version", version=f"cxbus {__version__}")
    parser.add_argument("--debug", action="store_true", help="debug log on stderr, secrets masked")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = commands.add_parser("chat", help="chat in the terminal")
    chat.add_argument(
        "--config", metavar="FILE", help="a JSON file shaped like _genesys.widgets.webchat"
    )
    chat.add_argument("--data-url", help="Genesys Cloud API base, e.g. https://api.mypurecloud.com")
    chat.add_argument("--deployment-key", help="the widget deployment key")
    chat.add_argument("--org-guid", help="the organization id")
    chat.add_argument("--queue", help="the queue to route the chat to")
    chat.add_argument("--name", default=os.environ.get("USER") or "Guest", help="your nickname")

    commands.add_parser("commands", help="list plugins, commands and events")

    emulator = commands.add_parser(
        "emulator", help="run the emulator of guest chat and Web Messaging"
    )
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=0, help="0 picks a free port")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cxbus`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.debug:
        logging.basicConfig(
            level=logging.DEBUG, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
        )
    if args.command == "chat":
        return _chat(args)
    if args.command == "commands":
        return _commands()
    return _emulator(args)


def _chat(args: argparse.Namespace) -> int:
    from cxbus_webchat.chat_options import ChatOptionError, webchat_section
    from cxbus_webchat.terminal import run

    flags = {
        "--data-url": args.data_url,
        "--deployment-key": args.deployment_key,
        "--org-guid": args.org_guid,
        "--queue": args.queue,
    }
    try:
        section = webchat_section(flags, os.environ, args.config)
    except ChatOptionError as error:
        print(f"cxbus chat: {error}", file=sys.stderr)
        return 2
    status: int = run(section, args.name)
    return status


def _commands() -> int:
    from cxbus import Bus, CommandRejected
    from cxbus.loading import installed_plugins

    # A fake chat transport, and a session file of its own (so no stored chat is
    # touched), are enough to load every plugin and ask what it offers.
    scratch = tempfile.TemporaryDirectory()
    webchat = {"transport": {"type": "fake"}, "sessionFile": f"{scratch.name}/session.json"}
    with scratch, Bus(config={"webchat": webchat}) as bus:
        for name in installed_plugins():
            try:
                bus.load_plugin(name).result(timeout=10)
            except (CommandRejected, TimeoutError) as error:
                print(f"{name}: could not be loaded ({error})")
        for name, plugin in sorted(bus.plugins.items()):
            print(name)
            print(f"  commands: {', '.join(plugin.commands) or '-'}")
            print(f"  events:   {', '.join(plugin.events) or '-'}")
    return 0


def _emulator(args: argparse.Namespace) -> int:
    import threading

    from cxbus_emulator import Emulator

    try:
        emulator = Emulator(args.host, args.port)
        emulator.start()
    except OSError as error:
        print(
            f"cxbus emulator: cannot listen on {args.host}:{args.port}: {error.strerror}",
            file=sys.stderr,
        )
        return 1
    try:  # Ctrl-C may come while the lines are still being printed
        print(f"dataURL:       {emulator.data_url}")
        print(f"deploymentKey: {emulator.deployment_key}")
        print(f"orgGuid:       {emulator.org_guid}")
        print(f"queue:         {emulator.queue}")
        messaging = emulator.messaging_config()
        print(f"messaging deploymentId: {messaging['deploymentId']}")
        print(f"messaging baseURL:      {messaging['baseURL']}")
        print("Ctrl-C stops it.", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0
