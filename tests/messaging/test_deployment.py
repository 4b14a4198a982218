"""Reading a deployment's config.json (the reference's §2.11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxbus_messaging.guest_api import ProtocolError, UploadMode, parse_deployment_config

EXAMPLES = json.loads(
    (Path(__file__).parents[1] / "data" / "web_messaging_examples.json").read_text()
)


def test_the_reference_s_sample_is_read() -> None:
    config = parse_deployment_config(EXAMPLES["config"]["json"])
    assert (config.id, config.version, config.status) == ("test_config_id", "3", "Active")
    assert config.messenger_enabled and config.journey_events
    assert config.api_endpoint == "https://api.inindca.com"
    assert config.messaging_endpoint == "wss://webmessaging.inindca.com"
    assert config.languages == ("en-us",) and config.default_language == "en-us"
    assert config.auth_enabled and config.allow_session_upgrade
    # An older deployment: modes but no enableAttachments.
    assert config.uploads_enabled
    assert config.upload_modes == (UploadMode(("image/png", "image/jpeg", "image/gif"), 10000),)
    assert config.disconnect_enabled and config.disconnect_type == "ReadOnly"
    assert config.clear_enabled
    assert not (config.auto_start or config.show_user_typing or config.show_agent_typing)
    assert config.session_duration_seconds is None and not config.headless_mode


def test_switches_that_are_missing_read_as_off() -> None:
    config = parse_deployment_config({"id": "d", "status": "Inactive"})
    assert config.status == "Inactive"
    assert not config.uploads_enabled and config.upload_modes == ()
    assert config.disconnect_type is None and not config.clear_enabled


def test_enable_attachments_decides_over_the_modes() -> None:
    config = parse_deployment_config(
        {
            "id": "d",
            "messenger": {
                "fileUpload": {"enableAttachments": False, "modes": [{"fileTypes": ["image/png"]}]},
                "apps": {
                    "conversations": {
                        "autoStart": {"enabled": True},
                        "showUserTypingIndicator": True,
                        "sessionDurationSeconds": "900",
                    }
                },
            },
        }
    )
    assert not config.uploads_enabled and config.auto_start and config.show_user_typing
    assert config.session_duration_seconds == 900


def test_a_config_without_an_id_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="config.json: id is missing"):
        parse_deployment_config({"status": "Active"})
    with pytest.raises(ProtocolError, match="config.json must be a JSON object"):
        parse_deployment_config([])
