"""cxbus chat with bad input: each mistake is one line naming it, exit status 2, no chat."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxbus_webchat.chat_options import webchat_section

from .conftest import cxbus

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
    env = {"GENESYS_DATA_URL": "https://api.mypurecloud.com", "GENESYS_ORG_GUID": "o"}
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
    path.write_text(json.dumps({"transport": {"type": "purecloud-v2-sockets", **transport}}))
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


def test_an_unreachable_server_is_one_line_in_words_and_status_1(tmp_path: Path) -> None:
    """A server that refuses: one line, once, naming it and why, no network library's text."""
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
        env={"HOME": str(tmp_path)},
    )
    assert result.returncode == 1
    assert result.stderr == (
        "cxbus chat: the chat did not start: "
        "The chat server at http://127.0.0.1:9 could not be reached.\n"
    )
    assert "could not be reached" not in result.stdout


WIDGETS = {
    "transport": {
        "type": "purecloud-v2-sockets",
        "dataURL": "https://api.mypurecloud.com",
        "deploymentKey": "dk",
        "orgGuid": "o",
        "interactionData": {"routing": {"targetType": "QUEUE", "targetAddress": "Support"}},
    }
}


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ({}, "webchat.dataURL must be the GMS chat service's http(s) URL"),
        (
            {"trasport": WIDGETS["transport"]},
            "webchat.trasport is not an option of WebChatService; did you mean transport?",
        ),
        (
            {"transport": {**WIDGETS["transport"], "dataUrl": "https://api.mypurecloud.com"}},
            "webchat.transport.dataUrl is not an option of WebChatService; did you mean dataURL?",
        ),
        (
            {**WIDGETS, "chatButton": {"enabled": True}},
            "webchat.chatButton is not an option of WebChatService (known: transport, userData,",
        ),
        (
            {"transport": {**WIDGETS["transport"], "type": "purecloud-v3"}},
            "webchat.transport.type 'purecloud-v3' is not a known transport "
            "(known: fake, purecloud-v2-sockets).",
        ),
    ],
    ids=["nothing", "misspelled section", "misspelled option", "widget option", "unknown type"],
)
def test_a_config_file_that_configures_no_deployment_is_one_line_and_status_2(
    tmp_path: Path, content: dict[str, object], line: str
) -> None:
    """{} or a misspelled key is no chat with the demo: the key named, exit status 2, and no
    stray "Unhandled rejection"."""
    path = tmp_path / "widgets.json"
    path.write_text(json.dumps(content))
    result = cxbus("chat", "--config", str(path), env={"HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.startswith(f"cxbus chat: --config {path}: {line}")
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


def test_a_top_level_data_url_with_no_transport_is_a_gms_configuration(tmp_path: Path) -> None:
    """dataURL beside no transport is GMS mode, as in the widgets: the check lets it through."""
    path = tmp_path / "widgets.json"
    gms = {"dataURL": "https://gms.example.com/genesys/2/chat/customer", "apikey": "k"}
    path.write_text(json.dumps({**gms, "pollExceptionLimit": 3}))
    assert webchat_section({}, {}, str(path)) == {**gms, "pollExceptionLimit": 3}


def test_a_bad_gms_option_is_one_line_and_status_2(tmp_path: Path) -> None:
    path = tmp_path / "widgets.json"
    path.write_text(json.dumps({"dataURL": "https://gms.example.com/x", "pollRateMin": -1}))
    result = cxbus("chat", "--config", str(path), env={"HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr == (
        f"cxbus chat: --config {path}: webchat.pollRateMin must be a finite number of "
        "milliseconds above 0; got -1.\n"
    )


def test_chat_help_names_the_variables_the_demo_and_how_to_leave() -> None:
    """cxbus chat --help says where a deployment comes from, and what happens without one."""
    shown = cxbus("chat", "--help").stdout
    for variable in ("GENESYS_DATA_URL", "GENESYS_DEPLOYMENT_KEY", "GENESYS_ORG_GUID"):
        assert variable in shown
    assert "GENESYS_QUEUE" in shown
    assert "starts the embedded emulator, a local Genesys Cloud, and chats with its demo agent" in (
        " ".join(shown.split())
    )
    assert "Ctrl-C leaves it open" in shown and "/restore picks it up" in " ".join(shown.split())


def test_gms_with_a_deployment_is_one_line_and_status_2(tmp_path: Path) -> None:
    path = tmp_path / "widgets.json"
    path.write_text(json.dumps({"dataURL": "https://gms.example.com/genesys/2/chat/x"}))
    result = cxbus("chat", "--gms", "--config", str(path), env={"HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr == (
        "cxbus chat: --gms chats with the embedded emulator's GMS: give it without --config, "
        "a deployment or --channel messaging\n"
    )
