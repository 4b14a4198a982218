"""Authenticated Web Messaging, MessagingService's side, over real sockets against the emulator.

The facts and where they come from: the token endpoints and the frames are those of the
mobile SDK's transport (``network/WebMessagingApi.kt``, ``auth/AuthHandlerImpl.kt`` and
its test engines ``Authorize.kt``, ``RefreshToken.kt``, ``Logout.kt``); the Messenger's
``AuthProvider`` and ``Auth`` plugins are the developer center's "AuthProvider plugin" and
"Auth plugin" pages (developer.genesys.cloud/commdigital/digital/webmessaging/messengersdk/
SDKCommandsEvents/authProviderPlugin and .../authPlugin).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from cxbus import Bus, CommandCall
from cxbus_emulator import Emulator
from cxbus_emulator.web_messaging import Deployment
from cxbus_messaging import FileSessionStore
from cxbus_messaging.guest_api import jwt_expiry
from cxbus_messaging.testing import MessagingDriver, messaging_on

pytestmark = pytest.mark.integration

REFRESH = "/api/v2/webdeployments/token/refresh"


@pytest.fixture(scope="module")
def signed_emulator() -> Iterator[Emulator]:
    """An emulator whose deployment has authentication on (guests may step up)."""
    with Emulator(demo_agent=False, messaging_deployment=Deployment(auth_enabled=True)) as running:
        yield running


@pytest.fixture(autouse=True)
def _clear(signed_emulator: Emulator) -> Iterator[None]:
    yield
    signed_emulator.messaging.clear_faults()


def code_options(emulator: Emulator, user: str = "ada") -> dict[str, str]:
    """The messaging options of a guest signed in with a fresh authorization code."""
    messaging = emulator.messaging
    return {"authCode": messaging.authorization_code(user), "redirectUri": messaging.redirect_uri}


def started(driver: MessagingDriver) -> dict[str, Any]:
    driver("startConversation")
    return driver.wait("started")  # type: ignore[no-any-return]


def stored(driver: MessagingDriver) -> dict[str, Any]:
    """What the session file holds, once the service has saved it."""
    driver.settle()
    driver.store.token()
    return json.loads(driver.session_file.read_text())  # type: ignore[no-any-return]


def echo(driver: MessagingDriver, text: str) -> dict[str, Any]:
    driver("sendMessage", {"message": text})
    data = driver.wait("messagesReceived", lambda d: d["messages"][0].get("text") == text)
    return data["messages"][0]  # type: ignore[no-any-return]


def test_a_code_is_exchanged_then_the_session_configured_signed_in(
    signed_emulator: Emulator, tmp_path: Path
) -> None:
    # WebMessagingApi.fetchAuthJwt posts the code and its redirectUri to
    # oauthcodegrantjwtexchange; the JWT goes in configureAuthenticatedSession's data.code
    # (ConfigureAuthenticatedSessionRequest); a signed-in guest's messages carry
    # metadata.authenticated (the transport SDK's auth flow diagrams).
    options = code_options(signed_emulator)
    with messaging_on(signed_emulator, tmp_path / "s.json", **options) as driver:
        assert started(driver)["authenticated"] is True
        assert driver.names().index("authenticated") < driver.names().index("started")
        assert echo(driver, "hello")["metadata"]["authenticated"] == "true"
        kept = stored(driver)
        assert kept["jwt"] and kept["refreshToken"]


def test_an_id_token_signs_in_without_a_refresh_token(
    signed_emulator: Emulator, tmp_path: Path
) -> None:
    # The exchange takes {"oauth": {"idToken", "nonce"}} and answers a JWT alone
    # (WebMessagingApi.fetchAuthJwt with an id token).
    token = signed_emulator.messaging.id_token("grace", "n-1")
    options = {"idToken": token, "nonce": "n-1"}
    with messaging_on(signed_emulator, tmp_path / "s.json", **options) as driver:
        assert started(driver)["authenticated"] is True
        kept = stored(driver)
        assert kept["jwt"] and "refreshToken" not in kept


def test_an_auth_provider_plugin_answers_get_auth_code(
    signed_emulator: Emulator, tmp_path: Path
) -> None:
    # The Messenger's AuthProvider plugin registers getAuthCode, resolved with
    # {authCode, redirectUri, codeVerifier?} (the AuthProvider plugin page).
    asked: list[str] = []
    store = tmp_path / "s.json"
    config = {
        **signed_emulator.messaging_config(),
        "sessionFile": str(store),
        "authProvider": "AuthProvider",
    }
    with Bus(config={"messaging": config}) as bus:
        provider = bus.register_plugin("AuthProvider")

        def get_auth_code(call: CommandCall) -> dict[str, str]:
            asked.append("getAuthCode")
            return {
                "authCode": signed_emulator.messaging.authorization_code("ada"),
                "redirectUri": signed_emulator.messaging.redirect_uri,
            }

        provider.register_command("getAuthCode", get_auth_code)
        provider.ready()
        bus.load_plugin("MessagingService").result(timeout=10)
        driver = MessagingDriver(bus, signed_emulator, _watched(store))
        assert started(driver)["authenticated"] is True
        assert asked == ["getAuthCode"]


def _watched(path: Path) -> Any:
    from cxbus_messaging.testing import WatchedStore

    return WatchedStore(path)


def test_the_jwt_is_refreshed_before_it_expires(signed_emulator: Emulator, tmp_path: Path) -> None:
    # Auth plugin page: Auth.refreshToken gets a new JWT with the refresh token
    # (POST .../token/refresh, WebMessagingApi.refreshAuthJwt). A 2 s JWT is renewed
    # halfway through its life (ours: the margin), and the new one is kept: after three
    # renewals it expires later than the first (its times are whole seconds).
    signed_emulator.messaging.set_limits(auth_jwt_seconds=2)
    with messaging_on(signed_emulator, tmp_path / "s.json", **code_options(signed_emulator)) as d:
        started(d)
        first = jwt_expiry(stored(d)["jwt"])
        d.wait("tokenRefreshed", lambda _: len(d.data("tokenRefreshed")) >= 3)
        d.settle()
        assert (jwt_expiry(stored(d)["jwt"]) or 0) > (first or 0)
        assert "error" not in d.names()
        assert echo(d, "still signed in")["metadata"]["authenticated"] == "true"


def test_a_refused_jwt_is_refreshed_and_the_session_configured_again(
    signed_emulator: Emulator, tmp_path: Path
) -> None:
    # A JWT the server no longer takes is answered 401 "User is unauthorized" (the mobile
    # SDK's test fixture); AuthHandlerImpl refreshes it and configures again.
    path = tmp_path / "s.json"
    with messaging_on(signed_emulator, path, **code_options(signed_emulator)) as first:
        started(first)
        session_id = first.session_id
    kept = json.loads(path.read_text())
    path.write_text(json.dumps({**kept, "jwt": "not.a.jwt"}))  # as an expired one
    with messaging_on(signed_emulator, path) as again:
        again.wait("restored")
        assert again.data("tokenRefreshed")
        assert again.data("started")[-1]["authenticated"] is True
        assert again.session_id == session_id


def test_three_failed_refreshes_end_the_signed_in_session(
    signed_emulator: Emulator, tmp_path: Path
) -> None:
    # The mobile SDK tries a refresh at most 3 times (AuthHandlerImpl's
    # MAX_REFRESH_TOKEN_ATTEMPTS), then reports the failure; ours ends the session.
    signed_emulator.messaging.set_limits(auth_jwt_seconds=2)
    with messaging_on(signed_emulator, tmp_path / "s.json", **code_options(signed_emulator)) as d:
        started(d)
        signed_emulator.messaging.fail_rest(REFRESH, status=500, count=3)
        error = d.wait("error", lambda e: "could not be renewed" in e["error"]["body"])
        assert "after 3 tries" in error["error"]["body"]
        assert d.store.cleared()
        assert d.rejection("fetchHistory") == "Not able to fetch history"


def test_logout_revokes_the_jwt_and_ends_the_conversation(
    signed_emulator: Emulator, tmp_path: Path
) -> None:
    # Auth plugin page: Auth.logout resolves once logged out and publishes logout; the
    # JWT is revoked (DELETE .../token/revoke, WebMessagingApi.logoutFromAuthenticatedSession)
    # and the server sends LogoutEvent (the SDK's Logout test engine).
    with messaging_on(signed_emulator, tmp_path / "s.json", **code_options(signed_emulator)) as d:
        started(d)
        refresh_token = stored(d)["refreshToken"]
        d("logout")
        assert d.data("logout") == [None]
        assert "error" not in d.names()
        assert d.store.cleared()
        assert d.rejection("logout") == "logout needs a signed-in guest: there is none."
    refused = requests.post(
        f"{signed_emulator.data_url}{REFRESH}", json={"refreshToken": refresh_token}, timeout=10
    )
    assert refused.status_code == 400


def test_a_guest_steps_up_and_keeps_the_history(signed_emulator: Emulator, tmp_path: Path) -> None:
    # stepUpConversation signs a guest's conversation in (the JS SDK's MessagingService
    # command); the server keeps the history and sends the SignIn presence
    # (steppedUpConversation), as the transport SDK's step-up diagram draws it.
    with messaging_on(signed_emulator, tmp_path / "s.json") as d:
        assert started(d)["authenticated"] is False
        echo(d, "as a guest")
        session_id = d.session_id
        messaging = signed_emulator.messaging
        answer = d(
            "stepUpConversation",
            {
                "authCode": messaging.authorization_code("grace"),
                "redirectUri": messaging.redirect_uri,
            },
        )
        # grace's conversation from another test, if any, ends for this one.
        assert answer["authenticated"] is True
        assert isinstance(answer["clearedExistingSession"], bool)
        d.wait("steppedUpConversation")
        assert d.session_id == session_id
        history = d("fetchHistory")
        assert "as a guest" in [m.get("text") for m in history["messages"]]
        assert echo(d, "signed in now")["metadata"]["authenticated"] == "true"
        assert d.rejection("stepUpConversation") == (
            "stepUpConversation needs an active guest (not signed-in) conversation."
        )


def test_a_step_up_refused_publishes_its_error(signed_emulator: Emulator, tmp_path: Path) -> None:
    with messaging_on(signed_emulator, tmp_path / "s.json") as d:
        started(d)
        bad = {"authCode": "not-a-code", "redirectUri": signed_emulator.messaging.redirect_uri}
        reason = d.rejection("stepUpConversation", bad)
        assert reason.startswith("The conversation could not be stepped up:")
        assert "not-a-code" not in reason
        assert d.data("stepUpConversationError")[0]["error"]["body"] == reason


def test_signing_in_elsewhere_closes_this_conversation(
    signed_emulator: Emulator, tmp_path: Path
) -> None:
    # ConnectionClosedEvent with reason signedIn: the user signed in on another device,
    # which takes the conversation (the transport SDK's Event.ConnectionClosed).
    with messaging_on(signed_emulator, tmp_path / "a.json", **code_options(signed_emulator)) as a:
        started(a)
        session_id = a.session_id
        with messaging_on(
            signed_emulator, tmp_path / "b.json", **code_options(signed_emulator)
        ) as b:
            started(b)
            assert a.wait("connectionClosed") == {"reason": "signedIn"}
            a.wait("error", lambda e: "closed" in e["error"]["body"])
            assert b.session_id == session_id


def test_the_stored_jwt_resumes_after_a_restart(signed_emulator: Emulator, tmp_path: Path) -> None:
    # Auth plugin page: the tokens persist (the browser's local storage) until logout; a
    # restarted program resumes signed in without a new code.
    path = tmp_path / "s.json"
    options = code_options(signed_emulator)
    with messaging_on(signed_emulator, path, **options) as first:
        started(first)
        echo(first, "before the restart")
    assert FileSessionStore(path).load() is not None
    with messaging_on(signed_emulator, path, **options) as again:
        restored = again.wait("restored")
        assert "before the restart" in [m.get("text") for m in restored["messages"]]
        assert "authenticated" not in again.names()  # the code was not exchanged again
        assert again.data("started")[-1]["authenticated"] is True


def test_no_secret_reaches_a_log_line_or_a_repr(
    signed_emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signed_emulator.messaging.set_limits(auth_jwt_seconds=2)
    options = code_options(signed_emulator)
    with messaging_on(signed_emulator, tmp_path / "s.json", **options) as d:
        started(d)
        d.wait("tokenRefreshed")
        d.settle()
        kept = stored(d)
        from cxbus_messaging.service import MessagingService

        service = MessagingService.of(d.bus)
        assert service is not None
        shown = repr(service.config) + repr(d.store.load())
        d("logout")
    secrets = [options["authCode"], kept["jwt"], kept["refreshToken"], kept["token"]]
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in shown
