"""The pytest plugins that cxbus installs: the bus fixture, their markers, turning them off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cxbus import Bus

GREETER_TEST = """\
def test_the_bus_fixture_is_there(bus):
    assert bus.plugins == {}

def test_the_webchat_fixture_is_there(webchat):
    assert webchat("getTranscript") == {"messages": []}
"""


@pytest.mark.bus_config(greeter={"greeting": "bonjour"})
def test_the_bus_config_marker_configures_the_bus_fixture(bus: Bus) -> None:
    """@pytest.mark.bus_config(section=...) is handed to each plugin that reads the section."""
    greeter = bus.register_plugin("Greeter", config_section="greeter")
    greeter.register_command("configure", lambda call: greeter.data("greeting", call.data))
    greeter.ready().result(timeout=1)
    assert greeter.data("Greeter.greeting") == {"greeting": "bonjour"}


def test_the_bus_fixture_has_no_configuration_without_the_marker(bus: Bus) -> None:
    """An unmarked test gets a bare bus: a plugin's section is empty."""
    greeter = bus.register_plugin("Greeter", config_section="greeter")
    greeter.register_command("configure", lambda call: greeter.data("greeting", call.data))
    greeter.ready().result(timeout=1)
    assert greeter.data("Greeter.greeting") == {}


def run_pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_fixtures.py").write_text(GREETER_TEST)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def test_the_plugins_are_on_wherever_cxbus_is_installed(tmp_path: Path) -> None:
    """A project with no conftest gets the bus and webchat fixtures, and their markers."""
    result = run_pytest(tmp_path)
    assert "2 passed" in result.stdout, result.stdout
    markers = run_pytest(tmp_path, "--markers").stdout
    assert "@pytest.mark.bus_config(**sections):" in markers
    assert "@pytest.mark.webchat_config(**options):" in markers


@pytest.mark.parametrize(
    ("plugin", "missing"), [("cxbus", "fixture 'bus' not found"), ("cxbus_webchat", "'webchat'")]
)
def test_each_plugin_is_turned_off_with_dash_p_no(
    tmp_path: Path, plugin: str, missing: str
) -> None:
    """pytest -p no:cxbus and -p no:cxbus_webchat each take one fixture away."""
    result = run_pytest(tmp_path, "-p", f"no:{plugin}")
    assert "1 passed, 1 error" in result.stdout, result.stdout
    assert missing in result.stdout
