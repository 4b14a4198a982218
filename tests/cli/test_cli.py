"""The cxbus command, driven for real: in a pseudo-terminal, and with bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from cxbus import __version__
from cxbus_emulator import Emulator

# No cursor-position requests: pexpect is no terminal that answers them.
ENV = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1"}
GENESYS = {key: value for key, value in ENV.items() if not key.startswith("GENESYS_")}


def cxbus(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cxbus", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or GENESYS,
    )


def spawn_chat(tmp_path: Path, *args: str) -> pexpect.spawn:
    env = {**GENESYS, "HOME": str(tmp_path)}
    return pexpect.spawn(
        sys.executable,
        ["-m", "cxbus", "chat", "--name", "Ada", *args],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )


def test_chat_with_the_demo_agent_on_the_embedded_emulator(tmp_path: Path) -> None:
    """cxbus chat: greeting, typing indicator, an answer, /agents, /end, exit status 0."""
    chat = spawn_chat(tmp_path)
    chat.expect("chatting with the demo agent of the embedded emulator")
    chat.expect(r"\* Alex joined the chat")
    chat.expect(r"\[\d\d:\d\d\] Alex: Hi Ada, I'm Alex")
    chat.sendline("what is cxbus?")
    chat.expect("Alex is typing")
    chat.expect(r"\[\d\d:\d\d\] Alex: You said: what is cxbus\?")
    chat.sendline("/agents")
    chat.expect(r"Alex \(connected\)")
    chat.sendline("/transcript")
    chat.expect("Ada: what is cxbus?")
    chat.sendline("/end")
    chat.expect(r"\* the chat has ended")
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0


def test_ctrl_c_ends_the_chat_cleanly(tmp_path: Path) -> None:
    """Ctrl-C sends endChat and exits 0, with no traceback."""
    chat = spawn_chat(tmp_path)
    chat.expect(r"Alex: Hi Ada")
    chat.sendintr()
    chat.expect(r"\* you left the chat")
    rest = chat.read()
    chat.close()
    assert "Traceback" not in rest
    assert chat.exitstatus == 0


def test_restore_after_a_restart_picks_the_chat_up(tmp_path: Path) -> None:
    """Killed mid-chat, cxbus chat offers /restore, which brings the chat back to go on."""
    with Emulator(
        agent_join_delay=0.1,
        agent_typing_delay=0.1,
        # until WebChatService takes its own DISCONNECTED while away as temporary (issue 10)
        away_disconnects_guest=False,
    ) as emulator:
        config = tmp_path / "widgets.json"
        config.write_text(
            json.dumps({**emulator.webchat_config(), "sessionFile": str(tmp_path / "chat.json")})
        )
        first = spawn_chat(tmp_path, "--config", str(config))
        first.expect(r"Alex: Hi Ada")
        first.sendline("remember me")
        first.expect(r"Alex: You said: remember me")
        first.kill(signal.SIGKILL)
        first.close()

        second = spawn_chat(tmp_path, "--config", str(config))
        second.expect("/restore picks it up")
        second.sendline("/restore")
        second.expect(r"\[\d\d:\d\d\] Ada: remember me")
        second.expect(r"\* your last chat is back")
        second.sendline("and again")
        second.expect(r"Alex: You said: and again")
        second.sendline("/end")
        second.expect(r"\* the chat has ended")
        second.expect(pexpect.EOF)
        second.close()
        assert second.exitstatus == 0
        assert not (tmp_path / "chat.json").exists()


def test_version_and_python_dash_m() -> None:
    """cxbus --version names the version; python -m cxbus is the same program."""
    shown = cxbus("--version")
    assert shown.returncode == 0 and shown.stdout.strip() == f"cxbus {__version__}"


def test_commands_lists_plugins_with_their_commands_and_events() -> None:
    """cxbus commands shows WebChatService's commands and events (the bus's introspection)."""
    listing = cxbus("commands")
    assert listing.returncode == 0
    assert "WebChatService\n  commands: addPrefilter, configure," in listing.stdout
    assert "agentTypingTimeout" in listing.stdout


DEPLOYMENT = [
    "--data-url",
    "https://api.mypurecloud.com",
    "--deployment-key",
    "dk",
    "--org-guid",
    "org",
]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            DEPLOYMENT,
            "missing --queue (or GENESYS_QUEUE, "
            "or transport.interactionData.routing.targetAddress in --config)",
        ),
        (
            ["--queue", "Support"],
            "missing --data-url (or GENESYS_DATA_URL, or transport.dataURL in --config)",
        ),
        (
            [
                "--data-url",
                "api.mypurecloud.com",
                "--deployment-key",
                "dk",
                "--org-guid",
                "o",
                "--queue",
                "q",
            ],
            "webchat.transport.dataURL must be an http(s) URL such as "
            "'https://api.mypurecloud.com'; got 'api.mypurecloud.com'.",
        ),
    ],
)
def test_a_missing_or_malformed_option_is_one_line_and_status_2(args: list[str], line: str) -> None:
    """Each missing or malformed option: one line naming it on stderr, exit status 2."""
    result = cxbus("chat", *args)
    assert result.returncode == 2
    assert result.stderr.strip() == f"cxbus chat: {line}"


def test_options_come_from_the_environment_too() -> None:
    """GENESYS_... variables stand in for the flags; a missing one is still named."""
    env = {**GENESYS, "GENESYS_DATA_URL": "https://api.mypurecloud.com", "GENESYS_ORG_GUID": "o"}
    result = cxbus("chat", env=env)
    assert result.returncode == 2 and "missing --deployment-key" in result.stderr


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("{not json", "not JSON (Expecting property name enclosed in double quotes, line 1)"),
        ("[1, 2]", "expected an object shaped like _genesys.widgets.webchat"),
    ],
)
def test_a_malformed_config_file_is_one_line_and_status_2(
    tmp_path: Path, content: str, line: str
) -> None:
    """A config file that is not a webchat object: one line, exit status 2."""
    path = tmp_path / "widgets.json"
    path.write_text(content)
    result = cxbus("chat", "--config", str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"cxbus chat: --config {path}: {line}"


def test_a_bad_value_in_the_config_file_names_the_option(tmp_path: Path) -> None:
    """A wrong option in --config is named with what was expected."""
    path = tmp_path / "widgets.json"
    transport = {
        "dataURL": "https://api.mypurecloud.com",
        "deploymentKey": "dk",
        "orgGuid": "o",
        "interactionData": {"routing": {"targetAddress": "Support", "priority": 11}},
    }
    path.write_text(json.dumps({"transport": transport}))
    result = cxbus("chat", "--config", str(path))
    assert result.returncode == 2
    assert (
        "webchat.transport.interactionData.routing.priority must be an integer from 0 to 10"
        in result.stderr
    )
    assert "dk" not in result.stderr.replace("webchat", "")


def test_a_missing_config_file_is_one_line_and_status_2(tmp_path: Path) -> None:
    """--config naming no file: one line, status 2."""
    result = cxbus("chat", "--config", str(tmp_path / "none.json"))
    assert result.returncode == 2
    assert result.stderr.strip().endswith("No such file or directory")


def test_an_unreachable_server_is_one_line_and_a_failure_status(tmp_path: Path) -> None:
    """A network failure: one line, non-zero status, no traceback."""
    env = {**GENESYS, "HOME": str(tmp_path)}
    result = cxbus(
        "chat",
        "--data-url",
        "http://127.0.0.1:9",
        "--deployment-key",
        "dk",
        "--org-guid",
        "o",
        "--queue",
        "Support",
        env=env,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        "cxbus chat: the chat did not start: The chat server could not be reached"
    )


def test_the_emulator_prints_what_to_configure_and_stops_on_ctrl_c() -> None:
    """cxbus emulator prints dataURL, deploymentKey and orgGuid, and stops on SIGINT."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cxbus", "emulator"], stdout=subprocess.PIPE, text=True, env=GENESYS
    )
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(3)]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert lines[0].startswith("dataURL:       http://127.0.0.1:")
    assert lines[1].startswith("deploymentKey: ") and lines[2].startswith("orgGuid:       ")
