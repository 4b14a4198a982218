"""The scenario files of the documentation and the README pass as they are written: each
```yaml block is saved as a scenario file and run with cxbus test against the embedded
emulator, on the channels its ``channels`` key names (Web Messaging when it names none).
A fragment that is not a whole scenario is fenced as ```yml."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "docs" / "scenarios.md"]

SCENARIOS = [
    pytest.param(block, id=f"{page.name}-{number}")
    for page in PAGES
    for number, block in enumerate(
        re.findall(r"^```yaml\n(.*?)^```", page.read_text(), re.S | re.M), start=1
    )
]


@pytest.mark.integration
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_scenario_passes(scenario: str, tmp_path: Path) -> None:
    (tmp_path / "example.scenario.yaml").write_text(scenario)
    channels = yaml.safe_load(scenario).get("channels", ["messaging"])
    result = subprocess.run(
        [sys.executable, "-m", "cxbus", "test", "example.scenario.yaml"]
        + [arg for channel in channels for arg in ("--channel", channel)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
