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
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from cxbus import Bus, CommandRejected, Event
from cxbus.cli import require_extra
from cxbus.cli.chat import CHAT_EXTRA
from cxbus.cli.terminal import ServiceChat, TypingPreviewInput, chat_section, help_lines

from .config import parse_config, parse_gms, restore_seconds
from .session_store import FileSessionStore
from .terminal_text import describe, epoch, with_files

__all__ = ["TerminalChat", "TypingPreviewInput", "run"]

SERVICE = "WebChatService"
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


class TerminalChat(ServiceChat):
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
        self.nickname = nickname
        self.output = output
        self.demo = demo
        self.restore_timeout = restore_timeout
        self.ended = threading.Event()
        self.chatting = threading.Event()
        self.files_sent: list[tuple[int, str]] = []
        """(transcript lines then, name) of each file sent: WebChatService's transcript has
        no line for them."""
        # No "error" event: each is the rejection of one of our commands, shown as such.
        super().__init__(
            bus,
            "TerminalChat",
            SERVICE,
            output,
            {
                "agentConnected": self._agent_connected,
                "agentDisconnected": self._agent_disconnected,
                "messageReceived": self._messages,
                "agentTypingStarted": lambda event: self.say(
                    f"… {event.data.get('name') or 'the agent'} is typing"
                ),
                "disconnected": lambda event: self.say("! connection lost, reconnecting"),
                "reconnected": lambda event: self.say("! reconnected"),
                "ended": self._ended,
                "started": lambda event: self.chatting.set(),
                "restored": self._restored,
            },
        )

    # Output -------------------------------------------------------------------

    def describe(self, reason: Any) -> str:
        return describe(reason)

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
        self.say(f"* {self._sender(event.data.get('message'), 'An agent')} joined the chat")

    def _agent_disconnected(self, event: Event) -> None:
        self.say(f"* {self._sender(event.data.get('message'), 'The agent')} left the chat")

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
            self.say(f"[{stamp}] {sender.get('name') or 'Agent'}: {message.get('text', '')}")

    def _restored(self, event: Event) -> None:
        self.say("* your last chat is back")
        self.chatting.set()

    def _ended(self, event: Event) -> None:
        self.say("* the chat has ended")
        self.ended.set()
        self.prompt.stop()

    # Commands -----------------------------------------------------------------

    def start(self, restorable: bool) -> None:
        """Start a chat; when a chat left open is ``restorable``, offer ``/restore`` instead.

        Raises ``SubcommandError`` (status 1) when the chat does not start.
        """

        def begin() -> None:
            if restorable:
                self.say("* Your last chat is still open: /restore picks it up, a message")
                self.say("  starts a new chat. /help lists the commands.")
                return
            self.say(f"Starting a chat as {self.nickname}. Type a message, or /help.")
            self.command("startChat", {"nickname": self.nickname})

        self.load_service(begin, "the chat did not start", "the chat server did not answer")

    def run(self) -> None:
        """Read the guest's lines until the chat ends, or the guest ends it (Ctrl-D, /end).

        Ctrl-C (KeyboardInterrupt) goes to the caller: see ``step_away``.
        """
        self.command("registerTypingPreviewInput", {"input": self.prompt.typing_input})
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
                self.say(f"Starting a chat as {self.nickname}.")
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
                self.say(f"  {sender}: {text}")
        elif word == "/agents":
            for agent in self._try("getAgents") or ():
                state = "connected" if agent.get("connected") else "left"
                self.say(f"  {agent.get('name')} ({state})")
        elif word == "/stats":
            stats = self._try("getStats") or {}
            started = time.strftime(
                "%H:%M:%S", time.localtime((stats.get("startTime") or 0) / 1000)
            )
            self.say(f"  started {started}, {(stats.get('duration') or 0) // 1000} s so far")
        elif word == "/file":
            self._send_file(rest)
        elif word == "/help":
            for help_line in self.help_lines():
                self.say(help_line)
        else:
            self.unknown(word)

    def _restore(self) -> None:
        if self.demo:
            self.say("! the demo has nothing to restore: its emulator starts afresh each time")
        else:
            self._try("restore")

    def _send_file(self, rest: str) -> None:
        path = self.file_argument(rest)
        if path is not None and self._try("sendFile", {"files": Path(path)}) is not None:
            lines = len((self._try("getTranscript") or {}).get("messages", ()))
            self.files_sent.append((lines, Path(path).name))
            self.say(f"* sent {path}")

    def _try(self, name: str, data: Any = None) -> Any:
        """Run a command: its value, or ``None`` when it is refused (which is shown)."""
        return self.attempt(name, data)[1]

    def end(self) -> None:
        """End the chat (endChat) unless it has ended already."""
        if self.ended.is_set():
            return
        self.ended.set()
        with contextlib.suppress(CommandRejected, TimeoutError):
            self.command("endChat")
        self.say("* you left the chat")

    def step_away(self) -> None:
        """Ctrl-C: quit and leave the chat open to be restored; the demo's chat ends."""
        if self.ended.is_set():
            return
        if self.demo:
            self.end()
            self.say("* the demo's emulator ends with cxbus chat: there is nothing to restore")
            return
        self.ended.set()
        if self.chatting.is_set():
            self.say(
                f"* you stepped away; the chat stays open: run cxbus chat again {self._timeout}"
                " and /restore picks it up"
            )


def run(section: dict[str, Any] | None, nickname: str, gms: bool = False) -> int:
    """``cxbus chat``: chat with ``section``'s deployment, or the embedded emulator's agent
    (over its GMS chat service with ``gms``)."""
    with contextlib.ExitStack() as stack:
        section, demo = chat_section(stack, section, lambda stack: _demo(stack, gms))
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


def _demo(stack: contextlib.ExitStack[Any], gms: bool) -> tuple[dict[str, Any], str]:
    """The demo: the embedded emulator in ``stack``, and its web chat (or GMS) section."""
    require_extra(CHAT_EXTRA, "aiohttp", "jwt")
    from cxbus_emulator import Emulator

    emulator = stack.enter_context(Emulator())
    if gms:
        intro = "No deployment configured: chatting over GMS with the demo agent"
        section = emulator.gms_config()
    else:
        intro = "No Genesys Cloud deployment configured: chatting with the demo agent"
        section = emulator.webchat_config()
    return section, f"{intro} of the embedded emulator at {emulator.data_url}"
