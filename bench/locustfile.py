"""The users of ``bench/locust_scale.py`` and ``bench/locust_compare.py``: guests that send one
message every ``CXBUS_LOCUST_PACE`` seconds, and their peers without cxbus.

    CXBUS_LOCUST_SECTIONS='[{"webchat": ..., "messaging": ...}]' locust -f bench/locustfile.py

``MessagingGuest`` and ``WebChatGuest`` chat through cxbus and time the agent's reply
(the emulator's demo agent and bot answer ``You said: <text>``): a reply that does not
come within the pace is a failure of ``agent reply``, a message lost. ``HttpGuest``
(Locust's ``HttpUser``) and ``FastHttpGuest`` (its ``FastHttpUser``) do the guest chat
API's requests themselves: they create the chat, attach its event stream and never
read it, and time each message's POST (``guest message``). Web Messaging has no such
peer: it is a WebSocket protocol, and its requests are what MessagingService sends.

``CXBUS_LOCUST_SECTIONS`` is a JSON list of configuration sections, one per emulator
process; the users of a worker take them in turn. ``CXBUS_LOCUST_PACE`` is the seconds
between two messages of a chat (30). ``CXBUS_LOCUST_PHASES`` is ``batch`` (a user's
first message as soon as its chat has started, then one every pace from when Locust
spawned it: the users spawned in the same second send together) or ``random`` (each
user's first message at a uniformly random offset within the pace after its chat
started, and one every pace from then).

``CXBUS_LOCUST_MEASURE_AFTER`` seconds after the test starts, the master's statistics
start again (the steady state's, once every chat has started), and
``CXBUS_LOCUST_WINDOW`` seconds later the master writes each row's requests,
failures and percentiles to ``CXBUS_LOCUST_STATS`` (a JSON file, where the workers
cannot write over it): ``{"before": rows, "window": rows}``, ``before`` the rows as
they were when they started again (the chats' starts).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

import gevent
import websocket
from locust import FastHttpUser, HttpUser, User, events, task
from locust.runners import WorkerRunner

from cxbus_locust import ChatUser, MessagingUser, WebChatUser, from_agent

SECTIONS: list[dict[str, Any]] = json.loads(os.environ.get("CXBUS_LOCUST_SECTIONS", "[]"))
PACE = float(os.environ.get("CXBUS_LOCUST_PACE", "30"))
PHASES = os.environ.get("CXBUS_LOCUST_PHASES", "batch")
GUEST_CHAT_API = "/api/v2/webchat/guest"
_users = itertools.count()


def _rows(environment: Any) -> dict[str, dict[str, float]]:
    return {
        entry.name: {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p99": entry.get_response_time_percentile(0.99),
            "max": entry.max_response_time,
        }
        for entry in environment.stats.entries.values()
    }


@events.test_start.add_listener
def _measure(environment: Any, **kwargs: Any) -> None:
    path = os.environ.get("CXBUS_LOCUST_STATS")
    if path is None or isinstance(environment.runner, WorkerRunner):
        return
    after = float(os.environ.get("CXBUS_LOCUST_MEASURE_AFTER", "0"))
    window = float(os.environ.get("CXBUS_LOCUST_WINDOW", "60"))
    before: dict[str, dict[str, float]] = {}

    def start_window() -> None:
        before.update(_rows(environment))
        environment.stats.reset_all()

    def end_window() -> None:
        with open(path, "w") as file:
            json.dump({"before": before, "window": _rows(environment)}, file)

    gevent.spawn_later(after, start_window)
    gevent.spawn_later(after + window, end_window)


def paced(user: Any) -> float:
    """A ``wait_time``: until ``PACE`` seconds after the user's last message began. (Locust's
    ``constant_pacing`` counts from the user's creation: it would bring a user whose first
    message came at a random phase back to the others of its batch.)"""
    user.due += PACE
    return max(0.0, user.due - time.monotonic())


def begin_pacing(user: Any) -> None:
    """Pace the user's messages once its chat has started: with batches, from when Locust
    spawned it (its first message at once), so that those spawned together send together;
    with random phases, from a uniformly random part of the pace later."""
    if PHASES == "random":
        gevent.sleep(random.uniform(0, PACE))
        user.due = time.monotonic()
    else:
        user.due = user.spawned


def replied_to(text: str) -> Callable[[Any], bool]:
    """A ``messages`` event that holds the agent's answer to ``text``."""
    answer = f"You said: {text}"
    return lambda data: from_agent(data) and any(m.get("text") == answer for m in data["messages"])


class PacedGuest(ChatUser):
    """Sends ``"<user> <n>"`` every ``PACE`` seconds and waits for its answer."""

    abstract = True
    wait_time = paced
    messages_event: str

    def __init__(self, environment: Any) -> None:
        self.number = next(_users)
        self.config = SECTIONS[self.number % len(SECTIONS)][self.section]
        self.sent = 0
        self.spawned = time.monotonic()
        super().__init__(environment)

    def on_start(self) -> None:
        super().on_start()
        self.until_answered()
        begin_pacing(self)

    def until_answered(self) -> None:
        """Wait until a message of the chat's gets an answer (at once: a bot answers)."""

    @task
    def ask(self) -> None:
        self.sent += 1
        text = f"{self.number} {self.sent}"
        self.command("sendMessage", {"message": text})
        self.wait_for(self.messages_event, replied_to(text), name="agent reply", timeout=PACE)


class WebChatGuest(PacedGuest, WebChatUser):
    messages_event = "messageReceived"

    def until_answered(self) -> None:
        # The demo agent joins a second after routing; a message before that is not answered.
        self.wait_for("agentConnected", name="agent joined", timeout=120)


class MessagingGuest(PacedGuest, MessagingUser):
    messages_event = "messagesReceived"


class GuestChatPoster(User):
    """A guest of the guest chat API with the requests of a Locust HTTP client alone: it
    creates the chat, attaches its event stream (the API takes messages once it is
    attached) and never reads it, then POSTs ``"<user> <n>"`` every ``PACE`` seconds
    (``guest message``, timed to its answer); on stop it leaves the chat."""

    abstract = True
    wait_time = paced
    client: Any  # HttpUser's HttpSession, FastHttpUser's FastHttpSession

    def __init__(self, environment: Any) -> None:
        self.number = next(_users)
        self.transport = SECTIONS[self.number % len(SECTIONS)]["webchat"]["transport"]
        self.host = self.transport["dataURL"]
        self.sent = 0
        self.spawned = time.monotonic()
        super().__init__(environment)

    def on_start(self) -> None:
        routing = self.transport["interactionData"]["routing"]
        created = self.client.post(
            f"{GUEST_CHAT_API}/conversations",
            json={
                "organizationId": self.transport["orgGuid"],
                "deploymentId": self.transport["deploymentKey"],
                "routingTarget": routing,
                "memberInfo": {"displayName": "Locust"},
            },
            name="create chat",
        ).json()
        self.stream = websocket.create_connection(
            created["eventStreamUri"], skip_utf8_validation=True
        )
        chat, member = created["id"], created["member"]["id"]
        self.member = f"{GUEST_CHAT_API}/conversations/{chat}/members/{member}"
        self.headers = {"Authorization": f"Bearer {created['jwt']}"}
        begin_pacing(self)

    @task
    def ask(self) -> None:
        self.sent += 1
        self.client.post(
            f"{self.member}/messages",
            json={"body": f"{self.number} {self.sent}", "bodyType": "standard"},
            headers=self.headers,
            name="guest message",
        )

    def on_stop(self) -> None:
        self.client.delete(self.member, headers=self.headers, name="leave")
        self.stream.close(timeout=0)


class HttpGuest(GuestChatPoster, HttpUser):
    abstract = False


class FastHttpGuest(GuestChatPoster, FastHttpUser):
    abstract = False
