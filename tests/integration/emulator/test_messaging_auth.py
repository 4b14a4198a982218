"""Authenticated Web Messaging on the emulator: its identity provider, the token endpoints,
``configureAuthenticatedSession``, sign-in elsewhere, step-up and logout.

Raw clients (requests, websocket-client), real sockets. Each test names where its fact
comes from: the Messenger transport SDK
(github.com/MyPureCloud/genesys-messenger-transport-mobile-sdk: ``network/WebMessagingApi.kt``,
its test engines ``Authorize.kt``, ``RefreshToken.kt``, ``Logout.kt``, the fixtures of
``androidUnitTest/.../util/Response.kt``, the diagrams of ``transport/uml/auth_flow``), the
Java SDK (github.com/MyPureCloud/web-messaging-sdk-java), the Messenger's authentication
pages on developer.genesys.cloud, or an RFC.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt as pyjwt
import pytest
import requests

from cxbus_emulator import Emulator
from cxbus_emulator.web_messaging import User

from .messenger import Frame, Messenger, traced

TOKEN = "/api/v2/webdeployments/token"
SIGN_IN = {"eventType": "Presence", "presence": {"type": "SignIn"}}


@pytest.fixture(autouse=True)
def authenticated_deployment(emulator: Emulator) -> Iterator[None]:
    """The deployment has authentication on (until the test's faults are cleared)."""
    emulator.messaging.set_deployment(auth_enabled=True)
    yield


@pytest.fixture
def ada(emulator: Emulator) -> str:
    """A user of this test's own (the emulator is the session's: a user's conversation
    outlives a test)."""
    login = f"ada-{uuid.uuid4()}"
    emulator.messaging.add_user(User(login, "Ada", "Lovelace"))
    return login


def exchange(emulator: Emulator, oauth: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{emulator.data_url}{TOKEN}/oauthcodegrantjwtexchange",
        json={"deploymentId": emulator.messaging.deployment_id, "oauth": oauth},
        timeout=5,
    )


def sign_in(emulator: Emulator, user: str) -> dict[str, str]:
    """A code for ``user`` from the control API, exchanged: ``{"jwt", "refreshToken"}``."""
    code = emulator.messaging.authorization_code(user)
    answer = exchange(emulator, {"code": code, "redirectUri": emulator.messaging.redirect_uri})
    assert answer.status_code == 200, answer.text
    tokens: dict[str, str] = answer.json()
    return tokens


def configure(guest: Messenger, jwt: str, start_new: bool = False) -> Frame:
    return guest.request(
        "configureAuthenticatedSession",
        deploymentId=guest.emulator.messaging.deployment_id,
        startNew=start_new,
        data={"code": jwt},
    )


def signed_in_guest(emulator: Emulator, jwt: str, token: str | None = None) -> Messenger:
    guest = Messenger(emulator, token, configure=False)
    guest.session = configure(guest, jwt)
    assert guest.session["class"] == "SessionResponse", guest.session
    return guest


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = pyjwt.decode(token, options={"verify_signature": False})
    return decoded


def until_past(epoch_seconds: float) -> None:
    """Let the wall clock pass ``epoch_seconds`` (a token's expiry: nothing to wait on)."""
    time.sleep(max(0.0, epoch_seconds - time.time()) + 0.05)


# The token endpoints --------------------------------------------------------------------


def test_a_code_is_exchanged_for_a_jwt_and_a_refresh_token(emulator: Emulator, ada: str) -> None:
    # Source: transport SDK, network/WebMessagingApi.kt fetchAuthJwt and test_engines/
    # Authorize.kt: {"deploymentId", "oauth": {"code", "redirectUri"}} -> {jwt, refreshToken}.
    # Lifetime: the Messenger's authProviderPlugin page on developer.genesys.cloud (the JWT
    # lives 15 minutes at most).
    tokens = sign_in(emulator, ada)
    assert set(tokens) == {"jwt", "refreshToken"}
    assert claims(tokens["jwt"])["exp"] == pytest.approx(time.time() + 900, abs=10)


def test_a_code_is_good_once_and_for_its_redirect_uri_only(emulator: Emulator, ada: str) -> None:
    # Source: RFC 6749 sections 4.1.3 and 5.2 (a used code, or another redirect_uri, is
    # invalid_grant, a 400), as the transport SDK's test engine Authorize.kt answers a bad code.
    code = emulator.messaging.authorization_code(ada, redirect_uri="https://brand.example/cb")
    wrong = exchange(emulator, {"code": code, "redirectUri": "https://other.example/cb"})
    assert wrong.status_code == 400
    code = emulator.messaging.authorization_code(ada, redirect_uri="https://brand.example/cb")
    oauth = {"code": code, "redirectUri": "https://brand.example/cb"}
    assert exchange(emulator, oauth).status_code == 200
    used = exchange(emulator, oauth)
    assert used.status_code == 400
    assert code not in used.text


def test_a_pkce_code_wants_its_verifier(emulator: Emulator, ada: str) -> None:
    # Source: transport SDK, shyrka/send/AuthJwtRequest.kt (oauth.codeVerifier) and RFC 7636
    # section 4.6 (S256: BASE64URL(SHA256(verifier)) must be the challenge).
    verifier = "a-verifier-of-at-least-forty-three-characters-long"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    code = emulator.messaging.authorization_code(
        "ada", code_challenge=challenge.rstrip(b"=").decode()
    )
    uri = emulator.messaging.redirect_uri
    assert (
        exchange(emulator, {"code": code, "redirectUri": uri, "codeVerifier": "no"}).status_code
        == 400
    )
    code = emulator.messaging.authorization_code(
        "ada", code_challenge=challenge.rstrip(b"=").decode()
    )
    right = exchange(emulator, {"code": code, "redirectUri": uri, "codeVerifier": verifier})
    assert right.status_code == 200


def test_an_id_token_is_exchanged_for_a_jwt_without_a_refresh_token(
    emulator: Emulator, ada: str
) -> None:
    # Source: transport SDK, test_engines/Authorize.kt (an idToken answers AuthJwt(jwt, null))
    # and auth/AuthHandlerImpl.kt authorizeImplicit (no refresh token kept).
    nonce = str(uuid.uuid4())
    id_token = emulator.messaging.id_token(ada, nonce)
    answer = exchange(emulator, {"idToken": id_token, "nonce": nonce})
    assert answer.status_code == 200 and set(answer.json()) == {"jwt"}
    assert claims(answer.json()["jwt"])["sub"] == ada
    wrong_nonce = exchange(emulator, {"idToken": id_token, "nonce": "another"})
    assert wrong_nonce.status_code == 400


def test_a_refresh_token_gets_a_new_jwt(emulator: Emulator, ada: str) -> None:
    # Source: transport SDK, WebMessagingApi.kt refreshAuthJwt and test_engines/
    # RefreshToken.kt: POST .../token/refresh {"refreshToken"} -> {"jwt"}.
    tokens = sign_in(emulator, ada)
    refreshed = requests.post(
        f"{emulator.data_url}{TOKEN}/refresh",
        json={"refreshToken": tokens["refreshToken"]},
        timeout=5,
    )
    assert refreshed.status_code == 200 and set(refreshed.json()) == {"jwt"}
    assert claims(refreshed.json()["jwt"])["sub"] == ada
    unknown = requests.post(
        f"{emulator.data_url}{TOKEN}/refresh", json={"refreshToken": "nope"}, timeout=5
    )
    assert unknown.status_code == 400


def test_the_token_lifetimes_are_options(emulator: Emulator, ada: str) -> None:
    # Ours: Limits.auth_jwt_seconds and refresh_token_seconds, shorter for tests.
    emulator.messaging.set_limits(auth_jwt_seconds=30, refresh_token_seconds=1)
    tokens = sign_in(emulator, ada)
    assert claims(tokens["jwt"])["exp"] == pytest.approx(time.time() + 30, abs=5)
    until_past(time.time() + 1)
    expired = requests.post(
        f"{emulator.data_url}{TOKEN}/refresh",
        json={"refreshToken": tokens["refreshToken"]},
        timeout=5,
    )
    assert expired.status_code == 400


def test_the_token_endpoints_are_refused_when_authentication_is_off(
    emulator: Emulator, ada: str
) -> None:
    # Ours: the deployment's config.json says auth.enabled false; nothing to exchange for.
    code = emulator.messaging.authorization_code(ada)
    emulator.messaging.set_deployment(auth_enabled=False)
    answer = exchange(emulator, {"code": code, "redirectUri": emulator.messaging.redirect_uri})
    assert answer.status_code == 403


# configureAuthenticatedSession ------------------------------------------------------------


def test_an_authenticated_session_is_configured_with_the_jwt(emulator: Emulator, ada: str) -> None:
    # Source: transport SDK, shyrka/send/ConfigureAuthenticatedSessionRequest.kt (data.code is
    # the JWT) and uml/auth_flow/transport_auth_flow.puml; message metadata "authenticated":
    # util/extensions/MessageExtension.kt and core/Message.kt ("sent from authenticated user").
    guest = signed_in_guest(emulator, sign_in(emulator, ada)["jwt"])
    assert guest.session is not None
    body = guest.session["body"]
    assert body["connected"] is True and body["newSession"] is True
    assert body["authenticated"] is True and body["clearedExistingSession"] is False
    echo = guest.say("I am signed in")
    assert echo["body"]["metadata"]["authenticated"] == "true"
    assert emulator.messaging.describe(guest.session_id)["user"] == ada
    guest.close()


def test_config_json_says_authentication_is_on(emulator: Emulator) -> None:
    # Source: transport SDK, TestWebMessagingApiResponses.kt: config.json's
    # "auth": {"enabled", "allowSessionUpgrade"}.
    config = requests.get(
        f"{emulator.data_url}/webdeployments/v1/deployments/"
        f"{emulator.messaging.deployment_id}/config.json",
        timeout=5,
    ).json()
    assert config["auth"] == {"enabled": True, "allowSessionUpgrade": True}


def test_an_expired_jwt_is_401_and_a_refreshed_one_configures(emulator: Emulator, ada: str) -> None:
    # Source: transport SDK, androidUnitTest/.../util/Response.kt "unauthorized" (401 "User is
    # unauthorized"), and uml/auth_flow/transport_auth_flow.puml (15a-15g: refresh, configure).
    emulator.messaging.set_limits(auth_jwt_seconds=1)
    tokens = sign_in(emulator, ada)
    until_past(claims(tokens["jwt"])["exp"] + 1)
    guest = Messenger(emulator, configure=False)
    refused = configure(guest, tokens["jwt"])
    assert refused == {
        "type": "response",
        "class": "string",
        "code": 401,
        "body": "User is unauthorized",
        "tracingId": refused["tracingId"],
    }
    emulator.messaging.set_limits(auth_jwt_seconds=900)
    fresh = requests.post(
        f"{emulator.data_url}{TOKEN}/refresh",
        json={"refreshToken": tokens["refreshToken"]},
        timeout=5,
    ).json()["jwt"]
    assert configure(guest, fresh)["class"] == "SessionResponse"
    guest.close()


def test_a_forged_jwt_or_none_is_refused(emulator: Emulator, ada: str) -> None:
    # Source: transport SDK, Response.kt "unauthorized"; 4020 missing parameter: ErrorCode.kt.
    guest = Messenger(emulator, configure=False)
    forged = pyjwt.encode({"gid": "x", "sub": "ada", "exp": time.time() + 60}, "k" * 32)
    assert configure(guest, forged)["code"] == 401
    missing = guest.request(
        "configureAuthenticatedSession", deploymentId=emulator.messaging.deployment_id, data={}
    )
    assert missing["code"] == 4020
    guest.close()


def test_a_signed_in_session_cannot_go_back_to_guest(emulator: Emulator, ada: str) -> None:
    # Source: transport SDK, core/ErrorCode.kt CannotDowngradeToUnauthenticated (4017) and
    # Response.kt cannotDowngradeToUnauthenticated.
    guest = signed_in_guest(emulator, sign_in(emulator, ada)["jwt"])
    refused = guest.configure()
    assert refused["class"] == "string" and refused["code"] == 4017
    guest.close()


def test_a_deployment_that_requires_authentication_refuses_guests(
    emulator: Emulator, ada: str
) -> None:
    # Source: transport SDK, core/ErrorCode.kt ErrorMessage.SessionAuthFailed: a 403 with that
    # text tells the client to authenticate (MessagingClientImpl.handleError). Which answer a
    # guest gets on such a deployment is ours.
    emulator.messaging.set_deployment(auth_enabled=True, auth_required=True)
    guest = Messenger(emulator)
    assert guest.session is not None
    assert guest.session["code"] == 403 and guest.session["body"] == "Session authentication failed"
    assert configure(guest, sign_in(emulator, ada)["jwt"])["class"] == "SessionResponse"
    guest.close()


def test_authenticated_sessions_are_refused_when_authentication_is_off(
    emulator: Emulator, ada: str
) -> None:
    jwt = sign_in(emulator, ada)["jwt"]
    emulator.messaging.set_deployment(auth_enabled=False)
    guest = Messenger(emulator, configure=False)
    assert configure(guest, jwt)["code"] == 403
    guest.close()


def test_the_same_token_and_user_resume_the_conversation(emulator: Emulator, ada: str) -> None:
    # Source: community.genesys.com "Authenticated Web Messaging (WebSocket) - Start New Chat
    # using configureAuthenticatedSession": startNew false resumes (newSession false).
    tokens = sign_in(emulator, ada)
    first = signed_in_guest(emulator, tokens["jwt"])
    first.say("before")
    first.close()
    again = signed_in_guest(emulator, tokens["jwt"], first.token)
    assert again.session is not None and again.session["body"]["newSession"] is False
    assert again.session_id == first.session_id
    again.close()


# Sign-in elsewhere, step-up, logout -----------------------------------------------------


def test_a_sign_in_elsewhere_closes_the_other_connection(emulator: Emulator, ada: str) -> None:
    # Source: transport SDK, shyrka/receive/ConnectionClosedEvent.kt (reason "signedIn":
    # "the user signed in to an authenticated session on another device", core/events/
    # Event.kt) and Response.kt connectionClosedEventReasonSignIn. That the conversation
    # moves to the new device with its history is ours.
    phone = signed_in_guest(emulator, sign_in(emulator, ada)["jwt"])
    phone.say("from the phone")
    laptop = signed_in_guest(emulator, sign_in(emulator, ada)["jwt"])
    assert phone.closed()[-1] == {
        "type": "message",
        "class": "ConnectionClosedEvent",
        "code": 200,
        "body": {"reason": "signedIn"},
    }
    assert laptop.session is not None and laptop.session["body"]["newSession"] is False
    texts = [m.get("text") for m in emulator.messaging.describe(laptop.session_id)["messages"]]
    assert texts == ["from the phone"]
    laptop.close()


def test_a_guest_conversation_steps_up_and_keeps_its_history(emulator: Emulator, ada: str) -> None:
    # Source: transport SDK, uml/auth_flow/high_level_stepup_flow.puml (same token; SignIn
    # presence, then SessionResponse), core/events/EventHandlerImpl.kt (SignIn names
    # channel.from firstName/lastName) and Response.kt presenceSignIn.
    guest = Messenger(emulator)
    guest.say("as a guest")
    session_id = guest.session_id
    tracing_id = guest.send(
        "configureAuthenticatedSession",
        deploymentId=emulator.messaging.deployment_id,
        startNew=False,
        data={"code": sign_in(emulator, ada)["jwt"]},
    )
    signed = guest.frame(lambda f: f["body"].get("events") == [SIGN_IN])
    assert signed["body"]["direction"] == "Inbound"
    assert signed["body"]["channel"]["from"] == {"firstName": "Ada", "lastName": "Lovelace"}
    answer = guest.frame(traced(tracing_id))
    assert answer["class"] == "SessionResponse"
    assert answer["body"]["newSession"] is False and answer["body"]["authenticated"] is True
    assert answer["body"]["clearedExistingSession"] is False
    assert guest.session_id == session_id
    jwt = guest.request("getJwt")["body"]["jwt"]
    entities = requests.get(
        f"{emulator.data_url}/api/v2/webmessaging/messages",
        headers={"Authorization": f"bearer {jwt}"},
        timeout=5,
    ).json()["entities"]
    assert [e.get("text") or e["events"][0]["presence"]["type"] for e in entities] == [
        "SignIn",
        "as a guest",
    ]
    assert guest.say("now signed in")["body"]["metadata"]["authenticated"] == "true"
    guest.close()


def test_a_step_up_clears_the_user_s_session_on_another_device(
    emulator: Emulator, ada: str
) -> None:
    # Source: transport SDK, uml/auth_flow/high_level_stepup_flow.puml (device B gets
    # ConnectionClosedEvent signedIn; SessionResponse clearedExistingSession true) and
    # core/events/Event.kt ExistingAuthSessionCleared.
    other_device = signed_in_guest(emulator, sign_in(emulator, ada)["jwt"])
    elsewhere = other_device.session_id
    guest = Messenger(emulator)
    answer = configure(guest, sign_in(emulator, ada)["jwt"])
    assert answer["body"]["clearedExistingSession"] is True
    assert other_device.closed()[-1]["body"] == {"reason": "signedIn"}
    assert emulator.messaging.describe(elsewhere)["state"] == "ended"
    guest.close()


def test_a_step_up_is_refused_when_the_deployment_does_not_allow_it(
    emulator: Emulator, ada: str
) -> None:
    # Source: config.json auth.allowSessionUpgrade (transport SDK, shyrka/receive/
    # DeploymentConfig.kt); the refusal's code and text are ours.
    emulator.messaging.set_deployment(auth_enabled=True, allow_session_upgrade=False)
    guest = Messenger(emulator)
    refused = configure(guest, sign_in(emulator, ada)["jwt"])
    assert refused["class"] == "string" and refused["code"] == 403
    guest.close()


def test_logout_revokes_the_tokens_and_tells_the_sockets(emulator: Emulator, ada: str) -> None:
    # Source: transport SDK, WebMessagingApi.kt logoutFromAuthenticatedSession and
    # test_engines/Logout.kt (DELETE .../token/revoke, bearer JWT; 401 for a bad one),
    # MessagingClientImpl.kt (a LogoutEvent from the server logs the client out) and
    # Response.kt logoutEvent.
    tokens = sign_in(emulator, ada)
    guest = signed_in_guest(emulator, tokens["jwt"])
    revoke = requests.delete(
        f"{emulator.data_url}{TOKEN}/revoke",
        headers={"Authorization": f"bearer {tokens['jwt']}"},
        timeout=5,
    )
    assert revoke.status_code == 200
    assert guest.closed()[-1] == {
        "type": "message",
        "class": "LogoutEvent",
        "code": 200,
        "body": {},
    }
    again = requests.delete(
        f"{emulator.data_url}{TOKEN}/revoke",
        headers={"Authorization": f"bearer {tokens['jwt']}"},
        timeout=5,
    )
    assert again.status_code == 401
    refresh = requests.post(
        f"{emulator.data_url}{TOKEN}/refresh",
        json={"refreshToken": tokens["refreshToken"]},
        timeout=5,
    )
    assert refresh.status_code == 400
    another = Messenger(emulator, configure=False)
    assert configure(another, tokens["jwt"])["code"] == 401
    another.close()


def test_after_logout_the_next_sign_in_resumes_the_user_s_conversation(
    emulator: Emulator, ada: str
) -> None:
    # Ours: a signed-in user's conversation stays theirs across logins, as across devices.
    tokens = sign_in(emulator, ada)
    guest = signed_in_guest(emulator, tokens["jwt"])
    guest.say("remember me")
    session_id = guest.session_id
    requests.delete(
        f"{emulator.data_url}{TOKEN}/revoke",
        headers={"Authorization": f"bearer {tokens['jwt']}"},
        timeout=5,
    )
    guest.closed()
    back = signed_in_guest(emulator, sign_in(emulator, ada)["jwt"])
    assert back.session is not None and back.session["body"]["newSession"] is False
    assert back.session_id == session_id
    back.close()


# The identity provider ------------------------------------------------------------------


def test_the_sign_in_page_hands_a_code_to_the_redirect_uri(emulator: Emulator, ada: str) -> None:
    # Source: OpenID Connect Core 1.0 section 3.1.2.5 (the code and state come back as query
    # parameters of the redirect URI); the transport SDK's uml/auth_flow/
    # authorization_code_flow.puml draws the login, the redirect, then the exchange.
    url = emulator.messaging.sign_in_url
    page = requests.get(url, params={"redirect_uri": "https://brand.example/cb"}, timeout=5)
    assert page.status_code == 200 and "<form" in page.text and "Ada Lovelace" in page.text
    sent = requests.post(
        url,
        data={"login": "ada", "redirect_uri": "https://brand.example/cb", "state": "s1"},
        allow_redirects=False,
        timeout=5,
    )
    assert sent.status_code == 302
    location = sent.headers["Location"]
    assert location.startswith("https://brand.example/cb?code=") and location.endswith("&state=s1")
    code = location.split("code=")[1].split("&")[0]
    oauth = {"code": code, "redirectUri": "https://brand.example/cb"}
    assert exchange(emulator, oauth).status_code == 200


def test_without_a_redirect_uri_the_code_is_shown_to_paste(emulator: Emulator) -> None:
    shown = requests.post(emulator.messaging.sign_in_url, data={"login": "grace"}, timeout=5)
    assert shown.status_code == 200 and "Authorization code" in shown.text
    code = shown.text.split("<code>")[1].split("</code>")[0]
    oauth = {"code": code, "redirectUri": emulator.messaging.redirect_uri}
    assert exchange(emulator, oauth).status_code == 200


def test_the_control_api_issues_codes_and_id_tokens_over_http(emulator: Emulator, ada: str) -> None:
    idp = f"{emulator.data_url}/emulator/messaging/idp"
    users = requests.get(f"{idp}/users", timeout=5).json()["users"]
    assert {"login": "ada", "firstName": "Ada", "lastName": "Lovelace"} in users
    issued = requests.post(f"{idp}/codes", json={"user": "ada"}, timeout=5).json()
    assert issued["redirectUri"] == emulator.messaging.redirect_uri
    assert exchange(emulator, {"code": issued["code"], "redirectUri": issued["redirectUri"]}).ok
    nonce = str(uuid.uuid4())
    token = requests.post(f"{idp}/id-tokens", json={"user": "ada", "nonce": nonce}, timeout=5)
    assert exchange(emulator, {"idToken": token.json()["idToken"], "nonce": nonce}).ok
    unknown = requests.post(f"{idp}/codes", json={"user": "nobody"}, timeout=5)
    assert unknown.status_code == 400 and "No user 'nobody'" in unknown.json()["message"]


def test_no_code_jwt_or_refresh_token_reaches_a_log_line(
    emulator: Emulator, ada: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = sign_in(emulator, ada)
    guest = signed_in_guest(emulator, tokens["jwt"])
    guest.say("hi")
    guest.close()
    for secret in (tokens["jwt"], tokens["refreshToken"]):
        assert secret not in caplog.text
    assert tokens["refreshToken"] not in repr(emulator.messaging_server.grants)


def test_a_user_s_password_is_asked_on_the_sign_in_page(emulator: Emulator) -> None:
    from cxbus_emulator.web_messaging import User

    with Emulator(
        demo_agent=False, messaging_users=(User("lin", "Lin", "Yu", password="s3cret"),)
    ) as own:
        assert "s3cret" not in repr(own.messaging_server.identity)
        wrong = requests.post(
            own.messaging.sign_in_url, data={"login": "lin", "password": "no"}, timeout=5
        )
        assert wrong.status_code == 400
        right = requests.post(
            own.messaging.sign_in_url, data={"login": "lin", "password": "s3cret"}, timeout=5
        )
        assert right.status_code == 200 and "Authorization code" in right.text
