"""Building requests: the reference's JSON exactly, the token kept out of sight, bad input named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cxbus_messaging.guest_api import Request, actions

EXAMPLES = json.loads(
    (Path(__file__).parents[1] / "data" / "web_messaging_examples.json").read_text()
)

BUILT = {
    "configureSession": actions.configure_session(
        "token", "deploymentId", start_new=True, tracing_id="tracing_id"
    ),
    "configureAuthenticatedSession": actions.configure_authenticated_session(
        "token", "deploymentId", "jwt_Token", tracing_id="tracing_id"
    ),
    "echo": actions.echo("token"),
    "getJwt": actions.get_jwt("token", tracing_id="tracing_id"),
    "closeSession": actions.close_session("token", tracing_id="tracing_id"),
    "getAttachment": actions.get_attachment("token", "test_attachment_id", tracing_id="tracing_id"),
    "deleteAttachment": actions.delete_attachment(
        "token", "test_attachment_id", tracing_id="tracing_id"
    ),
    "typing": actions.on_message("token", actions.typing_event(), tracing_id="tracing_id"),
    "join": actions.on_message("token", actions.presence_event("Join"), tracing_id="tracing_id"),
    "clear": actions.on_message("token", actions.presence_event("Clear"), tracing_id="tracing_id"),
}


@pytest.mark.parametrize("example", EXAMPLES["requests"], ids=lambda e: e["name"])
def test_each_request_is_the_reference_s_json_to_the_byte(example: dict[str, Any]) -> None:
    assert BUILT[example["name"]].to_json() == example["text"]


def test_the_content_of_a_message_is_the_reference_s() -> None:
    attachment, button = (e["json"] for e in EXAMPLES["request_content"])
    assert actions.text_message("", attachment_ids=["test_attachment_id"])["content"] == [
        attachment
    ]
    assert actions.button_response("text_a", "payload_a")["content"] == [button]


def test_on_attachment_writes_its_fields_in_the_official_order() -> None:
    request = actions.on_attachment("token", "a1", "photo.png", "image/png", 12, file_md5="abc")
    assert list(request.payload) == [
        "token",
        "attachmentId",
        "fileName",
        "fileType",
        "fileSize",
        "fileMd5",
        "errorsAsJson",
        "tracingId",
        "action",
    ]
    assert request.payload["errorsAsJson"] is True and request.attachment_id == "a1"
    assert "fileMd5" not in actions.on_attachment("t", "a", "f", "text/plain", 1).payload


def test_a_text_message_carries_metadata_and_custom_attributes_in_its_channel() -> None:
    message = actions.text_message("hi", metadata={"k": "v"}, custom_attributes={"plan": "gold"})
    assert message == {
        "text": "hi",
        "type": "Text",
        "metadata": {"k": "v"},
        "channel": {"metadata": {"customAttributes": {"plan": "gold"}}},
    }
    request = actions.on_message("token", message, tracing_id="t")
    assert json.loads(request.to_json())["message"] == message


def test_a_button_response_is_a_structured_message_labelled_with_its_text() -> None:
    message = actions.button_response("Pick me", "P1", "Button", metadata={"parentMessageId": "m"})
    assert message["type"] == "Structured" and message["text"] == "Pick me"
    assert message["content"][0]["buttonResponse"] == {
        "text": "Pick me",
        "payload": "P1",
        "type": "Button",
    }
    assert message["metadata"] == {"parentMessageId": "m"}


def test_each_request_says_which_frames_answer_it() -> None:
    assert BUILT["configureSession"].answered_by == ("SessionResponse",)
    assert BUILT["typing"].answered_by == ()
    assert BUILT["clear"].answered_by == ("SessionClearedEvent",)
    assert BUILT["join"].answered_by == ("StructuredMessage",)
    text = actions.on_message("t", actions.text_message("hi"))
    assert text.answered_by == ("StructuredMessage",)
    assert actions.on_attachment("t", "a", "f", "text/plain", 1).answered_by == (
        "PresignedUrlResponse",
        "GenerateUrlError",
    )


def test_a_fresh_tracing_id_is_made_for_each_request() -> None:
    first, second = actions.get_jwt("t"), actions.get_jwt("t")
    assert first.tracing_id != second.tracing_id and len(first.tracing_id) == 36
    assert actions.echo("t").tracing_id == actions.HEALTH_CHECK_TRACING_ID


def test_the_token_never_shows_in_a_repr() -> None:
    request = actions.configure_session("c0ffee-secret-token", "d", tracing_id="t")
    assert "c0ffee" not in repr(request) and "c0ffee" not in str(request)
    assert repr(request).startswith("Request(action='configureSession', tracing_id='t'")
    assert isinstance(request, Request)


def test_custom_attributes_are_counted_in_utf8_bytes_of_keys_and_values() -> None:
    assert actions.custom_attributes_size({"ab": "é"}) == 4
    assert actions.custom_attributes_size({}) == 0
    assert actions.MAX_CUSTOM_ATTRIBUTES_BYTES == 2048


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda: actions.get_jwt(""), "token must be a non-empty string"),
        (
            lambda: actions.presence_event("Leave"),
            "presence_type must be one of Join, Disconnect, Clear",
        ),
        (
            lambda: actions.button_response("a", "b", "Slider"),
            "button_type must be one of QuickReply",
        ),
        (
            lambda: actions.text_message("a", custom_attributes={"n": 1}),
            "custom_attributes must map",
        ),
        (lambda: actions.text_message("a", metadata={1: "x"}), "metadata must map strings"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_argument(build: Any, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        build()
