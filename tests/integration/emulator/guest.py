"""A guest talking to the emulator with requests and websocket-client: no cxbus code."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import requests
import websocket

from cxbus_emulator import Emulator

API = "/api/v2/webchat/guest"
Frame = dict[str, Any]


class Guest:
    """One guest chat on the emulator: the create answer, a REST helper and the stream."""

    def __init__(self, emulator: Emulator, name: str = "Ada", attach: bool = True) -> None:
        self.emulator = emulator
        self.base = emulator.data_url + API
        created = requests.post(
            f"{self.base}/conversations", json=create_body(emulator, name), timeout=5
        )
        created.raise_for_status()
        self.created = created.json()
        self.id: str = self.created["id"]
        self.member_id: str = self.created["member"]["id"]
        self.headers = {"Authorization": f"Bearer {self.created['jwt']}"}
        self.socket: websocket.WebSocket | None = None
        if attach:
            self.attach()

    def attach(self) -> None:
        """Attach (again) to the eventStreamUri; frames are read from this socket on."""
        self.socket = websocket.create_connection(self.created["eventStreamUri"], timeout=5)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A REST call on this conversation (``path`` after /conversations/{id})."""
        kwargs.setdefault("headers", self.headers)
        return requests.request(
            method, f"{self.base}/conversations/{self.id}{path}", timeout=5, **kwargs
        )

    def say(self, text: str, body_type: str = "standard") -> requests.Response:
        return self.call(
            "POST",
            f"/members/{self.member_id}/messages",
            json={"body": text, "bodyType": body_type},
        )

    def typing(self) -> requests.Response:
        return self.call("POST", f"/members/{self.member_id}/typing")

    def member(self, member_id: str | None = None) -> dict[str, Any]:
        """GET a member (the guest itself by default)."""
        answer = self.call("GET", f"/members/{member_id or self.member_id}")
        answer.raise_for_status()
        return dict(answer.json())

    def history(self) -> list[dict[str, Any]]:
        """Every message of the conversation, over REST, oldest first."""
        return list(self.call("GET", "/messages").json()["entities"])

    def frame(self, wanted: Callable[[Frame], bool], timeout: float = 5) -> Frame:
        """The next frame for which ``wanted`` is true, skipping the others."""
        assert self.socket is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.socket.settimeout(max(0.01, deadline - time.monotonic()))
            frame = json.loads(self.socket.recv())
            if wanted(frame):
                return frame
        raise AssertionError("no such frame in time")

    def chat_frames(self, count: int) -> list[Frame]:
        """The next ``count`` chat frames (messages, typing, member changes), in order."""
        return [self.frame(is_chat) for _ in range(count)]

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()


def create_body(emulator: Emulator, name: str = "Ada") -> dict[str, Any]:
    return {
        "organizationId": emulator.org_guid,
        "deploymentId": emulator.deployment_key,
        "routingTarget": {"targetType": "QUEUE", "targetAddress": "Support"},
        "memberInfo": {"displayName": name, "customFields": {"customerId": "59606"}},
    }


def of_type(kind: str) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("metadata", {}).get("type") == kind


def on_topic(topic: str) -> Callable[[Frame], bool]:
    return lambda frame: frame["topicName"] == topic


def is_chat(frame: Frame) -> bool:
    return bool(frame["topicName"].startswith("v2.conversations.chats."))


def said(frame: Frame) -> bool:
    """A message frame of body type standard: something someone said."""
    return of_type("message")(frame) and frame["eventBody"]["bodyType"] == "standard"


def change_of(member_id: str, state: str | None = None) -> Callable[[Frame], bool]:
    """A member-change frame of that member (in that state)."""
    return lambda frame: (
        of_type("member-change")(frame)
        and frame["eventBody"]["member"]["id"] == member_id
        and state in (None, frame["eventBody"]["member"]["state"])
    )


def shape(frame: Frame) -> tuple[str, str, str]:
    """What a chat frame says, in short: (kind, member id, state or body type)."""
    body = frame["eventBody"]
    if of_type("member-change")(frame):
        return ("member-change", body["member"]["id"], body["member"]["state"])
    return (frame["metadata"]["type"], body["sender"]["id"], body.get("bodyType", ""))


def wait_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    """Wait for something the emulator does on its own clock (an idle limit, an expiry)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.01)
