"""``cxbus chat``: a terminal chat over any channel an installed plugin offers.

The command knows no channel of its own. A distribution adds one with an entry point
in the group ``cxbus.chat_channels``, named after the channel (its ``--channel``) and
pointing at a ``ChatChannel``, the way it offers a subcommand::

    [options.entry_points]
    cxbus.chat_channels =
        webchat = cxbus_webchat.chat_channel:channel

``cxbus chat`` picks the channel named by ``--channel``, else the one whose options
are given (by a flag or an environment variable), else the one a ``--config`` file
fits, else the default one; the channel turns the command line into its
configuration section and runs its terminal chat on the shared toolkit
(``cxbus.cli.terminal``). The channels are loaded only when ``cxbus chat`` runs; the
module that holds a ``ChatChannel`` imports its terminal chat only in ``run``.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any, Protocol

import attrs

from cxbus.cli import Subcommand, SubcommandError, require_extra
from cxbus.cli.options import OptionError

__all__ = ["CHANNEL_GROUP", "CHAT_EXTRA", "ChatChannel", "Options", "chat", "installed_channels"]

CHANNEL_GROUP = "cxbus.chat_channels"
CHAT_EXTRA = "cxbus[chat]"
Section = dict[str, Any]


class Options(Protocol):
    """Where a channel adds its options: its argument group of ``cxbus chat``'s parser."""

    def add_argument(self, *names: str, **options: Any) -> argparse.Action:
        """``argparse``'s ``add_argument``."""


@attrs.frozen
class ChatChannel:
    """A channel of ``cxbus chat``, offered through the entry-point group ``cxbus.chat_channels``.

    ``title`` names it in ``cxbus chat --help`` (``"Web Messaging"``); ``description``
    is its paragraph there, and ``epilog`` its lines at the end: where each option
    comes from, the shape of its ``--config`` file, how its chat is left.
    ``arguments(options)`` adds its options to its argument group. ``given(args,
    environ)`` says whether any of them is given, by a flag or an environment
    variable. ``fits(config)`` says whether the JSON object of a ``--config`` file
    looks like its section. ``check(args, chosen)`` may refuse the command line
    (raising ``OptionError``), ``chosen`` saying whether this channel is the one
    chosen. ``section(args, environ)`` is the configuration section to chat with,
    or ``None`` when nothing is configured (its demo); it raises ``OptionError``
    naming a missing or bad option. ``run(section, args)`` runs the terminal chat
    and returns the exit status, raising ``SubcommandError`` to end with one line.
    The ``default`` channel is chosen when nothing points to another.
    """

    title: str
    description: str
    epilog: str
    arguments: Callable[[Options], None]
    given: Callable[[argparse.Namespace, Mapping[str, str]], bool]
    section: Callable[[argparse.Namespace, Mapping[str, str]], Section | None]
    run: Callable[[Section | None, argparse.Namespace], int]
    fits: Callable[[Mapping[str, Any]], bool] = lambda config: False
    check: Callable[[argparse.Namespace, bool], None] = lambda args, chosen: None
    default: bool = False


def installed_channels() -> dict[str, ChatChannel]:
    """The chat channels of the installed distributions by name; the first of a name wins.

    One whose entry point cannot be loaded is still offered, and choosing it says why.
    """
    found: dict[str, ChatChannel] = {}
    for entry_point in sorted(entry_points(group=CHANNEL_GROUP), key=lambda e: e.name):
        if entry_point.name in found:
            continue
        try:
            channel = entry_point.load()
        except Exception as error:
            channel = _broken(entry_point.value, f"{type(error).__name__}: {error}")
        if not isinstance(channel, ChatChannel):
            channel = _broken(entry_point.value, "it is not a cxbus.cli.chat.ChatChannel")
        found[entry_point.name] = channel
    return found


def _broken(target: str, why: str) -> ChatChannel:
    def refuse(args: argparse.Namespace, chosen: bool) -> None:
        if chosen:
            raise SubcommandError(f"the entry point {target} could not be loaded ({why})", 1)

    return ChatChannel(
        title=f"(could not be loaded: {why})",
        description="",
        epilog="",
        arguments=lambda options: None,
        given=lambda args, environ: False,
        section=lambda args, environ: None,
        run=lambda section, args: 1,
        check=refuse,
    )


DESCRIPTION = """\
Chat with an agent in the terminal, as a guest, over one of the channels the
installed plugins offer (--channel):
"""

EPILOG = """\
The channel is --channel, else the one whose options are given, else the one a
--config file fits, else {default}. Its deployment comes from flags, else the
environment, else --config FILE, a JSON object shaped like the channel's section (an
option the service does not know is an error). In the chat: type a message and
Enter; /help lists the commands.
"""


def _default(channels: Mapping[str, ChatChannel]) -> str | None:
    return next((name for name, channel in channels.items() if channel.default), None)


def _arguments(parser: argparse.ArgumentParser) -> None:
    channels = installed_channels()
    default = _default(channels)
    descriptions = [channel.description for channel in channels.values() if channel.description]
    parser.description = "\n".join([DESCRIPTION, *descriptions])
    parser.epilog = "\n".join(
        [
            EPILOG.format(default=default or "none"),
            *(channel.epilog for channel in channels.values() if channel.epilog),
        ]
    )
    named = " or ".join(f"{name} ({channel.title})" for name, channel in channels.items())
    parser.add_argument(
        "--channel",
        choices=list(channels),
        help=f"{named}; by default the one whose options are given, else {default}",
    )
    parser.add_argument(
        "--config", metavar="FILE", help="a JSON file shaped like the channel's section"
    )
    for name, channel in channels.items():
        channel.arguments(parser.add_argument_group(f"{channel.title} (--channel {name})"))


def _choose(args: argparse.Namespace, channels: Mapping[str, ChatChannel]) -> str:
    """The channel asked for, else the one whose options are given, else the one the
    --config file fits, else the default."""
    if args.channel is not None:
        return str(args.channel)
    given = [name for name, channel in channels.items() if channel.given(args, os.environ)]
    if len(given) > 1:
        which = "both" if len(given) == 2 else "several"
        raise SubcommandError(
            f"options of {which} channels are given: choose one with --channel "
            + " or ".join(given)
        )
    if given:
        return given[0]
    config = _config_object(args.config) if args.config else None
    if config is not None:
        fitting = next((name for name, c in channels.items() if c.fits(config)), None)
        if fitting is not None:
            return fitting
    default = _default(channels) or next(iter(channels), None)
    if default is None:
        raise SubcommandError(
            "no chat channel is installed (entry point group cxbus.chat_channels)"
        )
    return default


def _config_object(config_file: str) -> Mapping[str, Any] | None:
    """The JSON object of a --config file, for choosing a channel (its errors come later)."""
    try:
        with open(config_file, encoding="utf-8") as file:
            content = json.load(file)
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None


def _run(args: argparse.Namespace) -> int:
    channels = installed_channels()
    chosen = _choose(args, channels)
    channel = channels[chosen]
    try:
        for name, each in channels.items():
            each.check(args, name == chosen)
        section = channel.section(args, os.environ)
    except OptionError as error:
        raise SubcommandError(str(error)) from None
    require_extra(CHAT_EXTRA, "prompt_toolkit")
    return channel.run(section, args)


chat = Subcommand(help="chat with an agent in the terminal", run=_run, arguments=_arguments)
