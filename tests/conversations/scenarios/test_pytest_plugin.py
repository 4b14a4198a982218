"""The cxbus_scenarios pytest plugin, run as a project runs it: pytest in a process of its own
on a folder of scenario files, with -k, -x and --junitxml, and nothing else to write."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

FILES = {
    "echo.scenario.yaml": """\
        scenarios:
          - name: echo
            steps:
              - say: hello
              - expect: {contains: "You said: hello"}
          - name: colours
            steps:
              - say: options
              - expect: {quick_replies: [Red, Green, Blue]}
              - choose: Red
              - expect: {equals: You chose Red.}
        """,
    "order.scenario.yaml": """\
        name: order status
        steps:
          - say: Where is my order?
          - expect: {contains: order number, within: 0.5}
        """,
    "agent.scenario.yaml": """\
        name: agent
        channels: [webchat, gms]
        steps:
          - expect: {joined: agent}
          - say: hello
          - expect: {contains: What can I do for you}
        """,
    "notes.yaml": "not: a scenario, and not collected\n",
}


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    for name, text in FILES.items():
        (folder / name).write_text(textwrap.dedent(text))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_each_scenario_is_an_item_and_a_failure_shows_its_report(tmp_path: Path) -> None:
    result = pytest_in(tmp_path, "--junitxml", "report.xml")
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "PASSED echo.scenario.yaml::echo" in out
    assert "PASSED echo.scenario.yaml::colours" in out
    assert "SKIPPED" in out and "agent is not for the channel messaging" in out
    assert "FAILED order.scenario.yaml::order status" in out
    assert "order status [messaging] failed at" in out
    assert "line 4: step 2, expect: {contains: order number, within: 0.5}" in out
    assert "No bot or agent message containing 'order number' within 0.5 s" in out
    assert "  transcript:\n" in out and "customer: Where is my order?" in out
    assert "1 failed, 2 passed, 1 skipped" in out
    suite = ElementTree.parse(tmp_path / "report.xml").getroot().find("testsuite")
    assert suite is not None
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"echo", "colours", "order status", "agent"}
    failure = cases["order status"].find("failure")
    assert failure is not None and "No bot or agent message containing" in (failure.text or "")
    latencies = [p.get("name") for p in cases["colours"].iter("property")]
    assert latencies == ["latency step 2", "latency step 4"]


def test_k_chooses_scenarios_by_name_and_x_stops_at_the_first_failure(tmp_path: Path) -> None:
    chosen = pytest_in(tmp_path, "-k", "colours or echo")
    assert chosen.returncode == 0, chosen.stdout
    assert "2 passed, 2 deselected" in chosen.stdout
    stopped = pytest_in(tmp_path, "-x", "order.scenario.yaml", "echo.scenario.yaml")
    assert stopped.returncode == 1
    assert "1 failed" in stopped.stdout and "passed" not in stopped.stdout.splitlines()[-1]


def test_channels_come_from_the_command_line_or_the_ini_file(tmp_path: Path) -> None:
    on_two = pytest_in(
        tmp_path, "--scenario-channel", "webchat", "--scenario-channel", "gms", "-k", "agent"
    )
    assert on_two.returncode == 0, on_two.stdout
    assert "PASSED agent.scenario.yaml::agent[webchat]" in on_two.stdout
    assert "PASSED agent.scenario.yaml::agent[gms]" in on_two.stdout
    (tmp_path / "pytest.ini").write_text("[pytest]\nscenario_channels = gms\n")
    from_ini = pytest_in(tmp_path, "-k", "agent")
    assert from_ini.returncode == 0, from_ini.stdout
    assert "1 passed" in from_ini.stdout


def test_a_bad_file_is_a_collection_error_naming_its_line(tmp_path: Path) -> None:
    (tmp_path / "bad.scenario.yaml").write_text("name: bad\nsteps:\n  - sey: hi\n")
    result = pytest_in(tmp_path, "bad.scenario.yaml")
    assert result.returncode == 2, result.stdout
    assert (
        "bad.scenario.yaml, line 3: steps[0].sey: not a key here; expected one of say, expect"
        in result.stdout
    )
    assert "Traceback" not in result.stdout


def test_with_a_flow_file_the_summary_tells_its_coverage(tmp_path: Path) -> None:
    flow = Path(__file__).resolve().parents[3] / "docs" / "examples" / "order-status.yaml"
    (tmp_path / "order.scenario.yaml").write_text(
        textwrap.dedent(
            """\
            name: order
            steps:
              - say: Where is my order?
              - choose: Track my order
              - expect: {contains: order number}
            """
        )
    )
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"),
            *("order.scenario.yaml", f"--scenario-flow={flow}"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout
    assert "flow coverage" in result.stdout
    assert f"flow coverage of {flow}: 2 of 5 states, 2 of 9 branches" in result.stdout
