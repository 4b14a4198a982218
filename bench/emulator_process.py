"""``cxbus emulator`` in a process of its own, for the benchmarks that keep theirs for cxbus."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import requests

__all__ = ["EmulatorProcess"]

TIMEOUT = 60.0


class EmulatorProcess:
    """The emulator as ``cxbus emulator`` runs it, with what it printed and its control API.

    ``printed`` holds each API's lines by its heading's first words (``"Guest chat API"``,
    ``"GMS Chat API"``, ``"Web Messaging guest API"``).
    """

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cxbus", "emulator", "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.printed: dict[str, dict[str, str]] = {}
        section: dict[str, str] = {}
        for line in self.process.stdout:
            if line.startswith("Ctrl-C"):
                break
            key, _, value = line.partition(":")
            if line.startswith(" "):
                section[key.strip()] = value.strip()
            else:
                section = self.printed.setdefault(key.split(" (")[0].strip(), {})
        guest_chat = self.printed["Guest chat API"]
        self.url = guest_chat["dataURL"]
        self.webchat = {
            "transport": {
                "type": "purecloud-v2-sockets",
                "dataURL": self.url,
                "deploymentKey": guest_chat["deploymentKey"],
                "orgGuid": guest_chat["orgGuid"],
                "interactionData": {"routing": {"targetType": "QUEUE", "targetAddress": "Support"}},
            }
        }
        self.messaging = dict(self.printed["Web Messaging guest API"])
        self.control = requests.Session()

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """``method path`` on the control API (``/emulator/...``); its JSON answer."""
        answer = self.control.request(method, self.url + path, json=body, timeout=TIMEOUT)
        answer.raise_for_status()
        return answer.json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call("POST", path, body or {})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=TIMEOUT)
