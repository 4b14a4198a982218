"""Session timing: how long a Web Messaging session lives, what says so, and its end.

Sources: the Java SDK's ``SessionResponse`` model (github.com/MyPureCloud/
web-messaging-sdk-java, ``build/docs/SessionResponse.md``: ``durationSeconds``,
``expirationDate``), the Messenger transport SDK (github.com/MyPureCloud/
genesys-messenger-transport-mobile-sdk: ``core/sessionduration/SessionDurationHandler.kt``,
``uml/sessionDuration/guest_session_duration_hld.puml``, and the fixtures of
``androidUnitTest/.../util/Response.kt``), and config.json's ``sessionDurationSeconds``.
"""

from __future__ import annotations

import time

import pytest
import requests

from cxbus_emulator import Emulator

from .messenger import Messenger

PING = {"text": "ping", "type": "Text"}


def test_the_session_response_carries_the_configured_duration(emulator: Emulator) -> None:
    # Source: Java SDK SessionResponse.md (durationSeconds, expirationDate); the transport
    # SDK's guest_session_duration_hld.puml reads them from the configure answer, in seconds.
    emulator.messaging.set_deployment(session_duration_seconds=120)
    guest = Messenger(emulator)
    assert guest.session is not None
    body = guest.session["body"]
    assert body["durationSeconds"] == 120
    assert body["expirationDate"] == pytest.approx(time.time() + 120, abs=5)
    guest.close()


def test_the_duration_is_published_in_config_json_and_get_configuration(
    emulator: Emulator,
) -> None:
    # Source: config.json messenger.apps.conversations.sessionDurationSeconds, and the Java
    # SDK's GetConfigurationResponse.md sessionDurationSeconds.
    emulator.messaging.set_deployment(session_duration_seconds=900)
    deployment = emulator.messaging.deployment_id
    config = requests.get(
        f"{emulator.data_url}/webdeployments/v1/deployments/{deployment}/config.json", timeout=5
    ).json()
    assert config["messenger"]["apps"]["conversations"]["sessionDurationSeconds"] == 900
    guest = Messenger(emulator, configure=False)
    answer = guest.request("getConfiguration", deploymentId=deployment)
    assert answer["body"]["sessionDurationSeconds"] == 900
    guest.close()


def test_activity_moves_the_expiration_date(emulator: Emulator) -> None:
    # Source: transport SDK, SessionDurationHandler.kt: durationSeconds is "the time of
    # inactivity before the session expires"; the health check's echo carries both values
    # as strings in its metadata (Response.kt healthCheckResponseWithSessionDuration).
    emulator.messaging.set_deployment(session_duration_seconds=3600)
    guest = Messenger(emulator)
    assert guest.session is not None
    first = guest.session["body"]["expirationDate"]
    time.sleep(1.1)  # let the wall clock move a second: expirationDate is in whole seconds
    guest.say("still here")
    echo = guest.request("echo", message=PING)["body"]["metadata"]
    assert echo["durationSeconds"] == "3600"
    assert int(echo["expirationDate"]) > first
    guest.close()


def test_an_idle_session_expires_with_session_expired_event_then_a_close(
    emulator: Emulator,
) -> None:
    # Source: transport SDK, Response.kt sessionExpiredEvent (class SessionExpiredEvent,
    # an empty body; the SDK takes it as ErrorCode.SessionHasExpired, 4006). The token then
    # gets a new session (newSession true: the transport SDK's pull request #155).
    emulator.messaging.set_deployment(session_duration_seconds=1)
    guest = Messenger(emulator)
    old = guest.session_id
    frames = guest.closed(timeout=10)
    assert [(f["class"], f["body"]) for f in frames] == [("SessionExpiredEvent", {})]
    assert emulator.messaging.describe(old)["state"] == "ended"
    emulator.messaging.set_deployment(session_duration_seconds=3600)
    again = Messenger(emulator, guest.token)
    assert again.session is not None and again.session["body"]["newSession"] is True
    assert again.session_id != old
    again.close()


def test_the_duration_must_be_a_second_at_least() -> None:
    from cxbus_emulator.web_messaging import Deployment

    with pytest.raises(ValueError, match="session_duration_seconds"):
        Deployment(session_duration_seconds=0)
