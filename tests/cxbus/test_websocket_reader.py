"""The process's WebSocket reader, against a WebSocket server on loopback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from cxbus.runtime.threads import Loop
from cxbus.runtime.websocket_reader import WebSocketReader, websocket_reader

TIMEOUT = 5.0


class Server:
    """An aiohttp WebSocket server on its own thread: /echo, /big, /silent, /bye."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self.half_sent = threading.Event()
        self.rest_may_go: asyncio.Event | None = None
        ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self.thread.start()
        assert ready.wait(TIMEOUT)

    def _serve(self, ready: threading.Event) -> None:
        app = web.Application()
        app.router.add_get("/echo", self.echo)
        app.router.add_get("/big", self.big)
        app.router.add_get("/silent", self.silent)
        app.router.add_get("/bye", self.bye)
        app.router.add_get("/not-utf8", self.not_utf8)
        app.router.add_get("/half", self.half)
        runner = web.AppRunner(app)
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.url = f"ws://127.0.0.1:{runner.addresses[0][1]}"
        ready.set()
        self.loop.run_forever()
        # Its handlers' tasks end here, not when the collector finds them pending (an
        # error logged into whichever test runs then).
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    async def echo(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                for n in range(int(message.data)):
                    await socket.send_str(str(n))
        return socket

    async def big(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_str("x" * 2**20)
        await socket.send_bytes(b"\xff\xfe")
        async for _ in socket:
            pass
        return socket

    async def silent(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=False)  # never answers a ping
        await socket.prepare(request)
        async for _ in socket:
            pass
        return socket

    async def not_utf8(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        assert socket._writer is not None
        await socket._writer.send_frame(b"caf\xe9", WSMsgType.TEXT)  # Latin-1, not UTF-8
        await socket.send_str("café")
        async for _ in socket:
            pass
        return socket

    async def half(self, request: web.Request) -> web.WebSocketResponse:
        """A text frame of 10 bytes whose last 5 come once ``rest_may_go`` is set."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.rest_may_go = asyncio.Event()
        assert request.transport is not None
        request.transport.write(b"\x81\x0afirst")
        self.half_sent.set()
        await self.rest_may_go.wait()
        request.transport.write(b"-half")
        async for _ in socket:
            pass
        return socket

    async def bye(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.close()
        return socket


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.loop.call_soon_threadsafe(running.loop.stop)
    running.thread.join(TIMEOUT)


class Recorder:
    """A receiver that records what it is told, and on which thread."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.losses: list[str] = []
        self.threads: set[str] = set()
        self.changed = threading.Condition()

    def received(self, message: str | bytes) -> None:
        with self.changed:
            self.messages.append(message)
            self.threads.add(threading.current_thread().name)
            self.changed.notify_all()

    def lost(self, reason: str) -> None:
        with self.changed:
            self.losses.append(reason)
            self.changed.notify_all()

    def wait_for(self, test: Any) -> None:
        with self.changed:
            assert self.changed.wait_for(test, TIMEOUT)


def test_many_sockets_are_read_in_order_on_the_loop_thread(server: Server) -> None:
    reader = websocket_reader()
    recorders = [Recorder() for _ in range(50)]
    watches = []
    for recorder in recorders:
        connection = reader.open(f"{server.url}/echo", timeout=TIMEOUT)
        watches.append(reader.watch(connection, recorder))
        connection.send("20")
    for recorder in recorders:
        recorder.wait_for(lambda recorder=recorder: len(recorder.messages) == 20)
        assert recorder.messages == [str(n) for n in range(20)]
        assert recorder.threads == {"cxbus-loop"}
    for watch in watches:
        reader.unwatch(watch)


def test_a_message_that_comes_in_many_pieces_is_read_whole(server: Server) -> None:
    recorder = Recorder()
    reader = websocket_reader()
    watch = reader.watch(reader.open(f"{server.url}/big", timeout=TIMEOUT), recorder)
    recorder.wait_for(lambda: len(recorder.messages) == 2)
    assert recorder.messages == ["x" * 2**20, b"\xff\xfe"]
    reader.unwatch(watch)


def test_a_text_message_that_is_not_utf8_is_skipped_and_reading_goes_on(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    reader = websocket_reader()
    watch = reader.watch(reader.open(f"{server.url}/not-utf8", timeout=TIMEOUT), recorder)
    recorder.wait_for(lambda: recorder.messages == ["café"])
    assert recorder.losses == []
    assert "not UTF-8" in caplog.text
    reader.unwatch(watch)


def test_a_socket_whose_pong_does_not_come_is_lost(server: Server) -> None:
    recorder = Recorder()
    reader = websocket_reader()
    reader.watch(
        reader.open(f"{server.url}/silent", timeout=TIMEOUT),
        recorder,
        ping_interval=0.05,
        ping_timeout=0.1,
    )
    recorder.wait_for(lambda: recorder.losses == ["no pong within 0.1 s"])


def test_a_socket_the_server_closes_is_lost_once_and_closed_here(server: Server) -> None:
    """Not left half-closed until the collector finds it: websocket-client's close() does
    nothing once the server's close frame came."""
    recorder = Recorder()
    reader = websocket_reader()
    connection = reader.open(f"{server.url}/bye", timeout=TIMEOUT)
    reader.watch(connection, recorder)
    recorder.wait_for(lambda: recorder.losses == ["closed by the server"])
    assert connection.sock is None


def test_an_unwatched_socket_is_closed_and_its_receiver_hears_no_more(server: Server) -> None:
    recorder = Recorder()
    loop = Loop("test-loop")
    reader = WebSocketReader(loop)
    connection = reader.open(f"{server.url}/echo", timeout=TIMEOUT)
    watch = reader.watch(connection, recorder)
    connection.send("1")
    recorder.wait_for(lambda: recorder.messages == ["0"])
    reader.unwatch(watch)
    done = threading.Event()
    loop.call(done.set)  # the unwatch is carried out before this
    assert done.wait(TIMEOUT)
    assert not connection.connected
    assert recorder.losses == []


def test_a_frame_half_come_waits_for_its_rest_while_the_other_sockets_are_read(
    server: Server,
) -> None:
    reader = websocket_reader()
    halved, echoed = Recorder(), Recorder()
    half = reader.watch(reader.open(f"{server.url}/half", timeout=TIMEOUT), halved)
    assert server.half_sent.wait(TIMEOUT)
    connection = reader.open(f"{server.url}/echo", timeout=TIMEOUT)
    echo = reader.watch(connection, echoed)
    connection.send("3")
    echoed.wait_for(lambda: echoed.messages == ["0", "1", "2"])
    assert halved.messages == []
    assert server.rest_may_go is not None
    server.loop.call_soon_threadsafe(server.rest_may_go.set)
    halved.wait_for(lambda: halved.messages == ["first-half"])
    assert halved.losses == echoed.losses == []
    reader.unwatch(half)
    reader.unwatch(echo)
