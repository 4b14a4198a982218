"""The terminal chat of ``cxbus chat``: a guest's web chat in a terminal, over the bus.

It is a plugin like any other (``TerminalChat``): it drives WebChatService with bus
commands and shows its events. prompt_toolkit owns the input line; lines printed
while the guest types appear above it, so nothing garbles what is being typed.
The input line is WebChatService's typing preview input: typing in it sends
typing notifications to the agent.
"""

from __future__ import annotations

import contextlib
import shlex
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.patch_stdout import patch_stdout

from cxbus import Bus, CommandRejected, Event

__all__ = ["TerminalChat", "run"]

SERVICE = "WebChatService"
HELP = "/transcript  /agents  /stats  /file PATH  /restore  /end  /help"
START_TIMEOUT = 30.0
COMMAND_TIMEOUT = 30.0
# cxbus chat keeps its chat here (unless the configuration names a sessionFile), so
# that a chat stopped mid-way can be picked up with /restore.
SESSION_FILE = Path("~/.cxbus/webchat-session.json")


class TypingPreviewInput:
    """The input line as WebChatService's typing preview input: it reports text changes."""

    def __init__(self, buffer: Buffer) -> None:
        self._buffer = buffer

    def on_text_changed(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(text)`` whenever the guest edits the input line."""
        self._buffer.on_text_changed += lambda buffer: callback(buffer.text)


def describe(reason: Any) -> str:
    """One line for a rejection reason: a sentence, an error body or an exception."""
    if isinstance(reason, Mapping):
        return str(reason.get("message") or reason.get("reason") or reason)
    return str(reason)


class TerminalChat:
    """One chat in the terminal: start, talk, slash commands, end."""

    def __init__(self, bus: Bus, nickname: str, output: TextIO) -> None:
        self.bus = bus
        self.nickname = nickname
        self.output = output
        self.plugin = bus.register_plugin("TerminalChat")
        self.ended = threading.Event()
        self.chatting = threading.Event()
        self._session: PromptSession[str] | None = None
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
            "error": lambda event: self._say(f"! {describe(event.data)}"),
        }.items():
            self.plugin.subscribe(f"{SERVICE}.{name}", show)

    # Output -------------------------------------------------------------------

    def _say(self, line: str) -> None:
        print(line, file=self.output, flush=True)

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
            stamp = time.strftime("%H:%M", time.localtime(_epoch(message.get("timestamp"))))
            self._say(f"[{stamp}] {sender.get('name') or 'Agent'}: {message.get('text', '')}")

    def _restored(self, event: Event) -> None:
        self._say("* your last chat is back")
        self.chatting.set()

    def _ended(self, event: Event) -> None:
        self._say("* the chat has ended")
        self.ended.set()
        session = self._session
        if session is not None and session.app.is_running:
            loop = session.app.loop
            if loop is not None:
                loop.call_soon_threadsafe(lambda: session.app.exit(exception=EOFError))

    # Commands -----------------------------------------------------------------

    def _command(self, name: str, data: Any = None) -> Any:
        return self.plugin.command(f"{SERVICE}.{name}", data).result(timeout=COMMAND_TIMEOUT)

    def start(self, stored: bool) -> None:
        """Start a chat; when a chat is ``stored``, offer ``/restore`` and wait for the guest.

        Raises ``CommandRejected`` when the server refuses.
        """
        self.bus.load_plugin(SERVICE).result(timeout=COMMAND_TIMEOUT)
        if stored:
            self._say("* Your last chat was not ended: /restore picks it up, a message starts")
            self._say(f"  a new chat. {HELP}")
            return
        self._say(f"Starting a chat as {self.nickname}. Type a message, or {HELP}")
        self._command("startChat", {"nickname": self.nickname})

    def run(self) -> None:
        """Read the guest's lines until the chat ends or the guest leaves."""
        session: PromptSession[str] = PromptSession()
        self._session = session
        self._command(
            "registerTypingPreviewInput", {"input": TypingPreviewInput(session.default_buffer)}
        )
        with patch_stdout(raw=True):
            while not self.ended.is_set():
                try:
                    line = session.prompt("you> ")
                except (EOFError, KeyboardInterrupt):
                    break
                self.handle(line.strip())
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
            self._try("restore")
        elif word == "/transcript":
            for message in (self._try("getTranscript") or {}).get("messages", ()):
                sender = message.get("from", {}).get("name") or "?"
                self._say(f"  {sender}: {message.get('text', '')}")
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
            paths = shlex.split(rest)
            if len(paths) != 1:
                self._say("! /file needs one path")
            elif self._try("sendFile", {"files": Path(paths[0])}) is not None:
                self._say(f"* sent {paths[0]}")
        elif word == "/help":
            self._say(HELP)
        else:
            self._say(f"! unknown command {word}; {HELP}")

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


def _epoch(timestamp: Any) -> float:
    """Seconds since the epoch from an ISO-8601 string or a number; now when unknown."""
    from datetime import datetime

    if isinstance(timestamp, (int, float)):
        return timestamp / 1000 if timestamp > 1e11 else float(timestamp)
    if isinstance(timestamp, str):
        try:
            return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    return time.time()


def run(section: dict[str, Any] | None, nickname: str) -> int:
    """``cxbus chat``: chat with ``section``'s deployment, or the embedded emulator's agent."""
    from cxbus_emulator import Emulator

    with contextlib.ExitStack() as stack:
        if section is None:
            emulator = stack.enter_context(Emulator())
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            section = {**emulator.webchat_config(), "sessionFile": str(scratch / "session.json")}
            print(
                "No Genesys Cloud deployment configured: chatting with the demo agent "
                f"of the embedded emulator at {emulator.data_url}",
                flush=True,
            )
        stored = Path(section.get("sessionFile") or SESSION_FILE).expanduser()
        # The guest chooses: /restore picks the stored chat up, a message starts anew.
        webchat = {**section, "sessionFile": str(stored), "autoRestore": False}
        bus = stack.enter_context(Bus(config={"webchat": webchat}))
        chat = TerminalChat(bus, nickname, sys.stdout)
        try:
            chat.start(stored=stored.exists())
        except CommandRejected as rejection:
            print(
                f"cxbus chat: the chat did not start: {describe(rejection.reason)}", file=sys.stderr
            )
            return 1
        except TimeoutError:
            print("cxbus chat: the chat server did not answer in time", file=sys.stderr)
            return 1
        chat.run()
    return 0
