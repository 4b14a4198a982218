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
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from cxbus import Bus, Event
from cxbus.cli import require_extra
from cxbus.cli.chat import CHAT_EXTRA
from cxbus.cli.terminal import COMMAND_TIMEOUT, ServiceChat, chat_section, help_lines

from .guest_api import parse_message
from .guest_api.messages import Attachment, Card, Carousel, QuickReply, StructuredMessage
from .session_store import FileSessionStore

__all__ = ["MessagingTerminalChat", "run"]

SERVICE = "MessagingService"
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


class MessagingTerminalChat(ServiceChat):
    """One Web Messaging conversation in the terminal. ``demo``: on the embedded emulator."""

    def __init__(self, bus: Bus, output: TextIO, *, demo: bool = False) -> None:
        self.demo = demo
        self.choices: list[tuple[str, str, str]] = []
        """The choices shown last: (sendMessage type, label, payload)."""
        self._upload_done = threading.Event()  # one /file at a time: the next outcome is its
        self._upload_failure: str | None = None
        self._lock = threading.Lock()
        super().__init__(
            bus,
            "MessagingTerminalChat",
            SERVICE,
            output,
            {
                "messagesReceived": self._messages,
                "restored": self._restored,
                "typingReceived": lambda event: self.say("… typing"),
                "offline": lambda event: self.say("! connection lost, reconnecting"),
                "reconnected": lambda event: self.say("! reconnected"),
                "conversationDisconnected": self._disconnected,
                "conversationCleared": lambda event: self.say("* the conversation was cleared"),
                "sessionExpired": lambda event: self.say("* the session expired"),
                "fileUploaded": self._uploaded,
                "fileUploadError": self._upload_failed,
                "error": self._error,
            },
        )

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
            self.say("* your conversation so far:")
        for raw in messages:
            message = parse_message(raw)
            if message.type in ("Text", "Structured"):
                self._show(raw, message, restoring=True)

    def _disconnected(self, event: Event) -> None:
        if event.data.get("readOnly"):
            self.say("* the agent ended the conversation: /reset starts a new one")
        else:
            self.say("* the agent left the conversation")

    def _uploaded(self, event: Event) -> None:
        self._upload_done.set()

    def _upload_failed(self, event: Event) -> None:
        self._upload_failure = str(event.data.get("errorMessage") or "the upload failed")
        self._upload_done.set()

    def _error(self, event: Event) -> None:
        error = event.data.get("error") or {}
        body = error.get("body")
        text = body.get("errorMessage") if isinstance(body, Mapping) else body
        self.say(f"! {text or error.get('class') or 'an error'}")

    # What the guest does ----------------------------------------------------------------

    def start(self, resuming: bool) -> None:
        """Load MessagingService; a stored conversation is resumed, else one is started.

        Raises ``SubcommandError`` (status 1) when it cannot be.
        """

        def begin() -> None:
            if resuming:
                self.say("* picking up your conversation. /help lists the commands.")
                return
            self.say("Starting a conversation. Type a message, or /help.")
            self.command("startConversation")

        self.load_service(begin, "the conversation did not start")

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
            if self.attempt("sendMessage", {"type": kind, "postback": postback})[0]:
                self.say(f"  (you chose {label})")
            return
        if not line.startswith("/"):
            self.attempt("sendMessage", {"message": line})
            return
        word, _, rest = line.partition(" ")
        if word == "/file":
            self._send_file(rest)
        elif word == "/history":
            _, page = self.attempt("fetchHistory")
            if isinstance(page, Mapping):
                for raw in reversed(page.get("messages", [])):
                    self._show(raw, parse_message(raw), restoring=True)
            elif page is not None:
                self.say(f"* {page}")
        elif word == "/reset":
            if self.attempt("resetConversation")[0]:
                self.say("* a new conversation has started")
        elif word == "/clear":
            self.attempt("clearConversation")
        elif word == "/new":
            if self.attempt("clearSession")[0]:
                self.say("* forgotten here: the next message starts a new conversation")
        elif word == "/help":
            for help_line in self.help_lines():
                self.say(help_line)
        else:
            self.unknown(word)

    def _send_file(self, rest: str) -> None:
        path = self.file_argument(rest)
        if path is None:
            return
        self._upload_done.clear()
        self._upload_failure = None
        if not self.attempt("requestUpload", {"file": Path(path)})[0]:
            return
        if not self._upload_done.wait(COMMAND_TIMEOUT):
            self.say(f"! the upload got no answer in {COMMAND_TIMEOUT:g} s")
        elif self._upload_failure is not None:
            self.say(f"! {path} was not sent: {self._upload_failure}")
        elif self.attempt("sendMessage", {"message": ""})[0]:
            self.say(f"* sent {path}")

    def leave(self) -> None:
        if self.demo:
            self.say("* the demo's emulator ends with cxbus chat, and its conversation too")
        else:
            self.say(
                "* you left; the conversation stays open: cxbus chat --channel messaging "
                "picks it up"
            )


def run(section: dict[str, Any] | None) -> int:
    """``cxbus chat --channel messaging``: talk with ``section``'s deployment, or the demo bot."""
    with contextlib.ExitStack() as stack:
        section, demo = chat_section(stack, section, _demo)
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


def _demo(stack: contextlib.ExitStack[Any]) -> tuple[dict[str, Any], str]:
    """The demo: the embedded emulator in ``stack``, and its Web Messaging section."""
    require_extra(CHAT_EXTRA, "aiohttp", "jwt")
    from cxbus_emulator import Emulator

    emulator = stack.enter_context(Emulator())
    return emulator.messaging_config(), (
        "No Messenger deployment configured: talking with the demo bot "
        f"of the embedded emulator at {emulator.data_url}"
    )


def _resumable(session_file: Path, deployment_id: str) -> bool:
    """Whether the session file holds a session of this deployment (resumed on load)."""
    if not os.path.exists(session_file):
        return False
    try:
        stored = FileSessionStore(session_file).load()
    except ValueError:
        return False
    return stored is not None and stored.deployment_id == deployment_id
