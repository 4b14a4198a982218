"""Each fault switch of the emulator, its HTTP control API, its demo agent, and many chats."""

from __future__ import annotations

import concurrent.futures
import json
import time

import pytest
import requests
import websocket

from cxbus_emulator import Emulator

from .guest import Guest, change_of, of_type, on_topic, said, shape


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


def test_socket_closing_carries_the_reference_s_fields(emulator: Emulator, guest: Guest) -> None:
    """The notice's eventBody has channelId, systemTopicType, correlationId, reason,
    message and data (the values are ours)."""
    assert emulator.close_with_notice(guest.id) == 1
    body = guest.frame(on_topic("v2.system.socket_closing"))["eventBody"]
    assert set(body) == {
        "channelId",
        "systemTopicType",
        "correlationId",
        "reason",
        "message",
        "data",
    }
    assert body["systemTopicType"] == "socket_closing"


def closed(socket: websocket.WebSocket) -> bool:
    """Read until the server's close frame (True), or the read times out (False)."""
    socket.settimeout(5)
    try:
        while True:
            opcode, _ = socket.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return True
    except websocket.WebSocketTimeoutException:
        return False


def test_a_noticed_socket_closes_after_the_delay(emulator: Emulator, guest: Guest) -> None:
    """With no reattach, the server closes the socket socket_closing_delay after the notice."""
    emulator.configure(socket_closing_delay=0.2)
    emulator.close_with_notice(guest.id)
    guest.frame(on_topic("v2.system.socket_closing"))
    assert guest.socket is not None and closed(guest.socket)


def test_a_reattach_closes_the_noticed_socket_at_once(emulator: Emulator, guest: Guest) -> None:
    """The client reattaches first (the delay is a minute): the old socket closes then,
    and the guest never counts as away."""
    emulator.close_with_notice(guest.id)
    guest.frame(on_topic("v2.system.socket_closing"))
    old = guest.socket
    guest.attach()
    assert old is not None and closed(old)
    assert emulator.sockets(guest.id) == 1
    assert guest.member()["state"] == "CONNECTED"


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
    assert guest.frame(said)["eventBody"]["body"] == "via http"
    requests.post(f"{control}/faults", json={"path": "*/typing", "status": 500}, timeout=5)
    assert guest.call("POST", f"/members/{guest.member_id}/typing").status_code == 500
    state = requests.get(f"{control}/conversations/{guest.id}", timeout=5).json()
    assert [m["body"] for m in state["messages"] if m["bodyType"] == "standard"] == ["via http"]
    assert state["sockets"] == 1 and state["phase"] == "ACTIVE"
    noticed = requests.post(
        f"{control}/sockets/close-notice", json={"conversationId": guest.id}, timeout=5
    )
    assert noticed.json() == {"noticed": 1}
    dropped = requests.post(f"{control}/sockets/drop", json={"conversationId": guest.id}, timeout=5)
    assert dropped.json() == {"dropped": 1}


def test_the_http_control_alerts_leaves_and_ends(emulator: Emulator, guest: Guest) -> None:
    """agent/alert, agent/join, agent/leave and agent/end over HTTP."""
    control = f"{emulator.data_url}/emulator/conversations/{guest.id}/agent"
    alerted = requests.post(f"{control}/alert", json={"name": "Sam"}, timeout=5).json()
    assert alerted["state"] == "ALERTING"
    joined = requests.post(f"{control}/join", timeout=5).json()
    assert (joined["id"], joined["state"]) == (alerted["id"], "CONNECTED")
    emulator.configure(agent_leave_ends_chat=False)
    assert requests.post(f"{control}/leave", timeout=5).status_code == 200
    assert not emulator.conversation(guest.id).ended
    assert requests.post(f"{control}/end", timeout=5).status_code == 200
    assert emulator.conversation(guest.id).ended
    refused = requests.post(f"{control}/join", timeout=5)
    assert refused.status_code == 409 and refused.json()["message"] == "The conversation has ended."


def test_switches_are_read_and_changed_over_http(emulator: Emulator) -> None:
    """GET /emulator/settings shows every switch; PATCH changes some, by camelCase name."""
    settings = f"{emulator.data_url}/emulator/settings"
    shown = requests.get(settings, timeout=5).json()
    assert shown["joinMessages"] is True and shown["guestIdleLimit"] == 900.0
    changed = requests.patch(
        settings, json={"joinMessages": False, "socketClosingDelay": 5}, timeout=5
    ).json()
    assert changed["joinMessages"] is False and changed["socketClosingDelay"] == 5
    assert emulator.settings.join_messages is False


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"joinMesages": False}, "No emulator switch joinMesages; the switches are joinMessages"),
        ({"guestIdleLimit": 0}, "The emulator switch guest_idle_limit must be a number of "),
        ({"workflowMember": "yes"}, "The emulator switch workflow_member must be true or false"),
    ],
)
def test_a_bad_switch_is_refused_naming_it(
    emulator: Emulator, change: dict[str, object], sentence: str
) -> None:
    """Over HTTP a 400 whose message names the switch; from Python a ValueError."""
    answer = requests.patch(f"{emulator.data_url}/emulator/settings", json=change, timeout=5)
    assert answer.status_code == 400 and answer.json()["message"].startswith(sentence)
    with pytest.raises(ValueError, match="switch"):
        emulator.configure(**{_snake(name): value for name, value in change.items()})
    assert emulator.settings.join_messages is True


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def test_switches_can_be_given_to_the_constructor() -> None:
    """Emulator(...) takes every switch by name, and refuses an unknown one."""
    with Emulator(demo_agent=False, join_messages=False, guest_idle_limit=1) as emulator:
        assert emulator.settings.join_messages is False
        assert emulator.settings.guest_idle_limit == 1
    with pytest.raises(ValueError, match="No emulator switch joinmessages"):
        Emulator(joinmessages=False)


def test_the_demo_agent_joins_greets_types_answers_and_says_goodbye() -> None:
    """Once routed, the demo agent joins, greets, types before answering, and leaves on bye."""
    with Emulator(agent_join_delay=0.01, agent_typing_delay=0.01) as emulator:
        guest = Guest(emulator, name="Ada")
        guest.frame(lambda f: of_type("member-change")(f) and shape(f)[2] == "ALERTING")
        guest.frame(of_type("typing-indicator"))
        greeting = guest.frame(said)["eventBody"]["body"]
        assert greeting.startswith("Hi Ada, I'm Alex.")
        guest.say("what is cxbus?")
        guest.frame(of_type("typing-indicator"))
        answer = guest.frame(
            lambda f: said(f) and f["eventBody"]["sender"]["id"] != guest.member_id
        )
        assert answer["eventBody"]["body"] == "You said: what is cxbus?"
        guest.say("bye")
        agent_id = answer["eventBody"]["sender"]["id"]
        guest.frame(change_of(agent_id, "DISCONNECTED"))
        guest.frame(change_of(guest.member_id, "DISCONNECTED"))  # the agent's leaving ends it
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
            frame = guest.frame(said)
            assert frame["eventBody"]["body"] == f"for {guest.id}"
    finally:
        for guest in guests:
            guest.close()
