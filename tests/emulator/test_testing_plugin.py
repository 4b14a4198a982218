"""The cxbus_emulator pytest plugin, run as a user runs it: pytest in a folder of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = """
import pytest


@pytest.mark.emulator_flow("bad.yaml")
def test_with_a_bad_flow(emulator):
    pass


@pytest.mark.emulator_flow("bad.yaml", "other.yaml")
def test_with_two_flows(emulator):
    pass


@pytest.mark.emulator_flow("good.yaml")
def test_with_a_good_flow(emulator):
    assert emulator.flow.bot == "Ava"


def test_with_the_demo_agents(emulator):
    assert emulator.flow is None
"""


def test_a_flow_file_beside_the_test_is_played_and_a_bad_one_is_named(tmp_path: Path) -> None:
    (tmp_path / "test_flows.py").write_text(TESTS)
    (tmp_path / "good.yaml").write_text("bot: Ava\nstates:\n  hi:\n    say: Hi\n")
    (tmp_path / "bad.yaml").write_text("states:\n  hi:\n    sya: Hi\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rE", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert "2 passed, 2 errors" in result.stdout, result.stdout
    assert f"FlowError: {tmp_path / 'bad.yaml'}, line 3: states.hi.sya: not a key here" in (
        result.stdout
    )
    assert "emulator_flow takes one path (of the flow file); got ('bad.yaml', 'other.yaml')" in (
        result.stdout
    )
