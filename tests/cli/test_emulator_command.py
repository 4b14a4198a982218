"""cxbus emulator: a local Genesys Cloud in the foreground, and what to configure to use it."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

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
        f"cxbus emulator: cannot listen on 127.0.0.1:{port} (Address already in use): "
        "pick another --port, or --port 0 for a free one\n"
    )


def test_a_host_that_does_not_resolve_is_one_line_and_status_2() -> None:
    """--host 999.1.1.1 names the option and says what to give (it said "Unknown error -2")."""
    result = cxbus("emulator", "--host", "999.1.1.1")
    assert result.returncode == 2
    assert re.fullmatch(
        r"cxbus emulator: --host 999\.1\.1\.1: no such address or host name \([^)]+\); "
        r"give an address of this machine, such as 127\.0\.0\.1, or 0\.0\.0\.0 for all "
        r"of them\n",
        result.stderr,
    ), result.stderr


def test_an_address_of_another_machine_is_one_line_and_status_1() -> None:
    """--host 192.0.2.1 (a documentation address, never this machine's) says what to give."""
    result = cxbus("emulator", "--host", "192.0.2.1")
    assert result.returncode == 1
    assert result.stderr == (
        "cxbus emulator: cannot listen on 192.0.2.1:0 (Cannot assign requested address): "
        "give --host an address of this machine, such as 127.0.0.1, or 0.0.0.0\n"
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


def test_the_limit_names_are_those_of_limits() -> None:
    """--limit knows every field of Limits (the parser lists them without importing aiohttp)."""
    import attrs

    from cxbus_emulator.cli import LIMIT_NAMES
    from cxbus_emulator.web_messaging import Limits

    assert tuple(field.name for field in attrs.fields(Limits)) == LIMIT_NAMES


def test_web_messaging_options_reach_the_emulator() -> None:
    """--auth, --user, --session-duration and --limit: what a client then meets."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "cxbus", "emulator", "--json", "--auth", "required"),
            *("--user", "lin:Lin:Yu", "--session-duration", "90"),
            *("--limit", "connections_per_minute=100000", "--limit", "auth_jwt_seconds=60"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert process.stdout is not None
    sections = json.loads(process.stdout.readline())
    try:
        base = sections["messaging"]["baseURL"]
        deployment = sections["messaging"]["deploymentId"]
        assert sections["identity"] == {
            "signInURL": f"{base}/emulator/messaging/idp/authorize",
            "redirectUri": f"{base}/emulator/messaging/idp/signed-in",
            "users": ["lin"],
        }
        config = requests.get(
            f"{base}/webdeployments/v1/deployments/{deployment}/config.json", timeout=10
        ).json()
        assert config["auth"] == {"enabled": True, "allowSessionUpgrade": True}
        conversations = config["messenger"]["apps"]["conversations"]
        assert conversations["sessionDurationSeconds"] == 90
        limits = requests.get(f"{base}/emulator/messaging/limits", timeout=10).json()
        assert limits["connectionsPerMinute"] == 100_000 and limits["authJwtSeconds"] == 60
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def test_a_bad_web_messaging_option_is_one_line() -> None:
    result = cxbus("emulator", "--limit", "connections_per_hour=5")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "cxbus emulator: argument --limit: expected NAME=VALUE, NAME one of messages_per_second"
    )
    assert result.stderr.count("\n") == 1
    assert "LOGIN[:FIRST[:LAST]]; got 'a:b:c:d'" in cxbus("emulator", "--user", "a:b:c:d").stderr


EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "order-status.yaml"


def test_a_flow_file_that_cannot_be_read_is_one_line_and_status_2(tmp_path: Path) -> None:
    result = cxbus("emulator", "--flow", str(tmp_path / "nowhere.yaml"))
    assert result.returncode == 2
    assert result.stderr == (
        f"cxbus emulator: argument --flow: {tmp_path / 'nowhere.yaml'}, line 1: "
        "cannot read the flow file: No such file or directory\n"
    )


def test_a_bad_flow_file_is_one_line_naming_its_line_and_status_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("states:\n  welcome:\n    say: Hi\n    goto: nowhere\n")
    result = cxbus("emulator", "--flow", str(bad))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"cxbus emulator: argument --flow: {bad}, line 4: states.welcome.goto: expected the "
        "name of a state (welcome); got 'nowhere'\n"
    )


def test_with_a_flow_its_bot_greets_a_gms_chat() -> None:
    """cxbus emulator --flow FILE: the flow's bot greets; the GMS transcript, polled, shows it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cxbus", "emulator", "--json", "--flow", str(EXAMPLE)],
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert process.stdout is not None
    try:
        gms = json.loads(process.stdout.readline())["gms"]
        headers = {"apikey": gms["apikey"]}
        chat = requests.post(gms["dataURL"], data={"nickname": "Ada"}, headers=headers, timeout=5)
        keys = {"secureKey": chat.json()["secureKey"], "transcriptPosition": "1"}
        refresh = f"{gms['dataURL']}/{chat.json()['chatId']}/refresh"
        deadline = time.monotonic() + 20
        texts: list[str] = []
        while not texts and time.monotonic() < deadline:
            answer = requests.post(refresh, data=keys, headers=headers, timeout=5).json()
            texts = [m["text"] for m in answer["messages"] if m["type"] == "Message"]
        assert texts == [
            "Hi, I'm Ava. What can I do for you?\n1. Track my order\n2. Talk to an agent"
        ]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


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


def test_idle_timeout_must_be_whole_seconds_from_1() -> None:
    result = cxbus("emulator", "--idle-timeout", "0")
    assert result.returncode == 2
    assert "--idle-timeout: expected a whole number of seconds, 1 or more; got '0'" in (
        result.stderr
    )
