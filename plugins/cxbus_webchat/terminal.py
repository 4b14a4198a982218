"""The terminal chat of ``cxbus chat``: a guest's web chat in a terminal, over the bus.

It is a plugin like any other (``TerminalChat``): it drives WebChatService with bus
commands and shows its events. The input line is WebChatService's typing preview
input: typing a message (not a slash command) sends typing notifications.

Threads: the main thread reads the guest's lines (``cxbus.cli.terminal``'s prompt, shared
with the Web Messaging terminal chat) and runs their commands; WebChatService's
events lane prints the agent's lines. Everything is printed above the ``you> ``
prompt, entered before the chat prints anything: what is being typed stays whole at
the bottom.

Leaving (ours): ``/end`` or Ctrl-D ends the chat. Ctrl-C leaves it open on the
server, as closing a browser tab does: ``cxbus chat`` started again within
``restoreTimeout`` offers ``/restore``. The demo's emulator ends with the process,
so there Ctrl-C ends the chat too, and says there is nothing to restore.
"""

from __future__ import annotations

import contextlib
import shlex
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from cxbus import Bus, CommandRejected, Event
from cxbus.cli import SubcommandError
from cxbus.cli.terminal import TerminalPrompt, TypingPreviewInput, chat_section, help_lines

from .config import parse_config, parse_gms, restore_seconds
from .session_store import FileSessionStore
from .terminal_text import describe, epoch, with_files

__all__ = ["TerminalChat", "TypingPreviewInput", "run"]

SERVICE = "WebChatService"
COMMAND_TIMEOUT = 30.0
# cxbus chat keeps its chat here (unless the configuration names a sessionFile), so
# that a chat left open can be picked up with /restore.
SESSION_FILE = Path("~/.cxbus/webchat-session.json")
COMMANDS = {
    "/transcript": "show the chat so far, files sent included",
    "/agents": "list the agents of the chat, and whether they are still in it",
    "/stats": "say when the chat started and how long it has lasted",
    "/file PATH": "send a file to the agent",
    "/restore": "pick up the chat that was left open last time",
    "/end": "end the chat and quit (Ctrl-D too)",
    "/help": "show this list",
}


class TerminalChat:
    """One chat in the terminal: start, talk, slash commands, end or step away.

    ``demo`` says the chat runs on the embedded emulator, which ends with the
    process; ``restore_timeout`` is how long a chat left open can be picked up.
    """

    def __init__(
        self,
        bus: Bus,
        nickname: str,
        output: TextIO,
        *,
        demo: bool = False,
        restore_timeout: float = 60.0,
    ) -> None:
        self.bus = bus
        self.nickname = nickname
        self.output = output
        self.demo = demo
        self.restore_timeout = restore_timeout
        self.plugin = bus.register_plugin("TerminalChat")
        self.ended = threading.Event()
        self.chatting = threading.Event()
        self.files_sent: list[tuple[int, str]] = []
        """(transcript lines then, name) of each file sent: WebChatService's transcript has
        no line for them."""
        self.prompt = TerminalPrompt(output)
        # No "error" event: each is the rejection of one of our commands, shown as such.
        for name, show in {
            "agentConnected": self._agent_connected,
            "agentDisconnected": self._agent_disconnected,
            "messageReceived": self._messages,
            "agentTypingStarted": lambda event: self._say(
                f"… {event.data.get('name') or 'the agent'} is typing"
            ),
            "disconnected": lambda event: self._say("! connection lost, reconnecting"),
            "reconnected": lambda event: self._say("! reconnected"),
            "ended": self._ended,
            "started": lambda event: self.chatting.set(),
            "restored": self._restored,
        }.items():
            self.plugin.subscribe(f"{SERVICE}.{name}", show)

    # Output -------------------------------------------------------------------

    def _say(self, line: str) -> None:
        self.prompt.say(line)

    def help_lines(self) -> Iterator[str]:
        """What each slash command does; the demo has nothing to restore."""
        yield from help_lines(
            {
                command: does
                for command, does in COMMANDS.items()
                if not (self.demo and command == "/restore")
            }
        )
        if self.demo:
            yield "  Ctrl-C       end the demo chat and quit (its emulator ends too)"
        else:
            yield f"  Ctrl-C       quit, leaving the chat open for /restore ({self._timeout})"

    @property
    def _timeout(self) -> str:
        return f"within {self.restore_timeout:g} s"

    def _agent_connected(self, event: Event) -> None:
        self._say(f"* {self._sender(event.data.get('message'), 'An agent')} joined the chat")

    def _agent_disconnected(self, event: Event) -> None:
        self._say(f"* {self._sender(event.data.get('message'), 'The agent')} left the chat")

    @staticmethod
    def _sender(message: Any, default: str) -> str:
        if isinstance(message, Mapping):
            sender = message.get("from")
            if isinstance(sender, Mapping) and sender.get("name"):
                return str(sender["name"])
        return default

    def _messages(self, event: Event) -> None:
        for message in event.data.get("messages", ()):
            if message.get("type") != "Message":
                continue
            sender = message.get("from", {})
            if sender.get("type") == "Client" and not event.data.get("restoring"):
                continue  # the guest's own line is on screen already
            stamp = time.strftime("%H:%M", time.localtime(epoch(message.get("timestamp"))))
            self._say(f"[{stamp}] {sender.get('name') or 'Agent'}: {message.get('text', '')}")

    def _restored(self, event: Event) -> None:
        self._say("* your last chat is back")
        self.chatting.set()

    def _ended(self, event: Event) -> None:
        self._say("* the chat has ended")
        self.ended.set()
        self.prompt.stop()

    # Commands -----------------------------------------------------------------

    def _command(self, name: str, data: Any = None) -> Any:
        return self.plugin.command(f"{SERVICE}.{name}", data).result(timeout=COMMAND_TIMEOUT)

    def start(self, restorable: bool) -> None:
        """Start a chat; when a chat left open is ``restorable``, offer ``/restore`` instead.

        Raises ``SubcommandError`` (status 1) when the chat does not start.
        """
        try:
            self.bus.load_plugin(SERVICE).result(timeout=COMMAND_TIMEOUT)
            if restorable:
                self._say("* Your last chat is still open: /restore picks it up, a message")
                self._say("  starts a new chat. /help lists the commands.")
                return
            self._say(f"Starting a chat as {self.nickname}. Type a message, or /help.")
            self._command("startChat", {"nickname": self.nickname})
        except CommandRejected as rejection:
            reason = describe(rejection.reason)
            raise SubcommandError(f"the chat did not start: {reason}", 1) from None
        except TimeoutError:
            raise SubcommandError(
                f"the chat did not start: the chat server did not answer in {COMMAND_TIMEOUT:g} s",
                1,
            ) from None

    def run(self) -> None:
        """Read the guest's lines until the chat ends, or the guest ends it (Ctrl-D, /end).

        Ctrl-C (KeyboardInterrupt) goes to the caller: see ``step_away``.
        """
        self._command("registerTypingPreviewInput", {"input": self.prompt.typing_input})
        for line in self.prompt.lines():
            if self.ended.is_set():
                break
            self.handle(line)
        self.end()

    def handle(self, line: str) -> None:
        """Send a message, or run a slash command."""
        if not line:
            return
        if not line.startswith("/"):
            if not self.chatting.is_set():
                self._say(f"Starting a chat as {self.nickname}.")
                if self._try("startChat", {"nickname": self.nickname}) is None:
                    return
            self._try("sendMessage", {"message": line})
            return
        word, _, rest = line.partition(" ")
        if word == "/end":
            self.end()
        elif word == "/restore":
            self._restore()
        elif word == "/transcript":
            messages = (self._try("getTranscript") or {}).get("messages", ())
            for sender, text in with_files(messages, self.files_sent, self.nickname):
                self._say(f"  {sender}: {text}")
        elif word == "/agents":
            for agent in self._try("getAgents") or ():
                state = "connected" if agent.get("connected") else "left"
                self._say(f"  {agent.get('name')} ({state})")
        elif word == "/stats":
            stats = self._try("getStats") or {}
            started = time.strftime(
                "%H:%M:%S", time.localtime((stats.get("startTime") or 0) / 1000)
            )
            self._say(f"  started {started}, {(stats.get('duration') or 0) // 1000} s so far")
        elif word == "/file":
            self._send_file(rest)
        elif word == "/help":
            for help_line in self.help_lines():
                self._say(help_line)
        else:
            self._say(f"! unknown command {word}; /help lists the commands")

    def _restore(self) -> None:
        if self.demo:
            self._say("! the demo has nothing to restore: its emulator starts afresh each time")
        else:
            self._try("restore")

    def _send_file(self, rest: str) -> None:
        try:
            paths = shlex.split(rest)
        except ValueError as error:
            self._say(f"! /file: {error}")
            return
        if len(paths) != 1:
            self._say("! /file needs one path (in quotes if it has spaces)")
        elif self._try("sendFile", {"files": Path(paths[0])}) is not None:
            lines = len((self._try("getTranscript") or {}).get("messages", ()))
            self.files_sent.append((lines, Path(paths[0]).name))
            self._say(f"* sent {paths[0]}")

    def _try(self, name: str, data: Any = None) -> Any:
        try:
            return self._command(name, data)
        except CommandRejected as rejection:
            self._say(f"! {describe(rejection.reason)}")
        except TimeoutError:
            self._say(f"! {name} got no answer in {COMMAND_TIMEOUT:g} s")
        return None

    def end(self) -> None:
        """End the chat (endChat) unless it has ended already."""
        if self.ended.is_set():
            return
        self.ended.set()
        with contextlib.suppress(CommandRejected, TimeoutError):
            self._command("endChat")
        self._say("* you left the chat")

    def step_away(self) -> None:
        """Ctrl-C: quit and leave the chat open to be restored; the demo's chat ends."""
        if self.ended.is_set():
            return
        if self.demo:
            self.end()
            self._say("* the demo's emulator ends with cxbus chat: there is nothing to restore")
            return
        self.ended.set()
        if self.chatting.is_set():
            self._say(
                f"* you stepped away; the chat stays open: run cxbus chat again {self._timeout}"
                " and /restore picks it up"
            )


def run(section: dict[str, Any] | None, nickname: str, gms: bool = False) -> int:
    """``cxbus chat``: chat with ``section``'s deployment, or the embedded emulator's agent
    (over its GMS chat service with ``gms``)."""
    with contextlib.ExitStack() as stack:
        section, demo = chat_section(
            stack,
            section,
            lambda emulator: emulator.gms_config() if gms else emulator.webchat_config(),
            "No deployment configured: chatting over GMS with the demo agent"
            if gms
            else "No Genesys Cloud deployment configured: chatting with the demo agent",
        )
        config = parse_config(section)
        restore_timeout = restore_seconds(config, parse_gms(section))
        stored = str(Path(section.get("sessionFile") or SESSION_FILE).expanduser())
        # The guest chooses: /restore picks a chat left open up, a message starts anew.
        webchat = {**section, "sessionFile": stored, "autoRestore": False}
        bus = stack.enter_context(Bus(config={"webchat": webchat}))
        chat = TerminalChat(
            bus,
            nickname,
            sys.stdout,
            demo=demo,
            restore_timeout=restore_timeout,
        )
        try:
            chat.start(restorable=_restorable(stored, restore_timeout))
            chat.run()
        except KeyboardInterrupt:
            chat.step_away()
    return 0


def _restorable(session_file: str, restore_timeout: float) -> bool:
    """Whether the session file holds a chat young enough for ``restore`` to pick up."""
    try:
        stored = FileSessionStore(session_file).load()
    except ValueError:  # unreadable: restore will say so, and discard it
        return True
    return stored is not None and time.time() - stored.saved_at <= restore_timeout
