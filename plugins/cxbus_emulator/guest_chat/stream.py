"""The event stream: WebSockets at ``/v1/token/<jwt>``, their heartbeats, and their ends.

Each attached socket gets a heartbeat every ``heartbeat_interval`` and a pong for
each ping. The server ends a socket three ways: a drop (no close frame, as a
network failure), or a ``v2.system.socket_closing`` notice followed by a clean
close ``socket_closing_delay`` seconds later, or at once when the client attaches a
new socket to the conversation first. Runs on the emulator's loop, like the server.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import attrs
from aiohttp import WSMsgType, web

from ..client_input import BadInput, BoundedWebSocket, parse_json
from .conversations import Conversation
from .errors import not_found
from .frames import channel_frame, socket_closing
from .paths import STREAM_PATH
from .settings import Settings

__all__ = ["EventStreams", "StreamHost"]


class StreamHost(Protocol):
    """What the event streams need of their server (a ``ChatServer``)."""

    settings: Settings

    def authorize(self, token: str) -> tuple[Conversation, str]:
        """The conversation and member a JWT is for; raises ``ApiError`` if none."""

    async def attached(self, conversation: Conversation) -> None:
        """A socket was attached to ``conversation``."""

    async def detached(self, conversation: Conversation) -> None:
        """A socket of ``conversation`` went away."""

    def spawn(self, work: Awaitable[Any]) -> None:
        """Run ``work`` in the background."""

    def later(self, delay: float, work: Callable[[], Awaitable[Any]]) -> asyncio.TimerHandle:
        """Run ``work()`` in the background ``delay`` seconds from now, unless cancelled."""


@attrs.define(eq=False)
class _Socket:
    """One attached WebSocket, and its closing timer once it was given notice."""

    socket: BoundedWebSocket
    channel_id: str = attrs.field(factory=lambda: uuid.uuid4().hex)
    closing: asyncio.TimerHandle | None = None
    gone: asyncio.Event = attrs.field(factory=asyncio.Event)  # its handler has finished

    def forget_closing(self) -> None:
        if self.closing is not None:
            self.closing.cancel()
            self.closing = None


class EventStreams:
    """The sockets attached to each conversation."""

    def __init__(self, server: StreamHost) -> None:
        self.server = server
        self._sockets: dict[str, set[_Socket]] = {}
        self._changed: asyncio.Condition | None = None  # made on the loop, on first use

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _notify(self) -> None:
        async with self._condition():
            self._condition().notify_all()

    async def wait_for_count(self, conversation_id: str, count: int, timeout: float) -> bool:
        """Wait until ``count`` sockets are attached to the conversation; whether they are."""
        condition = self._condition()
        async with condition:
            try:
                await asyncio.wait_for(
                    condition.wait_for(lambda: self.count(conversation_id) == count), timeout
                )
            except asyncio.TimeoutError:
                return False
        return True

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(STREAM_PATH + "{token}", self.attach)

    def count(self, conversation_id: str) -> int:
        """How many sockets are attached to the conversation."""
        return len(self._sockets.get(conversation_id, ()))

    async def attach(self, request: web.Request) -> web.StreamResponse:
        """A guest attaches with the JWT of the path: 401 if it is forged or expired,
        404 once the chat is over (our choice)."""
        conversation, _ = self.server.authorize(request.match_info["token"])
        if conversation.ended:
            raise not_found("The conversation is over: its event stream is gone.")
        attached = _Socket(BoundedWebSocket())
        socket = attached.socket
        await socket.prepare(request)
        sockets = self._sockets.setdefault(conversation.id, set())
        noticed = [each for each in sockets if each.closing is not None]
        sockets.add(attached)
        for each in noticed:  # the client came back first: close the old ones now
            sockets.discard(each)
            each.forget_closing()
            self.server.spawn(each.socket.close())
        await self._notify()
        await self.server.attached(conversation)
        heartbeat = asyncio.ensure_future(self._heartbeat(socket))
        try:
            async for incoming in socket:
                if incoming.type == WSMsgType.TEXT and _is_ping(incoming.data):
                    await socket.send_json(channel_frame("pong"))
        finally:
            heartbeat.cancel()
            attached.forget_closing()
            self._sockets.get(conversation.id, set()).discard(attached)
            await self._notify()
            await self.server.detached(conversation)
            attached.gone.set()
        return socket

    async def _heartbeat(self, socket: web.WebSocketResponse) -> None:
        while not socket.closed:
            await asyncio.sleep(self.server.settings.heartbeat_interval)
            if not socket.closed:
                await socket.send_json(channel_frame("WebSocket Heartbeat"))

    async def broadcast(self, conversation_id: str, payload: Any) -> None:
        """Send a frame (raw text, or bytes as a binary frame) to every socket attached
        to the conversation."""
        for attached in list(self._sockets.get(conversation_id, ())):
            try:
                if isinstance(payload, bytes):
                    await attached.socket.send_bytes(payload)
                else:
                    text = payload if isinstance(payload, str) else json.dumps(payload)
                    await attached.socket.send_str(text)
            except (ConnectionError, RuntimeError):
                self._sockets.get(conversation_id, set()).discard(attached)

    def _chosen(self, conversation_id: str | None) -> list[str]:
        return [conversation_id] if conversation_id else list(self._sockets)

    async def drop(self, conversation_id: str | None) -> int:
        """Cut the sockets of one conversation (or all) with no close frame; returns once
        the server has seen them go (the guest is away when this returns)."""
        dropped = [
            attached
            for cid in self._chosen(conversation_id)
            for attached in self._sockets.pop(cid, ())
        ]
        for attached in dropped:
            attached.forget_closing()
            request = attached.socket._req
            transport = request.transport if request is not None else None
            if transport is not None:
                transport.abort()  # no close frame: the connection just goes
        await asyncio.gather(*(attached.gone.wait() for attached in dropped))
        return len(dropped)

    async def announce_closing(self, conversation_id: str | None) -> int:
        """Send ``v2.system.socket_closing`` on the sockets of one conversation (or all);
        each closes ``socket_closing_delay`` later unless the client reattaches first."""
        delay = self.server.settings.socket_closing_delay
        noticed = 0
        for cid in self._chosen(conversation_id):
            for attached in list(self._sockets.get(cid, ())):
                if attached.closing is not None or attached.socket.closed:
                    continue
                noticed += 1
                await attached.socket.send_json(socket_closing(attached.channel_id, delay))
                attached.closing = self.server.later(delay, attached.socket.close)
        return noticed


def _is_ping(text: str) -> bool:
    try:
        return bool(parse_json(text) == {"message": "ping"})
    except BadInput:
        return False
