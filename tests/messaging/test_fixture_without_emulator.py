"""The messaging fixture without the cxbus[emulator] extra: one line naming it, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TEST = """
def test_uses_the_fixture(messaging):
    pass
"""
# The extra's aiohttp cannot be imported in the run (a None in sys.modules).
CONFTEST = """
import sys

sys.modules["aiohttp"] = None
"""


def test_the_messaging_fixture_names_the_missing_extra(tmp_path: Path) -> None:
    """The test errors at setup with the one line (it was a bare ModuleNotFoundError)."""
    (tmp_path / "test_uses.py").write_text(TEST)
    (tmp_path / "conftest.py").write_text(CONFTEST)
    # -rN: no short summary, which repeats the line in full where CI is set (pytest
    # shortens it to the terminal's width elsewhere).
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rN", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    line = (
        "the messaging fixture: aiohttp is not installed; the extra cxbus[emulator] brings "
        "it: pip install 'cxbus[emulator]'"
    )
    assert result.returncode == 1, result.stdout
    assert "1 error" in result.stdout and result.stdout.count(line) == 1, result.stdout
    assert "Traceback" not in result.stdout and "ModuleNotFoundError" not in result.stdout
