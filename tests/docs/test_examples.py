"""The README's and the documentation's Python examples run as they are written.

Each ```python block runs in a process of its own, in a folder that holds the files of
docs/examples (``order-status.yaml``); the blocks of the testing page are
test modules, run by pytest. A fragment that is not meant to run is fenced as ```py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEST_PAGES = {"testing.md"}


def blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(), re.S | re.M)


def copy_examples(folder: Path) -> None:
    """Put the documentation's example files (docs/examples) in ``folder``."""
    for example_file in (ROOT / "docs" / "examples").iterdir():
        shutil.copy(example_file, folder)


EXAMPLES = [
    pytest.param(block, id=f"{page.name}-{number}")
    for page in PAGES
    if page.name not in TEST_PAGES
    for number, block in enumerate(blocks(page), start=1)
]


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_example_runs(example: str, tmp_path: Path) -> None:
    """The block runs to its end with status 0 (with the documentation's example files
    beside it, as the pages say)."""
    copy_examples(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", example],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"HOME": str(tmp_path), "PATH": ""},
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("page", sorted(TEST_PAGES))
def test_the_testing_examples_pass_as_tests(page: str, tmp_path: Path) -> None:
    """The testing page's blocks are test modules: pytest passes every test in them (with
    the documentation's example files beside them, as the page says)."""
    examples = blocks(ROOT / "docs" / page)
    copy_examples(tmp_path)
    for number, block in enumerate(examples, start=1):
        (tmp_path / f"test_example_{number}.py").write_text(block)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout
    assert re.search(r"^\d+ passed", result.stdout, re.M), result.stdout
