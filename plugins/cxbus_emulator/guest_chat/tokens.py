"""The JWTs the emulator hands guests: signed, scoped to one conversation and member."""

from __future__ import annotations

import math
import secrets
import time

import attrs
import jwt

__all__ = ["TokenError", "TokenExpired", "Tokens"]


class TokenError(Exception):
    """A token is missing or forged."""


class TokenExpired(TokenError):
    """A token was genuine but its time is up."""


@attrs.frozen
class Tokens:
    """Signs and checks guest tokens with a key of this emulator's own (HS256)."""

    key: str = attrs.field(factory=lambda: secrets.token_hex(32), repr=False)

    def issue(self, conversation_id: str, member_id: str, lifetime: float | None = None) -> str:
        """A token for the member; it expires ``lifetime`` seconds from now (rounded up)."""
        claims: dict[str, object] = {"conv": conversation_id, "mem": member_id}
        if lifetime is not None:
            claims["exp"] = math.ceil(time.time() + lifetime)
        return jwt.encode(claims, self.key, algorithm="HS256")

    def check(self, token: str) -> tuple[str, str]:
        """The (conversation id, member id) a token was issued for.

        ``TokenExpired`` if its time is up, ``TokenError`` if it is not one of ours.
        """
        try:
            claims = jwt.decode(token, self.key, algorithms=["HS256"])
            return str(claims["conv"]), str(claims["mem"])
        except jwt.ExpiredSignatureError:
            raise TokenExpired("The token has expired.") from None
        except (jwt.PyJWTError, KeyError):
            raise TokenError("The token is not valid.") from None
