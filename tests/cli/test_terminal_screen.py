"""cxbus chat on a real pseudo-terminal, judged by what the screen shows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxbus_emulator import Emulator

from .conftest import ENV
from .screen import Screen


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An emulator whose agent the test plays."""
    with Emulator(demo_agent=False) as running:
        yield running


@pytest.fixture
def screen(tmp_path: Path, emulator: Emulator) -> Iterator[Screen]:
    """cxbus chat as Ada against ``emulator``, its prompt up and its chat started."""
    config = tmp_path / "widgets.json"
    config.write_text(
        json.dumps({**emulator.webchat_config(), "sessionFile": str(tmp_path / "chat.json")})
    )
    running = Screen(
        ["chat", "--name", "Ada", "--config", str(config)], {**ENV, "HOME": str(tmp_path)}
    )
    try:
        running.wait_for(lambda lines: bool(lines) and lines[-1] == "you>")
        yield running
    finally:
        running.close()


def conversation_id(emulator: Emulator) -> str:
    (only,) = emulator.server.conversations
    return only


def test_a_line_that_arrives_while_the_guest_types_goes_above_the_prompt(
    screen: Screen, emulator: Emulator
) -> None:
    """Half a line typed, the agent answers: the answer is above, 'you> ' and the half line
    stay whole at the bottom, and the line sent is the one typed."""
    chat = conversation_id(emulator)
    screen.type("what is c")
    screen.wait_for(lambda lines: lines[-1] == "you> what is c")

    emulator.agent_join(chat, "Alex")
    emulator.agent_send(chat, "Hello Ada, I am Alex.")
    lines = screen.wait_for(
        lambda lines: any("Hello Ada" in line for line in lines) and lines[-1] == "you> what is c",
        timeout=10,
    )
    (answer,) = [line for line in lines if "Hello Ada" in line]
    assert answer.endswith("] Alex: Hello Ada, I am Alex.") and "what is c" not in answer
    assert lines.index(answer) < len(lines) - 1

    screen.type("xbus?")
    screen.enter("")
    screen.wait_for(lambda lines: lines[-1] == "you>" and "you> what is cxbus?" in lines)
    texts = [message.body for message in emulator.conversation(chat).messages]
    assert "what is cxbus?" in texts
