"""Coverage: scenarios played against the emulator's bot of a flow file (the example of
the documentation), on every channel, and which of the flow's states and branches they
reached, as the emulator tells it (in Python and over HTTP) and as cxbus test prints it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from cxbus_conversations.scenarios import EmulatorTarget, Runner, read_scenarios
from cxbus_emulator.flow import load_flow

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
FLOW = ROOT / "docs" / "examples" / "order-status.yaml"

SCENARIOS = """\
scenarios:
  - name: order on web messaging
    channels: [messaging]
    steps:
      - say: Where is my order?
      - expect: {quick_replies: [Track my order, Talk to an agent]}
      - choose: Track my order
      - expect: {contains: order number}
      - say: "12345"
      - expect: {matches: 'on its way', card: Your parcel}
      - choose: Done
      - expect: {ended: true}
  - name: order on web chat
    channels: [webchat, gms]
    steps:
      - expect: {contains: "1. Track my order"}
      - say: "1"
      - expect: {contains: order number}
      - say: "123"
      - expect: {contains: five digits}
      - say: "12345"
      - expect: {contains: Order 12345 is on its way}
      - say: bye
      - expect: {ended: true}
"""


def test_the_emulator_tells_which_states_and_branches_the_scenarios_reached() -> None:
    scenarios = read_scenarios(SCENARIOS, "order.scenario.yaml", {})
    with EmulatorTarget(load_flow(FLOW)) as target:
        runner = Runner(
            target,
            channels=["messaging", "webchat", "gms"],
            parallel=3,
            run_id="cxbus-coverage",
            environ={},
        )
        run = runner.run(scenarios)
        for play in run.plays:
            assert play.status in ("passed", "skipped"), f"{play.problem}\n{play.transcript}"
        found = target.coverage()
        served = requests.get(f"{target.emulator.data_url}/emulator/flow-coverage", timeout=10)
        branches = target.branches()
    assert found is not None
    assert served.json() == found.to_json()
    assert found.states == {"welcome": 3, "ask_number": 3, "found": 3, "agent": 0, "goodbye": 3}
    taken = {name for name, count in found.branches.items() if count}
    assert taken == {
        "welcome fallback",  # Where is my order?
        "welcome on[0]",  # Track my order, 1
        "ask_number on[0]",  # 12345
        "ask_number fallback",  # 123
        "found on[1]",  # Done
        "on[1]",  # bye
    }
    assert set(branches) == set(found.branches)


def test_cxbus_test_prints_the_coverage_of_its_flow_file(tmp_path: Path) -> None:
    (tmp_path / "order.scenario.yaml").write_text(SCENARIOS)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "cxbus", "test", str(tmp_path), "--flow", str(FLOW)),
            *("--channel", "messaging", "--channel", "webchat", "--parallel", "2"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"against the embedded emulator playing the flow {FLOW}" in out
    report = out[out.index("flow coverage of") :]
    assert report.startswith(f"flow coverage of {FLOW}: 4 of 5 states, 6 of 9 branches\n")
    assert "  states entered: welcome 2, ask_number 2, found 2, agent 0, goodbye 2\n" in report
    assert "  states not reached: agent\n" in report
    assert "    found on[0]: equals 'Another order' -> ask_number\n" in report
    assert "    on[0]: contains 'agent' or 'human' -> agent\n" in report


def test_a_bad_flow_file_exits_2_naming_its_line(tmp_path: Path) -> None:
    (tmp_path / "order.scenario.yaml").write_text(SCENARIOS)
    flow = tmp_path / "bad.yaml"
    flow.write_text("states:\n  hi:\n    sya: hello\n")
    result = subprocess.run(
        [sys.executable, "-m", "cxbus", "test", str(tmp_path), "--flow", str(flow)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"cxbus test: {flow}, line 3: states.hi.sya: not a key here")
    assert result.stdout == ""
