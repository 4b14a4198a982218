"""``MessagingServer``: the Web Messaging sessions of one emulator and the agent's side of them.

Everything here runs on the emulator's asyncio loop; its state is touched there
only. The guest's WebSocket actions are in ``socket_api``, the REST endpoints in
``rest_api``, the ``/emulator/messaging`` controls in ``control_api``, the token
endpoints in ``token_api`` and the identity provider's pages in ``idp_api`` (all put on
an app by ``routes``); this module holds the sessions and does what happens to them:
messages in and out, typing, disconnect, clear, expiry, dropped sockets, sign-ins and
logouts.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ..cloud import iso_time
from ..load import start_chatter
from . import frames
from .agent import DemoBot
from .faults import MessagingFaults
from .frames import Refused, too_many
from .grants import Grants
from .identity import DEMO_USERS, IdentityProvider, User
from .sessions import Attachment, AttachmentState, Connection, Message, RateWindow, Session
from .sessions import SessionState as State
from .settings import DOWNLOADS, IDP, Deployment, Limits
from .tokens import Signer

__all__ = ["MessagingBot", "MessagingServer"]

# Sent before the server closes a guest's socket itself (RFC 6455 normal closure).
NORMAL_CLOSURE = 1000


class MessagingBot(Protocol):
    """What the server asks of a bot that answers its guests in place of the demo bot."""

    async def on_inbound(
        self, server: MessagingServer, session: Session, message: Message, first: bool
    ) -> None: ...


class MessagingServer:
    """The Web Messaging guest API's sessions, connections and agent, for one deployment.

    The ``flow_bot``, when there is one, answers every conversation instead of the demo
    bot, and hands conversations over to it.
    """

    def __init__(
        self,
        *,
        deployment_id: str,
        deployment: Deployment,
        limits: Limits,
        demo_agent: DemoBot | None,
        users: tuple[User, ...] = DEMO_USERS,
        flow_bot: MessagingBot | None = None,
    ) -> None:
        self.deployment_id = deployment_id
        self.deployment = deployment
        self.initial_deployment = deployment
        self.limits = limits
        self.initial_limits = limits
        self.demo_agent = demo_agent
        self.flow_bot = flow_bot
        self.signer = Signer()
        self.identity = IdentityProvider(users)
        self.grants = Grants(self.signer)
        # The clock of every rate window and timed switch; a test may stop it.
        self.clock: Callable[[], float] = time.monotonic
        self.faults = MessagingFaults()
        self.base_url = ""  # http://host:port, once the site is bound
        self.sessions: dict[str, Session] = {}  # every session ever made, by id
        self.current: dict[str, Session] = {}  # each token's session (keys are secrets)
        self.signed_in: dict[str, Session] = {}  # each user's authenticated session, by login
        self.connections: set[Connection] = set()
        # New WebSockets of the whole deployment, on self.clock.
        self.connection_rate = RateWindow(limits.connections_per_minute, 60.0)
        self.files: dict[str, Attachment] = {}  # every session's attachments, by id
        self.background: set[asyncio.Future[Any]] = set()

    @property
    def redirect_uri(self) -> str:
        """Where a code goes when nothing else is named: the page that shows it."""
        return f"{self.base_url}{IDP}/signed-in"

    def spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    # Sessions -------------------------------------------------------------------------

    def new_session(self, token: str) -> Session:
        """A new session (conversation) for ``token``, replacing the one it had."""
        session = Session(
            token,
            message_rate=RateWindow(self.limits.messages_per_second, 1.0),
            configure_rate=RateWindow(self.limits.configures_per_minute, 60.0),
            history_rate=RateWindow(self.limits.history_per_minute, 60.0),
        )
        self.sessions[session.id] = session
        self.current[token] = session
        self.touch(session)
        return session

    def check_deployment(self, request: dict[str, Any]) -> None:
        """``Refused`` (400) unless a configure request's ``deploymentId`` names this one."""
        if request.get("deploymentId") != self.deployment_id:
            raise Refused(400, "deploymentId must name this deployment")

    def count_configure(self, session: Session | None) -> None:
        """One more configure of ``session`` (if the token has one); ``Refused`` with 429
        past ``Limits.configures_per_minute``."""
        if session is not None:
            wait = session.configure_rate.take(self.clock())
            if wait is not None:
                raise too_many(wait, "ConfigureSession rate too high for this session", 429)

    async def start_anew(self, connection: Connection, token: str, old: Session | None) -> Session:
        """A new session for ``token``: the old one (if any) ends, and its sockets other
        than ``connection`` get ``ConnectionClosedEvent`` and are closed."""
        self.forget(connection)
        if old is not None:
            await self.end(old, frames.connection_closed(None))
        session = self.new_session(token)
        session.configure_rate.take(self.clock())
        return session

    def change_limits(self, limits: Limits) -> None:
        """Limits from now on: for new sessions and connections, and the deployment's
        connection rate at once."""
        self.limits = limits
        self.connection_rate.limit = limits.connections_per_minute

    async def attach(self, connection: Connection, session: Session) -> None:
        """``connection`` now carries ``session``, as its newest socket; past
        ``Limits.connections_per_session`` the oldest sockets are closed
        (``ConnectionClosedEvent`` with no reason)."""
        if connection.session is session:
            return
        self.forget(connection)
        self.connections.add(connection)
        connection.session = session
        session.connections.append(connection)
        while len(session.connections) > self.limits.connections_per_session:
            await self.close(session.connections[0], frames.connection_closed(None))

    def touch(self, session: Session) -> None:
        """Activity: the session lives ``sessionDurationSeconds`` from now."""
        duration = self.deployment.session_duration_seconds
        session.expires_at = time.time() + duration
        if session.expiry is not None:
            session.expiry.cancel()
        loop = asyncio.get_running_loop()
        session.expiry = loop.call_later(duration, lambda: self.spawn(self.expire(session)))

    def session(self, session_id: str) -> Session:
        try:
            return self.sessions[session_id]
        except KeyError:
            raise KeyError(f"No web messaging session {session_id} on this emulator.") from None

    # Sending ----------------------------------------------------------------------------

    async def send(self, connection: Connection, payload: Any) -> None:
        """Send a frame (or raw text) down one socket; a dead socket is forgotten."""
        text = payload if isinstance(payload, str) else json.dumps(payload)
        try:
            await connection.socket.send_str(text)
        except (ConnectionError, RuntimeError):
            self.forget(connection)

    async def push(self, session: Session, payload: Any) -> None:
        """Send a frame (or raw text) to every socket of the session."""
        for connection in list(session.connections):
            await self.send(connection, payload)

    def forget(self, connection: Connection) -> None:
        self.connections.discard(connection)
        if connection.session is not None and connection in connection.session.connections:
            connection.session.connections.remove(connection)
        connection.session = None

    async def close(self, connection: Connection, last: dict[str, Any] | None = None) -> None:
        """Send ``last`` (if any), then close the socket with a normal closure."""
        self.forget(connection)
        if last is not None:
            await self.send(connection, last)
        await connection.socket.close(code=NORMAL_CLOSURE)

    async def end(self, session: Session, *last: dict[str, Any]) -> None:
        """The session is over for good: each socket gets ``last``, then is closed."""
        session.state = State.ENDED
        if session.expiry is not None:
            session.expiry.cancel()
        self.unbind(session)
        if session.user is not None and self.signed_in.get(session.user.login) is session:
            del self.signed_in[session.user.login]
        await self.close_sockets(session, *last)

    def unbind(self, session: Session) -> None:
        """The session's token no longer leads to it."""
        if self.current.get(session.token) is session:
            del self.current[session.token]

    async def close_sockets(self, session: Session, *last: dict[str, Any]) -> None:
        """Each socket of the session gets ``last``, then is closed."""
        for connection in list(session.connections):
            self.forget(connection)
            for payload in last:
                await self.send(connection, payload)
            await connection.socket.close(code=NORMAL_CLOSURE)

    # The conversation ----------------------------------------------------------------------

    async def inbound(self, session: Session, message: Message, tracing_id: str | None) -> None:
        """A guest's message: kept, echoed to every socket of the session, and answered."""
        first = not session.started
        session.started = True
        session.keep(message)
        self.touch(session)
        await self.push(session, frames.structured_message(message.body(), tracing_id))
        if self.flow_bot is not None:
            self.spawn(self.flow_bot.on_inbound(self, session, message, first))
        elif self.demo_agent is not None:
            self.spawn(self.demo_agent.on_inbound(self, session, message, first))

    async def outbound(self, session: Session, message: Message, keep: bool = True) -> None:
        """Something from the agent's side; out of order when that switch is armed."""
        session.started = True
        if keep:
            session.keep(message)
            self.touch(session)
        payload = frames.structured_message(message.body())
        if session.reorder_left <= 0:
            await self.push(session, payload)
            return
        session.held.append(json.dumps(payload))
        session.reorder_left -= 1
        if session.reorder_left == 0:
            held, session.held = session.held, []
            for text in reversed(held):
                await self.push(session, text)

    def chatter(self, interval: float, duration: float) -> tuple[int, int]:
        """Load for benchmarks (``..load``): the bot sends every open session with a socket
        a message every ``interval`` s for ``duration`` s; (sessions taking part, messages
        each)."""

        def send(session: Session, text: str) -> Awaitable[Message] | None:
            return self.agent_send(session, text) if session.open else None

        chosen = [s for s in self.sessions.values() if s.open and s.connections]
        return start_chatter(self.spawn, chosen, send, interval, duration)

    async def agent_send(
        self,
        session: Session,
        text: str | None,
        content: list[dict[str, Any]] | None = None,
        sender: str | None = None,
    ) -> Message:
        """The bot sends text and/or structured content; or, with ``sender``, a human agent
        of that name (``originatingEntity`` Human, ``channel.from.nickname``)."""
        # Files come in Text messages; quick replies, cards and the like in Structured ones.
        structured = any(c.get("contentType") != "Attachment" for c in content or [])
        message = Message(
            "Outbound",
            "Structured" if structured else "Text",
            text=text,
            content=content or [],
            metadata={"correlationId": _uuid()},
            originating_entity="Bot" if sender is None else "Human",
            sender=sender,
        )
        await self.outbound(session, message)
        return message

    async def agent_typing(self, session: Session, duration_ms: int = 5000) -> None:
        typing = {"eventType": "Typing", "typing": {"type": "On", "duration": duration_ms}}
        message = Message("Outbound", "Event", events=[typing], metadata={"correlationId": _uuid()})
        await self.outbound(session, message, keep=False)

    async def agent_disconnect(
        self, session: Session, read_only: bool | None, sender: str = "Alex"
    ) -> Message:
        """The agent or flow disconnects; with ``read_only`` the session takes no more messages.

        ``read_only`` ``None`` follows the deployment's ``conversationDisconnect.type``.
        """
        if read_only is None:
            read_only = self.deployment.disconnect_type == "ReadOnly"
        disconnect = {"eventType": "Presence", "presence": {"type": "Disconnect"}}
        message = Message(
            "Outbound",
            "Event",
            events=[disconnect],
            metadata={"readOnly": "true"} if read_only else {},
            originating_entity="Bot",
            sender=sender,
        )
        if read_only and session.state is State.ACTIVE:
            session.state = State.READ_ONLY
        await self.outbound(session, message)
        return message

    def add_file(self, session: Session, name: str, data: bytes, mime: str) -> Attachment:
        """A file the agent's side sends: stored as a sent attachment of the session."""
        attachment = Attachment(session.id, name, mime, len(data), data=data)
        attachment.state = AttachmentState.SENT
        self.keep_file(session, attachment)
        return attachment

    def keep_file(self, session: Session, attachment: Attachment) -> None:
        session.attachments[attachment.id] = attachment
        self.files[attachment.id] = attachment

    def attachment_content(self, attachment: Attachment) -> dict[str, Any]:
        """The ``Attachment`` content entry of a message that carries ``attachment``."""
        return {
            "contentType": "Attachment",
            "attachment": {
                "id": attachment.id,
                "filename": attachment.file_name,
                "fileSize": attachment.file_size,
                "mediaType": attachment.media_type,
                "mime": attachment.file_type,
                "url": self.download_url(attachment),
            },
        }

    def download_url(self, attachment: Attachment) -> str:
        """A presigned download URL, good for ``Limits.download_url_seconds``."""
        expires = str(int(time.time()) + self.limits.download_url_seconds)
        signature = self.signer.sign("GET", attachment.id, expires)
        return f"{self.base_url}{DOWNLOADS}/{attachment.id}?expires={expires}&signature={signature}"

    async def receipt(
        self,
        session: Session,
        message_id: str,
        status: str,
        reasons: list[dict[str, str]] | None = None,
    ) -> None:
        """A receipt about one message (the Java SDK's ``WebMessagingMessage`` of type
        ``Receipt``: the id of the message it is about, a ``status``, and ``reasons`` when
        it failed), pushed to every socket of the session; not kept."""
        body: dict[str, Any] = {
            "id": message_id,
            "channel": {"time": iso_time(time.time())},
            "type": "Receipt",
            "status": status,
            "direction": "Outbound",
        }
        if reasons:
            body["reasons"] = reasons
        await self.push(session, frames.structured_message(body))

    async def clear(self, session: Session) -> None:
        """Clear, as a guest's Presence Clear does: every socket is told, then closed."""
        await self.end(
            session,
            frames.frame("message", "SessionClearedEvent", {}),
            frames.connection_closed(None),
        )

    async def expire(self, session: Session) -> None:
        """The session expires: every socket gets ``SessionExpiredEvent`` and is closed."""
        if session.open:
            await self.end(session, frames.frame("message", "SessionExpiredEvent", {}))

    async def signed_in_elsewhere(self, session: Session) -> None:
        """What an authenticated guest's other sockets get when it signs in elsewhere."""
        await self.end(session, frames.connection_closed("signedIn"))

    async def log_out(self, session: Session) -> None:
        """Logout: every socket gets ``LogoutEvent`` and is closed, and the token no longer
        leads to the session. A signed-in user's conversation stays theirs, to resume at
        the next sign-in (ours); a guest's ends."""
        if session.user is None:
            await self.end(session, frames.frame("message", "LogoutEvent", {}))
            return
        self.unbind(session)
        await self.close_sockets(session, frames.frame("message", "LogoutEvent", {}))

    async def take_over(self, session: Session, token: str) -> None:
        """A signed-in user's conversation moves to ``token`` (a sign-in on another device):
        the sockets it had get ``ConnectionClosedEvent`` ``signedIn`` and are closed."""
        self.unbind(session)
        await self.close_sockets(session, frames.connection_closed("signedIn"))
        session.token = token
        self.current[token] = session

    async def sign_in(self, session: Session, user: User) -> None:
        """A guest's conversation signs in midway (step-up): it is ``user``'s from now on,
        with its history, and every socket gets the ``SignIn`` presence event."""
        session.user = user
        self.signed_in[user.login] = session
        presence = {"eventType": "Presence", "presence": {"type": "SignIn"}}
        message = Message(
            "Inbound",
            "Event",
            events=[presence],
            metadata={"authenticated": "true"},
            signed_in=user,
            message_id=_uuid(),
        )
        session.keep(message)
        self.touch(session)
        await self.push(session, frames.structured_message(message.body()))

    async def drop_sockets(self, session_id: str | None) -> int:
        """Cut the sockets of one session (or all) with no close frame, as a network does."""
        if session_id is None:
            dropped = list(self.connections)
        else:
            dropped = list(self.session(session_id).connections)
        for connection in dropped:
            self.forget(connection)
            request = connection.socket._req
            transport = request.transport if request is not None else None
            if transport is not None:
                transport.abort()
        return len(dropped)

    async def close_all(self) -> None:
        """Close every socket (the emulator stops)."""
        await self.drop_sockets(None)
        for session in self.sessions.values():
            if session.expiry is not None:
                session.expiry.cancel()


def _uuid() -> str:
    return str(uuid.uuid4())
