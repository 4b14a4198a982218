"""The pytest plugin as a project uses it: its fixtures, and a failed test's report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

PROJECT_TESTS = """
import pytest

from cxbus_conversations.testing import CHANNELS


def test_the_bot_is_asked_what_it_cannot_know(conversation):
    conversation.say("What is my order number?")
    conversation.wait_for(contains="12345", timeout=0.5)


@pytest.mark.parametrize("conversation_channel", CHANNELS)
def test_every_channel(conversation, conversation_channel):
    assert conversation.channel == conversation_channel
    assert conversation.state == "active"


def test_several(conversations):
    first, second = conversations("messaging"), conversations("gms", nickname="Ada")
    assert second.wait_for_joined().sender_name == "Alex"
    assert conversations.config("messaging")["deploymentId"]
"""


def test_a_failed_test_shows_its_transcript(tmp_path: Path) -> None:
    (tmp_path / "test_flow.py").write_text(PROJECT_TESTS)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    report = result.stdout
    assert "1 failed, 4 passed" in report, report
    assert "No bot or agent message containing '12345' within 0.5 s" in report
    assert "conversation transcripts" in report
    assert "customer: What is my order number?" in report
    assert "bot: You said: What is my order number?" in report
    assert "messaging (active):" in report  # as it was when the test failed
