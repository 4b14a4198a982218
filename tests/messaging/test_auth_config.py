"""The sign-in options of the messaging section: one sentence per bad one, no secret in it."""

from __future__ import annotations

from typing import Any

import pytest

from cxbus_messaging.config import ConfigError, parse_config
from cxbus_messaging.guest_api import AuthTokens, Credentials, credentials_from, jwt_expiry
from cxbus_messaging.session_store import StoredSession

BASE = {"deploymentId": "d-1", "baseURL": "http://127.0.0.1:1"}
CODE = "code-SECRET-1"


@pytest.mark.parametrize(
    ("options", "sentence"),
    [
        (
            {"authCode": CODE},
            "messaging.redirectUri must be the redirect URI authCode was issued for; "
            "it is missing.",
        ),
        (
            {"idToken": "id-SECRET"},
            "messaging.nonce must be the nonce idToken was issued with; it is missing.",
        ),
        (
            {"authCode": CODE, "redirectUri": "https://x", "idToken": "id-SECRET", "nonce": "n"},
            "messaging.idToken must be left out when authCode is given; got a str.",
        ),
        (
            {"authCode": CODE, "redirectUri": "https://x", "authProvider": "AuthProvider"},
            "messaging.authProvider must be left out when authCode is given; got a str.",
        ),
        (
            {"codeVerifier": "v-SECRET", "authProvider": "AuthProvider"},
            "messaging.codeVerifier must be given with authCode only; got a str.",
        ),
        (
            {"authCode": 12},
            "messaging.authCode must be a non-empty string; got a int.",
        ),
        (
            {"authProvider": 3},
            "messaging.authProvider must be a callable that returns {authCode, redirectUri, "
            "codeVerifier?} or {idToken, nonce}, or the name of a plugin with a getAuthCode "
            "command; got 3.",
        ),
    ],
)
def test_a_bad_sign_in_option_is_one_sentence(options: dict[str, Any], sentence: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config({**BASE, **options})
    assert str(refused.value) == sentence
    assert "SECRET" not in str(refused.value)


def test_the_sign_in_options_make_the_credentials() -> None:
    config = parse_config({**BASE, "authCode": CODE, "redirectUri": "https://x"})
    assert config.authenticated
    assert config.credentials == Credentials(auth_code=CODE, redirect_uri="https://x")
    assert CODE not in repr(config) and CODE not in repr(config.credentials)
    assert not parse_config(BASE).authenticated


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        (
            "a code",
            "AuthProvider.getAuthCode must give an object with authCode and "
            "redirectUri, or idToken and nonce; it gave a str.",
        ),
        (
            {"authCode": CODE},
            "AuthProvider.getAuthCode must give redirectUri as a non-empty string.",
        ),
        (
            {"idToken": "id-SECRET"},
            "AuthProvider.getAuthCode must give nonce as a non-empty string with idToken.",
        ),
    ],
)
def test_a_providers_bad_answer_is_one_sentence(value: Any, sentence: str) -> None:
    with pytest.raises(ValueError, match="^") as refused:
        credentials_from(value, "AuthProvider.getAuthCode")
    assert str(refused.value) == sentence


def test_tokens_and_stored_sessions_keep_their_secrets_out_of_reprs() -> None:
    tokens = AuthTokens("jwt-SECRET", "refresh-SECRET")
    stored = StoredSession("token-SECRET", "d-1", 1.0, jwt="jwt-SECRET", refresh_token="r-SECRET")
    assert "SECRET" not in repr(tokens) + repr(stored)
    assert StoredSession.from_json(stored.to_json()) == stored


def test_a_jwts_expiry_is_read_from_its_claims() -> None:
    # RFC 7519 §4.1.4: exp, seconds since the epoch, in the base64url JSON payload.
    assert jwt_expiry("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.sig") == 1700000000
    assert jwt_expiry("not a jwt") is None
