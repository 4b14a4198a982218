"""The users of ``bench/locust_scale.py``: guests that send one message every ``--pace``
seconds and time the agent's reply (the emulator's demo agent and bot answer
``You said: <text>``).

    CXBUS_LOCUST_SECTIONS='[{"webchat": ..., "messaging": ...}]' locust -f bench/locustfile.py

``CXBUS_LOCUST_SECTIONS`` is a JSON list of configuration sections, one per emulator
process; the users of a worker take them in turn. ``CXBUS_LOCUST_PACE`` is the seconds
between two messages of a chat (30). A reply that does not come within the pace is a
failure of ``agent reply``: a message lost.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable
from typing import Any

from locust import constant_pacing, task

from cxbus_locust import ChatUser, MessagingUser, WebChatUser, from_agent

SECTIONS: list[dict[str, Any]] = json.loads(os.environ.get("CXBUS_LOCUST_SECTIONS", "[]"))
PACE = float(os.environ.get("CXBUS_LOCUST_PACE", "30"))
_users = itertools.count()


def replied_to(text: str) -> Callable[[Any], bool]:
    """A ``messages`` event that holds the agent's answer to ``text``."""
    answer = f"You said: {text}"
    return lambda data: from_agent(data) and any(m.get("text") == answer for m in data["messages"])


class PacedGuest(ChatUser):
    """Sends ``"<user> <n>"`` every ``PACE`` seconds and waits for its answer."""

    abstract = True
    wait_time = constant_pacing(PACE)
    messages_event: str

    def __init__(self, environment: Any) -> None:
        self.number = next(_users)
        self.config = SECTIONS[self.number % len(SECTIONS)][self.section]
        self.sent = 0
        super().__init__(environment)

    @task
    def ask(self) -> None:
        self.sent += 1
        text = f"{self.number} {self.sent}"
        self.command("sendMessage", {"message": text})
        self.wait_for(self.messages_event, replied_to(text), name="agent reply", timeout=PACE)


class WebChatGuest(PacedGuest, WebChatUser):
    messages_event = "messageReceived"

    def on_start(self) -> None:
        super().on_start()
        # The demo agent joins a second after routing; a message before that is not answered.
        self.wait_for("agentConnected", name="agent joined", timeout=120)


class MessagingGuest(PacedGuest, MessagingUser):
    messages_event = "messagesReceived"
