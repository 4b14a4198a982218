"""The users of ``bench/locust_scale.py``: guests that send one message every ``--pace``
seconds and time the agent's reply (the emulator's demo agent and bot answer
``You said: <text>``).

    CXBUS_LOCUST_SECTIONS='[{"webchat": ..., "messaging": ...}]' locust -f bench/locustfile.py

``CXBUS_LOCUST_SECTIONS`` is a JSON list of configuration sections, one per emulator
process; the users of a worker take them in turn. ``CXBUS_LOCUST_PACE`` is the seconds
between two messages of a chat (30). A reply that does not come within the pace is a
failure of ``agent reply``: a message lost. ``CXBUS_LOCUST_MEASURE_AFTER`` seconds
after the test starts, the master's statistics start again (the steady state's, once
every chat has started). At the end the master writes each row's
requests, failures and percentiles to ``CXBUS_LOCUST_STATS`` (a JSON file), where the
workers cannot write over it.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable
from typing import Any

import gevent
from locust import constant_pacing, events, task
from locust.runners import WorkerRunner

from cxbus_locust import ChatUser, MessagingUser, WebChatUser, from_agent

SECTIONS: list[dict[str, Any]] = json.loads(os.environ.get("CXBUS_LOCUST_SECTIONS", "[]"))
PACE = float(os.environ.get("CXBUS_LOCUST_PACE", "30"))
_users = itertools.count()


@events.test_start.add_listener
def _measure_from(environment: Any, **kwargs: Any) -> None:
    after = os.environ.get("CXBUS_LOCUST_MEASURE_AFTER")
    if after is not None and not isinstance(environment.runner, WorkerRunner):
        gevent.spawn_later(float(after), environment.stats.reset_all)


@events.quitting.add_listener
def _write_stats(environment: Any, **kwargs: Any) -> None:
    path = os.environ.get("CXBUS_LOCUST_STATS")
    if path is None or isinstance(environment.runner, WorkerRunner):
        return
    rows = {
        entry.name: {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p99": entry.get_response_time_percentile(0.99),
            "max": entry.max_response_time,
        }
        for entry in environment.stats.entries.values()
    }
    with open(path, "w") as file:
        json.dump(rows, file)


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
