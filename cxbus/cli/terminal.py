"""A chat's terminal: lines printed above a prompt that stays whole while the guest types.

The terminal chats of ``cxbus chat`` (one per channel) share it. ``printing_above_prompt()``
is entered before anything is printed: from then on every line, from any thread, goes
above the ``you> `` prompt (through prompt_toolkit's ``StdoutProxy``), and what is being
typed stays whole at the bottom. ``TerminalPrompt`` reads the guest's lines on the calling
thread (``lines()``) until end of input, or until ``stop()`` is called from another
thread (the conversation ended). ``TypingPreviewInput`` tells a callback of each edit
of a message, never of a slash command. ``ServiceChat`` is what a channel's terminal
chat does on the bus: drive its chat service with commands, each with a timeout, and
show its events and its refusals on the prompt.

Imported only when a terminal chat runs: prompt_toolkit is the ``cxbus[chat]`` extra.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO, cast

from prompt_toolkit import PromptSession
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.patch_stdout import StdoutProxy

from cxbus import Bus, CommandRejected, Event
from cxbus.cli import SubcommandError

__all__ = [
    "COMMAND_TIMEOUT",
    "Demo",
    "ServiceChat",
    "TerminalPrompt",
    "TypingPreviewInput",
    "chat_section",
    "help_lines",
    "printing_above_prompt",
]

PROMPT = "you> "
COMMAND_TIMEOUT = 30.0
# Starts a channel's demo in the stack: its section, and the line that says what it is.
Demo = Callable[[contextlib.ExitStack[Any]], tuple[dict[str, Any], str]]


@contextlib.contextmanager
def printing_above_prompt() -> Iterator[None]:
    """Enter first: every line printed from now on goes above the prompt.

    stdout goes through prompt_toolkit's proxy, and so does stderr when it is the
    terminal the prompt is drawn on (a debug line then goes above the prompt too). A
    stderr that goes elsewhere (``2> debug.log``) stays as it is: prompt_toolkit's own
    ``patch_stdout`` would send what is written to it to stdout.
    """
    shared = _same_terminal(sys.stdout, sys.stderr)  # asked before stdout is swapped
    with contextlib.ExitStack() as stack:
        proxy = cast(TextIO, stack.enter_context(StdoutProxy(raw=True)))
        stack.enter_context(contextlib.redirect_stdout(proxy))
        if shared:
            stack.enter_context(contextlib.redirect_stderr(proxy))
        yield


def _same_terminal(first: TextIO, second: TextIO) -> bool:
    """Whether both streams are the same terminal."""
    try:
        return (
            first.isatty()
            and second.isatty()
            and os.path.samestat(os.fstat(first.fileno()), os.fstat(second.fileno()))
        )
    except (AttributeError, OSError, ValueError):  # no file behind it (a test's capture)
        return False


def chat_section(
    stack: contextlib.ExitStack[Any], section: dict[str, Any] | None, demo: Demo
) -> tuple[dict[str, Any], bool]:
    """Start printing above the prompt; the section to chat with, and whether it is the demo.

    With no ``section``, the channel's ``demo`` starts in ``stack`` and gives the
    section (its session file goes in a temporary folder) and a line to print.
    """
    stack.enter_context(printing_above_prompt())  # first: every line goes above the prompt
    if section is not None:
        return section, False
    demo_section, intro = demo(stack)
    scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    print(intro, flush=True)
    return {**demo_section, "sessionFile": str(scratch / "session.json")}, True


class TypingPreviewInput:
    """An input line whose edits are reported, except while it is a slash command:
    those are for the program, not the agent."""

    def __init__(self, buffer: Buffer) -> None:
        self._buffer = buffer

    def on_text_changed(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(text)`` whenever the guest edits a message."""

        def changed(buffer: Buffer) -> None:
            if not buffer.text.startswith("/"):
                callback(buffer.text)

        self._buffer.on_text_changed += changed


class TerminalPrompt:
    """The guest's side of a terminal chat: ``say`` prints a line, ``lines`` reads them."""

    def __init__(self, output: TextIO) -> None:
        self.output = output
        self._session: PromptSession[str] | None = None  # made when first needed: a terminal
        self._stopped = False

    def _prompt(self) -> PromptSession[str]:
        if self._session is None:
            self._session = PromptSession()
        return self._session

    @property
    def typing_input(self) -> TypingPreviewInput:
        """The prompt's input line, as a ``TypingPreviewInput``."""
        return TypingPreviewInput(self._prompt().default_buffer)

    def say(self, line: str) -> None:
        print(line, file=self.output, flush=True)

    def lines(self) -> Iterator[str]:
        """The guest's lines, stripped, until end of input (Ctrl-D) or ``stop()``.

        Ctrl-C (``KeyboardInterrupt``) goes to the caller.
        """
        session = self._prompt()
        while not self._stopped:
            try:
                yield session.prompt(PROMPT).strip()
            except EOFError:
                return

    def stop(self) -> None:
        """End ``lines()`` (any thread): the prompt on screen is given up."""
        self._stopped = True
        session = self._session
        if session is None:
            return
        app = session.app
        if app.is_running and app.loop is not None:
            app.loop.call_soon_threadsafe(lambda: app.exit(exception=EOFError))


def help_lines(commands: Mapping[str, str]) -> Iterator[str]:
    """Each slash command and what it does, aligned."""
    for command, does in commands.items():
        yield f"  {command:<12} {does}"


class ServiceChat:
    """A terminal chat's side of the bus: the plugin ``name`` that drives ``service``.

    ``shows`` maps each event of the service (``"messageReceived"``) to what shows it;
    the service's events lane calls them. ``command`` and ``attempt`` run the
    service's commands with ``COMMAND_TIMEOUT``; ``attempt`` shows a refusal as a
    ``! ...`` line, in the words ``describe`` gives it.
    """

    def __init__(
        self,
        bus: Bus,
        name: str,
        service: str,
        output: TextIO,
        shows: Mapping[str, Callable[[Event], None]],
    ) -> None:
        self.bus = bus
        self.service = service
        self.prompt = TerminalPrompt(output)
        self.plugin = bus.register_plugin(name)
        for event, show in shows.items():
            self.plugin.subscribe(f"{service}.{event}", show)

    def say(self, line: str) -> None:
        """Print ``line`` above the prompt."""
        self.prompt.say(line)

    def describe(self, reason: Any) -> str:
        """A rejection's reason in the guest's words (the service's own, by default)."""
        return str(reason)

    def command(self, name: str, data: Any = None) -> Any:
        """Run the service's command ``name``: its value, or ``CommandRejected`` or
        ``TimeoutError`` raised."""
        return self.plugin.command(f"{self.service}.{name}", data).result(timeout=COMMAND_TIMEOUT)

    def attempt(self, name: str, data: Any = None) -> tuple[bool, Any]:
        """Run a command: whether it resolved, and its value; a refusal is shown."""
        try:
            return True, self.command(name, data)
        except CommandRejected as rejection:
            self.say(f"! {self.describe(rejection.reason)}")
        except TimeoutError:
            self.say(f"! {name} got no answer in {COMMAND_TIMEOUT:g} s")
        return False, None

    def load_service(
        self, then: Callable[[], None], failure: str, silence: str = "no answer"
    ) -> None:
        """Load the service, then ``then()`` (the start of the chat).

        A refusal or a timeout ends ``cxbus chat``: ``SubcommandError`` (status 1)
        saying ``failure``, then why (``silence``, for a timeout).
        """
        try:
            self.bus.load_plugin(self.service).result(timeout=COMMAND_TIMEOUT)
            then()
        except CommandRejected as rejection:
            raise SubcommandError(f"{failure}: {self.describe(rejection.reason)}", 1) from None
        except TimeoutError:
            raise SubcommandError(f"{failure}: {silence} in {COMMAND_TIMEOUT:g} s", 1) from None

    def file_argument(self, rest: str) -> str | None:
        """The one path after ``/file`` (quoted if it has spaces); else says what is wrong."""
        try:
            paths = shlex.split(rest)
        except ValueError as error:
            self.say(f"! /file: {error}")
            return None
        if len(paths) != 1:
            self.say("! /file needs one path (in quotes if it has spaces)")
            return None
        return paths[0]

    def unknown(self, word: str) -> None:
        """Say that ``word`` is no slash command of this chat."""
        self.say(f"! unknown command {word}; /help lists the commands")
