"""cxbus test run as a user runs it: scenario files played against the embedded emulator,
or against an emulator in a process of its own through --config files (so that what is
left open on it can be counted after the run, and after a Ctrl-C)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from .conftest import ENV, cxbus

pytestmark = pytest.mark.integration

GMS_POLLING = {"pollRateMin": 50, "pollRateMax": 250}

PASSING = """\
name: echo
steps:
  - say: hello
  - expect: {contains: "You said: hello"}
  - say: options
  - expect: {quick_replies: [Red, Green, Blue]}
  - choose: Green
  - expect: {equals: You chose Green.}
"""

FAILING = """\
name: order status
steps:
  - say: Where is my order?
  - expect: {contains: order number, within: 0.5}
  - say: "12345"
"""

AGENT = """\
name: agent
steps:
  - expect: {joined: agent}
  - say: hello
  - expect: {contains: What can I do for you}
"""


class EmulatorProcess:
    """``cxbus emulator --json`` in a process of its own; its sections as config files."""

    def __init__(self, folder: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cxbus", "emulator", "--json"],
            stdout=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        assert self.process.stdout is not None
        sections = json.loads(self.process.stdout.readline())
        self.url = sections["webchat"]["transport"]["dataURL"]
        sections["gms"] = {**sections["gms"], **GMS_POLLING}
        self.configs = {}
        for channel, section in sections.items():
            path = folder / f"{channel}.json"
            path.write_text(json.dumps(section))
            self.configs[channel] = str(path)

    def config(self, *channels: str) -> list[str]:
        """The --config arguments of ``channels``."""
        return [arg for c in channels for arg in ("--config", f"{c}={self.configs[c]}")]

    def open_conversations(self) -> dict[str, int]:
        answer = requests.get(f"{self.url}/emulator/open-conversations", timeout=10)
        answer.raise_for_status()
        counts: dict[str, int] = answer.json()
        return counts

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    running = EmulatorProcess(tmp_path_factory.mktemp("emulator"))
    try:
        yield running
    finally:
        running.stop()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_passing_scenarios_exit_0_with_a_line_each_the_latencies_and_a_summary(
    tmp_path: Path,
) -> None:
    write(tmp_path, "echo.scenario.yaml", PASSING)
    result = cxbus("test", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1 scenarios on messaging, against the embedded emulator (run ")
    assert lines[1].startswith("PASS  echo [messaging]  ")
    assert "reply latency (s)" in result.stdout
    assert "echo, step 2 (line 4) expect: {contains: 'You said: hello'}" in result.stdout
    assert any(line.startswith("every reply ") for line in lines)
    assert lines[-1].startswith("1 passed in ")


def test_a_failing_scenario_exits_1_with_the_transcript_and_the_nearest_message(
    tmp_path: Path,
) -> None:
    write(tmp_path, "echo.scenario.yaml", PASSING)
    failing = write(tmp_path, "order.scenario.yaml", FAILING)
    report = tmp_path / "report.xml"
    result = cxbus("test", str(tmp_path), "--parallel", "2", "--junit", str(report))
    assert result.returncode == 1, result.stdout + result.stderr
    suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("2", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"echo [messaging]", "order status [messaging]"}
    assert cases["order status [messaging]"].get("classname") == str(failing)
    unmet = cases["order status [messaging]"].find("failure")
    assert unmet is not None and "the nearest: bot at" in (unmet.get("message") or "")
    assert "  transcript:\n" in (unmet.text or "")
    timed = [p.get("name") for p in cases["echo [messaging]"].iter("property")]
    assert timed == ["latency step 2", "latency step 4", "latency step 6"]
    out = result.stdout
    assert "FAIL  order status [messaging]" in out and "PASS  echo [messaging]" in out
    report = out[out.index("order status [messaging] failed at") :]
    assert report.startswith(
        f"order status [messaging] failed at {failing}, line 4: step 2, "
        "expect: {contains: order number, within: 0.5}\n"
        "  No bot or agent message containing 'order number' within 0.5 s; "
        "the nearest: bot at "
    )
    assert "'You said: Where is my order?'" in report
    assert "  transcript:\n" in report
    assert "customer: Where is my order?" in report
    assert "bot: You said: Where is my order?" in report
    assert "1 passed, 1 failed in " in out


def test_a_malformed_file_exits_2_naming_its_line_before_anything_connects(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    write(tmp_path, "a-good.scenario.yaml", PASSING)
    bad = write(
        tmp_path,
        "b-bad.scenario.yaml",
        "name: bad\nsteps:\n  - say: hi\n  - expect: {contains: x, within: soon}\n",
    )
    before = requests.get(f"{emulator.url}/emulator/messaging/sessions", timeout=10).json()
    result = cxbus("test", str(tmp_path), *emulator.config("messaging"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"cxbus test: {bad}, line 4: steps[1].expect.within: expected a number of seconds "
        "above 0: how long an expect waits; got 'soon'\n"
    )
    after = requests.get(f"{emulator.url}/emulator/messaging/sessions", timeout=10).json()
    assert after == before  # nothing connected


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["no-such-folder"], "cxbus test: no-such-folder: no such file or folder\n"),
        (
            ["{folder}", "--config", "missing.json"],
            "cxbus test: --config missing.json: No such file or directory\n",
        ),
        (
            ["{folder}", "--channel", "messaging", "--channel", "gms", "--config", "x.json"],
            "cxbus test: argument --config: with several channels, expected CHANNEL=FILE; "
            "got 'x.json'\n",
        ),
        (["{folder}", "--parity"], "cxbus test: argument --parity: expected two --channel or more"),
        (["{folder}", "--parallel", "0"], "argument --parallel: expected a whole number above 0"),
        (["{folder}", "--within", "-1"], "argument --within: expected a number of seconds above 0"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str], error: str) -> None:
    write(tmp_path, "echo.scenario.yaml", PASSING)
    result = cxbus("test", *(arg.format(folder=tmp_path) for arg in args))
    assert result.returncode == 2
    assert result.stderr.startswith(error) or error in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_configuration_file_may_name_environment_variables(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    write(tmp_path, "echo.scenario.yaml", PASSING)
    section = json.loads(Path(emulator.configs["messaging"]).read_text())
    deployment = section["deploymentId"]
    config = tmp_path / "deployment.json"
    config.write_text(json.dumps({**section, "deploymentId": "${env.CXBUS_TEST_DEPLOYMENT}"}))
    missing = cxbus("test", str(tmp_path), "--config", str(config))
    assert missing.returncode == 2
    assert "the environment variable CXBUS_TEST_DEPLOYMENT is not set" in missing.stderr
    given = cxbus(
        "test", str(tmp_path), "--config", str(config), env={"CXBUS_TEST_DEPLOYMENT": deployment}
    )
    assert given.returncode == 0, given.stdout + given.stderr


def test_every_channel_against_a_deployment_leaves_nothing_open(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    write(tmp_path, "agent.scenario.yaml", "channels: [webchat, gms]\n" + AGENT)
    write(tmp_path, "echo.scenario.yaml", "channels: [messaging]\n" + PASSING)
    channels = ("messaging", "webchat", "gms")
    result = cxbus(
        "test",
        str(tmp_path),
        *(arg for c in channels for arg in ("--channel", c)),
        *emulator.config(*channels),
        "--parallel",
        "6",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASS  ") == 3 and result.stdout.count("SKIP  ") == 3
    assert emulator.open_conversations() == {"webchat": 0, "gms": 0, "messaging": 0}


def test_forty_scenarios_at_parallel_10_leave_no_conversation_open(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    write(tmp_path, "echo.scenario.yaml", PASSING)
    result = cxbus(
        "test", str(tmp_path), *emulator.config("messaging"), "--repeat", "40", "--parallel", "10"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASS  echo [messaging]") == 40
    assert "40 passed in " in result.stdout
    assert emulator.open_conversations() == {"webchat": 0, "gms": 0, "messaging": 0}


def wait_until(condition: Any, timeout: float = 30.0) -> bool:
    """Ask ``condition()`` every tenth of a second until it holds or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_ctrl_c_ends_every_conversation_under_way(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    write(
        tmp_path,
        "waits.scenario.yaml",
        "name: waits\nsteps:\n  - say: hello\n  - expect: {contains: never, within: 60}\n",
    )
    channels = ("messaging", "webchat", "gms")
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cxbus",
            "test",
            str(tmp_path),
            *(arg for c in channels for arg in ("--channel", c)),
            *emulator.config(*channels),
            "--repeat",
            "3",
            "--parallel",
            "9",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert wait_until(lambda: sum(emulator.open_conversations().values()) == 9)
    finally:
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=60)
    assert run.returncode == 130, out + err
    assert out.count("STOP  waits [") == 9
    assert "9 interrupted in " in out
    assert err == "cxbus test: interrupted; every conversation under way was ended\n"
    assert emulator.open_conversations() == {"webchat": 0, "gms": 0, "messaging": 0}


def test_parity_reports_where_two_channels_differ_step_by_step(tmp_path: Path) -> None:
    write(
        tmp_path,
        "both.scenario.yaml",
        """\
        name: both
        steps:
          - say: hello
          - collect: {quiet: 0.5}
          - say: bye
          - expect: {contains: Goodbye}
          - expect: {ended: true}
        """,
    )
    result = cxbus("test", str(tmp_path), "--channel", "messaging", "--channel", "gms", "--parity")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "PASS  both [messaging]" in out and "PASS  both [gms]" in out
    report = out[out.index("parity: both:") : out.index("reply latency")]
    assert report.startswith("parity: both: messaging and gms differ at 2 of 5 steps\n")
    assert "  step 2 (line 4) collect: {quiet: 0.5}\n    messaging  bot: Hi, I'm Alex" in report
    assert "\n    gms        agent: Hi Customer, I'm Alex. How can I help you today?" in report
    assert "  step 4 (line 6) expect: {contains: Goodbye}\n" in report
    assert "    messaging  bot: Goodbye, and thanks for chatting!\n" in report
    assert "    gms        agent: Goodbye, and thanks for chatting!\n" in report
    assert "  step 5 " not in report  # both ended
    assert "parity: messaging, gms differ in 1 of 1 scenarios played" in out
