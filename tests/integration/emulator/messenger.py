"""A Web Messaging guest on the emulator with websocket-client and raw JSON: no cxbus code."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import websocket

from cxbus_emulator import Emulator

Frame = dict[str, Any]


class Messenger:
    """One guest socket; ``configure`` (on by default) sends ``configureSession`` first."""

    def __init__(
        self,
        emulator: Emulator,
        token: str | None = None,
        *,
        configure: bool = True,
        **options: Any,
    ) -> None:
        self.emulator = emulator
        self.token = token or str(uuid.uuid4())
        self.socket = websocket.create_connection(
            emulator.messaging.websocket_url, timeout=5, **options
        )
        self.session: Frame | None = self.configure() if configure else None

    @property
    def session_id(self) -> str:
        return self.emulator.messaging.session_id(self.token)

    def send(self, action: str, **fields: Any) -> str:
        """Send a request; returns its tracingId."""
        tracing_id = fields.pop("tracingId", None) or str(uuid.uuid4())
        self.socket.send(
            json.dumps({"token": self.token, **fields, "tracingId": tracing_id, "action": action})
        )
        return tracing_id

    def request(self, action: str, **fields: Any) -> Frame:
        """Send a request and return the frame that carries its tracingId."""
        tracing_id = self.send(action, **fields)
        return self.frame(traced(tracing_id))

    def configure(self, start_new: bool = False) -> Frame:
        return self.request(
            "configureSession",
            deploymentId=self.emulator.messaging.deployment_id,
            startNew=start_new,
        )

    def say(self, text: str, **message: Any) -> Frame:
        """Send a Text message; returns its echo (or the error that refused it)."""
        return self.request("onMessage", message={"type": "Text", "text": text, **message})

    def event(self, event: dict[str, Any]) -> str:
        return self.send("onMessage", message={"type": "Event", "events": [event]})

    def frame(self, wanted: Callable[[Frame], bool], timeout: float = 5) -> Frame:
        """The next frame for which ``wanted`` is true, skipping the others."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.socket.settimeout(max(0.01, deadline - time.monotonic()))
            frame = json.loads(self.socket.recv())
            if wanted(frame):
                return frame
        raise AssertionError("no such frame in time")

    def closed(self, timeout: float = 5) -> list[Frame]:
        """The frames that came until the server closed the socket (its close frame read)."""
        frames: list[Frame] = []
        self.socket.settimeout(timeout)
        while True:
            opcode, data = self.socket.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return frames
            if opcode == websocket.ABNF.OPCODE_TEXT:
                frames.append(json.loads(data))

    def close(self) -> None:
        self.socket.close()


def traced(tracing_id: str) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("tracingId") == tracing_id


def of_class(name: str) -> Callable[[Frame], bool]:
    return lambda frame: frame["class"] == name


def outbound(kind: str = "Text") -> Callable[[Frame], bool]:
    """An Outbound StructuredMessage of message type ``kind`` (Text, Structured, Event)."""
    return lambda frame: (
        frame["class"] == "StructuredMessage"
        and frame["body"]["direction"] == "Outbound"
        and frame["body"]["type"] == kind
    )
