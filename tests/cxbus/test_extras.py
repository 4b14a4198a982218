"""cxbus.extras: an import that needs an extra says which, in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cxbus.extras import missing_extra, requiring


def test_a_missing_module_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still a ModuleNotFoundError (except ImportError works), now naming the extra."""
    monkeypatch.setitem(sys.modules, "gevent_or_so", None)  # `import` of it now fails
    with pytest.raises(ModuleNotFoundError) as missing, requiring("cxbus[demo]", "cxbus_demo"):
        import gevent_or_so  # noqa: F401
    assert str(missing.value) == (
        "cxbus_demo: gevent_or_so is not installed; the extra cxbus[demo] brings it: "
        "pip install 'cxbus[demo]'"
    )
    assert missing.value.name == "gevent_or_so"
    assert missing.value.__suppress_context__


def test_a_missing_module_of_cxbus_is_a_bug_and_goes_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A module of cxbus's own that is missing is not a missing extra."""
    monkeypatch.setitem(sys.modules, "cxbus_nowhere", None)
    with pytest.raises(ModuleNotFoundError) as missing, requiring("cxbus[demo]", "cxbus_demo"):
        import cxbus_nowhere  # noqa: F401
    assert "extra" not in str(missing.value)


def test_the_sentence_is_the_command_line_s() -> None:
    """The same words as cxbus's subcommands give (cxbus.cli.require_extra)."""
    assert missing_extra("aiohttp", "cxbus[emulator]") == (
        "aiohttp is not installed; the extra cxbus[emulator] brings it: "
        "pip install 'cxbus[emulator]'"
    )


@pytest.mark.parametrize(
    ("blocked", "statement", "line"),
    [
        (
            "locust",
            "import cxbus_locust",
            "ModuleNotFoundError: cxbus_locust: locust is not installed; the extra "
            "cxbus[locust] brings it: pip install 'cxbus[locust]'",
        ),
        (
            "aiohttp",
            "from cxbus_emulator import Emulator",
            "ModuleNotFoundError: cxbus_emulator: aiohttp is not installed; the extra "
            "cxbus[emulator] brings it: pip install 'cxbus[emulator]'",
        ),
    ],
)
def test_a_plugin_without_its_extra_names_it(blocked: str, statement: str, line: str) -> None:
    """In a process where the extra's module cannot be imported (a None in sys.modules),
    the plugin's import ends with the one line (it was a bare ModuleNotFoundError)."""
    script = f"import sys; sys.modules[{blocked!r}] = None\n{statement}"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == line
