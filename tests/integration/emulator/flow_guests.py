"""A guest on each channel, through cxbus's real client services, for the flow bot's tests.

Each reads what the other side says as it comes, one message at a time (``said``), and
answers (``say``, ``choose``); MessagingService on Web Messaging, WebChatService on the
guest chat API and WebChatService on GMS.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cxbus import Bus
from cxbus_emulator import Emulator
from cxbus_messaging.testing import MessagingDriver, messaging_on
from cxbus_webchat.testing import ChatDriver

CHANNELS = ["messaging", "webchat", "gms"]
WAIT = 10.0
Message = dict[str, Any]


class Guest:
    """One conversation's guest: ``start``, ``say``, ``choose``; ``said`` what came next."""

    channel: str
    driver: Any

    def __init__(self) -> None:
        self.read = 0
        self.conversation_id = ""
        """The conversation's id on the emulator, once started."""

    def messages(self) -> list[Message]:
        """What the bot or an agent said so far, in order."""
        raise NotImplementedError

    def said(self) -> Message:
        """The next message of the bot or an agent, once it came."""
        count = self.read + 1
        self.driver.wait(self.message_event, lambda data: len(self.messages()) >= count, WAIT)
        self.read = count
        return self.messages()[count - 1]

    def text(self) -> str:
        """The next message's text."""
        return str(self.said().get("text") or "")

    message_event = ""


class MessagingGuest(Guest):
    channel = "messaging"
    message_event = "messagesReceived"

    def __init__(self, driver: MessagingDriver) -> None:
        super().__init__()
        self.driver = driver

    def start(self) -> None:
        self.driver("startConversation")
        self.conversation_id = self.driver.session_id

    def say(self, text: str) -> None:
        self.driver("sendMessage", {"message": text})

    def choose(self, label: str, kind: str = "quickReply") -> None:
        """Press a quick reply (``kind`` ``card``: a card's postback button)."""
        self.driver("sendMessage", {"type": kind, "postback": {"text": label, "payload": label}})

    def messages(self) -> list[Message]:
        return [
            message
            for data in self.driver.data("messagesReceived")
            for message in data["messages"]
            if message["direction"] == "Outbound" and message["type"] in ("Text", "Structured")
        ]

    def ended(self) -> dict[str, Any]:
        data: dict[str, Any] = self.driver.wait("conversationDisconnected", timeout=WAIT)
        return data


class ChatGuest(Guest):
    """WebChatService on the guest chat API or on GMS."""

    message_event = "messageReceived"

    def __init__(self, driver: ChatDriver, channel: str) -> None:
        super().__init__()
        self.driver = driver
        self.channel = channel

    def start(self) -> None:
        self.driver("startChat", {"nickname": "Ada"})
        data = self.driver("getSessionData")
        self.conversation_id = data["conversationId" if self.channel == "webchat" else "sessionID"]

    def say(self, text: str) -> None:
        self.driver("sendMessage", {"message": text})

    def choose(self, label: str, kind: str = "quickReply") -> None:
        """Text channels carry no buttons: the label is said."""
        self.say(label)

    def messages(self) -> list[Message]:
        return [
            message
            for data in self.driver.data("messageReceived")
            for message in data["messages"]
            if message["type"] == "Message" and message["from"]["type"] != "Client"
        ]

    def ended(self) -> dict[str, Any]:
        data: dict[str, Any] = self.driver.wait("ended", timeout=WAIT)
        return data


@contextmanager
def guest_on(emulator: Emulator, channel: str, folder: Path) -> Iterator[Guest]:
    """A guest of ``channel`` on ``emulator``, its service ready, no conversation yet."""
    folder.mkdir(parents=True, exist_ok=True)
    if channel == "messaging":
        with messaging_on(emulator, folder / "messaging.json") as driver:
            yield MessagingGuest(driver)
        return
    if channel == "webchat":
        section = emulator.webchat_config()
    else:
        section = {**emulator.gms_config(), "pollRateMin": 20, "pollRateMax": 100}
    config = {**section, "sessionFile": str(folder / "webchat.json")}
    with Bus(config={"webchat": config}) as bus:
        bus.load_plugin("WebChatService").result(timeout=WAIT)
        yield ChatGuest(ChatDriver(bus), channel)
