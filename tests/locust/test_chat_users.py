"""Locust, headless, runs WebChatUser and MessagingUser guests against the emulator's demo
agent and bot (under gevent, as Locust runs them), and its statistics hold every command
and the replies. (cxbus_locust is imported only in Locust's process: Locust patches the
standard library with gevent's on import.)"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from cxbus_emulator import Emulator

LOCUST_PAGE = Path(__file__).resolve().parents[2] / "docs" / "locust.md"

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


def run_locust(folder: Path, users: int, seconds: int, failing: bool = False) -> dict[str, Any]:
    """Run ``folder``'s locustfile headless; Locust's statistics, by name. Locust exits
    with 1 when a request failed: ``failing`` when the test means that."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            "locustfile.py",
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "15",
            "--json-file",
            "run",
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == (1 if failing else 0), result.stderr
    return {row["name"]: row for row in json.loads((folder / "run.json").read_text())}


@pytest.mark.integration
@pytest.mark.slow
def test_locust_reports_every_command_and_the_replies_of_both_services(tmp_path: Path) -> None:
    with Emulator(agent_join_delay=0.1, agent_typing_delay=0.05) as emulator:
        (tmp_path / "webchat.json").write_text(json.dumps(emulator.webchat_config()))
        (tmp_path / "messaging.json").write_text(json.dumps(emulator.messaging_config()))
        (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
        stats = run_locust(tmp_path, users=6, seconds=6)
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


@pytest.mark.integration
@pytest.mark.slow
def test_the_docs_locustfile_chats_with_the_emulator_s_agent_and_bot(tmp_path: Path) -> None:
    section = LOCUST_PAGE.read_text().split("## A locustfile", 1)[1]
    locustfile = re.search(r"^```py\n(.*?)^```", section, re.S | re.M)
    assert locustfile is not None
    with Emulator(agent_join_delay=0.1, agent_typing_delay=0.05) as emulator:
        sections = {"webchat": emulator.webchat_config(), "messaging": emulator.messaging_config()}
        (tmp_path / "sections.json").write_text(json.dumps(sections))
        (tmp_path / "locustfile.py").write_text(locustfile.group(1))
        stats = run_locust(tmp_path, users=2, seconds=5)
    for name in ("agent joined", "agent reply", "bot reply"):
        assert stats[name]["num_requests"] == 1, name
        assert stats[name]["num_failures"] == 0, name


GONE_LOCUSTFILE = textwrap.dedent(
    """
    import json
    import os
    import signal
    from pathlib import Path

    from locust import constant, events, task

    from cxbus_locust import MessagingUser, WebChatUser

    SECTIONS = json.loads(Path("sections.json").read_text())

    @events.test_stopping.add_listener
    def the_server_goes(**kwargs):
        os.kill(int(Path("emulator.pid").read_text()), signal.SIGKILL)

    class Guest(WebChatUser):
        config = SECTIONS["webchat"]
        wait_time = constant(0.5)

        @task
        def ask(self):
            self.command("sendMessage", {"message": "Still there?"})

    class Customer(MessagingUser):
        config = SECTIONS["messaging"]
        wait_time = constant(0.5)

        @task
        def ask(self):
            self.command("sendMessage", {"message": "Still there?"})
    """
)


@pytest.mark.integration
@pytest.mark.slow
def test_users_end_their_chats_and_stop_when_the_server_is_gone(tmp_path: Path) -> None:
    emulator = subprocess.Popen(
        [sys.executable, "-m", "cxbus", "emulator", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        (tmp_path / "sections.json").write_text(emulator.stdout.readline())
        (tmp_path / "emulator.pid").write_text(str(emulator.pid))
        (tmp_path / "locustfile.py").write_text(GONE_LOCUSTFILE)
        stats = run_locust(tmp_path, users=2, seconds=4, failing=True)
    finally:
        emulator.kill()
        emulator.wait()
    # Each user tried to end its chat once, and its failure is in the statistics.
    assert stats["WebChatService.endChat"]["num_requests"] == 1
    assert stats["WebChatService.endChat"]["num_failures"] == 1
    assert stats["MessagingService.clearConversation"]["num_requests"] == 1
    assert stats["MessagingService.clearConversation"]["num_failures"] == 1
