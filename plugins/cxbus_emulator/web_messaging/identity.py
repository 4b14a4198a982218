"""The emulator's own identity provider: the brand's sign-in that authenticated Messenger
deployments trust.

A real deployment names an OpenID Connect provider (Okta, Auth0, Azure AD...); the
guest signs in there and the page hands Genesys an authorization code (or an id
token) to exchange for a Genesys JWT. Here the provider is a list of ``User``s and
two ways to sign one in: the control API issues a code (or an id token) for a user
by name, for tests, and a sign-in page does it for a person in a browser. A code is
good once, for ``code_seconds``, for the redirect URI it was issued with and, with
PKCE, for the verifier of its challenge (RFC 7636). Codes, id tokens and passwords
never reach a repr or a log line. Touched on the emulator's loop only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import attrs
import jwt

__all__ = ["DEMO_USERS", "IdentityError", "IdentityProvider", "SignedInUser", "User"]

ISSUER = "cxbus-emulator"
PKCE_METHODS = ("S256", "plain")


@attrs.frozen
class User:
    """Someone the identity provider can sign in: ``login`` names them; the names are
    what the agent sees (``channel.from`` of the ``SignIn`` presence event).

    With a ``password``, the sign-in page asks for it; the control API never does.
    """

    login: str = attrs.field(validator=attrs.validators.min_len(1))
    first_name: str = ""
    last_name: str = ""
    password: str | None = attrs.field(default=None, repr=False)


DEMO_USERS = (User("ada", "Ada", "Lovelace"), User("grace", "Grace", "Hopper"))


class IdentityError(Exception):
    """A code, id token or sign-in the provider does not accept (the sentence says why)."""


@attrs.frozen
class SignedInUser:
    """What a redeemed code or a checked id token proves: who, and until when at the latest."""

    user: User
    expires_at: float | None = None  # an id token's expiry (epoch seconds); None for a code


@attrs.define(eq=False)
class _Code:
    user: User
    redirect_uri: str
    expires_at: float
    challenge: str | None = attrs.field(default=None, repr=False)
    method: str = "plain"


@attrs.define(eq=False)
class IdentityProvider:
    """The users, and the codes issued for them and not yet redeemed."""

    users: tuple[User, ...] = DEMO_USERS
    code_seconds: int = 300
    token_seconds: int = 3600  # an id token's lifetime
    key: bytes = attrs.field(factory=lambda: secrets.token_bytes(32), repr=False)
    _codes: dict[str, _Code] = attrs.field(factory=dict, init=False, repr=False)

    def user(self, login: str) -> User:
        """The user ``login``; ``IdentityError`` if there is none."""
        for user in self.users:
            if user.login == login:
                return user
        raise IdentityError(f"No user {login!r}: the emulator's users are {self.logins()}.")

    def logins(self) -> list[str]:
        return [user.login for user in self.users]

    def add(self, user: User) -> None:
        """One more user; ``IdentityError`` if the login is taken."""
        if user.login in self.logins():
            raise IdentityError(f"The login {user.login!r} is taken.")
        self.users = (*self.users, user)

    def check_password(self, user: User, password: str) -> None:
        if user.password is not None and not hmac.compare_digest(user.password, password):
            raise IdentityError("The password is not right.")

    def issue_code(
        self,
        login: str,
        redirect_uri: str,
        challenge: str | None = None,
        method: str = "S256",
    ) -> str:
        """A new authorization code for ``login``, for ``redirect_uri`` (and, with a PKCE
        ``challenge``, for its verifier)."""
        user = self.user(login)
        if challenge is not None and method not in PKCE_METHODS:
            raise IdentityError(f"codeChallengeMethod must be one of {PKCE_METHODS}.")
        now = time.time()
        self._codes = {c: v for c, v in self._codes.items() if v.expires_at > now}
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Code(user, redirect_uri, now + self.code_seconds, challenge, method)
        return code

    def redeem_code(
        self, code: str, redirect_uri: str | None, verifier: str | None
    ) -> SignedInUser:
        """Who ``code`` signed in; it is good once. ``IdentityError`` if unknown, used,
        expired, for another redirect URI, or the PKCE verifier does not match."""
        issued = self._codes.pop(code, None)
        if issued is None or issued.expires_at <= time.time():
            raise IdentityError("The authorization code is not valid: unknown, used or expired.")
        if redirect_uri != issued.redirect_uri:
            raise IdentityError("redirectUri is not the one the code was issued for.")
        if issued.challenge is not None and not _verifies(verifier, issued):
            raise IdentityError("codeVerifier does not match the code's challenge.")
        return SignedInUser(issued.user)

    def issue_id_token(self, login: str, nonce: str, audience: str) -> str:
        """An OpenID Connect id token for ``login``, with ``nonce``, for ``audience``."""
        user = self.user(login)
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user.login,
            "aud": audience,
            "nonce": nonce,
            "iat": now,
            "exp": now + self.token_seconds,
            "given_name": user.first_name,
            "family_name": user.last_name,
        }
        return jwt.encode(claims, self.key, algorithm="HS256")

    def check_id_token(self, token: str, nonce: str | None, audience: str) -> SignedInUser:
        """Who an id token signed in; ``IdentityError`` if forged, expired, for another
        audience, or its nonce is not ``nonce``."""
        try:
            claims = jwt.decode(
                token, self.key, algorithms=["HS256"], audience=audience, issuer=ISSUER
            )
        except jwt.PyJWTError:
            raise IdentityError(
                "The id token is not valid: forged, expired or not for this deployment."
            ) from None
        if nonce is None or not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise IdentityError("nonce is not the id token's.")
        return SignedInUser(self.user(str(claims["sub"])), float(claims["exp"]))


def _verifies(verifier: str | None, issued: _Code) -> bool:
    """Whether ``verifier`` is the PKCE verifier of the code's challenge."""
    if verifier is None or issued.challenge is None:
        return False
    return hmac.compare_digest(_challenge(verifier, issued.method), issued.challenge)


def _challenge(verifier: str, method: str) -> str:
    """The PKCE code challenge of ``verifier`` (RFC 7636 section 4.2)."""
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
