"""What each channel's service is asked, for each thing a conversation does.

``MessagingChannel`` drives MessagingService (Web Messaging); ``WebChatChannel``
drives WebChatService (the guest chat API, or GMS). Each turns an operation into the
service's commands and returns a ``Deferred`` of the outcome, without blocking; the
events the conversation reads are theirs too (``events``, ``reader``):

- start: Web Messaging ``Database.set`` (the custom attributes), ``startConversation``;
  web chat ``startChat`` (the nickname, and the attributes as ``userData``);
- say: ``sendMessage``, on both;
- choose: Web Messaging the quick reply's or the card button's postback; web chat the
  label as text (guest chat and GMS carry no quick replies);
- send a file: Web Messaging ``requestUpload``, its ``fileUploaded``, then a
  ``sendMessage`` that carries it; web chat ``sendFile``;
- end: Web Messaging ``clearConversation`` where the deployment allows it, else
  ``clearSession``; web chat ``endChat``.

A guest cannot disconnect a Web Messaging conversation: clearing it is as far as a
guest goes (the agent's side is told to wrap it up). Where the deployment does not
allow clearing, the session is closed and forgotten here, and the conversation stays
open on the platform until its flow or an agent ends it: a warning says so, once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from cxbus import Deferred, Event, Plugin
from cxbus.runtime.machine_service import MachineService
from cxbus_messaging import MessagingService
from cxbus_webchat import WebChatService

from .errors import NotOffered, reason_text
from .message import Attachment, Message
from .options import Options
from .web_chat import EVENTS as WEB_CHAT_EVENTS
from .web_chat import WebChatReader
from .web_messaging import EVENTS as MESSAGING_EVENTS
from .web_messaging import MessagingReader

__all__ = ["Channel", "MessagingChannel", "Reader", "WebChatChannel", "channel_for"]

log = logging.getLogger("cxbus.conversations")

# MessagingService's sentence when the deployment does not let the guest clear.
CLEAR_OFF = "Please check your conversation clear option is enabled in your configuration."
# WebChatService's sentence when there is no chat to end (it ended already).
NO_CHAT = "There is no active chat session."


class Reader(Protocol):
    def read(self, event: Event) -> list[Message]: ...


class Channel(Protocol):
    """One channel's commands and events (see the module docstring)."""

    @property
    def events(self) -> tuple[str, ...]: ...

    def reader(self) -> Reader: ...

    def start(self, plugin: Plugin) -> Deferred: ...

    def conversation_id(self, started: Any) -> str | None:
        """The conversation's id on the server, from ``start``'s outcome, when the guest
        is told it."""
        ...

    def say(self, plugin: Plugin, text: str) -> Deferred: ...

    def choose(self, plugin: Plugin, label: str, received: Sequence[Message]) -> Deferred: ...

    def send_file(self, plugin: Plugin, path: Path, text: str) -> Deferred:
        """Resolves with the message that tells of the file, when no event will."""
        ...

    def end(self, plugin: Plugin, active: bool) -> Deferred:
        """End what the guest can end (``active``: the conversation is on); never rejects."""
        ...


def channel_for(options: Options) -> Channel:
    if options.channel == "messaging":
        return MessagingChannel(options)
    return WebChatChannel(options)


def _settled(deferred: Deferred, fallback: Callable[[Any], Any]) -> Deferred:
    """``deferred``, with a rejection handed to ``fallback`` (whose value resolves it)."""
    return deferred.then(None, fallback)


def _delivered(service: MachineService | None) -> Deferred | None:
    """Once the events the service published so far have reached their subscribers: a
    command is answered on a pool of its own, so its answer may come before the events
    it caused (the server's end of the chat among them)."""
    return service.settled() if service is not None else None


class MessagingChannel:
    """Web Messaging, through MessagingService."""

    events = MESSAGING_EVENTS

    def __init__(self, options: Options) -> None:
        self.options = options

    def reader(self) -> Reader:
        return MessagingReader()

    def start(self, plugin: Plugin) -> Deferred:
        attributes = dict(self.options.attributes)
        if not attributes:
            return plugin.command("MessagingService.startConversation")
        kept = plugin.command("Database.set", {"messaging": {"customAttributes": attributes}})
        return kept.then(lambda _: plugin.command("MessagingService.startConversation"))

    def conversation_id(self, started: Any) -> str | None:
        return None  # Web Messaging tells the guest no conversation id

    def say(self, plugin: Plugin, text: str) -> Deferred:
        return plugin.command("MessagingService.sendMessage", {"message": text})

    def choose(self, plugin: Plugin, label: str, received: Sequence[Message]) -> Deferred:
        for message in reversed(received):
            if message.sender not in ("bot", "agent"):
                continue
            for reply in message.quick_replies:
                if reply.label == label:
                    postback = {"text": label, "payload": reply.payload or label}
                    return self._postback(plugin, "quickReply", postback)
            for button in message.buttons:
                if button.label == label and not button.is_link:
                    postback = {"text": label, "payload": button.payload or label}
                    return self._postback(plugin, "card", postback)
        offered = dict.fromkeys(
            choice
            for message in received
            if message.sender in ("bot", "agent")
            for choice in message.choices
        )
        raise NotOffered(label, tuple(offered))

    def _postback(self, plugin: Plugin, kind: str, postback: dict[str, str]) -> Deferred:
        return plugin.command("MessagingService.sendMessage", {"type": kind, "postback": postback})

    def send_file(self, plugin: Plugin, path: Path, text: str) -> Deferred:
        uploaded = Deferred()

        def failed(event: Event) -> None:
            error = event.data.get("errorMessage") or event.data.get("errorCode")
            uploaded.reject(f"the file was refused: {error}")

        watching = [
            plugin.subscribe("MessagingService.fileUploaded", lambda event: uploaded.resolve()),
            plugin.subscribe("MessagingService.fileUploadError", failed),
        ]

        def stop_watching(_: Any) -> None:
            for watch in watching:
                plugin.unsubscribe(watch)

        uploaded.always(stop_watching)
        asked = plugin.command("MessagingService.requestUpload", {"file": str(path)})
        asked.fail(uploaded.reject)
        message = {"message": text}
        # The message (with the file) is told by its echo, in messagesReceived.
        return uploaded.then(
            lambda _: plugin.command("MessagingService.sendMessage", message).then(lambda _: None)
        )

    def end(self, plugin: Plugin, active: bool) -> Deferred:
        def close_session(reason: Any) -> Deferred:
            if reason == CLEAR_OFF and not _told_clear_off.is_set():
                _told_clear_off.set()
                log.warning(
                    "This Web Messaging deployment does not let the guest clear its "
                    "conversation: the session is closed here, but the conversation stays "
                    "open on the platform until its flow or an agent ends it, or the "
                    "platform API disconnects it (give cxbus test's target a platform "
                    "section)."
                )
            return plugin.command("MessagingService.clearSession")

        if active:
            ended = _settled(plugin.command("MessagingService.clearConversation"), close_session)
        else:
            ended = plugin.command("MessagingService.clearSession")
        cleared = _settled(ended, _logged("clearing the Web Messaging session"))
        return cleared.then(lambda _: _delivered(MessagingService.of(plugin.bus)))


# Said once per process: a run of many conversations on one deployment needs it once.
_told_clear_off = threading.Event()


class WebChatChannel:
    """The guest chat API or GMS, through WebChatService."""

    events = WEB_CHAT_EVENTS

    def __init__(self, options: Options) -> None:
        self.options = options

    def reader(self) -> Reader:
        return WebChatReader(self.options.channel)

    def start(self, plugin: Plugin) -> Deferred:
        data: dict[str, Any] = {"nickname": self.options.nickname}
        if self.options.attributes:
            data["userData"] = dict(self.options.attributes)
        return plugin.command("WebChatService.startChat", data)

    def conversation_id(self, started: Any) -> str | None:
        """startChat's session data: guest chat's ``conversationId``, GMS's ``sessionID``."""
        if not isinstance(started, dict):
            return None
        found = started.get("conversationId") or started.get("sessionID")
        return found if isinstance(found, str) else None

    def say(self, plugin: Plugin, text: str) -> Deferred:
        return plugin.command("WebChatService.sendMessage", {"message": text})

    def choose(self, plugin: Plugin, label: str, received: Sequence[Message]) -> Deferred:
        return self.say(plugin, label)

    def send_file(self, plugin: Plugin, path: Path, text: str) -> Deferred:
        sent = plugin.command("WebChatService.sendFile", {"files": str(path)})
        if self.options.channel == "gms":  # its FileUploaded line tells of it
            return sent.then(lambda _: None)
        return sent.then(self._told_of)

    def _told_of(self, sent: dict[str, Any]) -> Message:
        """The guest chat API has no message for a file: the upload's answer makes one."""
        file = Attachment(
            sent.get("name"), media_type=sent.get("contentType"), id=sent.get("fileId")
        )
        return Message("customer", attachments=(file,), channel=self.options.channel, raw=sent)

    def end(self, plugin: Plugin, active: bool) -> Deferred:
        if not active:
            ended = Deferred()
            ended.resolve()
            return ended

        def over_already(reason: Any) -> None:
            if reason != NO_CHAT:
                _logged("ending the chat")(reason)

        ended = _settled(plugin.command("WebChatService.endChat"), over_already)
        return ended.then(lambda _: _delivered(WebChatService.of(plugin.bus)))


def _logged(doing: str) -> Callable[[Any], None]:
    def log_it(reason: Any) -> None:
        log.warning("The conversation has ended here; %s failed: %s", doing, reason_text(reason))

    return log_it
