"""Web Messaging sessions on the emulator: configure, resume, start anew, close, socket rules."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import websocket

from cxbus_emulator import Emulator
from cxbus_emulator.web_messaging import Deployment

from .messenger import Messenger, of_class, traced


def test_a_new_token_gets_a_new_session_with_the_deployment_s_rules(emulator: Emulator) -> None:
    """configureSession with an unknown token answers SessionResponse newSession:true."""
    guest = Messenger(emulator)
    assert guest.session is not None
    assert guest.session["type"] == "response" and guest.session["code"] == 200
    body = guest.session["body"]
    assert body["connected"] is True and body["newSession"] is True and body["readOnly"] is False
    assert body["maxCustomDataBytes"] == 2048
    assert {"type": "image/png"} in body["allowedMedia"]["inbound"]["fileTypes"]
    assert body["allowedMedia"]["inbound"]["maxFileSizeKB"] == 10240
    assert ".exe" in body["blockedExtensions"]
    assert body["durationSeconds"] == 72 * 3600
    assert body["expirationDate"] == pytest.approx(time.time() + 72 * 3600, abs=60)
    guest.close()


def test_the_same_token_on_a_new_socket_resumes_the_session(emulator: Emulator) -> None:
    """A known token resumes its session: newSession:false, same conversation, its messages."""
    first = Messenger(emulator)
    first.say("before the restart")
    first.close()
    again = Messenger(emulator, first.token)
    assert again.session is not None and again.session["body"]["newSession"] is False
    assert again.session_id == first.session_id
    texts = [m.get("text") for m in emulator.messaging.describe(again.session_id)["messages"]]
    assert texts == ["before the restart"]
    again.close()


def test_start_new_replaces_a_read_only_session(emulator: Emulator, messenger: Messenger) -> None:
    """closeSession then configureSession startNew:true gives the token a new conversation."""
    old = messenger.session_id
    emulator.messaging.agent_disconnect(old, read_only=True)
    closed = messenger.request("closeSession", closeAllConnections=True)
    assert closed["class"] == "SessionResponse"
    assert closed["body"]["connected"] is False and closed["body"]["readOnly"] is True
    fresh = messenger.configure(start_new=True)
    assert fresh["body"]["newSession"] is True and fresh["body"]["readOnly"] is False
    assert messenger.session_id != old
    assert emulator.messaging.describe(old)["state"] == "ended"
    assert emulator.messaging.describe(messenger.session_id)["messages"] == []


def test_start_new_without_close_session_keeps_the_caller_and_closes_the_others(
    emulator: Emulator, messenger: Messenger
) -> None:
    other = Messenger(emulator, messenger.token)
    emulator.messaging.agent_disconnect(messenger.session_id, read_only=True)
    assert messenger.configure(start_new=True)["body"]["newSession"] is True
    assert [f["class"] for f in other.closed()][-1] == "ConnectionClosedEvent"
    assert messenger.say("a new conversation")["class"] == "StructuredMessage"
    assert emulator.messaging.sockets(messenger.session_id) == 1


def test_start_new_on_an_active_session_resumes_it(
    emulator: Emulator, messenger: Messenger
) -> None:
    """Ours: startNew only replaces a read-only session."""
    old = messenger.session_id
    assert messenger.configure(start_new=True)["body"]["newSession"] is False
    assert messenger.session_id == old


def test_close_session_closes_the_other_sockets_of_the_session(emulator: Emulator) -> None:
    """closeAllConnections: the others get ConnectionClosedEvent and close; the caller stays."""
    caller = Messenger(emulator)
    other = Messenger(emulator, caller.token)
    caller.request("closeSession", closeAllConnections=True)
    assert [f["class"] for f in other.closed()] == ["ConnectionClosedEvent"]
    assert emulator.messaging.sockets(caller.session_id) == 0
    # The caller's socket is open, and takes the session again.
    assert caller.configure()["body"]["connected"] is True
    caller.close()


def test_a_fourth_connection_closes_the_oldest(emulator: Emulator) -> None:
    """At most 3 sockets per session: the oldest gets ConnectionClosedEvent with no reason."""
    sockets = [Messenger(emulator)]
    sockets += [Messenger(emulator, sockets[0].token) for _ in range(2)]
    assert emulator.messaging.sockets(sockets[0].session_id) == 3
    fourth = Messenger(emulator, sockets[0].token)
    closed = sockets[0].closed()
    assert closed[-1] == {
        "type": "message",
        "class": "ConnectionClosedEvent",
        "code": 200,
        "body": {},
    }
    assert emulator.messaging.sockets(fourth.session_id) == 3
    for guest in [*sockets[1:], fourth]:
        guest.close()


def test_get_jwt_answers_a_signed_token_that_expires(
    emulator: Emulator, messenger: Messenger
) -> None:
    """getJwt: JwtResponse {jwt, exp}, exp in epoch seconds about a minute ahead (ours)."""
    answer = messenger.request("getJwt")
    assert answer["class"] == "JwtResponse" and answer["type"] == "response"
    assert answer["body"]["jwt"].count(".") == 2
    assert answer["body"]["exp"] == pytest.approx(time.time() + 60, abs=10)


def test_echo_answers_the_health_check_with_the_session_timing(
    emulator: Emulator, messenger: Messenger
) -> None:
    """echo: an Inbound StructuredMessage response with the same tracingId."""
    tracing_id = "SGVhbHRoQ2hlY2tNZXNzYWdlSWQ="
    answer = messenger.request(
        "echo", tracingId=tracing_id, message={"text": "ping", "type": "Text"}
    )
    assert answer["type"] == "response" and answer["class"] == "StructuredMessage"
    assert answer["tracingId"] == tracing_id
    body = answer["body"]
    assert body["text"] == "ping" and body["direction"] == "Inbound" and body["type"] == "Text"
    assert body["metadata"]["durationSeconds"] == str(72 * 3600)
    assert body["metadata"]["expirationDate"].isdigit()
    # A health check is not a message of the conversation.
    assert emulator.messaging.describe(messenger.session_id)["messages"] == []


def test_an_action_before_configure_session_is_refused(emulator: Emulator) -> None:
    guest = Messenger(emulator, configure=False)
    answer = guest.request("getJwt")
    assert answer["class"] == "string" and answer["code"] == 4007
    guest.close()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{not json", 400),
        ("[1, 2]", 400),
        (json.dumps({"token": "t", "tracingId": "x"}), 4020),
        (json.dumps({"token": "t", "tracingId": "x", "action": "fly"}), 400),
        (json.dumps({"tracingId": "x", "action": "getJwt"}), 4020),
        (json.dumps({"token": "t", "tracingId": "x", "action": "resumeToken"}), 400),
    ],
)
def test_a_request_the_server_cannot_do_gets_a_string_error(
    emulator: Emulator, text: str, code: int
) -> None:
    """Not JSON, no action, an unknown action, no token: class string, the code, a sentence."""
    guest = Messenger(emulator, configure=False)
    guest.socket.send(text)
    answer = guest.frame(of_class("string"))
    assert answer["type"] == "response" and answer["code"] == code
    assert isinstance(answer["body"], str) and answer["body"]
    guest.close()


def test_configure_with_another_deployment_is_refused(emulator: Emulator) -> None:
    guest = Messenger(emulator, configure=False)
    answer = guest.request("configureSession", deploymentId="nope", startNew=False)
    assert answer["class"] == "string" and answer["code"] == 400
    guest.close()


def test_an_unknown_or_missing_deployment_id_is_refused_on_the_upgrade(emulator: Emulator) -> None:
    base = emulator.messaging.websocket_url.split("?")[0]
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(f"{base}?deploymentId={uuid.uuid4()}", timeout=5)
    assert refused.value.status_code == 403
    with pytest.raises(websocket.WebSocketBadStatusException) as missing:
        websocket.create_connection(base, timeout=5)
    assert missing.value.status_code == 400


def test_any_origin_and_an_application_label_are_accepted(emulator: Emulator) -> None:
    url = emulator.messaging.websocket_url + "&application=TransportSDK-2.0"
    socket = websocket.create_connection(url, timeout=5, origin="https://shop.example.com")
    socket.send(
        json.dumps(
            {
                "token": str(uuid.uuid4()),
                "deploymentId": emulator.messaging.deployment_id,
                "startNew": False,
                "tracingId": "t",
                "action": "configureSession",
            }
        )
    )
    assert json.loads(socket.recv())["class"] == "SessionResponse"
    socket.close()


def test_a_deployment_restricted_to_origins_refuses_others() -> None:
    allowed = "https://shop.example.com"
    with Emulator(
        demo_agent=False, messaging_deployment=Deployment(allowed_origins=(allowed,))
    ) as emu:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(
                emu.messaging.websocket_url, timeout=5, origin="https://evil.example"
            )
        assert refused.value.status_code == 403
        guest = Messenger(emu, origin=allowed)
        assert guest.session is not None and guest.session["class"] == "SessionResponse"
        guest.close()


def test_a_session_expires_after_its_duration_without_messages() -> None:
    """Expiry: SessionExpiredEvent, the sockets close, and the token then starts anew."""
    with Emulator(
        demo_agent=False, messaging_deployment=Deployment(session_duration_seconds=1)
    ) as emu:
        guest = Messenger(emu)
        expired = guest.closed(timeout=10)
        assert [f["class"] for f in expired] == ["SessionExpiredEvent"]
        again = Messenger(emu, guest.token)
        assert again.session is not None and again.session["body"]["newSession"] is True
        again.close()


def test_configure_session_is_limited_per_session(
    frozen_clock: list[float], emulator: Emulator, messenger: Messenger
) -> None:
    """60 configures a minute per session: then 429 (errorCode 429, as captured) until it passes."""
    # Over two sockets, so that neither reaches its own limit of requests.
    other = Messenger(emulator, messenger.token)
    for guest in (messenger, other):
        for _ in range(29):
            assert guest.configure()["class"] == "SessionResponse"
    refused = other.configure()
    assert refused["class"] == "TooManyRequestsErrorMessage" and refused["code"] == 429
    assert refused["body"]["errorCode"] == 429 and refused["body"]["retryAfter"] == 60
    assert refused["body"]["errorMessage"] == "ConfigureSession rate too high for this session"
    frozen_clock[0] += 60
    assert other.configure()["class"] == "SessionResponse"
    other.close()


def test_requests_are_limited_per_connection(frozen_clock: list[float], emulator: Emulator) -> None:
    """60 requests a minute per socket, every action counted."""
    guest = Messenger(emulator)
    for _ in range(59):
        assert guest.request("getJwt")["class"] == "JwtResponse"
    refused = guest.request("getJwt")
    assert refused["class"] == "TooManyRequestsErrorMessage"
    assert refused["body"]["errorCode"] == 4029
    other = Messenger(emulator, guest.token)
    assert other.request("getJwt")["class"] == "JwtResponse"
    guest.close()
    other.close()


def test_health_checks_are_limited_per_connection(
    frozen_clock: list[float], emulator: Emulator, messenger: Messenger
) -> None:
    """Two echoes a minute per socket."""
    ping = {"text": "ping", "type": "Text"}
    for _ in range(2):
        assert messenger.request("echo", message=ping)["class"] == "StructuredMessage"
    refused = messenger.request("echo", message=ping)
    assert refused["class"] == "TooManyRequestsErrorMessage"
    assert refused["body"]["errorMessage"] == "Health check rate too high for this connection"
    frozen_clock[0] += 60
    assert messenger.request("echo", message=ping)["class"] == "StructuredMessage"


def test_every_answer_carries_the_tracing_id_of_its_request(messenger: Messenger) -> None:
    tracing_id = messenger.send("getJwt", tracingId="mine")
    assert messenger.frame(traced("mine"))["class"] == "JwtResponse"
    assert tracing_id == "mine"
