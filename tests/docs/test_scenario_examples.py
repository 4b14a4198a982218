"""The scenario files of the documentation and the README pass as they are written: each
```yaml block is saved as a scenario file and run with cxbus test against the embedded
emulator, on the channels its ``channels`` key names (Web Messaging when it names none),
with the options of the ``cxbus test NAME.scenario.yaml ...`` command that follows it on
the page, if one does before the next block or heading (``--flow
docs/examples/order-status.yaml``, from the project's root). A fragment that is not a
whole scenario is fenced as ```yml."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "docs" / "scenarios.md"]

BLOCK = re.compile(r"^```yaml\n(.*?)^```(.*?)(?=^```yaml\n|^##|\Z)", re.S | re.M)
COMMAND = re.compile(r"cxbus test \S+\.scenario\.yaml([^`\n]*)")


def options_after(text: str) -> list[str]:
    """The options of the first ``cxbus test`` command in ``text``, paths from the root."""
    command = COMMAND.search(text)
    options = command.group(1).split() if command else []
    return [str(ROOT / option) if option.startswith("docs/") else option for option in options]


SCENARIOS = [
    pytest.param(block, options_after(after), id=f"{page.name}-{number}")
    for page in PAGES
    for number, (block, after) in enumerate(BLOCK.findall(page.read_text()), start=1)
]


@pytest.mark.integration
@pytest.mark.parametrize(("scenario", "options"), SCENARIOS)
def test_the_scenario_passes(scenario: str, options: list[str], tmp_path: Path) -> None:
    (tmp_path / "example.scenario.yaml").write_text(scenario)
    channels = yaml.safe_load(scenario).get("channels", ["messaging"])
    result = subprocess.run(
        [sys.executable, "-m", "cxbus", "test", "example.scenario.yaml", *options]
        + [arg for channel in channels for arg in ("--channel", channel)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
