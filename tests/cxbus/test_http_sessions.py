"""The process's shared HTTP sessions, against a small HTTP server on loopback."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest
from urllib3.util.retry import Retry

from cxbus.runtime.http_sessions import shared_session

RETRY = Retry(0)
OTHER_RETRY = Retry(2)


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a cookie, and records each connection and Cookie header."""

    protocol_version = "HTTP/1.1"  # keep-alive
    connections: ClassVar[list[tuple[str, int]]] = []
    cookies: ClassVar[list[str | None]] = []

    def setup(self) -> None:
        super().setup()
        self.connections.append(self.client_address)

    def do_GET(self) -> None:
        self.cookies.append(self.headers.get("Cookie"))
        self.send_response(200)
        self.send_header("Set-Cookie", "affinity=node-1; Path=/")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Recorder.connections, Recorder.cookies = [], []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def test_the_calls_of_many_chats_to_one_server_share_one_connection(server: str) -> None:
    for chat in range(5):
        session = shared_session(f"{server}/chats/{chat}", RETRY)
        assert session.get(f"{server}/chats/{chat}", timeout=5).status_code == 200
    assert len(Recorder.connections) == 1


def test_a_cookie_one_chat_was_given_never_reaches_another(server: str) -> None:
    first = shared_session(server, RETRY)
    first.get(f"{server}/first", timeout=5)
    shared_session(server, RETRY).get(f"{server}/second", timeout=5)
    assert Recorder.cookies == [None, None]


def test_sessions_are_one_per_server_and_retry_policy(server: str) -> None:
    one = shared_session(f"{server}/a", RETRY)
    assert shared_session(f"{server}/b?c=d", RETRY) is one
    assert shared_session(f"{server}/a", OTHER_RETRY) is not one
    assert shared_session("http://127.0.0.2:1/a", RETRY) is not one


def test_the_environment_s_proxy_is_read_when_a_server_s_session_is_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = shared_session("https://proxied.invalid/api", RETRY)
    assert session.proxies.get("https") == "http://127.0.0.1:3128"
    assert not session.trust_env  # read once, not again on every call
