"""``configureAuthenticatedSession``: a guest's socket configured with a signed-in JWT.

``data.code`` is the JWT of the token exchange (the mobile SDK's
``ConfigureAuthenticatedSessionRequest``). What it configures, as the transport
SDK's auth diagrams (``transport/uml/auth_flow/*.puml``) draw it:

- the token's own conversation of the same user: resumed;
- the token's guest conversation: stepped up (deployment ``allow_session_upgrade``):
  it becomes the user's with its history, and every socket gets the ``SignIn``
  presence event; a conversation the user had elsewhere is ended, its sockets get
  ``ConnectionClosedEvent`` ``signedIn``, and the answer says
  ``clearedExistingSession: true``;
- otherwise the user's conversation from elsewhere moves to this token (its sockets
  get ``ConnectionClosedEvent`` ``signedIn``: ours, the diagrams show the event,
  not what becomes of the conversation), or a new one begins.

A JWT that is forged, expired or revoked is 401 "User is unauthorized" (the mobile
SDK's test fixture); the client refreshes it and tries again. Runs on the loop.
"""

from __future__ import annotations

from typing import Any

from . import frames
from .frames import Refused
from .grants import GrantError
from .identity import User
from .server import MessagingServer
from .sessions import Connection, Session
from .sessions import SessionState as State

__all__ = ["SESSION_AUTH_FAILED", "UNAUTHORIZED", "AuthActions"]

Request = dict[str, Any]
UNAUTHORIZED = "User is unauthorized"
# A 403 with this text tells the mobile SDK to authenticate (ErrorMessage.SessionAuthFailed).
SESSION_AUTH_FAILED = "Session authentication failed"
AUTH_OFF = "Authenticated sessions are not enabled for this deployment"
UPGRADE_OFF = "Session upgrade is not allowed for this deployment"


class AuthActions:
    """The authenticated configure of one ``MessagingServer``."""

    def __init__(self, server: MessagingServer) -> None:
        self.server = server

    async def configure_authenticated_session(
        self, connection: Connection, token: str, request: Request
    ) -> frames.Frame:
        server = self.server
        server.check_deployment(request)
        if not server.deployment.auth_enabled:
            raise Refused(403, AUTH_OFF)
        data = request.get("data")
        code = data.get("code") if isinstance(data, dict) else None
        if not isinstance(code, str) or not code:
            raise Refused(4020, "Missing parameter: data.code")
        try:
            user = server.grants.of_jwt(code).user
        except GrantError:
            raise Refused(401, UNAUTHORIZED) from None
        current = server.current.get(token)
        server.count_configure(current)
        anew = (
            request.get("startNew") is True
            and current is not None
            and current.state is State.READ_ONLY
        )
        cleared = new = False
        if current is not None and not anew and current.user == user:
            session = current  # resumed
        elif current is not None and not anew and current.user is None:
            session, cleared = current, await self._step_up(connection, current, user)
        else:
            session, new = await self._sign_in_here(connection, token, current, anew, user)
        await server.attach(connection, session)
        return frames.session_response(
            session,
            server.deployment,
            server.limits,
            new_session=new,
            cleared_existing_session=cleared,
        )

    async def _step_up(self, connection: Connection, guest: Session, user: User) -> bool:
        """The guest's conversation signs in as ``user``; whether a conversation the user
        had elsewhere was ended for it."""
        server = self.server
        if not server.deployment.allow_session_upgrade:
            raise Refused(403, UPGRADE_OFF)
        elsewhere = server.signed_in.get(user.login)
        if elsewhere is not None:
            server.forget(connection)
            await server.end(elsewhere, frames.connection_closed("signedIn"))
        await server.attach(connection, guest)  # the caller hears the SignIn too
        await server.sign_in(guest, user)
        return elsewhere is not None

    async def _sign_in_here(
        self, connection: Connection, token: str, current: Session | None, anew: bool, user: User
    ) -> tuple[Session, bool]:
        """The user's conversation on ``token``, taken over from elsewhere or new; and
        whether it is new. The token's own conversation is left first: a read-only one
        that starts anew ends, another user's is no longer the token's."""
        server = self.server
        server.forget(connection)
        if current is not None and anew:
            await server.end(current, frames.connection_closed(None))
        elif current is not None:
            server.unbind(current)
            await server.close_sockets(current, frames.connection_closed("signedIn"))
        elsewhere = server.signed_in.get(user.login)
        if elsewhere is not None:
            await server.take_over(elsewhere, token)
            return elsewhere, False
        session = await server.start_anew(connection, token, None)
        session.user = user
        server.signed_in[user.login] = session
        return session, True
