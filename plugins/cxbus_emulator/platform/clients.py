"""The emulator's OAuth clients and the access tokens it gives them (client credentials).

An ``OAuthClient`` is what a Genesys Cloud admin creates under Admin > Integrations >
OAuth with the Client Credentials grant: an id, a secret, a name, how long its tokens
live ("Token Duration": 300 to 172,800 seconds on a real org, a day unless changed;
the Resource Center's "Create an OAuth client" page), and the permissions of the roles
it was given. ``AccessTokens`` issues opaque bearer tokens for them, each good for its
client's duration, and says whose a token is. Touched on the emulator's loop only.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

import attrs

__all__ = [
    "DEFAULT_CLIENT",
    "PERMISSIONS",
    "AccessTokens",
    "OAuthClient",
    "TokenRefused",
]

PERMISSIONS = frozenset(
    {
        "conversation:message:view",
        "conversation:webmessaging:view",
        "conversation:communication:view",
        "conversation:communication:disconnect",
    }
)
"""Every permission the emulator's platform endpoints check (each endpoint's "Requires
ANY permissions" in the official SDKs' ConversationsApi docs)."""

MAX_TOKEN_SECONDS = 172_800


def _text(instance: Any, attribute: attrs.Attribute[str], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"OAuthClient.{attribute.name} must be a non-empty string.")


def _token_seconds(instance: Any, attribute: attrs.Attribute[int], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TOKEN_SECONDS:
        raise ValueError(
            f"OAuthClient.token_seconds must be a whole number from 1 to {MAX_TOKEN_SECONDS}; "
            f"got {value!r}."
        )


def _permissions(instance: Any, attribute: attrs.Attribute[frozenset[str]], value: Any) -> None:
    unknown = sorted(value - PERMISSIONS)
    if unknown:
        raise ValueError(
            f"OAuthClient.permissions: {', '.join(unknown)} is not checked by the emulator; "
            f"it checks {', '.join(sorted(PERMISSIONS))}."
        )


def _frozen_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class OAuthClient:
    """A client credentials OAuth client of the emulated org (see the module docstring).

    ``token_seconds`` may be as short as 1 here (a real org's floor is 300), so that a
    test sees a token expire.
    """

    client_id: str = attrs.field(validator=_text)
    client_secret: str = attrs.field(validator=_text, repr=False)
    name: str = attrs.field(default="cxbus test client", validator=_text)
    token_seconds: int = attrs.field(default=86_400, validator=_token_seconds)
    permissions: frozenset[str] = attrs.field(
        default=PERMISSIONS, converter=_frozen_set, validator=_permissions
    )


DEFAULT_CLIENT = OAuthClient(
    "cxbus-emulator", "cxbus-emulator-secret", name="cxbus emulator test client"
)
"""The client every emulator has unless it is given others: a well-known id and secret
(the emulator guards nothing), with every permission."""


class TokenRefused(Exception):
    """A bearer token that grants nothing: unknown, expired or revoked."""


@attrs.define(eq=False)
class AccessTokens:
    """The access tokens issued so far, and whose each is, until it expires.

    ``clock`` is ``time.monotonic`` unless a test stops it.
    """

    clock: Callable[[], float] = time.monotonic
    _tokens: dict[str, tuple[OAuthClient, float]] = attrs.field(
        factory=dict, init=False, repr=False
    )

    def issue(self, client: OAuthClient) -> str:
        """A new token of ``client``, good for its ``token_seconds``."""
        self._forget_expired()
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (client, self.clock() + client.token_seconds)
        return token

    def client_of(self, token: str) -> OAuthClient:
        """The client whose token it is; ``TokenRefused`` when it grants nothing."""
        held = self._tokens.get(token)
        if held is None or held[1] <= self.clock():
            raise TokenRefused("The access token is unknown or has expired.")
        return held[0]

    def expire_all(self) -> int:
        """Every token issued so far expires now; how many there were."""
        count = len(self._tokens)
        self._tokens.clear()
        return count

    def revoke_client(self, client_id: str) -> None:
        """The tokens of ``client_id`` grant nothing from now on."""
        for token, (client, _) in list(self._tokens.items()):
            if client.client_id == client_id:
                del self._tokens[token]

    def _forget_expired(self) -> None:
        now = self.clock()
        for token, (_, expires) in list(self._tokens.items()):
            if expires <= now:
                del self._tokens[token]
