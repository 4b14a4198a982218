"""The conversations page's pytest examples pass as tests, as a project would run them.

Its blocks that define tests (``def test_``) are test modules; the others run as
scripts with the rest of the documentation (test_examples.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .test_examples import ROOT, blocks, copy_examples

pytestmark = pytest.mark.integration


def test_the_pytest_examples_pass(tmp_path: Path) -> None:
    tests = [block for block in blocks(ROOT / "docs" / "conversations.md") if "def test_" in block]
    assert tests, "the page has a pytest example"
    copy_examples(tmp_path)  # the flow files the markers name
    for number, block in enumerate(tests, start=1):
        (tmp_path / f"test_conversation_example_{number}.py").write_text(block)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout
    assert re.search(r"^8 passed", result.stdout, re.M), result.stdout
