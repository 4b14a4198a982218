"""``ChatServer``: the chats of one emulator and what the server does in them.

Everything here runs on the emulator's asyncio loop, and the chats are touched there
only. The HTTP and WebSocket handlers (``rest``, ``stream``, ``uploads``,
``control``, put on an app by ``routes``) translate requests into the calls of this
class; this class decides who joins and leaves, what each frame is, and when a chat
ends.

A member's coming and going is announced twice when ``join_messages`` is on: a
member-change frame, and a member-join or member-leave message from that member
(kept in the history). A conversation moves from ``Phase.WAITING`` to ``ACTIVE``
when its first event stream is attached (the guest joins, a flow's WORKFLOW member
may come and go, and an ACD member holds the chat in queue until an agent answers),
and to ``ENDED`` when the guest leaves, the other side ends it, the last agent
leaves, or the guest stays away longer than the idle limit.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from ..cloud import now
from ..faults import Faults
from ..load import start_chatter
from .agent import DemoAgent
from .conversations import MEDIA_TYPES, Conversation, MediaRequest, Member, Message, Phase
from .errors import ApiError, bad_request, error_body, not_found
from .frames import frame, member_change, typing
from .paths import API, STREAM_PATH, UPLOADS
from .settings import Settings
from .stream import EventStreams
from .tokens import TokenError, Tokens

__all__ = ["ChatBot", "ChatServer"]

log = logging.getLogger("cxbus.emulator.guest_chat")

# Paths a fault switch can hit: Genesys's, the stream's, and the uploads that stand in
# for a file flow; never the control paths.
FAULTABLE = (API, STREAM_PATH, UPLOADS)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ChatBot(Protocol):
    """What the server asks of a bot that greets its chats in place of the demo agent."""

    def start(self, server: ChatServer, conversation: Conversation) -> None: ...

    async def answer(self, server: ChatServer, conversation: Conversation, text: str) -> None: ...


class ChatServer:
    """The chats of one emulator, their event streams, and the agent's side of them."""

    def __init__(
        self,
        *,
        deployment_key: str,
        org_guid: str,
        demo_agent: DemoAgent | None,
        settings: Settings,
        flow_bot: ChatBot | None = None,
    ) -> None:
        self.deployment_key = deployment_key
        self.org_guid = org_guid
        self.demo_agent = demo_agent
        self.flow_bot = flow_bot
        self.settings = settings
        self.tokens = Tokens()
        self.faults = Faults()
        self.streams = EventStreams(self)
        self.base_url = ""  # http://host:port, once the site is bound
        self.conversations: dict[str, Conversation] = {}
        self.background: set[asyncio.Task[Any]] = set()
        self._idle: dict[str, asyncio.TimerHandle] = {}  # conversation id -> its idle limit
        # (number, method, raw path, whether it had an Authorization header): the last
        # requests the server took, for tests of what a client sent where.
        self.requests: collections.deque[tuple[int, str, str, bool]] = collections.deque(
            maxlen=10_000
        )
        self.requests_served = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Fault switches and ErrorBodies for this API's paths; other paths pass through.
        Every request is logged in ``requests`` (method, path, with a Bearer token?)."""
        self.requests_served += 1
        authorized = "Authorization" in request.headers
        self.requests.append((self.requests_served, request.method, request.raw_path, authorized))
        if request.path.startswith(FAULTABLE):
            fault = self.faults.take(request.path)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status is not None:
                    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                    body = error_body(fault.status, "emulator.fault", "Injected by the emulator.")
                    return web.json_response(body, status=fault.status, headers=headers)
        try:
            return await handler(request)
        except ApiError as error:
            return web.json_response(error.body, status=error.status)

    def spawn(self, work: Awaitable[Any]) -> None:
        """Run ``work`` in the background, held until it is done."""
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def later(self, delay: float, work: Callable[[], Awaitable[Any]]) -> asyncio.TimerHandle:
        """Run ``work()`` in the background ``delay`` seconds from now, unless cancelled."""
        return asyncio.get_running_loop().call_later(delay, lambda: self.spawn(work()))

    # Conversations and their tokens -------------------------------------------------

    def create(self, guest: Member, queue: str) -> tuple[Conversation, str]:
        """A new conversation for ``guest``, and the guest's JWT."""
        conversation = Conversation(guest, queue)
        self.conversations[conversation.id] = conversation
        token = self.tokens.issue(conversation.id, guest.id, self.settings.token_lifetime)
        return conversation, token

    def stream_uri(self, token: str) -> str:
        """The ``eventStreamUri``: like Genesys's, it carries the JWT in its path."""
        return self.base_url.replace("http", "ws", 1) + f"{STREAM_PATH}{token}"

    def authorize(self, token: str) -> tuple[Conversation, str]:
        """The conversation and member a JWT is for; 401 if it is forged or expired."""
        try:
            conversation_id, member_id = self.tokens.check(token)
        except TokenError as error:
            raise ApiError(401, "bad.credentials", str(error)) from None
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            raise not_found("The conversation does not exist.")
        if conversation.tokens_expired:
            raise ApiError(401, "bad.credentials", "The token has expired.")
        return conversation, member_id

    async def broadcast(self, conversation: Conversation, payload: Any) -> None:
        """Send a frame (or raw text) to every event stream of the conversation."""
        await self.streams.broadcast(conversation.id, payload)

    # Members coming and going ---------------------------------------------------------

    async def _announce(
        self, conversation: Conversation, member: Member, body_type: str | None
    ) -> None:
        """The member-change frame, and the member-join or member-leave message with it."""
        frames = [member_change(conversation.id, member)]
        if self.settings.join_messages and body_type is not None:
            message = Message(conversation.id, member.id, "", body_type)
            conversation.messages.append(message)
            frames.append(frame(conversation.id, "message", message.stream_body()))
            if self.settings.member_message_first:
                frames.reverse()
        for each in frames:
            await self.broadcast(conversation, each)

    async def connect_member(self, conversation: Conversation, member: Member) -> None:
        """The member joins: CONNECTED, and announced."""
        conversation.members[member.id] = member
        member.state = "CONNECTED"
        await self._announce(conversation, member, "member-join")

    async def disconnect_member(self, conversation: Conversation, member: Member) -> None:
        """The member leaves; one who was only ALERTING never joined, so never leaves."""
        joined = member.state != "ALERTING"
        member.state, member.leave_date = "DISCONNECTED", now()
        await self._announce(conversation, member, "member-leave" if joined else None)

    # The guest's event stream -------------------------------------------------------------

    async def attached(self, conversation: Conversation) -> None:
        """A stream was attached: the first routes the chat; later ones bring the guest back."""
        if conversation.phase is Phase.WAITING:
            await self._route(conversation)
            return
        idle = self._idle.pop(conversation.id, None)
        if idle is not None:
            idle.cancel()
        guest = conversation.guest
        if conversation.phase is Phase.ACTIVE and guest.state == "DISCONNECTED":
            guest.state = "CONNECTED"  # back from a temporary DISCONNECTED
            await self.broadcast(conversation, member_change(conversation.id, guest))

    async def detached(self, conversation: Conversation) -> None:
        """A stream went away; with none left the guest is away, for the idle limit at most."""
        away = conversation.id in self._idle  # since an earlier socket went
        if away or conversation.phase is not Phase.ACTIVE or self.streams.count(conversation.id):
            return
        if self.settings.away_disconnects_guest:
            conversation.guest.state = "DISCONNECTED"
        self._idle[conversation.id] = self.later(
            self.settings.guest_idle_limit, lambda: self._idle_out(conversation)
        )

    async def _idle_out(self, conversation: Conversation) -> None:
        self._idle.pop(conversation.id, None)
        if conversation.phase is Phase.ACTIVE and not self.streams.count(conversation.id):
            log.info("conversation %s ends: its guest stayed away too long", conversation.id)
            await self.end(conversation)

    async def _route(self, conversation: Conversation) -> None:
        """Genesys routes a chat once its stream is attached: into a flow, then a queue.

        The flow-file bot, when there is one, is that flow, and queues the chat itself
        when it hands it over.
        """
        conversation.phase = Phase.ACTIVE
        await self.connect_member(conversation, conversation.guest)
        if self.flow_bot is not None:
            self.flow_bot.start(self, conversation)
            return
        if self.settings.workflow_member:
            flow = Member("WORKFLOW", "Inbound chat flow")
            await self.connect_member(conversation, flow)
            await self.disconnect_member(conversation, flow)
        await self.enqueue(conversation, None)

    async def enqueue(self, conversation: Conversation, queue: str | None) -> None:
        """The chat waits in ``queue`` (``None``: its own) with an ACD member named after it,
        for the demo agent if there is one."""
        if queue is not None:
            conversation.queue = queue
        await self.connect_member(conversation, Member("ACD", conversation.queue))
        if self.demo_agent is not None:
            self.spawn(self.demo_agent.greet(self, conversation))

    # Messages -----------------------------------------------------------------------------

    async def post_message(
        self, conversation: Conversation, sender: Member, body: str, body_type: str = "standard"
    ) -> Message:
        message = Message(conversation.id, sender.id, body, body_type)
        conversation.messages.append(message)
        await self.broadcast(conversation, frame(conversation.id, "message", message.stream_body()))
        if sender is conversation.guest and body_type == "standard":
            if self.flow_bot is not None:
                self.spawn(self.flow_bot.answer(self, conversation, body))
            elif self.demo_agent is not None:
                self.spawn(self.demo_agent.answer(self, conversation, body))
        return message

    # The agent's side -----------------------------------------------------------------------

    def _agent_of(self, conversation: Conversation) -> Member:
        agent = conversation.agent
        if agent is None:
            raise ApiError(409, "no.agent", "No agent is connected to this conversation.")
        return agent

    @staticmethod
    def _open(conversation: Conversation) -> None:
        if conversation.ended:
            raise ApiError(409, "conversation.ended", "The conversation has ended.")

    async def agent_alert(self, conversation: Conversation, name: str) -> Member:
        """An agent is offered the chat: ALERTING, not joined yet."""
        self._open(conversation)
        agent = Member("AGENT", name, state="ALERTING")
        conversation.members[agent.id] = agent
        await self._announce(conversation, agent, None)
        return agent

    async def agent_join(self, conversation: Conversation, name: str) -> Member:
        """The ALERTING agent (or a new one, alerted first) answers; the ACD member leaves."""
        self._open(conversation)
        agent = conversation.member("AGENT", "ALERTING")
        if agent is None:
            agent = await self.agent_alert(conversation, name)
        await self.connect_member(conversation, agent)
        queued = conversation.member("ACD")
        if queued is not None:
            await self.disconnect_member(conversation, queued)
        return agent

    async def agent_typing(self, conversation: Conversation) -> None:
        await self.member_typing(conversation, self._agent_of(conversation))

    async def member_typing(self, conversation: Conversation, member: Member) -> None:
        await self.broadcast(conversation, typing(conversation.id, member))

    async def agent_send(self, conversation: Conversation, text: str) -> Message:
        return await self.post_message(conversation, self._agent_of(conversation), text)

    def chatter(self, interval: float, duration: float) -> tuple[int, int]:
        """Load for benchmarks (``..load``): the agent of every chat that has one sends a
        message every ``interval`` s for ``duration`` s; (chats taking part, messages each)."""

        def send(conversation: Conversation, text: str) -> Awaitable[Message] | None:
            return self.agent_send(conversation, text) if conversation.agent else None

        chats = [c for c in self.conversations.values() if c.agent is not None]
        return start_chatter(self.spawn, chats, send, interval, duration)

    async def agent_request_media(
        self, conversation: Conversation, media_type: str
    ) -> MediaRequest:
        """The agent offers a co-browse or screen share: a PENDING media request, and a
        media-request message whose body is its id (the body is our choice)."""
        if media_type not in MEDIA_TYPES:
            raise bad_request("type", f"must be one of {', '.join(MEDIA_TYPES)}")
        agent = self._agent_of(conversation)
        request = MediaRequest(media_type)
        conversation.media[request.id] = request
        await self.post_message(conversation, agent, request.id, "media-request")
        return request

    async def agent_leave(self, conversation: Conversation) -> None:
        """The agent leaves (an ALERTING one declines); the last agent's leaving ends the
        chat unless ``agent_leave_ends_chat`` is off."""
        agent = conversation.agent or conversation.member("AGENT", "ALERTING")
        if agent is None:
            raise ApiError(409, "no.agent", "No agent is connected to this conversation.")
        answered = agent.state == "CONNECTED"
        await self.disconnect_member(conversation, agent)
        if answered and conversation.agent is None and self.settings.agent_leave_ends_chat:
            await self.end(conversation)

    async def end(self, conversation: Conversation) -> None:
        """The chat is over: the guest leaves first, then every member still there."""
        if conversation.ended:
            return
        conversation.phase = Phase.ENDED
        idle = self._idle.pop(conversation.id, None)
        if idle is not None:
            idle.cancel()
        await self.disconnect_member(conversation, conversation.guest)
        for member in list(conversation.members.values()):
            if member is not conversation.guest and member.state != "DISCONNECTED":
                await self.disconnect_member(conversation, member)
