"""The chat machines' state diagrams in the docs are drawn from their tables.

Each page shows its machine's ``TRANSITIONS.mermaid()`` in a ```mermaid block: when the
table changes, the test says which page to paste the new diagram into.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cxbus.runtime.transitions import Transitions
from cxbus_messaging.machine import TRANSITIONS as CONVERSATION
from cxbus_webchat.machine import TRANSITIONS as CHAT

ROOT = Path(__file__).resolve().parents[2]


def diagrams(page: Path) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```", page.read_text(), re.S | re.M)


@pytest.mark.parametrize(("page", "table"), [("messaging.md", CONVERSATION), ("webchat.md", CHAT)])
def test_the_page_shows_the_diagram_of_its_machines_table(
    page: str, table: Transitions[Any, Any]
) -> None:
    drawn = table.mermaid()
    assert drawn in diagrams(ROOT / "docs" / page), (
        f"docs/{page} does not show the machine's table: its ```mermaid block should be\n{drawn}"
    )
