"""The core install, in a fresh virtual environment: the bus and the chat plugins, nothing more.

`pip install cxbus` brings blinker, attrs, filelock, requests and websocket-client; the emulator
(aiohttp, PyJWT, PyYAML, jsonschema) and the terminal chat (prompt_toolkit) come with extras. The
environment is built once per test session from a copy of the sources.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["cxbus", "plugins", "setup.cfg", "pyproject.toml", "README.md"]


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a fresh virtual environment with ``pip install cxbus`` only."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy(ROOT / name, source / name)
    venv = tmp_path_factory.mktemp("core-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(source)],
        check=True,
        timeout=600,
    )
    return venv / "bin"


def run(core: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a program of the environment (``python``, ``cxbus``) with no GENESYS_* variable."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GENESYS_")}
    return subprocess.run(
        [str(core / args[0]), *args[1:]], capture_output=True, text=True, timeout=120, env=env
    )


CHAT_ON_THE_FAKE_TRANSPORT = """\
import importlib.util, json, sys
import cxbus, cxbus_webchat
from cxbus import Bus

imported = sorted(m for m in ("requests", "websocket", "aiohttp", "jwt", "prompt_toolkit")
                  if m in sys.modules)
config = {"webchat": {"transport": {"type": "fake"}, "sessionFile": sys.argv[1]}}
with Bus(config=config) as bus:
    bus.command("WebChatService.startChat", {"nickname": "Ada"}).result(timeout=10)
    bus.command("FakeTransport.agentJoin", {"name": "Alex"}).result(timeout=10)
    bus.command("FakeTransport.agentSend", {"text": "Hello Ada"}).result(timeout=10)
    transcript = bus.command("WebChatService.getTranscript").result(timeout=10)
    bus.command("WebChatService.endChat").result(timeout=10)
print(json.dumps({
    "imported": imported,
    "still_not_imported": sorted(m for m in ("requests", "websocket") if m not in sys.modules),
    "installed": sorted(m for m in ("aiohttp", "jwt", "prompt_toolkit")
                        if importlib.util.find_spec(m)),
    "texts": [message["text"] for message in transcript["messages"]],
}))
"""


def test_a_chat_on_the_fake_transport_needs_no_network_library(core: Path, tmp_path: Path) -> None:
    """import cxbus, cxbus_webchat and a chat on the fake transport load no requests, no
    websocket-client; no aiohttp, PyJWT or prompt_toolkit is installed at all."""
    result = run(core, "python", "-c", CHAT_ON_THE_FAKE_TRANSPORT, str(tmp_path / "s.json"))
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen == {
        "imported": [],
        "still_not_imported": ["requests", "websocket"],
        "installed": [],
        "texts": ["Ada joined the chat", "Alex joined the chat", "Hello Ada"],
    }


def test_the_genesys_cloud_transport_is_imported_when_its_type_is_used(core: Path) -> None:
    """transport.type purecloud-v2-sockets loads requests and websocket-client then."""
    script = textwrap.dedent(
        """
        import sys
        from cxbus_webchat.transport import transport_class
        assert "requests" not in sys.modules
        print(transport_class("purecloud-v2-sockets").__name__, "requests" in sys.modules)
        """
    )
    result = run(core, "python", "-c", script)
    assert (result.returncode, result.stdout) == (0, "PureCloudV2Sockets True\n"), result.stderr


def test_the_bus_commands_work_from_the_command_line(core: Path) -> None:
    """cxbus commands lists the plugins of the core install: Database, MessagingService
    (listed as it stands with no messaging section) and WebChatService."""
    result = run(core, "cxbus", "commands")
    assert result.returncode == 0, result.stderr
    plugins = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert plugins == ["Database", "MessagingService", "WebChatService"]
    assert "\nWebChatService\n  commands: addPrefilter," in result.stdout
    assert "\nMessagingService\n  commands: clearConversation," in result.stdout


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["chat"],
            "cxbus chat: prompt_toolkit is not installed; the extra cxbus[chat] brings it: "
            "pip install 'cxbus[chat]'",
        ),
        (
            ["emulator"],
            "cxbus emulator: aiohttp is not installed; the extra cxbus[emulator] brings it: "
            "pip install 'cxbus[emulator]'",
        ),
    ],
)
def test_a_subcommand_whose_extra_is_missing_names_it_in_one_line(
    core: Path, args: list[str], line: str
) -> None:
    """cxbus chat and cxbus emulator say which extra to install, and exit 1."""
    result = run(core, "cxbus", *args)
    assert (result.returncode, result.stderr.strip()) == (1, line)


@pytest.mark.parametrize(
    ("statement", "line"),
    [
        (
            "import cxbus_locust",
            "ModuleNotFoundError: cxbus_locust: locust is not installed; the extra "
            "cxbus[locust] brings it: pip install 'cxbus[locust]'",
        ),
        (
            "from cxbus_emulator import Emulator",
            "ModuleNotFoundError: cxbus_emulator: aiohttp is not installed; the extra "
            "cxbus[emulator] brings it: pip install 'cxbus[emulator]'",
        ),
    ],
)
def test_a_plugin_whose_extra_is_missing_names_it_in_one_line(
    core: Path, statement: str, line: str
) -> None:
    """import cxbus_locust and the emulator's Emulator end with the line naming the extra."""
    result = run(core, "python", "-c", statement)
    assert (result.returncode, result.stderr.strip().splitlines()[-1]) == (1, line)
