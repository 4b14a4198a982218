"""Each fault switch of the emulator, its HTTP control API, its demo agent, and many chats."""

from __future__ import annotations

import concurrent.futures
import json
import time

import pytest
import requests
import websocket

from cxbus_emulator import Emulator

from .guest import Guest, of_type, on_topic


def test_fail_next_answers_429_with_retry_after(emulator: Emulator, guest: Guest) -> None:
    """The next N calls of a path answer 429 with Retry-After, then calls succeed again."""
    emulator.fail_next("*/messages", status=429, count=2, retry_after=3)
    for _ in range(2):
        refused = guest.say("hi")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "3"
        assert refused.json()["status"] == 429
    assert guest.say("hi").status_code == 200


def test_fail_next_answers_5xx(emulator: Emulator, guest: Guest) -> None:
    """A 5xx switch answers the matching call with that status and an ErrorBody."""
    emulator.fail_next(f"*/conversations/{guest.id}/members", status=503)
    assert guest.call("GET", "/members").status_code == 503
    assert guest.call("GET", "/members").status_code == 200


def test_delay_answers_late(emulator: Emulator, guest: Guest) -> None:
    """A delay switch holds the answer of the next matching call."""
    emulator.delay("*/typing", 0.3)
    started = time.monotonic()
    assert guest.call("POST", f"/members/{guest.member_id}/typing").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_cuts_the_socket_without_a_close_frame(emulator: Emulator, guest: Guest) -> None:
    """A dropped socket ends with no close frame, as a network failure does."""
    assert emulator.drop_sockets(guest.id) == 1
    assert guest.socket is not None
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        while True:
            guest.socket.recv()


def test_close_with_notice_sends_socket_closing_then_closes(
    emulator: Emulator, guest: Guest
) -> None:
    """socket_closing is announced before the server closes the socket."""
    emulator.close_with_notice(guest.id)
    frame = guest.frame(on_topic("v2.system.socket_closing"))
    assert frame["eventBody"] == {}
    assert guest.socket is not None
    opcode, _ = guest.socket.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE


def test_a_malformed_frame_is_sent_as_is(emulator: Emulator, guest: Guest) -> None:
    """The malformed-frame switch sends text that is not JSON."""
    emulator.send_malformed_frame(guest.id)
    assert guest.socket is not None
    while True:
        text = guest.socket.recv()
        try:
            json.loads(text)
        except json.JSONDecodeError:
            assert text == "{not json"
            break


def test_the_http_control_api_drives_the_agent_and_faults(emulator: Emulator, guest: Guest) -> None:
    """/emulator/... paths do what the Python methods do."""
    control = f"{emulator.data_url}/emulator"
    joined = requests.post(
        f"{control}/conversations/{guest.id}/agent/join", json={"name": "Sam"}, timeout=5
    )
    assert joined.json()["displayName"] == "Sam"
    requests.post(
        f"{control}/conversations/{guest.id}/agent/send", json={"text": "via http"}, timeout=5
    )
    assert guest.frame(of_type("message"))["eventBody"]["body"] == "via http"
    requests.post(f"{control}/faults", json={"path": "*/typing", "status": 500}, timeout=5)
    assert guest.call("POST", f"/members/{guest.member_id}/typing").status_code == 500
    state = requests.get(f"{control}/conversations/{guest.id}", timeout=5).json()
    assert [m["body"] for m in state["messages"]] == ["via http"] and state["sockets"] == 1
    dropped = requests.post(f"{control}/sockets/drop", json={"conversationId": guest.id}, timeout=5)
    assert dropped.json() == {"dropped": 1}


def test_the_demo_agent_joins_greets_types_answers_and_says_goodbye() -> None:
    """Once routed, the demo agent joins, greets, types before answering, and leaves on bye."""
    with Emulator(agent_join_delay=0.01, agent_typing_delay=0.01) as emulator:
        guest = Guest(emulator, name="Ada")
        guest.frame(
            lambda f: (
                of_type("member-change")(f) and f["eventBody"]["member"]["id"] != guest.member_id
            )
        )
        guest.frame(of_type("typing-indicator"))
        greeting = guest.frame(of_type("message"))["eventBody"]["body"]
        assert greeting.startswith("Hi Ada, I'm Alex.")
        guest.say("what is cxbus?")
        guest.frame(of_type("typing-indicator"))
        answer = guest.frame(
            lambda f: of_type("message")(f) and f["eventBody"]["sender"]["id"] != guest.member_id
        )
        assert answer["eventBody"]["body"] == "You said: what is cxbus?"
        guest.say("bye")
        left = guest.frame(
            lambda f: (
                of_type("member-change")(f) and f["eventBody"]["member"]["state"] == "DISCONNECTED"
            )
        )
        assert left["eventBody"]["member"]["id"] != guest.member_id
        guest.close()


def test_a_hundred_chats_at_once(emulator: Emulator) -> None:
    """100 conversations with attached streams each get their own frames."""
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        guests = list(pool.map(lambda n: Guest(emulator, name=f"guest{n}"), range(100)))
    try:
        for guest in guests:
            emulator.agent_join(guest.id, "Alex")
            emulator.agent_send(guest.id, f"for {guest.id}")
        for guest in guests:
            frame = guest.frame(of_type("message"))
            assert frame["eventBody"]["body"] == f"for {guest.id}"
    finally:
        for guest in guests:
            guest.close()
