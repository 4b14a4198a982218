"""Web Messaging messages on the emulator: onMessage of every kind, its limits, history, config."""

from __future__ import annotations

import datetime

import pytest
import requests

from cxbus_emulator import Emulator

from .messenger import Messenger, of_class, outbound, traced

TYPING = {"eventType": "Typing", "typing": {"type": "On"}}


def presence(kind: str) -> dict[str, object]:
    return {"eventType": "Presence", "presence": {"type": kind}}


def test_a_text_message_is_echoed_inbound_with_its_tracing_id(
    emulator: Emulator, messenger: Messenger
) -> None:
    echo = messenger.say("Hello world!")
    assert echo["type"] == "message" and echo["class"] == "StructuredMessage"
    body = echo["body"]
    assert body["text"] == "Hello world!" and body["type"] == "Text"
    assert body["direction"] == "Inbound" and len(body["id"]) == 32
    assert body["channel"]["messageId"]
    assert datetime.datetime.fromisoformat(body["channel"]["time"].replace("Z", "+00:00"))
    assert emulator.messaging.describe(messenger.session_id)["started"] is True


def test_the_echo_reaches_every_socket_of_the_session(
    emulator: Emulator, messenger: Messenger
) -> None:
    other = Messenger(emulator, messenger.token)
    echo = messenger.say("seen twice")
    assert other.frame(of_class("StructuredMessage")) == echo
    other.close()


def test_a_structured_button_response_is_echoed_with_its_content(messenger: Messenger) -> None:
    """The reply to a quick reply: Structured, the label as text, ButtonResponse content."""
    pressed = {"text": "Red", "payload": "RED", "type": "QuickReply"}
    echo = messenger.request(
        "onMessage",
        message={
            "type": "Structured",
            "text": "Red",
            "content": [{"contentType": "ButtonResponse", "buttonResponse": pressed}],
            "metadata": {"parentMessageId": "m1"},
        },
    )
    assert echo["body"]["type"] == "Structured"
    assert echo["body"]["content"] == [{"contentType": "ButtonResponse", "buttonResponse": pressed}]
    assert echo["body"]["metadata"] == {
        "parentMessageId": "m1",
        "correlationId": echo["tracingId"],
    }


@pytest.mark.parametrize("where", ["message", "request"])
def test_custom_attributes_are_kept_from_inside_or_beside_the_message(
    emulator: Emulator, messenger: Messenger, where: str
) -> None:
    """Ours: channel.metadata.customAttributes is taken in the message or at the top level."""
    channel = {"metadata": {"customAttributes": {"plan": "gold", "id": "59606"}}}
    if where == "message":
        messenger.say("with attributes", channel=channel)
    else:
        messenger.request(
            "onMessage", message={"type": "Text", "text": "with attributes"}, channel=channel
        )
    attributes = emulator.messaging.describe(messenger.session_id)["customAttributes"]
    assert attributes == {"plan": "gold", "id": "59606"}


def test_custom_attributes_over_2048_bytes_are_refused(messenger: Messenger) -> None:
    """Keys and values are counted in UTF-8 bytes: 2,048 pass, one more is 4013."""
    fits = {"k": "é" * 1023 + "x"}  # 1 + 2,047 bytes
    assert messenger.say("fits", channel={"metadata": {"customAttributes": fits}})["code"] == 200
    over = {"k": "é" * 1024}
    refused = messenger.say("too big", channel={"metadata": {"customAttributes": over}})
    assert refused == {
        "type": "response",
        "class": "string",
        "code": 4013,
        "body": "Custom Attributes in channel metadata is larger than 2048 bytes",
        "tracingId": refused["tracingId"],
    }


def test_custom_attributes_must_be_strings(messenger: Messenger) -> None:
    refused = messenger.say("x", channel={"metadata": {"customAttributes": {"n": 1}}})
    assert refused["class"] == "string" and refused["code"] == 400


def test_text_over_4096_bytes_is_refused_with_4011(messenger: Messenger) -> None:
    assert messenger.say("a" * 4096)["class"] == "StructuredMessage"
    refused = messenger.say("é" * 2500)
    assert refused["class"] == "string" and refused["code"] == 4011
    assert refused["body"] == "Message length 5000 is larger than 4096"


def test_a_message_with_neither_text_nor_content_is_refused(messenger: Messenger) -> None:
    refused = messenger.request("onMessage", message={"type": "Text", "text": ""})
    assert refused["class"] == "string" and refused["code"] == 400


def test_an_unknown_message_type_is_refused(messenger: Messenger) -> None:
    refused = messenger.request("onMessage", message={"type": "Hologram", "text": "hi"})
    assert refused["class"] == "string" and refused["code"] == 400


def test_messages_are_limited_to_five_a_second_per_session(
    frozen_clock: list[float], emulator: Emulator, messenger: Messenger
) -> None:
    for n in range(5):
        assert messenger.say(f"burst {n}")["class"] == "StructuredMessage"
    refused = messenger.say("one too many")
    assert refused == {
        "type": "response",
        "class": "TooManyRequestsErrorMessage",
        "code": 429,
        "body": {
            "retryAfter": 1,
            "errorCode": 4029,
            "errorMessage": "Message rate too high for this session",
        },
        "tracingId": refused["tracingId"],
    }
    frozen_clock[0] += 1
    assert messenger.say("after the wait")["class"] == "StructuredMessage"


def test_the_guest_s_typing_is_taken_without_an_answer(
    emulator: Emulator, messenger: Messenger
) -> None:
    """Ours: Typing is neither echoed nor answered (the next answer is the next request's)."""
    messenger.event(TYPING)
    assert messenger.request("getJwt")["class"] == "JwtResponse"
    assert emulator.messaging.describe(messenger.session_id)["guestTyping"] == 1


def test_typing_is_refused_when_the_deployment_does_not_show_it(
    emulator: Emulator, messenger: Messenger
) -> None:
    emulator.messaging.set_deployment(show_user_typing=False)
    refused = messenger.frame(traced(messenger.event(TYPING)))
    assert refused == {
        "type": "response",
        "class": "string",
        "code": 403,
        "body": "Turn on the Feature Toggle or fix the configuration.",
        "tracingId": refused["tracingId"],
    }


def test_join_starts_the_conversation_and_is_echoed(
    emulator: Emulator, messenger: Messenger
) -> None:
    echo = messenger.frame(traced(messenger.event(presence("Join"))))
    assert echo["body"]["type"] == "Event" and echo["body"]["direction"] == "Inbound"
    assert echo["body"]["events"] == [presence("Join")]
    assert emulator.messaging.describe(messenger.session_id)["started"] is True


def test_the_guest_s_disconnect_is_echoed_and_changes_nothing_else(
    emulator: Emulator, messenger: Messenger
) -> None:
    echo = messenger.frame(traced(messenger.event(presence("Disconnect"))))
    assert echo["body"]["events"] == [presence("Disconnect")]
    assert emulator.messaging.describe(messenger.session_id)["state"] == "active"


def test_an_unsupported_event_is_refused(messenger: Messenger) -> None:
    refused = messenger.frame(traced(messenger.event(presence("Teleport"))))
    assert refused["class"] == "string" and refused["code"] == 400


def test_after_a_read_only_disconnect_sends_are_refused_with_409(
    emulator: Emulator, messenger: Messenger
) -> None:
    emulator.messaging.agent_disconnect(messenger.session_id, read_only=True)
    disconnect = messenger.frame(outbound("Event"))
    assert disconnect["body"]["metadata"] == {"readOnly": "true"}
    refused = messenger.say("anyone there?")
    assert refused == {
        "type": "response",
        "class": "string",
        "code": 409,
        "body": "Session is read-only, no new messages allowed",
        "tracingId": refused["tracingId"],
    }
    assert messenger.frame(traced(messenger.event(TYPING)))["code"] == 409
    # Configuring again says read-only; history stays readable.
    assert messenger.configure()["body"]["readOnly"] is True
    assert _history(emulator, messenger).status_code == 200


def test_a_send_disconnect_leaves_the_session_open(
    emulator: Emulator, messenger: Messenger
) -> None:
    emulator.messaging.agent_disconnect(messenger.session_id, read_only=False)
    disconnect = messenger.frame(outbound("Event"))
    assert "metadata" not in disconnect["body"]
    assert messenger.say("still here")["class"] == "StructuredMessage"


def test_clear_tells_every_socket_then_closes_them_and_the_token_starts_anew(
    emulator: Emulator, messenger: Messenger
) -> None:
    other = Messenger(emulator, messenger.token)
    old = messenger.session_id
    messenger.say("forget me")
    messenger.event(presence("Clear"))
    for guest in (messenger, other):
        assert [f["class"] for f in guest.closed() if f["class"] != "StructuredMessage"] == [
            "SessionClearedEvent",
            "ConnectionClosedEvent",
        ]
    assert emulator.messaging.describe(old)["state"] == "ended"
    again = Messenger(emulator, messenger.token)
    assert again.session is not None and again.session["body"]["newSession"] is True
    again.close()


def test_clear_is_refused_when_the_deployment_disables_it(
    emulator: Emulator, messenger: Messenger
) -> None:
    emulator.messaging.set_deployment(clear_enabled=False)
    refused = messenger.frame(traced(messenger.event(presence("Clear"))))
    assert refused["code"] == 403
    assert refused["body"] == "Presence events Conversation Clear are not supported"


def test_a_human_agent_s_message_names_its_sender(emulator: Emulator, messenger: Messenger) -> None:
    emulator.messaging.agent_send(messenger.session_id, "Hello, I'm Sam.", sender="Sam")
    body = messenger.frame(outbound("Text"))["body"]
    assert body["originatingEntity"] == "Human" and body["channel"]["from"] == {"nickname": "Sam"}
    emulator.messaging.agent_send(messenger.session_id, "And I'm the bot.")
    body = messenger.frame(outbound("Text"))["body"]
    assert body["originatingEntity"] == "Bot" and "from" not in body["channel"]


# History ------------------------------------------------------------------------------


def _history(emulator: Emulator, messenger: Messenger, **params: int) -> requests.Response:
    jwt = messenger.request("getJwt")["body"]["jwt"]
    return requests.get(
        f"{emulator.data_url}/api/v2/webmessaging/messages",
        params=params,
        headers={"Authorization": f"bearer {jwt}", "Origin": "https://shop.example.com"},
        timeout=5,
    )


def test_history_pages_the_session_s_messages_newest_first(
    emulator: Emulator, messenger: Messenger
) -> None:
    messenger.say("first")
    for n in range(4):
        emulator.messaging.agent_send(messenger.session_id, f"answer {n}")
    page = _history(emulator, messenger, pageNumber=1, pageSize=2).json()
    assert [e["text"] for e in page["entities"]] == ["answer 3", "answer 2"]
    assert (page["pageNumber"], page["pageSize"], page["total"], page["pageCount"]) == (1, 2, 5, 3)
    last = _history(emulator, messenger, pageNumber=3, pageSize=2).json()
    assert [e["text"] for e in last["entities"]] == ["first"]
    assert last["entities"][0]["direction"] == "Inbound" and last["entities"][0]["content"] == []
    defaults = _history(emulator, messenger).json()
    assert (defaults["pageNumber"], defaults["pageSize"]) == (1, 25)


def test_history_wants_a_valid_bearer_jwt(emulator: Emulator, messenger: Messenger) -> None:
    url = f"{emulator.data_url}/api/v2/webmessaging/messages"
    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401 and missing.json()["status"] == 401
    forged = requests.get(url, headers={"Authorization": "bearer a.b.c"}, timeout=5)
    assert forged.status_code == 401
    jwt = messenger.request("getJwt")["body"]["jwt"]
    scheme = requests.get(url, headers={"Authorization": f"Bearer {jwt}"}, timeout=5)
    assert scheme.status_code == 200


def test_history_is_refused_with_a_bad_page(emulator: Emulator, messenger: Messenger) -> None:
    assert _history(emulator, messenger, pageSize=0).status_code == 400


def test_history_is_limited_to_ten_calls_a_minute(
    frozen_clock: list[float], emulator: Emulator, messenger: Messenger
) -> None:
    for _ in range(10):
        assert _history(emulator, messenger).status_code == 200
    refused = _history(emulator, messenger)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    frozen_clock[0] += 60
    assert _history(emulator, messenger).status_code == 200


def test_history_of_a_cleared_session_is_gone(emulator: Emulator, messenger: Messenger) -> None:
    jwt = messenger.request("getJwt")["body"]["jwt"]
    emulator.messaging.clear(messenger.session_id)
    gone = requests.get(
        f"{emulator.data_url}/api/v2/webmessaging/messages",
        headers={"Authorization": f"bearer {jwt}"},
        timeout=5,
    )
    assert gone.status_code == 404


# Deployment configuration --------------------------------------------------------------


def test_config_json_says_what_the_deployment_allows(emulator: Emulator) -> None:
    deployment_id = emulator.messaging.deployment_id
    url = f"{emulator.data_url}/webdeployments/v1/deployments/{deployment_id}/config.json"
    emulator.messaging.set_deployment(auto_start=True, disconnect_type="Send")
    config = requests.get(url, timeout=5).json()
    assert config["id"] == deployment_id and config["status"] == "Active"
    assert config["apiEndpoint"] == emulator.data_url
    conversations = config["messenger"]["apps"]["conversations"]
    assert conversations["messagingEndpoint"] == emulator.data_url.replace("http", "ws")
    assert conversations["autoStart"] == {"enabled": True}
    assert conversations["conversationDisconnect"] == {"enabled": True, "type": "Send"}
    assert conversations["conversationClear"] == {"enabled": True}
    assert config["messenger"]["fileUpload"]["modes"][0]["maxFileSizeKB"] == 10240
    unknown = url.replace(deployment_id, "nope")
    assert requests.get(unknown, timeout=5).status_code == 404
