"""``cxbus emulator`` in a process of its own, for the benchmarks that keep theirs for cxbus.

``CXBUS_EMULATOR_PYTHON`` names the Python to run it with (this one by default): to time
another cxbus, run a benchmark with that cxbus's Python and the emulator with this one's.
With a ``typing_delay``, ``bench/prompt_emulator.py`` runs instead: the same emulator
whose agents type that long before they answer (the command's type for 0.5 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

__all__ = ["MANY_CONNECTIONS", "EmulatorProcess"]

TIMEOUT = 60.0


# Genesys Cloud takes 1,000 Web Messaging connections a minute per deployment; a benchmark
# that opens thousands of conversations at once raises it, as it would ask Genesys to.
MANY_CONNECTIONS = ("--limit", "connections_per_minute=1000000")


class EmulatorProcess:
    """``cxbus emulator --json OPTIONS``, with its configuration sections and its control
    API: ``webchat`` (guest chat), ``gms`` and ``messaging`` (Web Messaging); its agents
    type ``typing_delay`` seconds before they answer (``None``: the command's 0.5 s)."""

    def __init__(self, *options: str, typing_delay: float | None = None) -> None:
        python = os.environ.get("CXBUS_EMULATOR_PYTHON", sys.executable)
        if typing_delay is None:
            program = ["-m", "cxbus", "emulator", "--port", "0", "--json"]
        else:
            program = [str(Path(__file__).with_name("prompt_emulator.py"))]
            program += ["--typing-delay", str(typing_delay)]
        self.process = subprocess.Popen(
            [python, *program, *options],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        sections = json.loads(self.process.stdout.readline())
        self.webchat: dict[str, Any] = sections["webchat"]
        self.gms: dict[str, Any] = sections["gms"]
        self.messaging: dict[str, Any] = sections["messaging"]
        self.url = self.webchat["transport"]["dataURL"]
        self.control = requests.Session()
        if "controlKey" in sections:  # an emulator beyond loopback guards its control API
            self.control.headers["X-Emulator-Key"] = sections["controlKey"]

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
