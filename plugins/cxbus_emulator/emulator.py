"""``Emulator``: the chat servers on their own asyncio loop and thread, driven from any thread."""

from __future__ import annotations

import asyncio
import os
import secrets
import ssl
import threading
import uuid
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from .control_key import ControlKey
from .faults import Fault
from .gms.agent import GmsDemoAgent
from .gms.chats import FileLimits
from .gms.control import GmsControls, add_control_routes
from .gms.idle import IdleWatch
from .gms.server import GmsServer
from .guest_chat import routes as guest_chat_routes
from .guest_chat.agent import DemoAgent
from .guest_chat.conversations import Conversation
from .guest_chat.server import ChatServer
from .guest_chat.settings import Settings
from .web_messaging import Deployment, Limits, MessagingControls, MessagingServer, User
from .web_messaging.agent import DemoBot
from .web_messaging.identity import DEMO_USERS
from .web_messaging.routes import MessagingApi
from .web_messaging.sessions import SessionState

if TYPE_CHECKING:
    from .flow import Flow
    from .flow_bot import Coverage
    from .gms.flow_bot import GmsFlowBot
    from .guest_chat.flow_bot import GuestChatFlowBot
    from .web_messaging.flow_bot import MessagingFlowBot

__all__ = ["Emulator"]

T = TypeVar("T")
CONTROL_TIMEOUT = 10.0
# Seconds a connection may stay with no request under way (idle, or a request head
# that never ends, a slowloris) before the server closes it (ours, as a load
# balancer in front of a real service does).
IDLE_TIMEOUT = 60.0
RESTART = "/emulator/restart"


class Emulator:
    """A local Genesys Cloud on ``host``:``port`` (0: any free port): guest chat, GMS and
    Web Messaging.

    ``start()`` (or ``with Emulator() as emulator:``) binds it and returns once it
    answers; ``webchat_config()``, ``gms_config()`` and ``messaging_config()`` are the
    configuration sections that talk to it. With ``demo_agent`` on, an agent joins
    every guest chat once its event stream is attached and every GMS chat once it is
    requested, and a bot answers every web messaging conversation. A GMS chat is
    alerted after ``gms_idle_alert`` seconds of client silence (``None``: never) and
    closed ``gms_idle_close`` seconds later. Web Messaging follows
    ``messaging_deployment`` and ``messaging_limits``; its identity provider signs in
    ``messaging_users`` (two demo users by default). With an ``ssl_context`` it serves
    HTTPS and WSS (for tests of certificate checks).

    With a ``flow`` (a flow file's path, or a ``Flow`` from ``cxbus_emulator.flow``),
    the flow-file bot greets every conversation on every API instead: every guest chat
    once its event stream is attached, every GMS chat once it is requested, every web
    messaging conversation once it begins; it types ``agent_typing_delay`` seconds
    before each message, and a hand-over gives the conversation to the demo agent
    (with ``demo_agent`` off, to nobody: the test plays the agent). A bad flow file is a
    ``cxbus_emulator.flow.FlowError`` naming its line, raised here, before anything runs.

    A connection with no request under way is closed after ``idle_timeout`` seconds
    (a request head must be complete by then, too). Bad input gets the answer the real
    API gives, or a 4xx with a sentence, and sizes are bounded (``client_input``). The
    control API (``/emulator/...``) is open on loopback; on another host it wants
    ``control_key`` (made, when not given: ``control_key`` reads it) in the
    ``X-Emulator-Key`` header (``control_key`` module).

    The other keywords (``switches``) are the guest chat's: the fields of
    ``cxbus_emulator.guest_chat.Settings``, such as ``join_messages=False``,
    ``guest_idle_limit=0.5`` or ``max_uploads=3``. They default to the real server's
    behaviour, and ``configure()`` changes them while the emulator runs.

    The control methods run on the server's loop and return when done; they may be
    called from any thread: those of the guest chat here, those of GMS on ``gms``,
    those of Web Messaging on ``messaging``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        demo_agent: bool = True,
        agent_name: str = "Alex",
        agent_join_delay: float = 1.0,
        agent_typing_delay: float = 0.5,
        gms_service: str = "customer-support",
        gms_idle_alert: float | None = 300.0,
        gms_idle_close: float = 60.0,
        messaging_deployment: Deployment | None = None,
        messaging_limits: Limits | None = None,
        messaging_users: tuple[User, ...] = DEMO_USERS,
        ssl_context: ssl.SSLContext | None = None,
        flow: Flow | str | os.PathLike[str] | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        control_key: str | None = None,
        **switches: Any,
    ) -> None:
        if not idle_timeout > 0:
            raise ValueError(
                f"idle_timeout must be a number of seconds above 0; got {idle_timeout!r}."
            )
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.idle_timeout = idle_timeout
        self._control = ControlKey.for_host(host, control_key)
        self.queue = "Support"
        self.flow = _flow(flow)
        """The flow its flow-file bot plays, if any."""
        self._flow_bots: tuple[GuestChatFlowBot, GmsFlowBot, MessagingFlowBot] | None = None
        script = DemoAgent(agent_name, agent_join_delay, agent_typing_delay)
        self.server = ChatServer(
            deployment_key=str(uuid.uuid4()),
            org_guid=str(uuid.uuid4()),
            demo_agent=script if demo_agent else None,
            settings=Settings().changed(**switches),
        )
        self.gms_server = GmsServer(
            service=gms_service,
            apikey=secrets.token_hex(16),
            demo_agent=GmsDemoAgent(script) if demo_agent else None,
            idle=IdleWatch(gms_idle_alert, gms_idle_close),
            limits=FileLimits(),
            max_message_length=10_000,
        )
        self.gms = GmsControls(self.gms_server, self._run)
        self.messaging_server = MessagingServer(
            deployment_id=str(uuid.uuid4()),
            deployment=messaging_deployment or Deployment(),
            limits=messaging_limits or Limits(),
            demo_agent=(
                DemoBot(agent_name, agent_join_delay, agent_typing_delay) if demo_agent else None
            ),
            users=messaging_users,
        )
        self.messaging_api = MessagingApi(self.messaging_server)
        if self.flow is not None:
            self._add_flow_bots(self.flow, agent_typing_delay)
        self.messaging = MessagingControls(self.messaging_server, self._run)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    def _add_flow_bots(self, flow: Flow, typing_delay: float) -> None:
        from .gms.flow_bot import GmsFlowBot
        from .guest_chat.flow_bot import GuestChatFlowBot
        from .web_messaging.flow_bot import MessagingFlowBot

        bots = (
            GuestChatFlowBot(flow, typing_delay),
            GmsFlowBot(flow, typing_delay),
            MessagingFlowBot(flow, typing_delay),
        )
        self.server.flow_bot, self.gms_server.flow_bot, self.messaging_server.flow_bot = bots
        self._flow_bots = bots

    def __repr__(self) -> str:
        return f"<Emulator {self.data_url or 'stopped'}>"

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def data_url(self) -> str:
        """The REST base, ``http://127.0.0.1:PORT`` (``transport.dataURL``)."""
        return self.server.base_url

    @property
    def control_key(self) -> str | None:
        """The key the control API wants in the ``X-Emulator-Key`` header (``None``: open)."""
        return self._control.key

    @property
    def deployment_key(self) -> str:
        return self.server.deployment_key

    @property
    def org_guid(self) -> str:
        return self.server.org_guid

    def webchat_config(self) -> dict[str, Any]:
        """A ``webchat`` section that chats with this emulator."""
        return {
            "transport": {
                "type": "purecloud-v2-sockets",
                "dataURL": self.data_url,
                "deploymentKey": self.deployment_key,
                "orgGuid": self.org_guid,
                "interactionData": {
                    "routing": {"targetType": "QUEUE", "targetAddress": self.queue}
                },
            }
        }

    def gms_config(self) -> dict[str, Any]:
        """A ``webchat`` section that chats with this emulator over GMS.

        As the Widgets read it in GMS mode: no ``transport`` section, the options
        directly in ``webchat``, ``dataURL`` the chat service URL with its name.
        """
        return {"dataURL": self.gms.data_url, "apikey": self.gms.apikey}

    def messaging_config(self) -> dict[str, Any]:
        """A ``messaging`` section that talks to this emulator's Web Messaging API.

        ``baseURL`` stands in for a region's domain: the WebSocket is
        ``ws://HOST:PORT/v1``, history and ``config.json`` are below ``http://HOST:PORT``.
        """
        return {"deploymentId": self.messaging.deployment_id, "baseURL": self.data_url}

    # Running ----------------------------------------------------------------------

    def start(self) -> None:
        """Bind and serve on a thread of its own; returns once the server answers."""
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), name="cxbus-emulator", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]

    def _application(self) -> web.Application:
        """One aiohttp application serving every API of the emulator."""
        app = web.Application(
            middlewares=[
                self._control.middleware,
                self.server.middleware,
                self.gms_server.middleware,
                self.messaging_api.middleware,
            ],
            client_max_size=64 * 2**20,
        )
        guest_chat_routes.add_routes(app, self.server)
        self.gms_server.add_routes(app)
        add_control_routes(app, self.gms_server)
        self.messaging_api.add_routes(app)
        app.router.add_get("/emulator/open-conversations", self._show_open_conversations)
        app.router.add_get("/emulator/flow-coverage", self._show_flow_coverage)
        app.router.add_post(RESTART, self._restart_requested)
        return app

    async def _restart_requested(self, request: web.Request) -> web.Response:
        return web.json_response(await self._forget_everything())

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            # No access log: an event stream's path carries the guest's JWT.
            self._runner = web.AppRunner(
                self._application(),
                handle_signals=False,
                access_log=None,
                keepalive_timeout=self.idle_timeout,
            )
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(
                self._runner, self.host, self.port, backlog=2048, ssl_context=self.ssl_context
            )
            loop.run_until_complete(site.start())
            bound = self._runner.addresses[0]
            self.port = bound[1]
            scheme = "http" if self.ssl_context is None else "https"
            self.server.base_url = f"{scheme}://{self.host}:{self.port}"
            self.gms_server.base_url = self.server.base_url
            self.messaging_server.base_url = self.server.base_url
        except BaseException as error:
            failure.append(error)
            ready.set()
            loop.close()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    def stop(self) -> None:
        """Close every socket and stop serving."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        self._run(self.server.streams.drop(None))
        self._run(self.gms_server.close())
        self._run(self.messaging_server.close_all())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=CONTROL_TIMEOUT)

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            raise RuntimeError("The emulator is not running: start() it first.")
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(CONTROL_TIMEOUT)

    def restart(self) -> dict[str, int]:
        """Act out a restart of the service (``POST /emulator/restart``): every socket is
        cut with no close frame, and every guest chat, GMS chat and Web Messaging session
        is forgotten, as a server that lost its memory; its address, keys, switches and
        faults stay. Returns how many of each it forgot."""
        return self._run(self._forget_everything())

    async def _forget_everything(self) -> dict[str, int]:
        forgotten = {
            "conversations": len(self.server.conversations),
            "gmsChats": len(self.gms_server.chats),
            "messagingSessions": len(self.messaging_server.sessions),
        }
        await self.server.streams.drop(None)
        self.server.conversations.clear()
        for chat in list(self.gms_server.chats.values()):
            self.gms_server.forget_chat(chat)
        messaging = self.messaging_server
        await messaging.close_all()
        messaging.sessions.clear()
        messaging.current.clear()
        messaging.signed_in.clear()
        messaging.files.clear()
        return forgotten

    # Switches -----------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The switches in force (``GET /emulator/settings``)."""
        return self.server.settings

    def configure(self, **switches: Any) -> Settings:
        """Change some switches (``PATCH /emulator/settings``); returns all of them.

        A name that is no switch, or a bad value, is a ``ValueError`` naming it.
        """
        settings = self.server.settings.changed(**switches)

        async def swap() -> None:
            self.server.settings = settings

        self._run(swap())
        return settings

    # Control ------------------------------------------------------------------------

    def conversation(self, conversation_id: str) -> Conversation:
        """The conversation (live object: read it, do not change it)."""
        try:
            return self.server.conversations[conversation_id]
        except KeyError:
            raise KeyError(f"No conversation {conversation_id} on this emulator.") from None

    def agent_alert(self, conversation_id: str, name: str = "Alex") -> str:
        """An agent is offered the chat (ALERTING); returns its member id."""
        conversation = self.conversation(conversation_id)
        return self._run(self.server.agent_alert(conversation, name)).id

    def agent_join(self, conversation_id: str, name: str = "Alex") -> str:
        """An agent answers (the ALERTING one, or a new one alerted first): CONNECTED,
        and the queue's ACD member leaves; returns the agent's member id."""
        conversation = self.conversation(conversation_id)
        return self._run(self.server.agent_join(conversation, name)).id

    def agent_typing(self, conversation_id: str) -> None:
        self._run(self.server.agent_typing(self.conversation(conversation_id)))

    def agent_send(self, conversation_id: str, text: str) -> str:
        """The agent sends ``text``; returns the message id."""
        return self._run(self.server.agent_send(self.conversation(conversation_id), text)).id

    def agent_send_many(self, conversation_id: str, texts: list[str]) -> None:
        """The agent sends each of ``texts`` back to back (a burst, for load tests)."""
        conversation = self.conversation(conversation_id)

        async def burst() -> None:
            for text in texts:
                await self.server.agent_send(conversation, text)

        self._run(burst())

    def chatter(self, interval: float, duration: float) -> tuple[int, int]:
        """Load for benchmarks: every chat's connected agent sends a message every
        ``interval`` seconds for ``duration`` seconds, spread evenly, each text
        ``"<number> <time.time()>"``; (how many chats take part, messages each gets)."""

        async def start() -> tuple[int, int]:
            return self.server.chatter(interval, duration)

        return self._run(start())

    def agent_request_media(self, conversation_id: str, media_type: str = "COBROWSE") -> str:
        """The agent offers a co-browse (``"COBROWSE"``) or screen share
        (``"SCREENSHARE"``): a PENDING media request and a media-request message;
        returns the media request's id."""
        conversation = self.conversation(conversation_id)
        return self._run(self.server.agent_request_media(conversation, media_type)).id

    def agent_leave(self, conversation_id: str) -> None:
        """The agent leaves; unless ``agent_leave_ends_chat`` is off, the chat ends."""
        self._run(self.server.agent_leave(self.conversation(conversation_id)))

    def end_conversation(self, conversation_id: str) -> None:
        """The agent's side ends the chat: the guest leaves, then every other member."""
        self._run(self.server.end(self.conversation(conversation_id)))

    def expire_tokens(self, conversation_id: str) -> None:
        """The conversation's JWT is expired from now on: its REST calls and reattaches
        are refused with 401."""
        conversation = self.conversation(conversation_id)

        async def expire() -> None:
            conversation.tokens_expired = True

        self._run(expire())

    def drop_sockets(self, conversation_id: str | None = None) -> int:
        """Cut the event streams of one conversation (or all) with no close frame."""
        return self._run(self.server.streams.drop(conversation_id))

    def close_with_notice(self, conversation_id: str | None = None) -> int:
        """Send ``v2.system.socket_closing`` on the event streams of one conversation (or
        all); each closes ``socket_closing_delay`` later, or once the client reattaches."""
        return self._run(self.server.streams.announce_closing(conversation_id))

    def fail_next(
        self, path: str, status: int = 503, count: int = 1, retry_after: int | None = None
    ) -> None:
        """Answer the next ``count`` calls whose path matches ``path`` with ``status``."""
        self.server.faults.arm(Fault(path, count, status, retry_after))

    def delay(self, path: str, seconds: float, count: int = 1) -> None:
        """Answer the next ``count`` calls whose path matches ``path`` ``seconds`` late."""
        self.server.faults.arm(Fault(path, count, delay=seconds))

    def clear_faults(self, path: str | None = None) -> None:
        """Disarm every fault switch, or those armed for ``path``."""
        self.server.faults.clear(path)

    def send_malformed_frame(self, conversation_id: str) -> None:
        """Send text that is not JSON down the conversation's event stream."""
        self.send_frame(conversation_id, "{not json")

    def send_frame(self, conversation_id: str, payload: str | bytes) -> None:
        """Send ``payload`` as it is down the conversation's event stream: text as a text
        frame, bytes as a binary one (for frames that no server should send)."""
        conversation = self.conversation(conversation_id)
        self._run(self.server.broadcast(conversation, payload))

    def participant_data(self, conversation_id: str) -> dict[str, str]:
        """What the flow-file bot set on a conversation of any API (a guest chat's id, a
        GMS ``chatId`` or a web messaging session's id), as Genesys Cloud's participant
        data; ``KeyError`` when no API has that conversation."""

        async def read() -> dict[str, str]:
            found = (
                self.server.conversations.get(conversation_id)
                or self.gms_server.chats.get(conversation_id)
                or self.messaging_server.sessions.get(conversation_id)
            )
            if found is None:
                raise KeyError(f"No conversation {conversation_id} on this emulator.")
            return dict(found.participant_data)

        return self._run(read())

    def requests_served(self) -> int:
        """How many guest chat requests were served so far (a mark for ``requests_seen``)."""
        return self.server.requests_served

    def requests_seen(self, since: int = 0) -> list[tuple[str, str, bool]]:
        """The guest chat requests served after the first ``since``, oldest first (of the
        last 10,000): (method, path as sent, whether it carried an ``Authorization``
        header)."""
        return [entry[1:] for entry in list(self.server.requests) if entry[0] > since]

    def wait_for_sockets(self, conversation_id: str, count: int, timeout: float = 5.0) -> bool:
        """Wait until ``count`` event streams are attached to the conversation; whether
        they are."""
        waiting = self.server.streams.wait_for_count(conversation_id, count, timeout)
        return self._run(waiting)

    def sockets(self, conversation_id: str) -> int:
        """How many event streams are attached to the conversation."""
        return self.server.streams.count(conversation_id)

    def open_conversations(self) -> dict[str, int]:
        """How many conversations are open on each API (``GET
        /emulator/open-conversations``): guest chats not ended (``"webchat"``), GMS chats
        not ended (``"gms"``), Web Messaging conversations started and neither ended
        (cleared, expired) nor made read-only by a disconnect (``"messaging"``)."""

        async def count() -> dict[str, int]:
            return self._count_open()

        return self._run(count())

    def _count_open(self) -> dict[str, int]:
        sessions = self.messaging_server.sessions.values()
        return {
            "webchat": sum(not chat.ended for chat in self.server.conversations.values()),
            "gms": sum(not chat.ended for chat in self.gms_server.chats.values()),
            "messaging": sum(s.started and s.state is SessionState.ACTIVE for s in sessions),
        }

    async def _show_open_conversations(self, request: web.Request) -> web.Response:
        return web.json_response(self._count_open())

    def flow_coverage(self) -> Coverage:
        """Which states of the flow its bot entered and which branches it took, how often,
        over every conversation of every API so far (``GET /emulator/flow-coverage``);
        ``RuntimeError`` when it plays no flow."""

        async def gather() -> Coverage:
            return self._coverage()

        return self._run(gather())

    def _coverage(self) -> Coverage:
        from .flow_bot import Coverage

        if self.flow is None or self._flow_bots is None:
            raise RuntimeError("The emulator plays no flow: Emulator(flow=...) plays one.")
        return Coverage.of(self.flow, (run for bot in self._flow_bots for run in bot.runs.values()))

    async def _show_flow_coverage(self, request: web.Request) -> web.Response:
        if self.flow is None:
            return web.json_response({"message": "The emulator plays no flow."}, status=404)
        return web.json_response(self._coverage().to_json())


def _flow(flow: Flow | str | os.PathLike[str] | None) -> Flow | None:
    """The flow of ``Emulator(flow=...)``: read from its file, unless it is one already."""
    if flow is None:
        return None
    from .flow import Flow, load_flow

    return flow if isinstance(flow, Flow) else load_flow(flow)
