"""cxbus chat's channels come from the entry-point group cxbus.chat_channels."""

from __future__ import annotations

from pathlib import Path

from .conftest import cxbus
from .test_subcommands import install_distribution

ECHO = """\
    import argparse
    from cxbus.cli.chat import ChatChannel
    from cxbus.cli.options import OptionError

    def arguments(options) -> None:
        options.add_argument("--echo-word", help="the word to echo")

    def section(args: argparse.Namespace, environ) -> dict | None:
        if args.echo_word == "bad":
            raise OptionError("--echo-word must not be bad")
        return {"word": args.echo_word} if args.echo_word else None

    def run(section: dict | None, args: argparse.Namespace) -> int:
        print(f"echo chat with {section}")
        return 0

    channel = ChatChannel(
        title="echo",
        description="echo: a channel that echoes.",
        epilog="echo:      --echo-word   the word",
        arguments=arguments,
        given=lambda args, environ: bool(args.echo_word),
        section=section,
        run=run,
    )
"""


def test_a_third_party_distribution_adds_its_own_chat_channel(tmp_path: Path) -> None:
    """An entry point in cxbus.chat_channels is a channel: in the help, chosen by its
    options or by --channel, its section and its chat its own."""
    env = install_distribution(
        tmp_path, "echochannel", "[cxbus.chat_channels]\necho = echochannel:channel\n", ECHO
    )
    shown = cxbus("chat", "--help", env=env).stdout
    assert "echo: a channel that echoes." in shown
    assert "--echo-word ECHO_WORD" in shown and "echo (--channel echo):" in shown

    chosen = cxbus("chat", "--echo-word", "hi", env=env)
    assert (chosen.returncode, chosen.stdout) == (0, "echo chat with {'word': 'hi'}\n")
    demo = cxbus("chat", "--channel", "echo", env=env)
    assert (demo.returncode, demo.stdout) == (0, "echo chat with None\n")
    refused = cxbus("chat", "--echo-word", "bad", env=env)
    assert (refused.returncode, refused.stderr) == (2, "cxbus chat: --echo-word must not be bad\n")


def test_a_chat_channel_that_cannot_be_loaded_says_why_when_chosen(tmp_path: Path) -> None:
    """A broken entry point is offered; choosing it is one line, status 1; the others work."""
    env = install_distribution(
        tmp_path, "broken", "[cxbus.chat_channels]\nbroken = broken:nothing_here\n", "\n"
    )
    broken = cxbus("chat", "--channel", "broken", env=env)
    assert broken.returncode == 1
    assert broken.stderr.startswith(
        "cxbus chat: the entry point broken:nothing_here could not be loaded (AttributeError:"
    )
    assert "(could not be loaded: AttributeError:" in cxbus("chat", "--help", env=env).stdout
