"""cxbus emulator: a local Genesys Cloud in the foreground, and what to configure to use it."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys

from cxbus_emulator.emulator import IDLE_TIMEOUT

from .conftest import ENV, cxbus


def test_the_emulator_prints_what_to_configure_and_stops_on_ctrl_c() -> None:
    """cxbus emulator prints what each API needs, and stops on SIGINT."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cxbus", "emulator"], stdout=subprocess.PIPE, text=True, env=ENV
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:  # ends early if the emulator does
        lines.append(line)
        if line == "Ctrl-C stops it.\n":
            break
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert lines[0] == "Guest chat API (webchat transport purecloud-v2-sockets):\n"
    assert lines[1].startswith("  dataURL:       http://127.0.0.1:")
    assert lines[2].startswith("  deploymentKey: ") and lines[3].startswith("  orgGuid:       ")
    assert lines[4] == "  queue:         Support\n"
    port = lines[1].rsplit(":", 1)[1].strip()
    assert lines[5] == "GMS Chat API (a webchat section with no transport section):\n"
    assert lines[6] == f"  dataURL:       http://127.0.0.1:{port}/genesys/2/chat/customer-support\n"
    assert lines[7].startswith("  apikey:        ") and len(lines[7].split()[1]) == 32
    assert lines[8] == "Web Messaging guest API (a messaging section):\n"
    assert lines[9].startswith("  deploymentId:  ")
    assert lines[10] == f"  baseURL:       http://127.0.0.1:{port}\n"


def test_a_port_in_use_is_one_line_and_status_1() -> None:
    """A port taken by another program: one line naming it, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cxbus("emulator", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr == (
        f"cxbus emulator: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


def test_host_and_port_have_help() -> None:
    """cxbus emulator --help says what --host, --port and --idle-timeout are, with their
    defaults."""
    shown = " ".join(cxbus("emulator", "--help").stdout.split())
    assert "--host HOST the address to listen on (default: 127.0.0.1" in shown
    assert "--port PORT the port to listen on (default: 0, a free one)" in shown
    assert f"under way after this long (default: {IDLE_TIMEOUT:g})" in shown


def test_the_emulator_prints_its_configuration_sections_as_json_for_programs() -> None:
    """cxbus emulator --json: one line with the webchat, gms and messaging sections."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cxbus", "emulator", "--json"],
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert process.stdout is not None
    sections = json.loads(process.stdout.readline())
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert sections["webchat"]["transport"]["type"] == "purecloud-v2-sockets"
    assert sections["gms"]["dataURL"].endswith("/genesys/2/chat/customer-support")
    assert set(sections["messaging"]) == {"deploymentId", "baseURL"}


def test_an_emulator_beyond_loopback_prints_the_key_of_its_control_api() -> None:
    """cxbus emulator --host 0.0.0.0: the control API's key, printed and in --json."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cxbus", "emulator", "--host", "0.0.0.0", "--json"],
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert process.stdout is not None
    sections = json.loads(process.stdout.readline())
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert len(sections["controlKey"]) >= 32


def test_idle_timeout_must_be_seconds_above_0() -> None:
    result = cxbus("emulator", "--idle-timeout", "0")
    assert result.returncode == 2
    assert "--idle-timeout: expected a number of seconds above 0; got '0'" in result.stderr
