"""The emulator's Web Messaging secrets: its JWTs and the presigned URLs.

A ``getJwt`` JWT names the session it was issued to and expires
``Limits.jwt_seconds`` after issue; the history endpoint takes nothing else. A
signed-in JWT (the token exchange's) names its grant and its user instead; neither
kind passes for the other. A presigned URL carries an HMAC of its path (and expiry)
under a key of this emulator's own, as S3's do.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import attrs
import jwt

__all__ = ["Signer", "TokenError"]


class TokenError(Exception):
    """A JWT is missing, forged, for no session, or expired."""


@attrs.frozen
class Signer:
    """Signs and checks JWTs (HS256) and URL signatures with one key of its own."""

    key: bytes = attrs.field(factory=lambda: secrets.token_bytes(32), repr=False)

    def jwt(self, session_id: str, lifetime: int) -> tuple[str, int]:
        """A JWT for ``session_id`` and its expiry (epoch seconds)."""
        expires = int(time.time()) + lifetime
        token = jwt.encode({"sid": session_id, "exp": expires}, self.key, algorithm="HS256")
        return token, expires

    def session_of(self, token: str) -> str:
        """The session id a JWT was issued for; ``TokenError`` if forged or expired."""
        try:
            claims = jwt.decode(token, self.key, algorithms=["HS256"])
            return str(claims["sid"])
        except (jwt.PyJWTError, KeyError) as error:
            raise TokenError(str(error)) from None

    def signed_in_jwt(self, grant_id: str, login: str, expires: int) -> str:
        """A JWT of a signed-in user's grant, good until ``expires`` (epoch seconds)."""
        claims = {"gid": grant_id, "sub": login, "iat": int(time.time()), "exp": expires}
        return jwt.encode(claims, self.key, algorithm="HS256")

    def grant_of(self, token: str) -> str:
        """The grant a signed-in JWT was issued for; ``TokenError`` if forged or expired."""
        try:
            claims = jwt.decode(token, self.key, algorithms=["HS256"])
            return str(claims["gid"])
        except (jwt.PyJWTError, KeyError) as error:
            raise TokenError(str(error)) from None

    def sign(self, *parts: str) -> str:
        return hmac.new(self.key, "\n".join(parts).encode(), hashlib.sha256).hexdigest()

    def verify(self, signature: str, *parts: str) -> bool:
        return hmac.compare_digest(signature, self.sign(*parts))
