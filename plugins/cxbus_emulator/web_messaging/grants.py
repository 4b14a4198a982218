"""Sign-ins the token endpoints granted: their JWTs, refresh tokens and revocation.

A ``Grant`` is one sign-in of a user (one code or id token exchanged). Its JWT lives
``Limits.auth_jwt_seconds``, or less when the id token it came from expires sooner;
a code's grant also has a refresh token that lives ``Limits.refresh_token_seconds``
and gets new JWTs (an id token's has none, as the Messenger transport SDK's
``AuthHandlerImpl`` expects). Revoking a grant (logout) ends its JWTs and its
refresh token at once. Touched on the emulator's loop only.
"""

from __future__ import annotations

import secrets
import time
import uuid

import attrs

from .identity import SignedInUser, User
from .tokens import Signer, TokenError

__all__ = ["Grant", "GrantError", "Grants"]


class GrantError(Exception):
    """A JWT or refresh token that grants nothing (the sentence says why)."""


@attrs.define(eq=False)
class Grant:
    """One sign-in of ``user``."""

    user: User
    id: str = attrs.field(factory=lambda: str(uuid.uuid4()))
    refresh_token: str | None = attrs.field(default=None, repr=False)
    refresh_expires_at: float = 0.0
    not_after: float | None = None  # no JWT of it lives past this (the id token's expiry)
    revoked: bool = False


@attrs.define(eq=False)
class Grants:
    """Every grant of one deployment, by id and by refresh token."""

    signer: Signer
    _by_id: dict[str, Grant] = attrs.field(factory=dict, init=False, repr=False)
    _by_refresh: dict[str, Grant] = attrs.field(factory=dict, init=False, repr=False)

    def grant(self, signed_in: SignedInUser, refresh_seconds: int | None) -> Grant:
        """A new grant for a signed-in user; with ``refresh_seconds``, a refresh token too."""
        grant = Grant(signed_in.user, not_after=signed_in.expires_at)
        if refresh_seconds is not None:
            grant.refresh_token = secrets.token_urlsafe(32)
            grant.refresh_expires_at = time.time() + refresh_seconds
            self._by_refresh[grant.refresh_token] = grant
        self._by_id[grant.id] = grant
        return grant

    def jwt(self, grant: Grant, lifetime: int) -> str:
        """A JWT of ``grant``, good for ``lifetime`` seconds at most."""
        expires = time.time() + lifetime
        if grant.not_after is not None:
            expires = min(expires, grant.not_after)
        return self.signer.signed_in_jwt(grant.id, grant.user.login, int(expires))

    def refreshed(self, refresh_token: str) -> Grant:
        """The grant a refresh token belongs to; ``GrantError`` if unknown, expired or revoked."""
        grant = self._by_refresh.get(refresh_token)
        if grant is None or grant.revoked or grant.refresh_expires_at <= time.time():
            raise GrantError("The refresh token is not valid: unknown, expired or revoked.")
        return grant

    def of_jwt(self, token: str) -> Grant:
        """The grant of a signed-in JWT; ``GrantError`` if forged, expired or revoked."""
        try:
            grant = self._by_id.get(self.signer.grant_of(token))
        except TokenError:
            grant = None
        if grant is None or grant.revoked:
            raise GrantError("The JWT is not valid: forged, expired or revoked.")
        return grant

    def revoke(self, grant: Grant) -> None:
        """Logout: the grant's JWTs and refresh token are refused from now on."""
        grant.revoked = True
        if grant.refresh_token is not None:
            self._by_refresh.pop(grant.refresh_token, None)
