"""The platform side of scenario runs, the whole path: ``cxbus test`` (and the pytest
plugin) as a user runs them, against an emulator whose flow-file bot sets participant
data, with a target whose configuration has a ``platform`` section.

The emulator runs in this process and the command in another; they talk over real
sockets. What is left open is checked on the emulator itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxbus_emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
ORDER_STATUS = ROOT / "docs" / "examples" / "order-status.yaml"
SETS_DATA = """\
name: order status sets participant data
steps:
  - say: Track my order
  - expect: {contains: order number}
  - say: "12345"
  - expect: {contains: on its way}
  - expect:
      participant_data:
        intent: order-status
        order_number: {matches: '^\\d{5}$'}
"""
WRONG_DATA = """\
name: the flow set another intent
steps:
  - say: Talk to an agent
  - expect: {participant_data: {intent: refund}, within: 1}
"""
STAYS_OPEN = """\
name: a question and its answer
steps:
  - say: Track my order
  - expect: {contains: order number}
"""


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An emulator of this test's own, its flow-file bot quick."""
    with Emulator(flow=ORDER_STATUS, agent_join_delay=0.05, agent_typing_delay=0.02) as running:
        yield running


def write(folder: Path, name: str, content: str | dict[str, Any]) -> Path:
    path = folder / name
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def deployment(
    emulator: Emulator, folder: Path, channel: str, platform: dict[str, str] | None
) -> Path:
    """A deployment's configuration file for ``channel`` on the emulator; with a
    ``platform`` section when given."""
    section = emulator.messaging_config() if channel == "messaging" else emulator.webchat_config()
    if platform is not None:
        section = {**section, "platform": platform}
    return write(folder, f"{channel}.json", section)


def cxbus_test(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cxbus", "test", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_flows_participant_data_is_asserted(emulator: Emulator, tmp_path: Path) -> None:
    scenario = write(tmp_path, "order.scenario.yaml", SETS_DATA)
    config = deployment(emulator, tmp_path, "messaging", emulator.platform_config())
    ran = cxbus_test(scenario, "--config", config)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "PASS  order status sets participant data [messaging]" in ran.stdout
    (conversation_id,) = emulator.messaging.sessions()
    assert emulator.participant_data(conversation_id) == {
        "order_number": "12345",
        "intent": "order-status",
    }


def test_a_failure_prints_the_conversation_id(emulator: Emulator, tmp_path: Path) -> None:
    scenario = write(tmp_path, "wrong.scenario.yaml", WRONG_DATA)
    config = deployment(emulator, tmp_path, "messaging", emulator.platform_config())
    ran = cxbus_test(scenario, "--config", config)
    assert ran.returncode == 1
    (conversation_id,) = emulator.messaging.sessions()
    report = ran.stdout[ran.stdout.index("the flow set another intent [messaging] failed at") :]
    assert report.splitlines()[2] == f"  conversation {conversation_id}"  # after the problem
    assert (
        "The participant data intent is not as expected (equals refund) within 1.0 s; "
        "it is 'agent'" in ran.stdout
    )


@pytest.mark.parametrize("channel", ["messaging", "webchat"])
def test_every_conversation_is_disconnected_at_the_end(
    emulator: Emulator, tmp_path: Path, channel: str
) -> None:
    emulator.messaging.disable_clear()  # the guest cannot end its Web Messaging conversation
    scenario = write(tmp_path, "open.scenario.yaml", STAYS_OPEN)
    config = deployment(emulator, tmp_path, channel, emulator.platform_config())
    ran = cxbus_test(
        scenario, "--channel", channel, "--config", config, "--repeat", "6", "--parallel", "3"
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.count("PASS") == 6
    assert emulator.open_conversations() == {"webchat": 0, "gms": 0, "messaging": 0}
    assert len(emulator.messaging.sessions()) == (6 if channel == "messaging" else 0)


def test_without_a_platform_section_the_run_says_once_what_stays_open(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.messaging.disable_clear()
    scenario = write(tmp_path, "open.scenario.yaml", STAYS_OPEN)
    config = deployment(emulator, tmp_path, "messaging", None)
    ran = cxbus_test(scenario, "--config", config, "--repeat", "3")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert emulator.open_conversations()["messaging"] == 3
    assert ran.stderr.count("does not let the guest clear its conversation") == 1
    assert "give cxbus test's target a platform section" in ran.stderr


def test_participant_data_without_a_platform_section_fails_saying_so(
    emulator: Emulator, tmp_path: Path
) -> None:
    scenario = write(tmp_path, "order.scenario.yaml", SETS_DATA)
    config = deployment(emulator, tmp_path, "messaging", None)
    ran = cxbus_test(scenario, "--config", config)
    assert ran.returncode == 1
    assert "expect participant_data needs a platform section" in ran.stdout


def test_bad_platform_credentials_are_one_error_before_the_run(
    emulator: Emulator, tmp_path: Path
) -> None:
    scenario = write(tmp_path, "order.scenario.yaml", SETS_DATA)
    platform = {**emulator.platform_config(), "clientSecret": "not-the-secret"}
    config = deployment(emulator, tmp_path, "messaging", platform)
    ran = cxbus_test(scenario, "--config", config)
    assert ran.returncode == 2
    assert ran.stdout == ""
    assert ran.stderr == (
        f"cxbus test: The platform at {emulator.data_url} refused the OAuth client "
        "'cxbus-emulator': check platform.clientId and platform.clientSecret, and that the "
        "client has the Client Credentials grant.\n"
    )
    assert "not-the-secret" not in ran.stderr
    assert emulator.messaging.sessions() == []  # nothing connected


def test_a_bad_platform_section_names_its_key(emulator: Emulator, tmp_path: Path) -> None:
    scenario = write(tmp_path, "order.scenario.yaml", SETS_DATA)
    platform = {"apiBaseUrl": emulator.data_url, "clientId": "cxbus-emulator"}
    config = deployment(emulator, tmp_path, "messaging", platform)
    ran = cxbus_test(scenario, "--config", config)
    assert ran.returncode == 2
    assert ran.stderr == (
        "cxbus test: platform needs clientSecret, the OAuth client's credentials.\n"
    )


def pytest_run(folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=folder,
    )


def test_the_pytest_plugin_asserts_participant_data_and_checks_credentials_first(
    emulator: Emulator, tmp_path: Path
) -> None:
    write(tmp_path, "order.scenario.yaml", SETS_DATA)
    config = deployment(emulator, tmp_path, "messaging", emulator.platform_config())
    passed = pytest_run(tmp_path, "--scenario-config", config)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "1 passed" in passed.stdout
    platform = {**emulator.platform_config(), "clientSecret": "not-the-secret"}
    bad = deployment(emulator, tmp_path, "messaging", platform)
    refused = pytest_run(tmp_path, "--scenario-config", bad)
    assert refused.returncode == pytest.ExitCode.USAGE_ERROR
    assert "refused the OAuth client 'cxbus-emulator'" in refused.stderr
    assert len(emulator.messaging.sessions()) == 1  # the first run's only
