"""The emulator against clients that send it anything: raw sockets, requests and
websocket-client, no cxbus code.

Every bad input gets the answer the real API gives, or a 4xx with a sentence; sizes are
bounded (``cxbus_emulator.client_input``); idle and slow connections are closed; the
control API wants a key once the emulator listens beyond loopback.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import websocket

from cxbus_emulator import Emulator
from cxbus_emulator.client_input import FORM_LIMIT, FRAME_LIMIT, JSON_LIMIT

from .guest import API, Guest, create_body
from .messenger import Messenger

pytestmark = pytest.mark.integration

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_FRAME = "[" * 50_000 + "]" * 50_000  # under the frame limit
TOO_BIG = 10 * 2**20
JSON_TYPE = {"Content-Type": "application/json"}
FORM_TYPE = "application/x-www-form-urlencoded"


def post(url: str, body: str | bytes, **headers: str) -> requests.Response:
    return requests.post(url, data=body, headers=headers, timeout=30)


# JSON bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/conversations",  # the guest chat API
        "/emulator/faults",  # the control APIs: guest chat, GMS, Web Messaging
        "/emulator/gms/faults",
        "/emulator/messaging/faults/action",
    ],
)
def test_json_nested_100_000_deep_is_a_400_with_a_sentence(emulator: Emulator, path: str) -> None:
    answer = post(emulator.data_url + path, DEEP, **JSON_TYPE)
    assert answer.status_code == 400
    assert answer.json()["message"] == "The body is JSON nested too deeply to be read."


def test_a_json_body_over_the_limit_is_a_413_and_a_good_one_still_starts_a_chat(
    emulator: Emulator,
) -> None:
    body = create_body(emulator, "x" * JSON_LIMIT)
    answer = requests.post(f"{emulator.data_url}{API}/conversations", json=body, timeout=30)
    assert answer.status_code == 413
    assert answer.json()["message"] == f"The body is larger than {JSON_LIMIT} bytes."
    assert Guest(emulator, attach=False).id


def test_a_body_that_is_not_utf_8_is_a_400(emulator: Emulator) -> None:
    answer = post(f"{emulator.data_url}{API}/conversations", b'{"a": "caf\xe9"}', **JSON_TYPE)
    assert answer.status_code == 400
    assert answer.json()["message"] == "The body is not UTF-8 text."


# GMS forms -----------------------------------------------------------------------------------


def gms_start(emulator: Emulator, body: bytes, content_type: str = FORM_TYPE) -> Any:
    headers = {"apikey": emulator.gms.apikey or "", "Content-Type": content_type}
    return requests.post(emulator.gms.data_url, data=body, headers=headers, timeout=30)


def test_gms_refuses_a_10_mb_nickname_as_jetty_refuses_a_form_over_its_limit(
    emulator: Emulator,
) -> None:
    answer = gms_start(emulator, b"nickname=" + b"x" * TOO_BIG)
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"advice": f"The form is larger than {FORM_LIMIT} bytes."}]
    assert gms_start(emulator, b"nickname=Ada").json()["statusCode"] == 0


@pytest.mark.parametrize(
    ("body", "content_type", "advice"),
    [
        (b"nickname=%FF%FE", FORM_TYPE, "The form is not text in its charset (utf-8)."),
        (b"nickname=\xff\xfe", FORM_TYPE, "The form is not text in its charset (utf-8)."),
        (
            b"nickname=Ada",
            f"{FORM_TYPE}; charset=no-such-charset",
            "The form's charset no-such-charset is not one the server knows.",
        ),
        (
            b'--b\r\nContent-Disposition: form-data; name="nickname"\r\n\r\n\xff\xfe\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            "The form is not text in its charset (utf-8).",
        ),
    ],
    ids=["percent-encoded", "raw bytes", "unknown charset", "multipart"],
)
def test_gms_refuses_a_form_in_a_broken_encoding(
    emulator: Emulator, body: bytes, content_type: str, advice: str
) -> None:
    answer = gms_start(emulator, body, content_type)
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"advice": advice}]


def test_a_form_in_latin_1_that_says_so_is_read(emulator: Emulator) -> None:
    answer = gms_start(emulator, b"nickname=Ren%E9", f"{FORM_TYPE}; charset=latin-1")
    assert answer.json()["messages"][0]["from"]["nickname"] == "René"


# WebSocket frames ------------------------------------------------------------------------------


def close_frame(socket_: websocket.WebSocket) -> tuple[int, str]:
    """The server's close frame (code, reason), skipping the frames before it."""
    socket_.settimeout(10)
    while True:
        opcode, data = socket_.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return struct.unpack("!H", data[:2])[0], data[2:].decode()


@pytest.fixture
def messenger(emulator: Emulator) -> Iterator[Messenger]:
    guest = Messenger(emulator)
    yield guest
    guest.close()


def test_web_messaging_answers_a_10_mb_frame_with_4011_and_closes_1009(
    messenger: Messenger,
) -> None:
    messenger.socket.send("x" * TOO_BIG)  # no reset under the client while it sends
    error = json.loads(messenger.socket.recv())
    assert (error["class"], error["code"]) == ("string", 4011)
    assert error["body"] == f"Message length is larger than {FRAME_LIMIT} bytes"
    assert close_frame(messenger.socket) == (1009, f"A frame may be {FRAME_LIMIT} bytes at most.")


def test_web_messaging_answers_a_text_frame_that_is_not_utf_8_then_closes_1007(
    messenger: Messenger,
) -> None:
    frame = websocket.ABNF(1, 0, 0, 0, websocket.ABNF.OPCODE_TEXT, 1, b"caf\xe9")
    messenger.socket.send_frame(frame)
    error = json.loads(messenger.socket.recv())
    assert (error["code"], error["body"]) == (400, "Request failed: a text frame must be UTF-8.")
    assert close_frame(messenger.socket) == (1007, "A text frame must be UTF-8.")


def test_web_messaging_answers_deep_json_as_any_request_that_is_not_one(
    messenger: Messenger,
) -> None:
    messenger.socket.send(DEEP_FRAME)
    error = json.loads(messenger.socket.recv())
    assert (error["code"], error["body"]) == (400, "Request failed.")
    assert messenger.configure()["class"] == "SessionResponse"  # the socket goes on


def test_the_guest_chat_stream_closes_on_a_frame_too_big_or_not_utf_8_saying_why(
    emulator: Emulator,
) -> None:
    guest = Guest(emulator)
    assert guest.socket is not None
    guest.socket.send("x" * TOO_BIG)
    assert close_frame(guest.socket) == (1009, f"A frame may be {FRAME_LIMIT} bytes at most.")
    guest.attach()
    guest.socket.send(DEEP_FRAME)  # not a ping: ignored, as any other text
    frame = websocket.ABNF(1, 0, 0, 0, websocket.ABNF.OPCODE_TEXT, 1, b"caf\xe9")
    guest.socket.send_frame(frame)
    assert close_frame(guest.socket) == (1007, "A text frame must be UTF-8.")


# Idle and slow connections ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def impatient() -> Iterator[Emulator]:
    with Emulator(demo_agent=False, idle_timeout=0.5) as running:
        yield running


def closed_by_server(connection: socket.socket) -> bool:
    """Whether the server closes ``connection`` (an end of stream) within 10 s."""
    connection.settimeout(10)
    try:
        return connection.recv(4096) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_idle_connections_and_unfinished_request_heads_are_closed(impatient: Emulator) -> None:
    address = (impatient.host, impatient.port)
    idle = [socket.create_connection(address) for _ in range(50)]
    slow = socket.create_connection(address)
    slow.sendall(b"GET /emulator/settings HTTP/1.1\r\nHost: x\r\n")  # and no end of head
    try:
        assert all(closed_by_server(connection) for connection in [*idle, slow])
    finally:
        for connection in [*idle, slow]:
            connection.close()


def test_a_connection_that_asks_is_answered_then_closed_once_idle(impatient: Emulator) -> None:
    with socket.create_connection((impatient.host, impatient.port)) as connection:
        connection.sendall(b"GET /emulator/settings HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.settimeout(10)
        assert connection.recv(4096).startswith(b"HTTP/1.1 200")
        assert closed_by_server(connection)


def test_an_idle_websocket_stays_open(impatient: Emulator) -> None:
    """The idle limit is for connections with no request under way: a socket is one."""
    guest = Messenger(impatient)
    try:
        started = time.monotonic()
        while time.monotonic() - started < 1.5:  # three idle limits, while the socket waits
            guest.socket.settimeout(0.5)
            with pytest.raises(websocket.WebSocketTimeoutException):
                guest.socket.recv()
        assert guest.configure()["class"] == "SessionResponse"
    finally:
        guest.close()


# The control API's key -----------------------------------------------------------------------


def test_the_control_api_wants_the_key_and_the_guest_apis_do_not() -> None:
    with Emulator(demo_agent=False, control_key="s3cret") as emulator:
        url = emulator.data_url
        refused = requests.get(f"{url}/emulator/settings", timeout=5)
        assert refused.status_code == 401
        assert refused.json()["message"] == (
            "The emulator's control API wants the key it printed at start "
            "in the X-Emulator-Key header."
        )
        wrong = requests.get(f"{url}/emulator/settings", headers={"X-Emulator-Key": "x"}, timeout=5)
        assert wrong.status_code == 401
        for path in ("/emulator/messaging/sessions", "/emulator/gms/chats/x"):
            assert requests.get(url + path, timeout=5).status_code == 401
        key = {"X-Emulator-Key": "s3cret"}
        assert requests.get(f"{url}/emulator/settings", headers=key, timeout=5).ok
        guest = Guest(emulator)  # the guest API, its stream and its uploads need no key
        stored = requests.post(
            f"{url}/emulator/uploads/{guest.id}",
            data=b"hello",
            headers={**guest.headers, "Content-Type": "text/plain"},
            timeout=5,
        )
        assert stored.status_code == 201
        guest.close()


def test_an_emulator_beyond_loopback_makes_a_key_and_one_on_loopback_none(
    emulator: Emulator,
) -> None:
    assert emulator.control_key is None
    with Emulator(host="0.0.0.0", demo_agent=False) as public:
        assert public.control_key and len(public.control_key) >= 32
        url = f"http://127.0.0.1:{public.port}"
        assert requests.get(f"{url}/emulator/settings", timeout=5).status_code == 401
        key = {"X-Emulator-Key": public.control_key}
        assert requests.get(f"{url}/emulator/settings", headers=key, timeout=5).ok
        assert public.control_key not in repr(public._control)
