"""Where the guest API lives, for a region's domain and for the emulator's base URL."""

from __future__ import annotations

import pytest

from cxbus_messaging.guest_api import DOMAINS, Endpoints


def test_a_region_s_domain_gives_the_websocket_api_and_cdn() -> None:
    endpoints = Endpoints.for_domain("mypurecloud.ie")
    assert endpoints.websocket_url("d-1") == "wss://webmessaging.mypurecloud.ie/v1?deploymentId=d-1"
    assert endpoints.history_url == "https://api.mypurecloud.ie/api/v2/webmessaging/messages"
    assert endpoints.config_url("d-1") == (
        "https://api-cdn.mypurecloud.ie/webdeployments/v1/deployments/d-1/config.json"
    )
    assert endpoints.origin == "https://webmessaging.mypurecloud.ie"
    assert Endpoints.for_domain("euw2.pure.cloud", origin="https://shop.example").origin == (
        "https://shop.example"
    )
    assert "mypurecloud.com" in DOMAINS and "sae1.pure.cloud" in DOMAINS


def test_a_base_url_serves_everything_below_it() -> None:
    endpoints = Endpoints.for_base_url("http://127.0.0.1:8080/")
    assert endpoints.websocket_url("d", application="cxbus-0.1") == (
        "ws://127.0.0.1:8080/v1?deploymentId=d&application=cxbus-0.1"
    )
    assert endpoints.history_url == "http://127.0.0.1:8080/api/v2/webmessaging/messages"
    assert endpoints.config_url("a/b") == (
        "http://127.0.0.1:8080/webdeployments/v1/deployments/a%2Fb/config.json"
    )
    assert endpoints.origin == "http://127.0.0.1:8080"
    assert (
        Endpoints.for_base_url("https://gw.example/genesys").websocket
        == "wss://gw.example/genesys/v1"
    )


@pytest.mark.parametrize("domain", ["", "https://mypurecloud.com", "host:443"])
def test_a_bad_domain_is_named(domain: str) -> None:
    with pytest.raises(ValueError, match="domain must be a region's domain"):
        Endpoints.for_domain(domain)


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://x", "http://"])
def test_a_bad_base_url_is_named(url: str) -> None:
    with pytest.raises(ValueError, match="baseURL must be an http:// or https:// URL"):
        Endpoints.for_base_url(url)
