"""``Emulator.messaging``: the Web Messaging agent and fault switches, driven from Python.

Every method runs its work on the emulator's loop and returns when it is done, so
it may be called from any thread. A session is named by its id (the conversation
id, ``sessions()`` in the order they began, or ``session_id(token)`` for the
session a guest's token has now).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import attrs

from ..faults import Fault
from .agent import CARD, quick_replies
from .control_api import RECEIPT_STATUSES, describe
from .faults import ActionFault
from .identity import User
from .server import MessagingServer
from .sessions import Session
from .settings import IDP

__all__ = ["MessagingControls"]

T = TypeVar("T")
Runner = Callable[[Coroutine[Any, Any, Any]], Any]


class MessagingControls:
    """The Python face of one emulator's Web Messaging API."""

    def __init__(self, server: MessagingServer, run: Runner) -> None:
        self.server = server
        self._run = run

    def __repr__(self) -> str:
        return f"<MessagingControls deployment {self.deployment_id}>"

    def _call(self, work: Callable[[], T]) -> T:
        async def on_loop() -> T:
            return work()

        result: T = self._run(on_loop())
        return result

    # What a client needs -------------------------------------------------------------

    @property
    def deployment_id(self) -> str:
        return self.server.deployment_id

    @property
    def websocket_url(self) -> str:
        """``ws://HOST:PORT/v1?deploymentId=...``."""
        return (
            self.server.base_url.replace("http", "ws", 1) + f"/v1?deploymentId={self.deployment_id}"
        )

    # Signing in (the deployment's identity provider) ------------------------------------

    @property
    def redirect_uri(self) -> str:
        """The redirect URI a code is issued for unless another is named (a page of the
        emulator's that shows the code); the token exchange wants the same one back."""
        return self.server.redirect_uri

    @property
    def sign_in_url(self) -> str:
        """The identity provider's sign-in page, for a person with a browser."""
        return f"{self.server.base_url}{IDP}/authorize"

    def users(self) -> list[str]:
        """The logins of the identity provider's users."""
        return self._call(self.server.identity.logins)

    def add_user(self, user: User) -> None:
        """One more user of the identity provider (a test's own, whose conversations no
        other test shares); ``IdentityError`` if the login is taken."""
        self._call(lambda: self.server.identity.add(user))

    def authorization_code(
        self,
        user: str,
        redirect_uri: str | None = None,
        code_challenge: str | None = None,
        code_challenge_method: str = "S256",
    ) -> str:
        """An authorization code that signs ``user`` in, as the brand's login page hands
        it over: good once, for ``redirect_uri`` (``redirect_uri`` by default) and, with
        a PKCE ``code_challenge``, for its verifier. ``IdentityError`` for no such user."""
        uri = redirect_uri or self.redirect_uri
        return self._call(
            lambda: self.server.identity.issue_code(
                user, uri, code_challenge, code_challenge_method
            )
        )

    def id_token(self, user: str, nonce: str) -> str:
        """An OpenID Connect id token that signs ``user`` in (the implicit flow)."""
        server = self.server
        return self._call(lambda: server.identity.issue_id_token(user, nonce, server.deployment_id))

    # Sessions ----------------------------------------------------------------------------

    def sessions(self) -> list[str]:
        """Every session's id, oldest first."""
        return self._call(lambda: list(self.server.sessions))

    def session(self, session_id: str) -> Session:
        """The session (live object: read it on the test's side, never change it)."""
        return self.server.session(session_id)

    def session_id(self, token: str) -> str:
        """The id of the session ``token`` has now."""

        def find() -> str:
            session = self.server.current.get(token)
            if session is None:
                raise KeyError("No open web messaging session has this token.")
            return session.id

        return self._call(find)

    def describe(self, session_id: str) -> dict[str, Any]:
        """State, messages (as pushed), custom attributes, sockets... of a session."""
        return self._call(lambda: describe(self.server, self.server.session(session_id)))

    def sockets(self, session_id: str) -> int:
        return self._call(lambda: len(self.server.session(session_id).connections))

    # The agent's side -----------------------------------------------------------------------

    def agent_send(self, session_id: str, text: str, sender: str | None = None) -> str:
        """The bot (or, with ``sender``, a human agent of that name) sends ``text``; returns
        the message id."""
        return self.agent_send_content(session_id, [], text, sender)

    def agent_send_many(self, session_id: str, texts: list[str]) -> list[str]:
        """The bot sends each of ``texts`` back to back (a burst, for load tests); their ids."""
        session = self.server.session(session_id)

        async def burst() -> list[str]:
            return [str((await self.server.agent_send(session, text)).id) for text in texts]

        return list(self._run(burst()))

    def chatter(self, interval: float, duration: float) -> tuple[int, int]:
        """Load for benchmarks: the bot sends every open session with a socket a message
        every ``interval`` seconds for ``duration`` seconds, spread evenly, each text
        ``"<number> <time.time()>"``; (how many sessions take part, messages each gets)."""

        async def start() -> tuple[int, int]:
            return self.server.chatter(interval, duration)

        sessions, each = self._run(start())
        return int(sessions), int(each)

    def agent_send_quick_replies(
        self, session_id: str, text: str, choices: tuple[str, ...] = ("Red", "Green", "Blue")
    ) -> str:
        return self.agent_send_content(session_id, quick_replies(list(choices)), text)

    def agent_send_card(
        self, session_id: str, text: str | None = None, card: dict[str, Any] | None = None
    ) -> str:
        """A card (the demo bot's, unless ``card`` is a ``{"contentType": "Card", ...}`` entry)."""
        return self.agent_send_content(session_id, [card or CARD], text)

    def agent_send_content(
        self,
        session_id: str,
        content: list[dict[str, Any]],
        text: str | None = None,
        sender: str | None = None,
    ) -> str:
        """Any structured content (entries as the guest API's ``StructuredMessage`` has them)."""
        session = self.server.session(session_id)
        message = self._run(self.server.agent_send(session, text, content, sender))
        return str(message.id)

    def agent_send_file(
        self, session_id: str, name: str, data: bytes, mime: str, text: str | None = None
    ) -> str:
        """The agent sends a file; returns its attachment id (``getAttachment`` knows it)."""
        server, session = self.server, self.server.session(session_id)

        async def send() -> str:
            attachment = server.add_file(session, name, data, mime)
            await server.agent_send(session, text, [server.attachment_content(attachment)])
            return attachment.id

        return str(self._run(send()))

    def agent_typing(self, session_id: str, duration_ms: int = 5000) -> None:
        self._run(self.server.agent_typing(self.server.session(session_id), duration_ms))

    def agent_disconnect(self, session_id: str, read_only: bool | None = None) -> str:
        """The agent disconnects; read-only as the deployment says unless ``read_only`` is given."""
        session = self.server.session(session_id)
        return str(self._run(self.server.agent_disconnect(session, read_only)).id)

    def clear(self, session_id: str) -> None:
        """Clear the conversation, as the guest's Presence Clear does."""
        self._run(self.server.clear(self.server.session(session_id)))

    def send_receipt(
        self,
        session_id: str,
        message_id: str,
        status: str,
        reasons: list[dict[str, str]] | None = None,
    ) -> None:
        """A ``Receipt`` about message ``message_id`` with ``status`` (``Delivered``,
        ``Read``, ``Failed`` with ``reasons`` ``[{"code", "message"}]``...)."""
        if status not in RECEIPT_STATUSES:
            raise ValueError(f"status must be one of {RECEIPT_STATUSES}; got {status!r}.")
        session = self.server.session(session_id)
        self._run(self.server.receipt(session, message_id, status, reasons))

    # Fault switches --------------------------------------------------------------------------

    def drop_sockets(self, session_id: str | None = None) -> int:
        """Cut the sockets of a session (or all) with no close frame; returns how many."""
        return int(self._run(self.server.drop_sockets(session_id)))

    def refuse_connections(
        self, seconds: float | None = None, count: int | None = None, status: int = 503
    ) -> None:
        """Refuse new WebSockets with ``status``: the next ``count``, for ``seconds``, or
        (with neither) until ``allow_connections()``."""
        self._call(lambda: self.server.faults.refuse(self.server.clock(), seconds, count, status))

    def allow_connections(self) -> None:
        self._call(self.server.faults.allow)

    def fail_action(
        self, action: str, count: int = 1, code: int = 429, retry_after: int = 3
    ) -> None:
        """Refuse the next ``count`` requests of ``action`` (``onMessage``, ``getJwt``...):
        a 429 ``TooManyRequestsErrorMessage``, or a ``string`` error of ``code``."""
        fault = ActionFault(action, count, code, retry_after)
        self._call(lambda: self.server.faults.actions.append(fault))

    def fail_rest(
        self,
        path: str,
        status: int | None = 503,
        count: int = 1,
        retry_after: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``count`` REST calls whose path matches the ``fnmatch`` pattern
        ``path`` (history, config.json, uploads, downloads) with ``status``, ``delay`` s late."""
        self.server.faults.rest.arm(Fault(path, count, status, retry_after, delay))

    def send_malformed_frame(self, session_id: str, text: str = "{not json") -> None:
        """Send ``text`` (not a valid frame) down every socket of the session."""
        self._run(self.server.push(self.server.session(session_id), text))

    def deliver_out_of_order(self, session_id: str, count: int = 2) -> None:
        """Hold the session's next ``count`` pushed messages, then deliver them newest first."""
        session = self.server.session(session_id)
        self._call(lambda: setattr(session, "reorder_left", count))

    def expire_session(self, session_id: str) -> None:
        """The session expires now: ``SessionExpiredEvent``, then its sockets close."""
        self._run(self.server.expire(self.server.session(session_id)))

    def signed_in_elsewhere(self, session_id: str) -> None:
        """``ConnectionClosedEvent`` with reason ``signedIn``, then the sockets close."""
        self._run(self.server.signed_in_elsewhere(self.server.session(session_id)))

    def log_out(self, session_id: str) -> None:
        """``LogoutEvent``, then the sockets close."""
        self._run(self.server.log_out(self.server.session(session_id)))

    def disable_clear(self) -> None:
        """Refuse Presence Clear (403) whatever the deployment says, until ``clear_faults()``."""
        self._call(lambda: setattr(self.server.faults, "clear_disabled", True))

    def set_deployment(self, **changes: Any) -> None:
        """Change the deployment (``Deployment`` field names) until ``clear_faults()``."""
        server = self.server
        self._call(
            lambda: setattr(server, "deployment", attrs.evolve(server.deployment, **changes))
        )

    def set_limits(self, **changes: Any) -> None:
        """Change the limits (``Limits`` field names) until ``clear_faults()``: for the
        sessions and sockets that begin from now on, and the deployment's connection
        rate at once."""
        server = self.server
        limits = attrs.evolve(server.limits, **changes)
        self._call(lambda: server.change_limits(limits))

    def clear_faults(self) -> None:
        """Disarm every switch and give the deployment and the limits back the settings
        they started with."""
        server = self.server

        def reset() -> None:
            server.faults.reset()
            server.deployment = server.initial_deployment
            server.change_limits(server.initial_limits)

        self._call(reset)
