"""The emulator's event stream: routing on attach, frames, heartbeats, pong, reattach."""

from __future__ import annotations

import json

import pytest
import websocket

from cxbus_emulator import Emulator

from .guest import Guest, of_type, on_topic


def test_attaching_the_stream_routes_the_chat(emulator: Emulator) -> None:
    """A conversation is routed only once its stream is attached: then the guest is CONNECTED."""
    guest = Guest(emulator, attach=False)
    assert not emulator.conversation(guest.id).routed
    guest.attach()
    change = guest.frame(of_type("member-change"))
    assert change["topicName"] == f"v2.conversations.chats.{guest.id}.members"
    assert change["eventBody"]["member"] == {"id": guest.member_id, "state": "CONNECTED"}
    assert emulator.conversation(guest.id).routed
    guest.close()


def test_message_frames_carry_the_sender_id_only(emulator: Emulator, guest: Guest) -> None:
    """An agent's message arrives as a message frame, the sender by id."""
    agent_id = emulator.agent_join(guest.id, "Alex")
    emulator.agent_send(guest.id, "Hello!")
    frame = guest.frame(of_type("message"))
    assert frame["version"] == "2" and "CorrelationId" in frame["metadata"]
    body = frame["eventBody"]
    assert body["sender"] == {"id": agent_id} and body["body"] == "Hello!"
    assert body["bodyType"] == "standard" and body["conversation"] == {"id": guest.id}


def test_the_guests_own_messages_are_echoed(guest: Guest) -> None:
    """What the guest posts comes back on its stream."""
    guest.say("echo me")
    frame = guest.frame(of_type("message"))
    assert frame["eventBody"]["sender"]["id"] == guest.member_id


def test_typing_frames(emulator: Emulator, guest: Guest) -> None:
    """An agent typing arrives as a typing-indicator frame."""
    agent_id = emulator.agent_join(guest.id, "Alex")
    emulator.agent_typing(guest.id)
    frame = guest.frame(of_type("typing-indicator"))
    assert frame["eventBody"]["sender"] == {"id": agent_id}


def test_member_change_frames_for_agents_joining_and_leaving(
    emulator: Emulator, guest: Guest
) -> None:
    """Agents joining and leaving arrive as member-change frames with their state."""
    agent_id = emulator.agent_join(guest.id, "Alex")
    emulator.agent_leave(guest.id)
    states = [
        guest.frame(
            lambda f: of_type("member-change")(f) and f["eventBody"]["member"]["id"] == agent_id
        )["eventBody"]["member"]["state"]
        for _ in range(2)
    ]
    assert states == ["CONNECTED", "DISCONNECTED"]


def test_heartbeats_arrive(guest: Guest) -> None:
    """A channel.metadata heartbeat arrives every heartbeat interval."""
    frame = guest.frame(on_topic("channel.metadata"))
    assert frame["eventBody"] == {"message": "WebSocket Heartbeat"}


def test_ping_is_answered_with_pong(guest: Guest) -> None:
    """A {"message": "ping"} text frame is answered with a pong frame."""
    assert guest.socket is not None
    guest.socket.send(json.dumps({"message": "ping"}))
    guest.frame(lambda f: f["eventBody"] == {"message": "pong"})


def test_the_same_stream_can_be_reattached_after_a_drop(emulator: Emulator, guest: Guest) -> None:
    """After a drop, the same eventStreamUri attaches again and frames flow."""
    assert emulator.drop_sockets(guest.id) == 1
    guest.attach()
    emulator.agent_join(guest.id, "Alex")
    guest.frame(of_type("member-change"))
    assert emulator.sockets(guest.id) == 1


def test_an_unknown_stream_is_refused(emulator: Emulator) -> None:
    """A stream id the emulator never handed out is refused with 404."""
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(
            emulator.data_url.replace("http", "ws") + "/stream/channels/nope", timeout=5
        )
    assert refused.value.status_code == 404
