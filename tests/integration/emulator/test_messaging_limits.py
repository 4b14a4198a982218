"""The Web Messaging limits: each answered as the real service answers it, each an option.

The limits are the ``webmessaging`` rows of Genesys Cloud's limits page
(developer.genesys.cloud/organization/organization/limits); the answers are those of the
Messenger transport SDK's fixtures (github.com/MyPureCloud/genesys-messenger-transport-
mobile-sdk, ``transport/src/androidUnitTest/kotlin/transport/util/Response.kt``) and of
captures named in each test. The tests at the defaults are in test_messaging_messages.py
and test_messaging_session.py; these change each limit, as a test or a load test does.
"""

from __future__ import annotations

import pytest
import requests
import websocket

from cxbus_emulator import Emulator
from cxbus_emulator.web_messaging import Limits

from .messenger import Messenger, of_class

TYPING = {"eventType": "Typing", "typing": {"type": "On"}}


def history(emulator: Emulator, guest: Messenger) -> requests.Response:
    jwt = guest.request("getJwt")["body"]["jwt"]
    return requests.get(
        f"{emulator.data_url}/api/v2/webmessaging/messages",
        headers={"Authorization": f"bearer {jwt}"},
        timeout=5,
    )


def test_messages_per_second_is_an_option_and_every_onmessage_counts(
    frozen_clock: list[float], emulator: Emulator
) -> None:
    # Source: the developer forum's "Web messaging messages per session rate limit change"
    # (Dec 2023): "onMessage action will be limited to 2 requests per session per second";
    # the answer is Response.kt tooManyRequests.
    emulator.messaging.set_limits(messages_per_second=2)
    guest = Messenger(emulator)
    guest.event(TYPING)  # a typing event is an onMessage too
    assert guest.say("one")["class"] == "StructuredMessage"
    refused = guest.say("two")
    assert refused["class"] == "TooManyRequestsErrorMessage" and refused["code"] == 429
    assert refused["body"] == {
        "retryAfter": 1,
        "errorCode": 4029,
        "errorMessage": "Message rate too high for this session",
    }
    guest.close()


def test_requests_per_minute_per_connection_is_an_option(
    frozen_clock: list[float], emulator: Emulator
) -> None:
    # Source: limits page, requests.per.connection.rate.per.minute (60); answered as
    # Response.kt tooManyRequests (errorCode 4029).
    emulator.messaging.set_limits(requests_per_minute=3)
    guest = Messenger(emulator)  # its configure is the first
    guest.request("getJwt")
    guest.request("getJwt")
    refused = guest.request("getJwt")
    assert refused["code"] == 429 and refused["body"]["errorCode"] == 4029
    assert refused["body"]["errorMessage"] == "Request rate too high for this connection"
    guest.close()


def test_configures_per_minute_is_an_option(frozen_clock: list[float], emulator: Emulator) -> None:
    # Source: limits page, configure.per.session.rate.per.minute (60); the answer is the live
    # capture of genesys-messenger-transport-mobile-sdk issue #347 (errorCode 429).
    emulator.messaging.set_limits(configures_per_minute=2)
    guest = Messenger(emulator)
    assert guest.configure()["class"] == "SessionResponse"
    refused = guest.configure()
    assert refused["class"] == "TooManyRequestsErrorMessage"
    assert refused["body"]["errorCode"] == 429
    assert refused["body"]["errorMessage"] == "ConfigureSession rate too high for this session"
    guest.close()


def test_connections_per_minute_per_deployment_refuse_the_upgrade() -> None:
    # Source: limits page, connections.rate.per.minute (1000 per deployment). How a refused
    # upgrade looks (429 with Retry-After) is ours.
    with Emulator(demo_agent=False, messaging_limits=Limits(connections_per_minute=2)) as own:
        first, second = Messenger(own), Messenger(own)
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(own.messaging.websocket_url, timeout=5)
        assert refused.value.status_code == 429
        assert 0 < int(refused.value.resp_headers["retry-after"]) <= 60
        own.messaging.set_limits(connections_per_minute=3)  # raised: at once
        Messenger(own).close()
        first.close()
        second.close()


def test_the_default_connection_limit_is_a_thousand_a_minute() -> None:
    assert Limits().connections_per_minute == 1000


def test_history_per_minute_is_an_option(frozen_clock: list[float], emulator: Emulator) -> None:
    # Source: limits page, get.history.rate.per.minute (10).
    emulator.messaging.set_limits(history_per_minute=1)
    guest = Messenger(emulator)
    assert history(emulator, guest).status_code == 200
    refused = history(emulator, guest)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    guest.close()


def test_health_checks_per_minute_is_an_option(
    frozen_clock: list[float], emulator: Emulator
) -> None:
    # Source: limits page, health.check.per.connection.rate.per.minute (2); the mobile SDK's
    # HealthCheckProvider.kt keeps to it with a 30 s cooldown.
    emulator.messaging.set_limits(health_checks_per_minute=1)
    guest = Messenger(emulator)
    ping = {"text": "ping", "type": "Text"}
    assert guest.request("echo", message=ping)["class"] == "StructuredMessage"
    refused = guest.request("echo", message=ping)
    assert refused["code"] == 429
    assert refused["body"]["errorMessage"] == "Health check rate too high for this connection"
    guest.close()


def test_connections_per_session_is_an_option(emulator: Emulator) -> None:
    # Source: limits page, session.connections.max (3); the mobile SDK's
    # ConnectionClosedEvent.kt reads a close without reason as "session limit reached".
    emulator.messaging.set_limits(connections_per_session=2)
    first = Messenger(emulator)
    second = Messenger(emulator, first.token)
    third = Messenger(emulator, first.token)
    assert first.closed()[-1] == {
        "type": "message",
        "class": "ConnectionClosedEvent",
        "code": 200,
        "body": {},
    }
    assert emulator.messaging.sockets(third.session_id) == 2
    second.close()
    third.close()


def test_text_size_is_an_option(emulator: Emulator) -> None:
    # Source: limits page (inbound text 4096); the mobile SDK's ErrorCode.kt 4011
    # MessageTooLong; the body's wording as the guest API's page quotes it.
    emulator.messaging.set_limits(text_bytes=10)
    guest = Messenger(emulator)
    assert guest.say("1234567890")["class"] == "StructuredMessage"
    refused = guest.say("123456789é")  # 10 characters, 11 bytes
    assert refused["code"] == 4011 and refused["body"] == "Message length 11 is larger than 10"
    guest.close()


def test_custom_attribute_size_is_an_option(emulator: Emulator) -> None:
    # Source: limits page (2048 bytes); Response.kt customAttributeSizeTooLarge (4013), and
    # SessionResponse.maxCustomDataBytes (the mobile SDK's CustomAttributesStoreImpl.kt).
    emulator.messaging.set_limits(custom_attributes_bytes=8)
    guest = Messenger(emulator)
    assert guest.session is not None and guest.session["body"]["maxCustomDataBytes"] == 8
    attributes = {"channel": {"metadata": {"customAttributes": {"tier": "golden"}}}}
    refused = guest.say("hi", **attributes)
    assert refused["code"] == 4013
    assert refused["body"] == "Custom Attributes in channel metadata is larger than 8 bytes"
    guest.close()


def test_attachment_size_is_the_deployment_s_option(emulator: Emulator) -> None:
    # Source: SessionResponse allowedMedia.inbound.maxFileSizeKB (Response.kt AllowedMedia);
    # the mobile SDK's ErrorCode.kt 4002 FileSizeInvalid; 10 MB on the limits page.
    emulator.messaging.set_deployment(max_file_size_kb=1)
    guest = Messenger(emulator)
    assert guest.session is not None
    assert guest.session["body"]["allowedMedia"]["inbound"]["maxFileSizeKB"] == 1
    guest.send("onAttachment", fileName="big.png", fileType="image/png", fileSize=1025)
    refused = guest.frame(of_class("GenerateUrlError"))
    assert refused["body"]["errorCode"] == 4002
    guest.close()


def test_the_limits_are_read_and_changed_over_http(emulator: Emulator) -> None:
    url = f"{emulator.data_url}/emulator/messaging/limits"
    assert requests.get(url, timeout=5).json()["connectionsPerMinute"] == 1000
    changed = requests.patch(url, json={"connectionsPerMinute": 100_000}, timeout=5)
    assert changed.json()["connectionsPerMinute"] == 100_000
    assert emulator.messaging_server.limits.connections_per_minute == 100_000
    unknown = requests.patch(url, json={"connectionsPerHour": 1}, timeout=5)
    assert (
        unknown.status_code == 400
        and unknown.json()["message"] == "connectionsPerHour is no limit."
    )
    zero = requests.patch(url, json={"textBytes": 0}, timeout=5)
    assert zero.status_code == 400
    requests.delete(f"{emulator.data_url}/emulator/messaging/faults", timeout=5)
    assert requests.get(url, timeout=5).json()["connectionsPerMinute"] == 1000


def test_a_limit_below_one_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="messages_per_second"):
        Limits(messages_per_second=0)
