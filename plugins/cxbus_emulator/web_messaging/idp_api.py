"""The identity provider over HTTP, under ``/emulator/messaging/idp``: for tests and for people.

For tests and programs (JSON):

- ``GET  .../users``: the users' logins and names;
- ``POST .../codes`` ``{"user", "redirectUri"?, "codeChallenge"?, "codeChallengeMethod"?}``:
  an authorization code for that user, ``{"code", "redirectUri", "expiresIn"}``;
- ``POST .../id-tokens`` ``{"user", "nonce"}``: an id token, ``{"idToken", "nonce",
  "expiresIn"}``.

For a person in a browser, as an OpenID Connect provider's login does it:
``GET .../authorize?redirect_uri=&state=&code_challenge=&code_challenge_method=`` shows
a sign-in form; sending it redirects to ``redirect_uri`` with ``code`` and ``state``.
Without a ``redirect_uri`` the code goes to ``.../signed-in``, a page that shows it
(and the redirect URI to exchange it with), to paste where a code is asked for.
Runs on the emulator's loop.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .identity import IdentityError
from .rest_api import RestError
from .server import MessagingServer
from .settings import IDP

__all__ = ["IdpApi"]


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>{content}</body></html>
"""


class IdpApi:
    """The identity provider's paths of one ``MessagingServer``."""

    def __init__(self, server: MessagingServer) -> None:
        self.server = server

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(f"{IDP}/users", self.users)
        app.router.add_post(f"{IDP}/codes", self.code)
        app.router.add_post(f"{IDP}/id-tokens", self.id_token)
        app.router.add_get(f"{IDP}/authorize", self.sign_in_form)
        app.router.add_post(f"{IDP}/authorize", self.sign_in)
        app.router.add_get(f"{IDP}/signed-in", self.signed_in)

    async def users(self, request: web.Request) -> web.Response:
        users = [
            {"login": u.login, "firstName": u.first_name, "lastName": u.last_name}
            for u in self.server.identity.users
        ]
        return web.json_response({"users": users})

    async def code(self, request: web.Request) -> web.Response:
        body = await _json(request)
        redirect_uri = _optional(body, "redirectUri") or self.server.redirect_uri
        try:
            code = self.server.identity.issue_code(
                _required(body, "user"),
                redirect_uri,
                _optional(body, "codeChallenge"),
                _optional(body, "codeChallengeMethod") or "S256",
            )
        except IdentityError as error:
            raise RestError(400, "bad.request", str(error)) from None
        expires_in = self.server.identity.code_seconds
        return web.json_response(
            {"code": code, "redirectUri": redirect_uri, "expiresIn": expires_in}
        )

    async def id_token(self, request: web.Request) -> web.Response:
        body = await _json(request)
        nonce = _required(body, "nonce")
        identity = self.server.identity
        try:
            token = identity.issue_id_token(
                _required(body, "user"), nonce, self.server.deployment_id
            )
        except IdentityError as error:
            raise RestError(400, "bad.request", str(error)) from None
        return web.json_response(
            {"idToken": token, "nonce": nonce, "expiresIn": identity.token_seconds}
        )

    async def sign_in_form(self, request: web.Request) -> web.Response:
        """The sign-in page: a user and (if theirs has one) a password."""
        query = request.query
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(query[name])}">'
            for name in ("redirect_uri", "state", "code_challenge", "code_challenge_method")
            if name in query
        )
        options = "".join(
            f'<option value="{html.escape(u.login)}">'
            f"{html.escape(' '.join(filter(None, (u.first_name, u.last_name))) or u.login)}"
            "</option>"
            for u in self.server.identity.users
        )
        form = (
            f'<form method="post">{hidden}'
            f'<label>User <select name="login">{options}</select></label> '
            '<label>Password <input type="password" name="password"></label> '
            '<button type="submit">Sign in</button></form>'
        )
        return _page("Sign in to the cxbus emulator", form)

    async def sign_in(self, request: web.Request) -> web.Response:
        """The form sent: a code for the user, handed to the redirect URI."""
        form = await request.post()
        identity = self.server.identity
        redirect_uri = str(form.get("redirect_uri") or self.server.redirect_uri)
        try:
            user = identity.user(str(form.get("login", "")))
            identity.check_password(user, str(form.get("password", "")))
            code = identity.issue_code(
                user.login,
                redirect_uri,
                str(form["code_challenge"]) if form.get("code_challenge") else None,
                str(form.get("code_challenge_method") or "S256"),
            )
        except IdentityError as error:
            return _page("Not signed in", f"<p>{html.escape(str(error))}</p>", status=400)
        answer = {"code": code}
        if form.get("state"):
            answer["state"] = str(form["state"])
        separator = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(f"{redirect_uri}{separator}{urlencode(answer)}")

    async def signed_in(self, request: web.Request) -> web.Response:
        """Where a code goes when the sign-in named no redirect URI: it shows the code."""
        code = html.escape(request.query.get("code", ""))
        content = (
            f"<p>Authorization code: <code>{code}</code></p>"
            f"<p>Redirect URI: <code>{html.escape(self.server.redirect_uri)}</code></p>"
            f"<p>It is good once, for {self.server.identity.code_seconds} seconds.</p>"
        )
        return _page("Signed in", content)


def _page(title: str, content: str, status: int = 200) -> web.Response:
    text = PAGE.format(title=html.escape(title), content=content)
    return web.Response(text=text, content_type="text/html", status=status)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RestError(400, "bad.request", "The body is not JSON.") from None
    if not isinstance(body, dict):
        raise RestError(400, "bad.request", "The body must be a JSON object.")
    return body


def _required(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise RestError(400, "bad.request", f"{name} is required (a non-empty string).")
    return value


def _optional(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise RestError(400, "bad.request", f"{name} must be a non-empty string.")
    return value
