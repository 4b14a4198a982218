"""The JWTs the emulator hands guests: signed, scoped to one conversation and member."""

from __future__ import annotations

import secrets

import attrs
import jwt

__all__ = ["TokenError", "Tokens"]


class TokenError(Exception):
    """A token is missing, forged or expired."""


@attrs.frozen
class Tokens:
    """Signs and checks guest tokens with a key of this emulator's own (HS256)."""

    key: str = attrs.field(factory=lambda: secrets.token_hex(32), repr=False)

    def issue(self, conversation_id: str, member_id: str) -> str:
        return jwt.encode({"conv": conversation_id, "mem": member_id}, self.key, algorithm="HS256")

    def check(self, token: str) -> tuple[str, str]:
        """The (conversation id, member id) a token was issued for; ``TokenError`` if forged."""
        try:
            claims = jwt.decode(token, self.key, algorithms=["HS256"])
            return str(claims["conv"]), str(claims["mem"])
        except (jwt.PyJWTError, KeyError) as error:
            raise TokenError(str(error)) from None
