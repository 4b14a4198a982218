"""The documentation site builds strictly, and its API reference has every public module.

A public module is one whose name has no leading underscore and that declares
``__all__``, in the packages of ``cxbus/`` and ``plugins/*/`` (their subpackages too).
Each must be rendered on a page of ``docs/reference/`` by a ``::: dotted.name`` line.
The modules are found by reading the source, not by importing it: importing
``cxbus_locust`` would patch this process with gevent.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference"
TOP_LEVEL_ALL = re.compile(r"^__all__\s*(:[^=\n]*)?=", re.M)
# Where each top-level package's folder is, as setup.cfg's package_dir says.
PACKAGE_FOLDERS = [
    ROOT / "cxbus",
    *sorted(init.parent for init in (ROOT / "plugins").glob("*/__init__.py")),
]


def declares_all(path: Path) -> bool:
    """Whether the module at ``path`` assigns ``__all__`` at its top level (at the start
    of a line: ruff format leaves no other way to write it)."""
    return TOP_LEVEL_ALL.search(path.read_text(encoding="utf-8")) is not None


def public_modules() -> list[str]:
    """The dotted names of the public modules (a package by its ``__init__``)."""
    found = []
    for folder in PACKAGE_FOLDERS:
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder.parent).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if any(part.startswith("_") for part in parts) or not all(
                (folder.parent.joinpath(*parts[:depth]) / "__init__.py").exists()
                for depth in range(1, len(parts))
            ):
                continue  # private, or not inside a package
            if declares_all(path):
                found.append(".".join(parts))
    return found


def referenced_modules() -> set[str]:
    """What the reference pages render: the names of their ``::: name`` lines."""
    rendered = set()
    for page in REFERENCE.glob("*.md"):
        rendered.update(re.findall(r"^::: *([\w.]+)", page.read_text(encoding="utf-8"), re.M))
    return rendered


def test_the_public_modules_are_found() -> None:
    """The discovery sees the bus, the runtime, the command line and every plugin."""
    modules = public_modules()
    for expected in (
        "cxbus",
        "cxbus.bus",
        "cxbus.runtime.threads",
        "cxbus.cli",
        "cxbus_webchat.transports.fake",
        "cxbus_messaging.guest_api",
        "cxbus_emulator.guest_chat.settings",
        "cxbus_locust",
    ):
        assert expected in modules
    assert "cxbus.__main__" not in modules


def test_every_public_module_has_a_reference_page() -> None:
    """A module with ``__all__`` that no page of docs/reference/ renders fails here."""
    missing = sorted(set(public_modules()) - referenced_modules())
    assert not missing, (
        "these public modules have no reference page: add a '::: name' line for each "
        f"to a page of docs/reference/ (and the page to mkdocs.yml's nav): {missing}"
    )


def test_every_reference_page_is_in_the_navigation() -> None:
    """A reference page that the navigation leaves out is one no reader finds."""
    navigation = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in REFERENCE.glob("*.md"):
        assert f"reference/{page.name}" in navigation, page.name


@pytest.mark.timeout(300)
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    """``mkdocs build --strict``: a broken link, reference or docstring fails it."""
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed: the docs extra brings it (pip install '.[docs]')")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert built.returncode == 0, built.stderr[-4000:]
    assert (tmp_path / "reference" / "cxbus_locust" / "index.html").exists()
