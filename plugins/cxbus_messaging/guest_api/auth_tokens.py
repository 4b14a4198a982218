"""What a signed-in guest holds: the credentials from the brand's login, and the tokens they buy.

``Credentials`` are what the brand's login hands over (the Messenger's
``AuthProvider.getAuthCode`` resolves with them): an authorization code with the
redirect URI it was issued for (and the PKCE verifier, when the login used one), or
an OpenID Connect id token with its nonce. The token endpoint exchanges them
(``GuestRestApi.exchange``) for ``AuthTokens``: a JWT for
``configureAuthenticatedSession`` and, for a code, a refresh token. All of them are
secrets: none shows in a repr, and errors name fields, never values.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

import attrs

from .errors import ProtocolError

__all__ = ["AuthTokens", "Credentials", "credentials_from", "jwt_expiry"]


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


@attrs.frozen
class Credentials:
    """An authorization code (``auth_code``, ``redirect_uri``, ``code_verifier``) or an id
    token (``id_token``, ``nonce``), as the token exchange's ``oauth`` object takes them."""

    auth_code: str | None = attrs.field(default=None, repr=False)
    redirect_uri: str | None = None
    code_verifier: str | None = attrs.field(default=None, repr=False)
    id_token: str | None = attrs.field(default=None, repr=False)
    nonce: str | None = attrs.field(default=None, repr=False)

    def oauth(self) -> dict[str, str]:
        """The token exchange's ``oauth`` object (the mobile SDK's ``AuthJwtRequest``)."""
        if self.id_token is not None:
            return {"idToken": self.id_token, "nonce": self.nonce or ""}
        oauth = {"code": self.auth_code or "", "redirectUri": self.redirect_uri or ""}
        if self.code_verifier is not None:
            oauth["codeVerifier"] = self.code_verifier
        return oauth


def credentials_from(value: Any, what: str) -> Credentials:
    """``{authCode, redirectUri, codeVerifier?}`` or ``{idToken, nonce}`` (the
    ``AuthProvider.getAuthCode`` resolution) as ``Credentials``; ``ValueError`` naming
    ``what`` gave the wrong thing, never a value."""
    if isinstance(value, Credentials):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(
            f"{what} must give an object with authCode and redirectUri, or idToken and "
            f"nonce; it gave a {type(value).__name__}."
        )
    if "idToken" in value and "authCode" in value:
        raise ValueError(f"{what} must give authCode or idToken, not both.")
    if "idToken" in value:
        for name in ("idToken", "nonce"):
            if not _text(value.get(name)):
                raise ValueError(f"{what} must give {name} as a non-empty string with idToken.")
        return Credentials(id_token=value["idToken"], nonce=value["nonce"])
    for name in ("authCode", "redirectUri"):
        if not _text(value.get(name)):
            raise ValueError(f"{what} must give {name} as a non-empty string.")
    verifier = value.get("codeVerifier")
    if verifier is not None and not _text(verifier):
        raise ValueError(f"{what} must give codeVerifier as a non-empty string, or none.")
    return Credentials(
        auth_code=value["authCode"], redirect_uri=value["redirectUri"], code_verifier=verifier
    )


def jwt_expiry(jwt: str) -> int | None:
    """The ``exp`` claim of a JWT (epoch seconds), read without checking the signature
    (the server checks it); ``None`` if it has none."""
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return int(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


@attrs.frozen
class AuthTokens:
    """A signed-in guest's JWT (``exp``: its expiry, epoch seconds, when it says) and the
    refresh token that renews it (an exchanged id token has none)."""

    jwt: str = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(default=None, repr=False)

    @property
    def exp(self) -> int | None:
        return jwt_expiry(self.jwt)

    @classmethod
    def from_json(cls, data: Any, what: str) -> AuthTokens:
        """The token endpoint's ``{jwt, refreshToken?}``; ``ProtocolError`` if it is not."""
        if not isinstance(data, dict) or not _text(data.get("jwt")):
            raise ProtocolError(f"{what}: the answer has no jwt.")
        refresh = data.get("refreshToken")
        return cls(data["jwt"], refresh if _text(refresh) else None)
