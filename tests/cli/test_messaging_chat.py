"""cxbus chat --channel messaging, driven for real in a pseudo-terminal, and its options."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxbus_emulator import Emulator

from .conftest import cxbus, finish, spawn_chat


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(agent_join_delay=0.05, agent_typing_delay=0.05) as running:
        yield running


def test_the_demo_bot_answers_and_a_quick_reply_is_picked_by_its_number(tmp_path: Path) -> None:
    chat = spawn_chat(tmp_path, "--channel", "messaging")
    chat.expect("talking with the demo bot of the embedded emulator")
    chat.expect("Starting a conversation. Type a message, or /help.")
    chat.sendline("options")
    chat.expect(r"\[\d\d:\d\d\] Bot: Pick a colour:")
    chat.expect(r"1\) Red  2\) Green  3\) Blue")
    chat.sendline("3")
    chat.expect("you chose Blue")
    chat.expect("Bot: You chose Blue.")
    (tmp_path / "notes.txt").write_text("some notes")
    chat.sendline(f"/file {tmp_path / 'notes.txt'}")
    chat.expect("Bot: Thanks, I got notes.txt.")
    chat.sendline("/quit")
    status, rest = finish(chat)
    assert status == 0 and "Traceback" not in rest


def test_a_conversation_left_open_is_resumed_with_its_history(
    tmp_path: Path, emulator: Emulator
) -> None:
    config = tmp_path / "messaging.json"
    config.write_text(
        json.dumps({**emulator.messaging_config(), "sessionFile": str(tmp_path / "s.json")})
    )
    first = spawn_chat(tmp_path, "--config", str(config))
    first.expect("Type a message")
    first.sendline("remember me")
    first.expect("Bot: You said: remember me")
    first.kill(signal.SIGINT)
    first.expect("the conversation stays open")
    assert finish(first)[0] == 0
    again = spawn_chat(tmp_path, "--config", str(config))
    again.expect("picking up your conversation")
    again.expect(r"you: remember me")
    again.expect("Bot: You said: remember me")
    again.sendline("back again")
    again.expect("Bot: You said: back again")
    again.sendeof()
    assert finish(again)[0] == 0
    assert len(emulator.messaging.sessions()) == 1


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ["--deployment-id", "d"],
            {},
            "missing --region (or GENESYS_REGION, or domain in --config)",
        ),
        (
            ["--channel", "messaging", "--region", "eu-west-1"],
            {},
            "missing --deployment-id (or GENESYS_DEPLOYMENT_ID, or deploymentId in --config)",
        ),
        (
            ["--deployment-id", "d", "--region", "https://mypurecloud.ie"],
            {},
            "messaging.domain must be a Genesys Cloud region's domain such as "
            "'mypurecloud.com' or 'euw2.pure.cloud'; got 'https://mypurecloud.ie'.",
        ),
        (
            ["--region", "eu-west-1"],
            {"GENESYS_QUEUE": "Support"},
            "options of both channels are given: choose one with --channel messaging or webchat",
        ),
    ],
)
def test_a_missing_or_malformed_option_is_one_line_and_status_2(
    args: list[str], env: dict[str, str], line: str
) -> None:
    result = cxbus("chat", *args, env=env)
    assert (result.returncode, result.stderr.strip()) == (2, f"cxbus chat: {line}")


def test_a_config_file_with_an_unknown_option_names_it(tmp_path: Path) -> None:
    config = tmp_path / "messaging.json"
    config.write_text(json.dumps({"deploymentId": "d", "domian": "mypurecloud.ie"}))
    result = cxbus("chat", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"cxbus chat: --config {config}: messaging.domian is not an option of "
        "MessagingService; did you mean domain?"
    )


def test_an_unreachable_server_is_one_line_once_and_status_1(tmp_path: Path) -> None:
    config = tmp_path / "messaging.json"
    config.write_text(json.dumps({"deploymentId": "d", "baseURL": "http://127.0.0.1:9"}))
    result = cxbus("chat", "--config", str(config), env={"HOME": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(
        "cxbus chat: the conversation did not start: "
    )
    assert "could not be reached" in result.stderr and "reached" not in result.stdout
