"""The emulator's event stream: routing on attach, members, frames, heartbeats, pong, tokens."""

from __future__ import annotations

import json
import time

import jwt
import pytest
import requests
import websocket

from cxbus_emulator import Emulator

from .guest import Guest, change_of, is_chat, of_type, on_topic, said, shape, wait_until


def test_attaching_the_stream_routes_the_chat_into_the_queue(emulator: Emulator) -> None:
    """Routed once attached: the guest joins, then an ACD member holds the chat in queue;
    each join comes as a member-change and as a member-join message from that member."""
    guest = Guest(emulator, attach=False)
    assert not emulator.conversation(guest.id).routed
    guest.attach()
    frames = guest.chat_frames(4)
    acd = frames[2]["eventBody"]["member"]["id"]
    assert [shape(f) for f in frames] == [
        ("member-change", guest.member_id, "CONNECTED"),
        ("message", guest.member_id, "member-join"),
        ("member-change", acd, "CONNECTED"),
        ("message", acd, "member-join"),
    ]
    assert frames[0]["topicName"] == f"v2.conversations.chats.{guest.id}.members"
    assert frames[0]["eventBody"]["member"] == {"id": guest.member_id, "state": "CONNECTED"}
    assert guest.member(acd)["role"] == "ACD" and guest.member(acd)["displayName"] == "Support"
    assert emulator.conversation(guest.id).routed
    guest.close()


def test_member_change_frames_carry_their_timestamp(guest: Guest) -> None:
    """Like the captured frames: eventBody has member, conversation and timestamp."""
    body = guest.frame(of_type("member-change"))["eventBody"]
    assert set(body) == {"member", "conversation", "timestamp"}
    assert body["timestamp"].endswith("Z") and body["conversation"] == {"id": guest.id}


def test_an_agent_is_alerting_before_connected_and_the_acd_member_then_leaves(
    emulator: Emulator, guest: Guest
) -> None:
    """ALERTING (a member-change only), CONNECTED (and member-join), then the ACD leaves."""
    acd = guest.frame(lambda f: of_type("member-change")(f) and shape(f)[1] != guest.member_id)
    acd_id = acd["eventBody"]["member"]["id"]
    guest.frame(of_type("message"))  # the ACD member's member-join
    agent_id = emulator.agent_alert(guest.id, "Alex")
    assert [shape(f) for f in guest.chat_frames(1)] == [("member-change", agent_id, "ALERTING")]
    assert guest.member(agent_id)["state"] == "ALERTING"
    assert emulator.agent_join(guest.id, "ignored: the alerting agent answers") == agent_id
    assert [shape(f) for f in guest.chat_frames(4)] == [
        ("member-change", agent_id, "CONNECTED"),
        ("message", agent_id, "member-join"),
        ("member-change", acd_id, "DISCONNECTED"),
        ("message", acd_id, "member-leave"),
    ]
    assert guest.member(agent_id)["displayName"] == "Alex"


def test_agent_join_alone_alerts_then_connects(emulator: Emulator, guest: Guest) -> None:
    """agent_join with no agent alerting alerts a new one first."""
    agent_id = emulator.agent_join(guest.id, "Alex")
    guest.frame(change_of(agent_id, "ALERTING"))
    guest.frame(change_of(agent_id, "CONNECTED"))


def test_a_workflow_member_comes_and_goes_before_the_queue(emulator: Emulator) -> None:
    """With workflow_member on, a flow's WORKFLOW member joins and leaves before the ACD."""
    emulator.configure(workflow_member=True)
    guest = Guest(emulator)
    frames = [shape(f) for f in guest.chat_frames(8) if of_type("member-change")(f)]
    flow, acd = frames[1][1], frames[3][1]
    assert frames == [
        ("member-change", guest.member_id, "CONNECTED"),
        ("member-change", flow, "CONNECTED"),
        ("member-change", flow, "DISCONNECTED"),
        ("member-change", acd, "CONNECTED"),
    ]
    assert guest.member(flow)["role"] == "WORKFLOW"
    guest.close()


def test_without_join_messages_joins_come_once(emulator: Emulator) -> None:
    """join_messages off (a compatibility switch): member-change frames only, and no
    member-join in the history."""
    emulator.configure(join_messages=False)
    guest = Guest(emulator)
    agent_id = emulator.agent_join(guest.id, "Alex")
    emulator.agent_send(guest.id, "Hello!")
    kinds = []
    while not kinds or kinds[-1] != ("message", agent_id, "standard"):
        kinds.append(shape(guest.frame(is_chat)))
    assert [k for k in kinds if k[0] == "message"] == [("message", agent_id, "standard")]
    assert [m["bodyType"] for m in guest.history()] == ["standard"]
    guest.close()


def test_the_message_can_come_before_its_member_change(emulator: Emulator) -> None:
    """member_message_first: the member-join message first, then its member-change."""
    emulator.configure(member_message_first=True)
    guest = Guest(emulator)
    assert [shape(f) for f in guest.chat_frames(2)] == [
        ("message", guest.member_id, "member-join"),
        ("member-change", guest.member_id, "CONNECTED"),
    ]
    guest.close()


def test_message_frames_carry_the_sender_id_only(emulator: Emulator, guest: Guest) -> None:
    """An agent's message arrives as a message frame, the sender by id."""
    agent_id = emulator.agent_join(guest.id, "Alex")
    emulator.agent_send(guest.id, "Hello!")
    frame = guest.frame(said)
    assert frame["version"] == "2" and "CorrelationId" in frame["metadata"]
    body = frame["eventBody"]
    assert body["sender"] == {"id": agent_id} and body["body"] == "Hello!"
    assert body["bodyType"] == "standard" and body["conversation"] == {"id": guest.id}


def test_join_messages_have_an_empty_body(guest: Guest) -> None:
    """A member-join message says nothing itself: its sender is who joined."""
    joined = guest.frame(of_type("message"))["eventBody"]
    assert (joined["bodyType"], joined["body"]) == ("member-join", "")


def test_the_guests_own_messages_are_echoed(guest: Guest) -> None:
    """What the guest posts comes back on its stream."""
    guest.say("echo me")
    frame = guest.frame(said)
    assert frame["eventBody"]["sender"]["id"] == guest.member_id


def test_typing_frames(emulator: Emulator, guest: Guest) -> None:
    """An agent typing arrives as a typing-indicator frame."""
    agent_id = emulator.agent_join(guest.id, "Alex")
    emulator.agent_typing(guest.id)
    frame = guest.frame(of_type("typing-indicator"))
    assert frame["eventBody"]["sender"] == {"id": agent_id}


def test_heartbeats_arrive(guest: Guest) -> None:
    """A channel.metadata heartbeat arrives every heartbeat interval."""
    frame = guest.frame(on_topic("channel.metadata"))
    assert frame["eventBody"] == {"message": "WebSocket Heartbeat"}


def test_ping_is_answered_with_pong(guest: Guest) -> None:
    """A {"message": "ping"} text frame is answered with a pong frame."""
    assert guest.socket is not None
    guest.socket.send(json.dumps({"message": "ping"}))
    guest.frame(lambda f: f["eventBody"] == {"message": "pong"})


def test_the_event_stream_uri_carries_the_jwt(emulator: Emulator) -> None:
    """eventStreamUri is ws://host:port/v1/token/<jwt>, as Genesys's wss://.../v1/token/<jwt>."""
    guest = Guest(emulator, attach=False)
    port = emulator.data_url.rsplit(":", 1)[1]
    assert guest.created["eventStreamUri"] == (
        f"ws://127.0.0.1:{port}/v1/token/{guest.created['jwt']}"
    )


def test_the_same_stream_can_be_reattached_after_a_drop(emulator: Emulator, guest: Guest) -> None:
    """After a drop, the same eventStreamUri attaches again and frames flow."""
    assert emulator.drop_sockets(guest.id) == 1
    guest.attach()
    agent_id = emulator.agent_join(guest.id, "Alex")
    guest.frame(change_of(agent_id))
    assert emulator.sockets(guest.id) == 1


def refusal(uri: str) -> int:
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(uri, timeout=5)
    return int(refused.value.status_code)


def test_an_unknown_or_forged_token_is_refused_with_401(emulator: Emulator) -> None:
    """A stream path whose token the emulator did not sign is refused."""
    base = emulator.data_url.replace("http", "ws")
    assert refusal(f"{base}/v1/token/nope") == 401
    forged = jwt.encode({"conv": "x", "mem": "y"}, "another key" * 4, algorithm="HS256")
    assert refusal(f"{base}/v1/token/{forged}") == 401


def test_expired_tokens_are_refused_on_reattach_and_over_rest(
    emulator: Emulator, guest: Guest
) -> None:
    """expire_tokens: the attached socket stays, but a reattach and REST calls get 401."""
    emulator.expire_tokens(guest.id)
    assert refusal(guest.created["eventStreamUri"]) == 401
    refused = guest.call("GET", "/messages")
    assert refused.status_code == 401 and refused.json()["message"] == "The token has expired."
    assert emulator.sockets(guest.id) == 1


def test_tokens_expire_after_their_lifetime(emulator: Emulator) -> None:
    """token_lifetime: the JWT's exp is that many seconds on (rounded up to the second),
    and calls and attaches are refused once it has passed."""
    emulator.configure(token_lifetime=1)
    before = time.time()
    guest = Guest(emulator, attach=False)
    after = time.time()
    expires = jwt.decode(guest.created["jwt"], options={"verify_signature": False})["exp"]
    assert before + 1 <= expires <= after + 2
    wait_until(lambda: guest.call("GET", "/messages").status_code == 401, timeout=10)
    assert refusal(guest.created["eventStreamUri"]) == 401


def test_the_stream_of_an_ended_chat_is_gone(emulator: Emulator, guest: Guest) -> None:
    """Once the chat is over, its stream is refused with 404 (our choice)."""
    emulator.end_conversation(guest.id)
    assert refusal(guest.created["eventStreamUri"]) == 404


def test_the_http_control_expires_tokens(emulator: Emulator, guest: Guest) -> None:
    """POST /emulator/conversations/{id}/tokens/expire does what expire_tokens does."""
    control = f"{emulator.data_url}/emulator/conversations/{guest.id}/tokens/expire"
    assert requests.post(control, timeout=5).status_code == 200
    assert guest.call("GET", "/members").status_code == 401
