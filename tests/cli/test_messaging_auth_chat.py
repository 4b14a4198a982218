"""cxbus chat --channel messaging, signed in: an authenticated conversation end to end in a
pseudo-terminal, against the embedded emulator's identity provider or a given code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxbus_emulator import Emulator
from cxbus_emulator.web_messaging import Deployment

from .conftest import cxbus, finish, spawn_chat


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(
        agent_join_delay=0.05,
        agent_typing_delay=0.05,
        messaging_deployment=Deployment(auth_enabled=True),
    ) as running:
        yield running


def test_the_demo_signs_in_as_a_user_of_the_emulators_identity_provider(tmp_path: Path) -> None:
    chat = spawn_chat(tmp_path, "--channel", "messaging", "--auth-user", "ada")
    chat.expect("signed in as ada")
    chat.expect(r"\* signed in")
    chat.sendline("hello")
    chat.expect("Bot: You said: hello")
    chat.sendline("/quit")
    status, rest = finish(chat)
    assert status == 0 and "Traceback" not in rest


def test_a_code_given_by_flag_signs_in_on_a_deployment(tmp_path: Path, emulator: Emulator) -> None:
    config = tmp_path / "messaging.json"
    config.write_text(
        json.dumps({**emulator.messaging_config(), "sessionFile": str(tmp_path / "s.json")})
    )
    code = emulator.messaging.authorization_code("grace")
    chat = spawn_chat(
        tmp_path,
        "--config",
        str(config),
        "--auth-code",
        code,
        "--redirect-uri",
        emulator.messaging.redirect_uri,
    )
    chat.expect(r"\* signed in")
    chat.sendline("who am I")
    chat.expect("Bot: You said: who am I")
    chat.sendeof()
    status, rest = finish(chat)
    assert status == 0 and "Traceback" not in rest
    assert code not in chat.logfile_read.getvalue()
    assert len(emulator.messaging.sessions()) == 1


def test_an_unknown_demo_user_is_one_line(tmp_path: Path) -> None:
    chat = spawn_chat(tmp_path, "--channel", "messaging", "--auth-user", "nobody")
    chat.expect("--auth-user must be a user of the emulator's identity provider")
    status, rest = finish(chat)
    assert status == 2 and "Traceback" not in rest


def test_auth_user_with_a_deployment_is_refused(tmp_path: Path) -> None:
    result = cxbus("chat", "--deployment-id", "d", "--region", "eu-west-1", "--auth-user", "ada")
    assert result.returncode == 2
    assert "--auth-user signs in on the demo's emulator only" in result.stderr
