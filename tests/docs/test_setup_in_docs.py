"""What the docs say about the distribution matches setup.cfg: its extras, its pytest plugins."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}


def setup_cfg() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg", encoding="utf-8")
    return parser


def lines_of(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def extras() -> dict[str, set[str]]:
    """Each extra and what it brings: project names, and other extras by their name."""
    brings = {}
    for extra, value in setup_cfg()["options.extras_require"].items():
        names: set[str] = set()
        for requirement in lines_of(value):
            included = re.fullmatch(r"cxbus\[([\w,]+)\]", requirement)
            if included:
                names.update(included.group(1).split(","))
            else:
                names.add(re.split(r"[\[<>=!~; ]", requirement)[0].lower())
        brings[extra] = names
    return brings


def extras_table(page: Path) -> dict[str, set[str]]:
    """The page's table of extras: | `extra` | for | brings |."""
    table = {}
    for extra, brought in re.findall(
        r"^\| `(\w+)` \| [^|]* \| ([^|]*) \|$", page.read_text(encoding="utf-8"), re.M
    ):
        words = re.findall(r"[\w.-]+", brought)
        table[extra] = {word.lower() for word in words if word not in {"and"}}
    return table


@pytest.mark.parametrize("page", ["README.md", "docs/getting-started.md"])
def test_the_extras_tables_match_setup_cfg(page: str) -> None:
    """Every extra is in the table, and brings what setup.cfg says it brings."""
    assert extras_table(ROOT / page) == extras()


def test_the_testing_page_names_every_pytest_plugin() -> None:
    """docs/testing.md counts the pytest11 entry points right and has a row for each."""
    plugins = [
        line.split("=")[0].strip()
        for line in lines_of(setup_cfg()["options.entry_points"]["pytest11"])
    ]
    text = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    assert f"cxbus installs {NUMBERS[len(plugins)]} pytest plugins" in text
    for plugin in plugins:
        assert f"| `{plugin}` |" in text
