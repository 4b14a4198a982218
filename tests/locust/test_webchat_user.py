"""Locust, headless, runs WebChatUser guests against the emulator's demo agent (under
gevent, as Locust runs them), and its statistics hold every command and the replies."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cxbus_emulator import Emulator

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LOCUSTFILE = textwrap.dedent(
    """
    import json
    from pathlib import Path

    from locust import constant, task

    from cxbus_locust import WebChatUser, from_agent

    class Guest(WebChatUser):
        config = json.loads(Path("webchat.json").read_text())
        wait_time = constant(0.2)

        @task
        def ask(self):
            self.command("sendMessage", {"message": "Where is my order?"})
            self.wait_for("messageReceived", from_agent, name="agent reply", timeout=10)
    """
)


def test_locust_reports_every_command_and_the_agent_s_replies(tmp_path: Path) -> None:
    with Emulator(agent_join_delay=0.1, agent_typing_delay=0.05) as emulator:
        (tmp_path / "webchat.json").write_text(json.dumps(emulator.webchat_config()))
        (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                "locustfile.py",
                "--headless",
                "--users",
                "3",
                "--spawn-rate",
                "3",
                "--run-time",
                "6s",
                "--stop-timeout",
                "10",
                "--json-file",
                "run",
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=90,
        )
    assert result.returncode == 0, result.stderr
    stats = {row["name"]: row for row in json.loads((tmp_path / "run.json").read_text())}
    for name in (
        "WebChatService.startChat",
        "WebChatService.sendMessage",
        "WebChatService.endChat",
        "agent reply",
    ):
        assert stats[name]["num_requests"] > 0, name
        assert stats[name]["num_failures"] == 0, name
    assert stats["WebChatService.startChat"]["num_requests"] == 3
    assert stats["WebChatService.endChat"]["num_requests"] == 3
    assert stats["agent reply"]["total_response_time"] > 0
