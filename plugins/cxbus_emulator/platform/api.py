"""The platform API's paths: the token endpoint and the conversation calls a tester makes.

- ``POST /oauth/token``: the client credentials grant, as the official Python SDK's
  ``ApiClient.get_client_credentials_token`` calls it (platform-client-sdk-python,
  ``build/PureCloudPlatformClientV2/api_client.py``): ``Authorization: Basic
  base64(clientId:clientSecret)``, a form body ``grant_type=client_credentials``; it
  answers ``{"access_token", "token_type": "bearer", "expires_in"}``. Bad credentials
  are 401 ``invalid_client`` and another grant type 400 ``unsupported_grant_type``
  (RFC 6749, sections 5.1 and 5.2). A real org serves it on the region's login host
  (``login.mypurecloud.com``), the emulator on its one port.
- ``GET /api/v2/conversations/messages/{messageId}/details``: a message of any Web
  Messaging conversation, with its ``conversationId`` (the call the JS
  web-messaging-tester makes for ``--associate-id``); ``GET
  /api/v2/conversations/messages/{conversationId}/messages/{messageId}``: a message of
  that conversation. Both take ``useNormalizedMessage``.
- ``GET /api/v2/conversations/{conversationId}``: a Web Messaging conversation or a
  guest chat, its participants with their ``attributes`` (participant data).
- ``PATCH /api/v2/conversations/messages/{conversationId}`` and ``PATCH
  /api/v2/conversations/chats/{conversationId}`` with ``{"state": "disconnected"}``:
  "Update a conversation by disconnecting all of the participants"; they answer the
  ``Conversation``.

Paths, permissions and models are the official SDKs' (``build/docs/ConversationsApi.md``
of platform-client-sdk-python). Every ``/api/v2`` call needs ``Authorization: Bearer
<access token>``: without a good one it is 401 ``bad.credentials``; a client without
one of the endpoint's permissions gets 403 ``missing.any.permissions``; an unknown id
is 404 ``not.found``; errors are ErrorBodies. Ours: disconnecting a conversation that
is over already answers it as it is; a GMS chat is no Genesys Cloud conversation (GMS
is Genesys Engage's), so these paths do not know it. Runs on the emulator's loop.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..cloud import error_body
from .clients import OAuthClient, TokenRefused
from .server import PlatformServer
from .views import (
    CHAT_CONVERSATIONS,
    CONVERSATIONS,
    MESSAGE_CONVERSATIONS,
    chat_conversation,
    message_data,
    messaging_conversation,
)

__all__ = ["TOKEN_PATH", "PlatformApi"]

TOKEN_PATH = "/oauth/token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MESSAGE_VIEW = ("conversation:message:view", "conversation:webmessaging:view")
COMMUNICATION_VIEW = ("conversation:communication:view",)
DISCONNECT = ("conversation:communication:disconnect",)


class Refusal(Exception):
    """An answer other than success: its status and body."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}

    @classmethod
    def error(cls, status: int, code: str, message: str, field: str | None = None) -> Refusal:
        """A Platform API ErrorBody."""
        return cls(status, error_body(status, code, message, field))

    def response(self) -> web.Response:
        return web.json_response(self.body, status=self.status, headers=self.headers)


class PlatformApi:
    """The platform paths of one ``PlatformServer``."""

    def __init__(self, server: PlatformServer) -> None:
        self.server = server

    def add_routes(self, app: web.Application) -> None:
        router = app.router
        router.add_post(TOKEN_PATH, self._answering(self.token))
        router.add_get(
            f"{MESSAGE_CONVERSATIONS}/{{message_id}}/details", self._answering(self.message)
        )
        router.add_get(
            f"{MESSAGE_CONVERSATIONS}/{{conversation_id}}/messages/{{message_id}}",
            self._answering(self.conversation_message),
        )
        router.add_get(f"{CONVERSATIONS}/{{conversation_id}}", self._answering(self.conversation))
        router.add_patch(
            f"{MESSAGE_CONVERSATIONS}/{{conversation_id}}",
            self._answering(self.disconnect_messaging),
        )
        router.add_patch(
            f"{CHAT_CONVERSATIONS}/{{conversation_id}}", self._answering(self.disconnect_chat)
        )

    @staticmethod
    def _answering(handler: Handler) -> Handler:
        async def answer(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except Refusal as refusal:
                return refusal.response()

        return answer

    # The token endpoint ---------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        client = self._basic_client(request)
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            raise Refusal(400, _oauth_error("unsupported_grant_type", "Use client_credentials."))
        return web.json_response(
            {
                "access_token": self.server.tokens.issue(client),
                "token_type": "bearer",
                "expires_in": client.token_seconds,
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def _basic_client(self, request: web.Request) -> OAuthClient:
        """The client whose id and secret the Basic header carries; 401 otherwise."""
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, colon, secret = decoded.partition(":")
        client = self.server.clients.get(client_id)
        if (
            scheme.lower() != "basic"
            or not colon
            or client is None
            or secret != client.client_secret
        ):
            raise Refusal(
                401,
                _oauth_error("invalid_client", "The client id or secret is not valid."),
                {"WWW-Authenticate": 'Basic realm="oauth"'},
            )
        return client

    # The conversation calls -------------------------------------------------------------

    def _authorized(self, request: web.Request, needed: tuple[str, ...]) -> OAuthClient:
        """The client of the request's bearer token, if it holds one of ``needed``."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise TokenRefused("No bearer token.")
            client = self.server.tokens.client_of(token.strip())
        except TokenRefused:
            raise Refusal.error(401, "bad.credentials", "Invalid login credentials.") from None
        if not client.permissions.intersection(needed):
            raise Refusal.error(
                403,
                "missing.any.permissions",
                "Unable to perform the requested action. You are missing the following "
                f"permission(s): {', '.join(needed)}.",
            )
        return client

    async def message(self, request: web.Request) -> web.Response:
        self._authorized(request, MESSAGE_VIEW)
        found = self.server.message(request.match_info["message_id"])
        if found is None:
            raise _not_found("message")
        session, message = found
        return web.json_response(message_data(session, message, _normalized_only(request)))

    async def conversation_message(self, request: web.Request) -> web.Response:
        self._authorized(request, MESSAGE_VIEW)
        found = self.server.message(request.match_info["message_id"])
        if found is None or found[0].id != request.match_info["conversation_id"]:
            raise _not_found("message")
        session, message = found
        return web.json_response(message_data(session, message, _normalized_only(request)))

    async def conversation(self, request: web.Request) -> web.Response:
        self._authorized(request, COMMUNICATION_VIEW)
        conversation_id = request.match_info["conversation_id"]
        session = self.server.messaging_conversation(conversation_id)
        if session is not None:
            return web.json_response(messaging_conversation(session))
        chat = self.server.chat(conversation_id)
        if chat is not None:
            return web.json_response(chat_conversation(chat))
        raise _not_found("conversation")

    async def disconnect_messaging(self, request: web.Request) -> web.Response:
        client = self._authorized(request, DISCONNECT)
        await _disconnection(request)
        session = self.server.messaging_conversation(request.match_info["conversation_id"])
        if session is None:
            raise _not_found("message conversation")
        await self.server.disconnect_messaging(session, client)
        return web.json_response(messaging_conversation(session))

    async def disconnect_chat(self, request: web.Request) -> web.Response:
        self._authorized(request, DISCONNECT)
        await _disconnection(request)
        chat = self.server.chat(request.match_info["conversation_id"])
        if chat is None:
            raise _not_found("chat conversation")
        await self.server.disconnect_chat(chat)
        return web.json_response(chat_conversation(chat))


async def _disconnection(request: web.Request) -> None:
    """400 unless the body is a Conversation whose ``state`` is ``disconnected``: "On
    update, 'disconnected' will disconnect the conversation. No other values are valid"
    (the SDKs' Conversation model)."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or body.get("state") != "disconnected":
        raise Refusal.error(
            400,
            "bad.request",
            "The body must be a conversation whose state is 'disconnected'.",
            "state",
        )


def _normalized_only(request: web.Request) -> bool:
    return request.query.get("useNormalizedMessage", "").lower() == "true"


def _not_found(what: str) -> Refusal:
    return Refusal.error(404, "not.found", f"The requested {what} was not found.")


def _oauth_error(code: str, description: str) -> dict[str, str]:
    """An RFC 6749 error body."""
    return {"error": code, "error_description": description}
