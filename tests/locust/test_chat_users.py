"""Locust, headless, runs WebChatUser and MessagingUser guests against the emulator's demo
agent and bot (under gevent, as Locust runs them), and its statistics hold every command
and the replies. (cxbus_locust is imported only in Locust's process: Locust patches the
standard library with gevent's on import.)"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cxbus_emulator import Emulator

LOCUSTFILE = textwrap.dedent(
    """
    import json
    from pathlib import Path

    from locust import constant, task

    from cxbus_locust import MessagingUser, WebChatUser, from_agent

    class Guest(WebChatUser):
        config = json.loads(Path("webchat.json").read_text())
        wait_time = constant(0.2)

        @task
        def ask(self):
            self.command("sendMessage", {"message": "Where is my order?"})
            self.wait_for("messageReceived", from_agent, name="agent reply", timeout=10)

    def echoed(data):  # the bot's answer to this message, not its greeting
        texts = [m.get("text") for m in data["messages"]]
        return from_agent(data) and "You said: Is it shipped?" in texts

    class Customer(MessagingUser):
        config = json.loads(Path("messaging.json").read_text())
        wait_time = constant(0.2)

        @task
        def ask(self):
            self.command("sendMessage", {"message": "Is it shipped?"})
            self.wait_for("messagesReceived", echoed, name="bot reply", timeout=10)
    """
)


@pytest.mark.integration
@pytest.mark.slow
def test_locust_reports_every_command_and_the_replies_of_both_services(tmp_path: Path) -> None:
    with Emulator(agent_join_delay=0.1, agent_typing_delay=0.05) as emulator:
        (tmp_path / "webchat.json").write_text(json.dumps(emulator.webchat_config()))
        (tmp_path / "messaging.json").write_text(json.dumps(emulator.messaging_config()))
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
                "6",
                "--spawn-rate",
                "6",
                "--run-time",
                "6s",
                "--stop-timeout",
                "15",
                "--json-file",
                "run",
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    stats = {row["name"]: row for row in json.loads((tmp_path / "run.json").read_text())}
    for name in (
        "WebChatService.startChat",
        "WebChatService.sendMessage",
        "WebChatService.endChat",
        "agent reply",
        "MessagingService.startConversation",
        "MessagingService.sendMessage",
        "MessagingService.clearConversation",
        "bot reply",
    ):
        assert stats[name]["num_requests"] > 0, name
        assert stats[name]["num_failures"] == 0, name
    for name in (
        "WebChatService.startChat",
        "WebChatService.endChat",
        "MessagingService.startConversation",
        "MessagingService.clearConversation",
    ):
        assert stats[name]["num_requests"] == 3, name  # once per user of each class
    assert stats["agent reply"]["total_response_time"] > 0
    assert stats["bot reply"]["total_response_time"] > 0
