"""The Web Messaging terminal chat of ``cxbus chat --channel messaging``, over the bus.

A plugin like any other (``MessagingTerminalChat``): it drives MessagingService with
bus commands and shows its events, on ``cxbus.cli.terminal``'s prompt (shared with the
web chat's terminal chat): the main thread reads the guest's lines and runs their
commands, MessagingService's events lane prints what comes, above the prompt.

What it shows (ours): the agent's lines with their time; quick replies and card
buttons as numbered choices, picked by typing the number; files by name; typing,
the connection going and coming back, the agent's leaving. ``/file PATH`` uploads a
file and sends it. Typing a message (not a slash command) sends typing indicators.

Leaving (ours): a Web Messaging conversation has no end the guest can give it, so
``/quit``, Ctrl-D and Ctrl-C all leave it open, kept in the session file: ``cxbus chat
--channel messaging`` started again resumes it with its history. ``/new`` forgets it
here. The demo's emulator ends with the process, and its conversation with it.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from cxbus import Bus, CommandRejected, Event
from cxbus.cli import SubcommandError
from cxbus.cli.terminal import TerminalPrompt, chat_section, help_lines

from .guest_api import parse_message
from .guest_api.messages import Attachment, Card, Carousel, QuickReply, StructuredMessage
from .session_store import FileSessionStore

__all__ = ["MessagingTerminalChat", "run"]

SERVICE = "MessagingService"
COMMAND_TIMEOUT = 30.0
# cxbus chat keeps its session here (unless the configuration names a sessionFile), so
# that a conversation left open is resumed next time.
SESSION_FILE = Path("~/.cxbus/messaging-session.json")
COMMANDS = {
    "/file PATH": "upload a file and send it to the agent",
    "/history": "show older messages",
    "/reset": "start a new conversation once the agent has ended this one",
    "/clear": "clear the conversation on the server, if the deployment allows it",
    "/new": "forget this conversation here; the next message starts a new one",
    "/quit": "quit, leaving the conversation open (Ctrl-D and Ctrl-C too)",
    "/help": "show this list",
}


def _clock(message: Mapping[str, Any]) -> str:
    """The message's time as HH:MM, local."""
    parsed = parse_message(message)
    stamp = parsed.channel.timestamp
    return time.strftime("%H:%M", time.localtime(stamp.timestamp() if stamp else time.time()))


def _sender(message: StructuredMessage) -> str:
    sender = message.channel.sender
    name = sender.display_name if sender is not None else None
    if name:
        return name
    return "Bot" if message.originating_entity == "Bot" else "Agent"


class MessagingTerminalChat:
    """One Web Messaging conversation in the terminal. ``demo``: on the embedded emulator."""

    def __init__(self, bus: Bus, output: TextIO, *, demo: bool = False) -> None:
        self.bus = bus
        self.demo = demo
        self.prompt = TerminalPrompt(output)
        self.plugin = bus.register_plugin("MessagingTerminalChat")
        self.choices: list[tuple[str, str, str]] = []
        """The choices shown last: (sendMessage type, label, payload)."""
        self._upload_done = threading.Event()  # one /file at a time: the next outcome is its
        self._upload_failure: str | None = None
        self._lock = threading.Lock()
        for name, show in {
            "messagesReceived": self._messages,
            "restored": self._restored,
            "typingReceived": lambda event: self.prompt.say("… typing"),
            "offline": lambda event: self.prompt.say("! connection lost, reconnecting"),
            "reconnected": lambda event: self.prompt.say("! reconnected"),
            "conversationDisconnected": self._disconnected,
            "conversationCleared": lambda event: self.prompt.say("* the conversation was cleared"),
            "sessionExpired": lambda event: self.prompt.say("* the session expired"),
            "fileUploaded": self._uploaded,
            "fileUploadError": self._upload_failed,
            "error": self._error,
        }.items():
            self.plugin.subscribe(f"{SERVICE}.{name}", show)

    # What comes ------------------------------------------------------------------------

    def _messages(self, event: Event) -> None:
        for raw in event.data.get("messages", ()):
            message = parse_message(raw)
            if not message.inbound and message.type in ("Text", "Structured"):
                self._show(raw, message)

    def _show(
        self, raw: Mapping[str, Any], message: StructuredMessage, restoring: bool = False
    ) -> None:
        say = self.prompt.say
        who = "you" if message.inbound else _sender(message)
        if message.text:
            say(f"[{_clock(raw)}] {who}: {message.text}")
        choices: list[tuple[str, str, str]] = []
        for content in message.content:
            if isinstance(content, QuickReply) and content.text:
                choices.append(("quickReply", content.text, content.payload or content.text))
            elif isinstance(content, (Card, Carousel)):
                for card in content.cards if isinstance(content, Carousel) else (content,):
                    say(f"  [card] {card.title or ''}: {card.description or ''}".rstrip(": "))
                    for action in card.actions:
                        if action.type == "Link":
                            say(f"    {action.text}: {action.url}")
                        elif action.text:
                            choices.append(("card", action.text, action.payload or action.text))
            elif isinstance(content, Attachment):
                say(f"  [file] {content.filename or content.id}")
        if choices and not restoring:
            with self._lock:
                self.choices = choices
            say("  " + "  ".join(f"{n}) {label}" for n, (_, label, _) in enumerate(choices, 1)))
            say("  (type a number to choose)")

    def _restored(self, event: Event) -> None:
        messages = list(reversed(event.data.get("messages", [])))  # newest first: turned
        if messages:
            self.prompt.say("* your conversation so far:")
        for raw in messages:
            message = parse_message(raw)
            if message.type in ("Text", "Structured"):
                self._show(raw, message, restoring=True)

    def _disconnected(self, event: Event) -> None:
        if event.data.get("readOnly"):
            self.prompt.say("* the agent ended the conversation: /reset starts a new one")
        else:
            self.prompt.say("* the agent left the conversation")

    def _uploaded(self, event: Event) -> None:
        self._upload_done.set()

    def _upload_failed(self, event: Event) -> None:
        self._upload_failure = str(event.data.get("errorMessage") or "the upload failed")
        self._upload_done.set()

    def _error(self, event: Event) -> None:
        error = event.data.get("error") or {}
        body = error.get("body")
        text = body.get("errorMessage") if isinstance(body, Mapping) else body
        self.prompt.say(f"! {text or error.get('class') or 'an error'}")

    # What the guest does ----------------------------------------------------------------

    def _command(self, name: str, data: Any = None) -> Any:
        return self.plugin.command(f"{SERVICE}.{name}", data).result(timeout=COMMAND_TIMEOUT)

    def _try(self, name: str, data: Any = None) -> tuple[bool, Any]:
        """Run a command: whether it resolved, and its value; a rejection is shown."""
        try:
            return True, self._command(name, data)
        except CommandRejected as rejection:
            self.prompt.say(f"! {rejection.reason}")
        except TimeoutError:
            self.prompt.say(f"! {name} got no answer in {COMMAND_TIMEOUT:g} s")
        return False, None

    def start(self, resuming: bool) -> None:
        """Load MessagingService; a stored conversation is resumed, else one is started.

        Raises ``SubcommandError`` (status 1) when it cannot be.
        """
        try:
            self.bus.load_plugin(SERVICE).result(timeout=COMMAND_TIMEOUT)
            if resuming:
                self.prompt.say("* picking up your conversation. /help lists the commands.")
                return
            self.prompt.say("Starting a conversation. Type a message, or /help.")
            self._command("startConversation")
        except CommandRejected as rejection:
            raise SubcommandError(
                f"the conversation did not start: {rejection.reason}", 1
            ) from None
        except TimeoutError:
            raise SubcommandError(
                f"the conversation did not start: no answer in {COMMAND_TIMEOUT:g} s", 1
            ) from None

    def run(self) -> None:
        """Read the guest's lines until /quit or Ctrl-D (Ctrl-C goes to the caller)."""

        def typing(text: str) -> None:
            if text:
                self.plugin.command(f"{SERVICE}.sendTyping")  # throttled by the service

        self.prompt.typing_input.on_text_changed(typing)
        for line in self.prompt.lines():
            if line in ("/quit", "/exit"):
                break
            self.handle(line)
        self.leave()

    def help_lines(self) -> Iterator[str]:
        yield from help_lines(COMMANDS)
        yield "  a number     pick one of the choices shown last"

    def handle(self, line: str) -> None:
        """Send a message, pick a choice, or run a slash command."""
        if not line:
            return
        with self._lock:
            choices = self.choices
        if line.isdecimal() and 1 <= int(line) <= len(choices):
            kind, label, payload = choices[int(line) - 1]
            postback = {"text": label, "payload": payload}
            if self._try("sendMessage", {"type": kind, "postback": postback})[0]:
                self.prompt.say(f"  (you chose {label})")
            return
        if not line.startswith("/"):
            self._try("sendMessage", {"message": line})
            return
        word, _, rest = line.partition(" ")
        if word == "/file":
            self._send_file(rest)
        elif word == "/history":
            _, page = self._try("fetchHistory")
            if isinstance(page, Mapping):
                for raw in reversed(page.get("messages", [])):
                    self._show(raw, parse_message(raw), restoring=True)
            elif page is not None:
                self.prompt.say(f"* {page}")
        elif word == "/reset":
            if self._try("resetConversation")[0]:
                self.prompt.say("* a new conversation has started")
        elif word == "/clear":
            self._try("clearConversation")
        elif word == "/new":
            if self._try("clearSession")[0]:
                self.prompt.say("* forgotten here: the next message starts a new conversation")
        elif word == "/help":
            for help_line in self.help_lines():
                self.prompt.say(help_line)
        else:
            self.prompt.say(f"! unknown command {word}; /help lists the commands")

    def _send_file(self, rest: str) -> None:
        try:
            paths = shlex.split(rest)
        except ValueError as error:
            self.prompt.say(f"! /file: {error}")
            return
        if len(paths) != 1:
            self.prompt.say("! /file needs one path (in quotes if it has spaces)")
            return
        self._upload_done.clear()
        self._upload_failure = None
        if not self._try("requestUpload", {"file": Path(paths[0])})[0]:
            return
        if not self._upload_done.wait(COMMAND_TIMEOUT):
            self.prompt.say(f"! the upload got no answer in {COMMAND_TIMEOUT:g} s")
        elif self._upload_failure is not None:
            self.prompt.say(f"! {paths[0]} was not sent: {self._upload_failure}")
        elif self._try("sendMessage", {"message": ""})[0]:
            self.prompt.say(f"* sent {paths[0]}")

    def leave(self) -> None:
        if self.demo:
            self.prompt.say("* the demo's emulator ends with cxbus chat, and its conversation too")
        else:
            self.prompt.say(
                "* you left; the conversation stays open: cxbus chat --channel messaging "
                "picks it up"
            )


def run(section: dict[str, Any] | None) -> int:
    """``cxbus chat --channel messaging``: talk with ``section``'s deployment, or the demo bot."""
    with contextlib.ExitStack() as stack:
        section, demo = chat_section(
            stack,
            section,
            lambda emulator: emulator.messaging_config(),
            "No Messenger deployment configured: talking with the demo bot",
        )
        stored = Path(section.get("sessionFile") or SESSION_FILE).expanduser()
        resuming = _resumable(stored, str(section.get("deploymentId")))
        bus = stack.enter_context(
            Bus(config={"messaging": {**section, "sessionFile": str(stored)}})
        )
        chat = MessagingTerminalChat(bus, sys.stdout, demo=demo)
        try:
            chat.start(resuming)
            chat.run()
        except KeyboardInterrupt:
            chat.leave()
    return 0


def _resumable(session_file: Path, deployment_id: str) -> bool:
    """Whether the session file holds a session of this deployment (resumed on load)."""
    if not os.path.exists(session_file):
        return False
    try:
        stored = FileSessionStore(session_file).load()
    except ValueError:
        return False
    return stored is not None and stored.deployment_id == deployment_id
