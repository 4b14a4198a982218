"""The ``cxbus`` command (also ``python -m cxbus``); its subcommands come from installed plugins.

cxbus's own subcommands are ``commands`` and ``chat`` (``cxbus.cli.chat``, whose
channels come from plugins in turn). A distribution adds one with an entry point in the
group ``cxbus.subcommands``, named after the subcommand and pointing at a
``Subcommand``, the way it offers a plugin in ``cxbus.plugins``::

    [options.entry_points]
    cxbus.subcommands =
        emulator = cxbus_emulator.cli:emulator

``cxbus --help`` lists them all; ``cxbus --debug`` (also after the subcommand) writes a
debug log on stderr, secrets masked. The module that holds a ``Subcommand`` is imported
for every ``cxbus`` run, so it imports what it needs inside ``run``; its ``arguments``
are added only when it is the subcommand being run. A mistake on the command line
points to the help of the subcommand it was made in.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import entry_points
from typing import Any, NoReturn

import attrs

from cxbus import Plugin, __version__

__all__ = [
    "SUBCOMMAND_GROUP",
    "Subcommand",
    "SubcommandError",
    "installed_subcommands",
    "main",
    "require_extra",
]

SUBCOMMAND_GROUP = "cxbus.subcommands"
DEBUG_HELP = "a debug log on stderr, secrets masked"


@attrs.frozen
class Subcommand:
    """A subcommand of ``cxbus``, offered through the entry-point group ``cxbus.subcommands``.

    ``help`` is its line in ``cxbus --help``. ``arguments(parser)`` adds its options to
    the argparse parser made for it, and may set the parser's ``description`` and
    ``epilog`` (shown as written, line breaks kept). ``run(args)`` runs it with the
    parsed arguments and returns the exit status; it raises ``SubcommandError`` to end
    with one line on stderr.
    """

    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None


class SubcommandError(Exception):
    """Ends a subcommand with one line on stderr (prefixed with ``cxbus NAME:``) and ``status``.

    Status 2 (the default) says the command line or its configuration was wrong, as
    argparse's own errors do; 1 that the command could not do its work.
    """

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def require_extra(extra: str, *modules: str) -> None:
    """Raise ``SubcommandError`` naming the extra to install when a module is missing.

    ``extra`` is the requirement that brings ``modules`` (their import names), such as
    ``require_extra("cxbus[emulator]", "aiohttp", "jwt")``.
    """
    for module in modules:
        if importlib.util.find_spec(module) is None:
            raise SubcommandError(
                f"{module} is not installed; the extra {extra} brings it: pip install '{extra}'",
                status=1,
            )


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line: ``cxbus emulator: argument --port: ...``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser(
    subcommands: dict[str, Subcommand], chosen: str | None
) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser of ``cxbus``, and that of each subcommand, with the arguments of
    ``chosen`` only (they may load what they need: another subcommand's need not run)."""
    parser = _Parser(
        prog="cxbus",
        description="cxbus: a CXBus for Python. Subcommands come from the installed plugins.",
    )
    parser.add_argument("--version", action="version", version=f"cxbus {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    commands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    parsers: dict[str, argparse.ArgumentParser] = {}
    for name, subcommand in subcommands.items():
        sub = commands.add_parser(
            name,
            help=subcommand.help,
            description=subcommand.help,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        # SUPPRESS: given only after the subcommand, it must not reset one given before.
        sub.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help=DEBUG_HELP,
        )
        if name == chosen:
            subcommand.arguments(sub)
        parsers[name] = sub
    return parser, parsers


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv``: its first word that is no option (cxbus's own
    options take no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def installed_subcommands() -> dict[str, Subcommand]:
    """The subcommands of the installed distributions by name; the first of a name wins.

    One whose entry point cannot be loaded is still listed, and running it says why.
    """
    found: dict[str, Subcommand] = {}
    for entry_point in sorted(entry_points(group=SUBCOMMAND_GROUP), key=lambda e: e.name):
        if entry_point.name in found:
            continue
        try:
            subcommand = entry_point.load()
        except Exception as error:
            subcommand = _broken(entry_point.value, f"{type(error).__name__}: {error}")
        if not isinstance(subcommand, Subcommand):
            subcommand = _broken(entry_point.value, "it is not a cxbus.cli.Subcommand")
        found[entry_point.name] = subcommand
    return found


def _broken(target: str, why: str) -> Subcommand:
    def run(args: argparse.Namespace) -> int:
        raise SubcommandError(f"the entry point {target} could not be loaded ({why})", 1)

    return Subcommand(help=f"(could not be loaded: {why})", run=run)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cxbus`` command; returns the exit status."""
    with _quiet_broken_pipe():
        subcommands = installed_subcommands()
        words = sys.argv[1:] if argv is None else list(argv)
        parser, parsers = _parser(subcommands, _chosen(words))
        args, unknown = parser.parse_known_args(words)
        if unknown:  # said by the parser they were given to: its --help is the one to read
            before = words[: words.index(args.subcommand)]
            owner = parser if unknown[0] in before else parsers[args.subcommand]
            owner.error(f"unrecognized arguments: {' '.join(unknown)}")
        if args.debug:
            handler = _StderrHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
            logging.basicConfig(level=logging.DEBUG, handlers=[handler])
            logging.getLogger("cxbus").setLevel(logging.DEBUG)  # over a CXBUS_LOG_LEVEL
        try:
            return subcommands[args.subcommand].run(args)
        except SubcommandError as error:
            print(f"cxbus {args.subcommand}: {error}", file=sys.stderr)
            return error.status
        except KeyboardInterrupt:
            return 130
    return 1  # stdout was closed early: `cxbus commands | head`


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Logs to ``sys.stderr`` as it is when a record comes, not as it was when made.

    A subcommand may swap stderr for a while: the terminal chat prints through
    prompt_toolkit's, so that a debug line goes above the prompt too.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


@contextlib.contextmanager
def _quiet_broken_pipe() -> Iterator[None]:
    """End quietly when the reader of stdout goes away, as ``head`` does.

    Python's own advice: point stdout at devnull, so the flush at exit fails no more.
    """
    try:
        yield
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


# cxbus's own subcommand -----------------------------------------------------------


def _list_plugins(args: argparse.Namespace) -> int:
    """Load every installed plugin on a bus of its own and print its commands and events.

    A plugin that needs a configuration section it is not given here is listed as it
    stood when it was asked to configure itself: its commands are registered by then.
    """
    from cxbus import Bus, CommandCall, CommandRejected, signals
    from cxbus.loading import installed_plugins

    offered: dict[str, tuple[list[str], tuple[str, ...]]] = {}

    def configuring(bus: Bus, call: CommandCall) -> None:
        name, _, command = call.command.partition(".")
        plugin = bus.plugins.get(name)
        if command == "configure" and plugin is not None:
            offered[name] = (_listed_commands(plugin), plugin.events)

    with Bus() as bus, signals.command_dispatched.connected_to(configuring, sender=bus):
        failures: dict[str, Any] = {}
        for name in installed_plugins():
            try:
                bus.load_plugin(name).result(timeout=bus.ready_timeout + 1)
            except (CommandRejected, TimeoutError) as error:
                failures[name] = error
        for name, plugin in bus.plugins.items():
            offered[name] = (_listed_commands(plugin), plugin.events)
        for name in sorted({*offered, *failures}):
            if name not in offered:
                print(f"{name}: could not be loaded ({failures[name]})")
                continue
            commands, events = offered[name]
            print(name)
            print(f"  commands: {', '.join(commands) or '-'}")
            print(f"  events:   {', '.join(events) or '-'}")
    return 0


def _listed_commands(plugin: Plugin) -> list[str]:
    """``plugin``'s commands, each private one marked: another plugin cannot call it."""
    private = set(plugin.private_commands)
    return [f"{name} (private)" if name in private else name for name in plugin.commands]


commands = Subcommand(
    help="list the installed plugins with their commands and events", run=_list_plugins
)
