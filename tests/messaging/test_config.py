"""The messaging section: validated once, one sentence naming a bad option."""

from __future__ import annotations

from typing import Any

import pytest

from cxbus_messaging import ConfigError, parse_config
from cxbus_messaging.guest_api import region_domain


def test_a_region_s_domain_makes_the_endpoints_of_genesys_cloud() -> None:
    config = parse_config({"deploymentId": "d", "domain": "mypurecloud.ie"})
    endpoints = config.endpoints()
    assert endpoints.websocket == "wss://webmessaging.mypurecloud.ie/v1"
    assert endpoints.api == "https://api.mypurecloud.ie"
    assert config.reconnect_timeout == 300 and config.session_file is None


def test_a_base_url_serves_all_three_as_the_emulator_does() -> None:
    endpoints = parse_config({"deploymentId": "d", "baseURL": "http://127.0.0.1:8080"}).endpoints()
    assert endpoints.websocket == "ws://127.0.0.1:8080/v1"
    assert endpoints.config_cdn == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("section", "sentence"),
    [
        (
            {"domain": "mypurecloud.com"},
            "messaging.deploymentId must be a non-empty string; it is missing.",
        ),
        (
            {"deploymentId": "d"},
            "messaging.domain must be a Genesys Cloud region's domain such as 'mypurecloud.com' "
            "or 'euw2.pure.cloud' (or baseURL given instead); it is missing.",
        ),
        (
            {"deploymentId": "d", "domain": "mypurecloud.com", "baseURL": "http://x"},
            "messaging.baseURL must be left out when domain is given; got 'http://x'.",
        ),
        (
            {"deploymentId": "d", "domain": "https://api.mypurecloud.com"},
            "messaging.domain must be a Genesys Cloud region's domain such as 'mypurecloud.com' "
            "or 'euw2.pure.cloud'; got 'https://api.mypurecloud.com'.",
        ),
        (
            {"deploymentId": "d", "domain": "mypurecloud.com", "reconnectTimeout": 0},
            "messaging.reconnectTimeout must be a finite number of seconds above 0; got 0.",
        ),
        (
            {"deploymentId": "d", "domain": "mypurecloud.com", "historyPageSize": 500},
            "messaging.historyPageSize must be an integer from 1 to 100; got 500.",
        ),
        (
            {"deploymentId": "d", "domain": "mypurecloud.com", "sessionStore": object()},
            "messaging.sessionStore must be an object with load(), save(stored) and clear()",
        ),
    ],
)
def test_a_bad_option_is_one_sentence_naming_it(section: dict[str, Any], sentence: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(section)
    assert str(refused.value).startswith(sentence)


def test_a_region_is_named_by_its_aws_name_or_its_domain() -> None:
    assert region_domain("eu-west-1") == "mypurecloud.ie"
    assert region_domain("us-east-1") == "mypurecloud.com"
    assert region_domain("euw2.pure.cloud") == "euw2.pure.cloud"
