"""Each Web Messaging fault switch of the emulator, from Python and over HTTP."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

import pytest
import requests
import websocket

from cxbus_emulator import Emulator

from .messenger import Messenger, of_class, outbound


def connect(emulator: Emulator) -> websocket.WebSocket:
    return websocket.create_connection(emulator.messaging.websocket_url, timeout=5)


def refused_with(emulator: Emulator) -> int:
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        connect(emulator)
    return int(refused.value.status_code)


def test_drop_sockets_cuts_them_without_a_close_frame(
    emulator: Emulator, messenger: Messenger
) -> None:
    assert emulator.messaging.drop_sockets(messenger.session_id) == 1
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        while True:
            messenger.socket.recv()
    assert emulator.messaging.sockets(messenger.session_id) == 0
    # The session outlives its sockets: the token resumes it.
    again = Messenger(emulator, messenger.token)
    assert again.session is not None and again.session["body"]["newSession"] is False
    again.close()


def test_drop_sockets_without_a_session_cuts_every_socket(emulator: Emulator) -> None:
    guests = [Messenger(emulator), Messenger(emulator), Messenger(emulator, configure=False)]
    assert emulator.messaging.drop_sockets() >= 3
    for guest in guests:
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            guest.socket.recv()


def test_refuse_connections_refuses_the_next_ones_by_count(emulator: Emulator) -> None:
    emulator.messaging.refuse_connections(count=2)
    assert [refused_with(emulator), refused_with(emulator)] == [503, 503]
    connect(emulator).close()


def test_refuse_connections_for_a_while(frozen_clock: list[float], emulator: Emulator) -> None:
    emulator.messaging.refuse_connections(seconds=30, status=502)
    assert refused_with(emulator) == 502
    frozen_clock[0] += 29
    assert refused_with(emulator) == 502
    frozen_clock[0] += 1
    connect(emulator).close()


def test_refuse_connections_until_allowed(emulator: Emulator) -> None:
    emulator.messaging.refuse_connections(status=403)
    assert refused_with(emulator) == 403
    assert refused_with(emulator) == 403
    emulator.messaging.allow_connections()
    connect(emulator).close()


def test_fail_action_answers_429_too_many_requests(
    emulator: Emulator, messenger: Messenger
) -> None:
    emulator.messaging.fail_action("onMessage", count=2, retry_after=7)
    for _ in range(2):
        refused = messenger.say("hi")
        assert refused["class"] == "TooManyRequestsErrorMessage" and refused["code"] == 429
        assert refused["body"]["retryAfter"] == 7 and refused["body"]["errorCode"] == 4029
    assert messenger.say("hi")["class"] == "StructuredMessage"
    # The refused messages were not kept.
    assert len(emulator.messaging.describe(messenger.session_id)["messages"]) == 1


def test_fail_action_with_another_code_answers_a_string_error(
    emulator: Emulator, messenger: Messenger
) -> None:
    emulator.messaging.fail_action("getJwt", code=503)
    refused = messenger.request("getJwt")
    assert refused["class"] == "string" and refused["code"] == 503
    assert messenger.request("getJwt")["class"] == "JwtResponse"


def test_fail_rest_answers_history_and_config_with_an_error(
    emulator: Emulator, messenger: Messenger
) -> None:
    jwt = messenger.request("getJwt")["body"]["jwt"]
    history = f"{emulator.data_url}/api/v2/webmessaging/messages"
    headers = {"Authorization": f"bearer {jwt}"}
    emulator.messaging.fail_rest("*/messages", status=503, count=2, retry_after=2)
    for _ in range(2):
        failed = requests.get(history, headers=headers, timeout=5)
        assert failed.status_code == 503 and failed.headers["Retry-After"] == "2"
        assert failed.json()["status"] == 503
    assert requests.get(history, headers=headers, timeout=5).status_code == 200
    emulator.messaging.fail_rest("*/config.json", status=500)
    deployment = emulator.messaging.deployment_id
    config = f"{emulator.data_url}/webdeployments/v1/deployments/{deployment}/config.json"
    assert requests.get(config, timeout=5).status_code == 500
    assert requests.get(config, timeout=5).status_code == 200


def test_fail_rest_with_a_delay_answers_late(emulator: Emulator) -> None:
    deployment = emulator.messaging.deployment_id
    config = f"{emulator.data_url}/webdeployments/v1/deployments/{deployment}/config.json"
    emulator.messaging.fail_rest("*/config.json", status=None, delay=0.3)
    started = time.monotonic()
    assert requests.get(config, timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fail_rest_on_uploads_leaves_the_file_to_upload_again(
    messenger: Messenger, emulator: Emulator
) -> None:
    body = messenger.request(
        "onAttachment", attachmentId="f1", fileName="a.txt", fileType="text/plain", fileSize=2
    )["body"]
    emulator.messaging.fail_rest("/emulator/messaging/uploads/*", status=503)
    assert (
        requests.put(body["url"], data=b"ok", headers=body["headers"], timeout=5).status_code == 503
    )
    assert (
        requests.put(body["url"], data=b"ok", headers=body["headers"], timeout=5).status_code == 200
    )
    assert messenger.frame(of_class("UploadSuccessEvent"))["body"]["attachmentId"] == "f1"


def test_a_guest_chat_fault_does_not_touch_web_messaging(
    emulator: Emulator, messenger: Messenger
) -> None:
    """Each API has its own switches."""
    emulator.fail_next("*", status=500)
    jwt = messenger.request("getJwt")["body"]["jwt"]
    history = requests.get(
        f"{emulator.data_url}/api/v2/webmessaging/messages",
        headers={"Authorization": f"bearer {jwt}"},
        timeout=5,
    )
    assert history.status_code == 200


def test_a_malformed_frame_is_sent_as_is(emulator: Emulator, messenger: Messenger) -> None:
    emulator.messaging.send_malformed_frame(messenger.session_id)
    assert messenger.socket.recv() == "{not json"
    emulator.messaging.send_malformed_frame(messenger.session_id, '{"type": "message"}')
    assert json.loads(messenger.socket.recv()) == {"type": "message"}


def test_out_of_order_delivery_holds_messages_then_sends_them_newest_first(
    emulator: Emulator, messenger: Messenger
) -> None:
    emulator.messaging.deliver_out_of_order(messenger.session_id, count=3)
    sent = [emulator.messaging.agent_send(messenger.session_id, f"part {n}") for n in range(3)]
    received = [messenger.frame(outbound("Text"))["body"] for _ in range(3)]
    assert [m["id"] for m in received] == sent[::-1]
    # channel.time puts them back in the order they were sent.
    by_time = sorted(
        received, key=lambda m: datetime.datetime.fromisoformat(m["channel"]["time"][:-1])
    )
    assert [m["id"] for m in by_time] == sent
    # Then delivery is in order again.
    after = emulator.messaging.agent_send(messenger.session_id, "in order")
    assert messenger.frame(outbound("Text"))["body"]["id"] == after


def test_expire_session_sends_session_expired_and_closes(
    emulator: Emulator, messenger: Messenger
) -> None:
    old = messenger.session_id
    emulator.messaging.expire_session(old)
    assert messenger.closed() == [
        {"type": "message", "class": "SessionExpiredEvent", "code": 200, "body": {}}
    ]
    again = Messenger(emulator, messenger.token)
    assert again.session is not None and again.session["body"]["newSession"] is True
    assert again.session_id != old
    again.close()


def test_disable_clear_refuses_clear_whatever_the_deployment_says(
    emulator: Emulator, messenger: Messenger
) -> None:
    emulator.messaging.disable_clear()
    messenger.event({"eventType": "Presence", "presence": {"type": "Clear"}})
    refused = messenger.frame(of_class("string"))
    assert refused["code"] == 403
    emulator.messaging.clear_faults()
    messenger.event({"eventType": "Presence", "presence": {"type": "Clear"}})
    assert messenger.frame(of_class("SessionClearedEvent"))["body"] == {}


def test_signed_in_elsewhere_and_log_out_close_with_their_frames(emulator: Emulator) -> None:
    first, second = Messenger(emulator), Messenger(emulator)
    emulator.messaging.signed_in_elsewhere(first.session_id)
    emulator.messaging.log_out(second.session_id)
    assert first.closed()[-1]["body"] == {"reason": "signedIn"}
    assert second.closed()[-1]["class"] == "LogoutEvent"


def control(emulator: Emulator, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(
        method, f"{emulator.data_url}/emulator/messaging{path}", json=body, timeout=5
    )


def test_the_http_control_api_drives_the_agent(emulator: Emulator, messenger: Messenger) -> None:
    sid = messenger.session_id
    assert sid in control(emulator, "GET", "/sessions").json()["sessions"]
    sent = control(emulator, "POST", f"/sessions/{sid}/agent/send", {"text": "hello"}).json()
    assert messenger.frame(outbound("Text"))["body"]["id"] == sent["id"]
    control(emulator, "POST", f"/sessions/{sid}/agent/send", {"text": "hi", "sender": "Sam"})
    assert messenger.frame(outbound("Text"))["body"]["channel"]["from"] == {"nickname": "Sam"}
    burst = control(emulator, "POST", f"/sessions/{sid}/agent/send-many", {"texts": ["a", "b"]})
    ids = [messenger.frame(outbound("Text"))["body"]["id"] for _ in range(2)]
    assert burst.json() == {"ids": ids}
    control(emulator, "POST", f"/sessions/{sid}/agent/typing", {"durationMs": 3000})
    typing = messenger.frame(outbound("Event"))["body"]["events"][0]
    assert typing == {"eventType": "Typing", "typing": {"type": "On", "duration": 3000}}
    control(
        emulator,
        "POST",
        f"/sessions/{sid}/agent/quick-replies",
        {"text": "?", "choices": ["Yes", "No"]},
    )
    replies = messenger.frame(outbound("Structured"))["body"]["content"]
    assert [r["quickReply"]["payload"] for r in replies] == ["YES", "NO"]
    control(emulator, "POST", f"/sessions/{sid}/agent/card", {"text": "a card"})
    assert messenger.frame(outbound("Structured"))["body"]["content"][0]["contentType"] == "Card"
    content = [{"contentType": "DatePicker", "datePicker": {"title": "When?"}}]
    control(emulator, "POST", f"/sessions/{sid}/agent/content", {"content": content})
    assert messenger.frame(outbound("Structured"))["body"]["content"] == content
    control(
        emulator,
        "POST",
        f"/sessions/{sid}/agent/file",
        {"name": "a.txt", "mime": "text/plain", "base64": "aGk="},
    )
    url = messenger.frame(outbound("Text"))["body"]["content"][0]["attachment"]["url"]
    assert requests.get(url, timeout=5).content == b"hi"
    control(emulator, "POST", f"/sessions/{sid}/agent/disconnect", {"readOnly": True})
    assert messenger.frame(outbound("Event"))["body"]["metadata"] == {"readOnly": "true"}
    state = control(emulator, "GET", f"/sessions/{sid}").json()
    assert state["state"] == "read-only" and len(state["messages"]) == 9
    assert "token" not in json.dumps(state)
    control(emulator, "POST", f"/sessions/{sid}/agent/clear")
    assert [f["class"] for f in messenger.closed()] == [
        "SessionClearedEvent",
        "ConnectionClosedEvent",
    ]


def test_the_http_control_api_arms_the_fault_switches(
    emulator: Emulator, messenger: Messenger
) -> None:
    sid = messenger.session_id
    control(emulator, "POST", "/faults/action", {"action": "getJwt", "retryAfter": 4})
    assert messenger.request("getJwt")["body"]["retryAfter"] == 4
    control(emulator, "POST", "/faults/clear-disabled")
    messenger.event({"eventType": "Presence", "presence": {"type": "Clear"}})
    assert messenger.frame(of_class("string"))["code"] == 403
    control(emulator, "POST", "/faults/rest", {"path": "*/config.json", "status": 502})
    deployment = emulator.messaging.deployment_id
    config = f"{emulator.data_url}/webdeployments/v1/deployments/{deployment}/config.json"
    assert requests.get(config, timeout=5).status_code == 502
    control(emulator, "POST", f"/sessions/{sid}/out-of-order", {"count": 2})
    first = emulator.messaging.agent_send(sid, "1")
    second = emulator.messaging.agent_send(sid, "2")
    assert [messenger.frame(outbound("Text"))["body"]["id"] for _ in range(2)] == [second, first]
    control(emulator, "POST", f"/sessions/{sid}/malformed-frame", {"text": "<html>"})
    assert messenger.socket.recv() == "<html>"
    control(emulator, "POST", "/faults/refuse-connections", {"count": 1})
    assert refused_with(emulator) == 503
    control(emulator, "POST", "/faults/refuse-connections", {})
    assert refused_with(emulator) == 503
    control(emulator, "POST", "/faults/allow-connections")
    connect(emulator).close()
    assert control(emulator, "POST", "/sockets/drop", {"sessionId": sid}).json() == {"dropped": 1}
    other = Messenger(emulator)
    control(emulator, "POST", f"/sessions/{other.session_id}/expire")
    assert other.closed()[-1]["class"] == "SessionExpiredEvent"
    control(emulator, "POST", "/faults/clear-disabled")
    assert control(emulator, "DELETE", "/faults").status_code == 200
    assert emulator.messaging_server.faults.clear_disabled is False


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/sessions/nope", None, 404),
        ("POST", "/sessions/nope/agent/send", {"text": "x"}, 404),
        ("POST", "/sockets/drop", {"sessionId": "nope"}, 404),
        ("POST", "/faults/teleport", {}, 404),
        ("POST", "/faults/action", {}, 400),
        ("POST", "/faults/action", {"action": "getJwt", "count": "2"}, 400),
        ("POST", "/faults/refuse-connections", {"seconds": "soon"}, 400),
        ("POST", "/faults/rest", {"path": "*", "delay": None}, 400),
    ],
)
def test_the_http_control_api_says_what_is_wrong(
    emulator: Emulator, method: str, path: str, body: Any, status: int
) -> None:
    answer = control(emulator, method, path, body)
    assert answer.status_code == status and answer.json()["message"]


def test_the_http_control_api_refuses_an_unknown_agent_action(
    emulator: Emulator, messenger: Messenger
) -> None:
    answer = control(emulator, "POST", f"/sessions/{messenger.session_id}/agent/dance", {})
    assert answer.status_code == 404
    empty = control(emulator, "POST", f"/sessions/{messenger.session_id}/agent/send", {})
    assert empty.status_code == 400 and "text" in empty.json()["message"]
