"""The token endpoints of authenticated Web Messaging (``/api/v2/webdeployments/token/...``).

As the Messenger transport SDK calls them (``network/WebMessagingApi.kt`` and its test
engines ``Authorize.kt``, ``RefreshToken.kt``, ``Logout.kt``):

- ``POST .../oauthcodegrantjwtexchange`` ``{"deploymentId", "oauth": {"code",
  "redirectUri", "codeVerifier"?}}`` answers ``{"jwt", "refreshToken"}``; with
  ``{"oauth": {"idToken", "nonce"}}`` it answers ``{"jwt"}`` alone;
- ``POST .../refresh`` ``{"refreshToken"}`` answers ``{"jwt"}``, a new JWT of the grant;
- ``DELETE .../revoke`` with ``Authorization: bearer <jwt>``: logout. The grant's
  tokens are refused from then on, and the sockets of the user's conversation get
  ``LogoutEvent`` and are closed (the SDK waits for that event when connected).

A code, id token or refresh token that is not good is 400 (RFC 6749's
``invalid_grant``, as the SDK's test engines answer a bad one); a bad JWT on revoke
is 401. The bodies are Platform API ErrorBodies; no secret is in one. Runs on the loop.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .grants import GrantError
from .identity import IdentityError, SignedInUser
from .rest_api import TOKEN, RestError
from .server import MessagingServer

__all__ = ["TokenApi"]


class TokenApi:
    """The token endpoints of one ``MessagingServer``."""

    def __init__(self, server: MessagingServer) -> None:
        self.server = server

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(f"{TOKEN}/oauthcodegrantjwtexchange", self.exchange)
        app.router.add_post(f"{TOKEN}/refresh", self.refresh)
        app.router.add_delete(f"{TOKEN}/revoke", self.revoke)

    def _check_enabled(self) -> None:
        if not self.server.deployment.auth_enabled:
            raise RestError(
                403, "not.authorized", "Authentication is not enabled for this deployment."
            )

    async def exchange(self, request: web.Request) -> web.Response:
        """An authorization code or id token for a JWT (and, for a code, a refresh token)."""
        server = self.server
        body = await _json(request)
        if body.get("deploymentId") != server.deployment_id:
            raise RestError(400, "bad.request", "deploymentId must name this deployment.")
        self._check_enabled()
        oauth = body.get("oauth")
        if not isinstance(oauth, dict):
            raise RestError(400, "bad.request", "oauth is required (an object).")
        code, id_token = _text(oauth, "code"), _text(oauth, "idToken")
        if (code is None) == (id_token is None):
            raise RestError(400, "bad.request", "oauth needs a code or an idToken (one of them).")
        try:
            signed_in: SignedInUser = (
                server.identity.redeem_code(
                    code, _text(oauth, "redirectUri"), _text(oauth, "codeVerifier")
                )
                if code is not None
                else server.identity.check_id_token(
                    str(id_token), _text(oauth, "nonce"), server.deployment_id
                )
            )
        except IdentityError as error:
            raise RestError(400, "invalid.grant", str(error)) from None
        limits = server.limits
        refresh_seconds = limits.refresh_token_seconds if code is not None else None
        grant = server.grants.grant(signed_in, refresh_seconds)
        answer: dict[str, Any] = {"jwt": server.grants.jwt(grant, limits.auth_jwt_seconds)}
        if grant.refresh_token is not None:
            answer["refreshToken"] = grant.refresh_token
        return web.json_response(answer)

    async def refresh(self, request: web.Request) -> web.Response:
        """A new JWT of the grant a refresh token belongs to."""
        self._check_enabled()
        refresh_token = _text(await _json(request), "refreshToken")
        if refresh_token is None:
            raise RestError(400, "bad.request", "refreshToken is required (a string).")
        try:
            grant = self.server.grants.refreshed(refresh_token)
        except GrantError as error:
            raise RestError(400, "invalid.grant", str(error)) from None
        jwt = self.server.grants.jwt(grant, self.server.limits.auth_jwt_seconds)
        return web.json_response({"jwt": jwt})

    async def revoke(self, request: web.Request) -> web.Response:
        """Logout: the bearer JWT's grant is revoked, and the user's sockets are told."""
        server = self.server
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise RestError(401, "authentication.required", "No Authorization: bearer header.")
        try:
            grant = server.grants.of_jwt(token)
        except GrantError as error:
            raise RestError(401, "bad.credentials", str(error)) from None
        server.grants.revoke(grant)
        session = server.signed_in.get(grant.user.login)
        if session is not None:
            await server.log_out(session)
        return web.Response(status=200)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise RestError(400, "bad.request", "The body is not JSON.") from None
    if not isinstance(body, dict):
        raise RestError(400, "bad.request", "The body must be a JSON object.")
    return body


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) and value else None
