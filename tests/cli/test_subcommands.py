"""The cxbus command: subcommands from the entry-point group cxbus.subcommands, and its manners."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from cxbus import __version__

from .conftest import ENV, cxbus


def install_distribution(site: Path, name: str, entry_points: str, module: str) -> dict[str, str]:
    """A distribution ``name`` in ``site``: a module and its entry points; the env to see it."""
    (site / f"{name}.py").write_text(textwrap.dedent(module))
    info = site / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    return {"PYTHONPATH": os.pathsep.join([str(site), ENV.get("PYTHONPATH", "")])}


GREETER = """\
    import argparse
    from cxbus.cli import Subcommand, SubcommandError

    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--who", required=True, help="whom to greet")

    def run(args: argparse.Namespace) -> int:
        if args.who == "nobody":
            raise SubcommandError("--who must name somebody")
        print(f"Hello, {args.who}!")
        return 0

    hello = Subcommand(help="greet somebody", run=run, arguments=arguments)
"""


def test_a_third_party_distribution_adds_its_own_subcommand(tmp_path: Path) -> None:
    """An entry point in cxbus.subcommands is a subcommand, listed and run like the built-ins."""
    env = install_distribution(
        tmp_path, "greeter", "[cxbus.subcommands]\nhello = greeter:hello\n", GREETER
    )
    assert "hello     greet somebody" in cxbus("--help", env=env).stdout
    assert "--who WHO   whom to greet" in cxbus("hello", "--help", env=env).stdout

    greeted = cxbus("hello", "--who", "Ada", env=env)
    assert (greeted.returncode, greeted.stdout) == (0, "Hello, Ada!\n")

    refused = cxbus("hello", "--who", "nobody", env=env)
    assert (refused.returncode, refused.stderr) == (2, "cxbus hello: --who must name somebody\n")


def test_a_subcommand_that_cannot_be_loaded_says_why_and_the_others_still_work(
    tmp_path: Path,
) -> None:
    """A broken entry point is listed as such; running it is one line, status 1."""
    env = install_distribution(
        tmp_path,
        "broken",
        "[cxbus.subcommands]\nbroken = broken:nothing_here\nodd = broken:odd\n",
        "odd = 42\n",
    )
    listing = cxbus("--help", env=env).stdout
    assert "broken    (could not be loaded: AttributeError:" in listing
    assert "odd       (could not be loaded: it is not a cxbus.cli.Subcommand)" in listing

    broken = cxbus("broken", env=env)
    assert broken.returncode == 1
    assert broken.stderr.startswith(
        "cxbus broken: the entry point broken:nothing_here could not be loaded (AttributeError:"
    )
    assert cxbus("commands", env=env).returncode == 0


def test_the_builtin_subcommands_come_from_the_entry_points_of_their_packages() -> None:
    """chat and commands belong to cxbus, emulator to cxbus_emulator; each chat channel to
    its plugin."""
    from importlib.metadata import entry_points

    targets = {e.name: e.value for e in entry_points(group="cxbus.subcommands")}
    assert targets["chat"] == "cxbus.cli.chat:chat"
    assert targets["emulator"] == "cxbus_emulator.cli:emulator"
    assert targets["commands"] == "cxbus.cli:commands"
    channels = {e.name: e.value for e in entry_points(group="cxbus.chat_channels")}
    assert channels["messaging"] == "cxbus_messaging.chat_channel:channel"
    assert channels["webchat"] == "cxbus_webchat.chat_channel:channel"
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, cxbus.cli; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "cxbus_webchat" not in imported and "cxbus_emulator" not in imported


def test_python_dash_m_cxbus_version_names_the_version() -> None:
    """python -m cxbus --version names the version."""
    shown = cxbus("--version")
    assert shown.returncode == 0 and shown.stdout.strip() == f"cxbus {__version__}"


def test_debug_is_accepted_before_and_after_the_subcommand() -> None:
    """cxbus --debug commands and cxbus commands --debug both log at debug level on stderr."""
    for args in (["--debug", "commands"], ["commands", "--debug"]):
        result = cxbus(*args)
        assert result.returncode == 0, result.stderr
        assert "cxbus.bus plugin WebChatService registered" in result.stderr
    assert "cxbus.bus" not in cxbus("commands").stderr


def test_commands_lists_plugins_with_their_commands_and_events() -> None:
    """cxbus commands shows WebChatService's commands and events with no configuration."""
    listing = cxbus("commands")
    assert listing.returncode == 0
    assert listing.stderr == ""
    assert "WebChatService\n  commands: addPrefilter, configure (private)," in listing.stdout
    assert "agentTypingTimeout" in listing.stdout


def test_commands_marks_the_private_commands() -> None:
    """A private command (another plugin may not call it) is listed as "(private)"."""
    listing = cxbus("commands").stdout
    webchat = next(line for line in listing.splitlines() if line.startswith("  commands: add"))
    marked = [name for name in webchat.split(": ")[1].split(", ") if name.endswith(" (private)")]
    assert marked == ["configure (private)", "poll (private)"]


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    """cxbus commands | head: a reader that went away is no traceback."""
    reader, writer = os.pipe()
    os.close(reader)  # gone before anything is written: every write fails
    try:
        result = subprocess.run(
            [sys.executable, "-m", "cxbus", "commands"],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=ENV,
        )
    finally:
        os.close(writer)
    assert result.stderr == ""
    assert result.returncode == 1


def test_a_bad_argument_is_one_line_and_status_2() -> None:
    """argparse's errors too: one line naming the argument, no usage dump."""
    result = cxbus("emulator", "--port", "70000")
    assert result.returncode == 2
    assert result.stderr == (
        "cxbus emulator: argument --port: expected a port from 0 to 65535; got '70000' "
        "(see cxbus emulator --help)\n"
    )
    unknown = cxbus("nosuch")
    assert unknown.returncode == 2 and len(unknown.stderr.splitlines()) == 1
    assert "invalid choice: 'nosuch'" in unknown.stderr


def test_an_unknown_option_points_to_the_help_of_the_command_it_was_given_to() -> None:
    """cxbus chat --bogus points to cxbus chat --help; cxbus --bogus chat to cxbus --help."""
    after = cxbus("chat", "--bogus")
    assert (after.returncode, after.stderr) == (
        2,
        "cxbus chat: unrecognized arguments: --bogus (see cxbus chat --help)\n",
    )
    before = cxbus("--bogus", "commands")
    assert (before.returncode, before.stderr) == (
        2,
        "cxbus: unrecognized arguments: --bogus (see cxbus --help)\n",
    )


def test_a_subcommand_s_arguments_are_loaded_only_when_it_runs(tmp_path: Path) -> None:
    """Another subcommand's arguments, and so cxbus --help, do not load what they need."""
    env = install_distribution(
        tmp_path,
        "heavy",
        "[cxbus.subcommands]\nheavy = heavy:heavy\n",
        """\
        import argparse
        from cxbus.cli import Subcommand

        def arguments(parser: argparse.ArgumentParser) -> None:
            raise RuntimeError("loaded")

        heavy = Subcommand(help="needs a lot", run=lambda args: 0, arguments=arguments)
        """,
    )
    assert cxbus("--help", env=env).returncode == 0
    assert cxbus("commands", env=env).returncode == 0
