"""Reading server frames: every class of the reference, tolerantly; only ProtocolError raised."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxbus_messaging.guest_api import (
    AllowedMedia,
    ConnectionClosedEvent,
    ErrorText,
    Frame,
    GenerateUrlError,
    GetConfigurationResponse,
    JwtResponse,
    PresignedUrlResponse,
    ProtocolError,
    ResumeTokenResponse,
    ServerError,
    SessionExpiredEvent,
    SessionResponse,
    StructuredMessage,
    TooManyRequestsErrorMessage,
    Unknown,
    parse_frame,
)

EXAMPLES = json.loads(
    (Path(__file__).parents[1] / "data" / "web_messaging_examples.json").read_text()
)


def frame(frame_class: str, body: Any, **envelope: Any) -> Frame:
    return parse_frame(
        {"type": "response", "class": frame_class, "code": 200, "body": body, **envelope}
    )


@pytest.mark.parametrize(
    "example", EXAMPLES["frames"], ids=lambda e: f"{e['section']}-{e['situation']}"
)
def test_every_frame_of_the_reference_is_read_into_its_class(example: dict[str, Any]) -> None:
    parsed = parse_frame(json.dumps(example["json"]))
    assert type(parsed.body).__name__ == example["class"]
    assert parsed.frame_class == example["json"]["class"]
    assert parsed.code == example["json"]["code"] and parsed.type == example["json"]["type"]
    assert parsed.tracing_id == example["json"].get("tracingId")
    assert parsed.raw == example["json"]


def test_a_session_response_reads_every_field() -> None:
    (example,) = [e for e in EXAMPLES["frames"] if e["class"] == "SessionResponse"]
    body = parse_frame(example["json"]).body
    assert body == SessionResponse(
        connected=True,
        new_session=True,
        read_only=False,
        cleared_existing_session=False,
        max_custom_data_bytes=100,
        allowed_media=AllowedMedia(("video/mpg", "video/3gpp"), 10240),
        blocked_extensions=(".ade", ".adp"),
    )
    assert body.allowed_media is not None and body.allowed_media.accepts("VIDEO/3gpp")
    assert not body.allowed_media.accepts("image/png")
    assert body.blocks("virus.ADE") and not body.blocks("photo.png")


def test_a_session_response_with_timing_and_wildcards() -> None:
    body = frame(
        "SessionResponse",
        {
            "connected": True,
            "allowedMedia": {"inbound": {"fileTypes": [{"type": "*/*"}]}},
            "durationSeconds": 86400,
            "expirationDate": 1700000000,
            "autoStarted": True,
        },
    ).body
    assert isinstance(body, SessionResponse)
    assert body.allowed_media is not None and body.allowed_media.accepts("application/zip")
    assert (body.duration_seconds, body.expiration_date, body.auto_started) == (
        86400,
        1700000000,
        True,
    )
    assert body.new_session is None


@pytest.mark.parametrize("media", [None, {}, {"inbound": {}}])
def test_no_inbound_media_means_no_uploads_described(media: Any) -> None:
    body = frame("SessionResponse", {"connected": True, "allowedMedia": media}).body
    assert isinstance(body, SessionResponse)
    if media == {"inbound": {}}:
        assert body.allowed_media == AllowedMedia()
        assert not body.allowed_media.accepts("image/png")
    else:
        assert body.allowed_media is None


def test_unknown_fields_are_ignored_and_strings_read_as_numbers() -> None:
    parsed = frame("JwtResponse", {"jwt": "x.y.z", "exp": "333", "new": {"nested": [1]}}, extra=1)
    assert parsed.body == JwtResponse("x.y.z", 333)


def test_an_optional_field_of_another_type_reads_as_missing() -> None:
    body = frame(
        "SessionResponse", {"connected": "true", "newSession": 3, "blockedExtensions": "x"}
    ).body
    assert body == SessionResponse(connected=True)


def test_an_unknown_class_is_kept_as_unknown() -> None:
    parsed = frame("HologramEvent", {"a": 1})
    assert parsed.body == Unknown("HologramEvent", {"a": 1})
    assert not parsed.is_error
    assert frame("Unknown", None).body == Unknown("Unknown")


def test_connection_closed_reads_reason_or_reason_code() -> None:
    assert frame("ConnectionClosedEvent", {"reasonCode": "signedIn"}).body == ConnectionClosedEvent(
        "signedIn"
    )
    assert frame("ConnectionClosedEvent", {}).body == ConnectionClosedEvent(None)


def test_session_expired_comes_as_a_message_or_a_response() -> None:
    for kind in ("message", "response"):
        assert frame("SessionExpiredEvent", {}, type=kind).body == SessionExpiredEvent()
    assert frame("SessionExpiredEvent", None).body == SessionExpiredEvent()


def test_error_classes_are_errors_whatever_their_code() -> None:
    assert frame("GenerateUrlError", {"errorCode": 4001}).is_error
    assert frame("string", "message too long", code=4011).body == ErrorText("message too long")
    assert frame("string", {"odd": True}, code=400).body == ErrorText('{"odd": true}')
    assert frame("Error", {"errorCode": 5000, "errorMessage": "boom"}).body == ServerError(
        5000, "boom"
    )
    assert frame("Error", "boom").body == ServerError(None, "boom")
    assert frame("Error", {"code": 4, "message": "m"}).body == ServerError(4, "m")
    assert frame(
        "StructuredMessage", {"id": "i", "type": "Text", "direction": "Inbound"}, code=500
    ).is_error
    assert not frame("JwtResponse", {"jwt": "j", "exp": 1}).is_error


def test_a_too_many_requests_without_retry_after_is_still_read() -> None:
    body = frame("TooManyRequestsErrorMessage", {"errorMessage": "slow down"}).body
    assert body == TooManyRequestsErrorMessage(None, None, "slow down")


def test_the_rest_of_the_model_s_classes_are_read() -> None:
    assert frame(
        "GetConfigurationResponse",
        {
            "allowedMedia": {"inbound": {"fileTypes": [{"type": "image/*"}], "maxFileSizeKB": 100}},
            "blockedExtensions": [".exe"],
            "maxCustomDataBytes": 2048,
            "messageRoutingEnabled": True,
        },
    ).body == GetConfigurationResponse(AllowedMedia(("image/*",), 100), (".exe",), 2048, True)
    assert frame("ResumeTokenResponse", {"token": "t"}).body == ResumeTokenResponse({"token": "t"})
    presigned = frame(
        "PresignedUrlResponse",
        {
            "attachmentId": "a",
            "url": "u",
            "headers": {},
            "fileName": "f.png",
            "fileSize": 3,
            "fileType": "image/png",
        },
    ).body
    assert presigned == PresignedUrlResponse("a", "u", {}, "f.png", 3, "image/png")
    assert frame("GenerateUrlError", {}).body == GenerateUrlError(None)


def test_a_jwt_never_shows_in_a_repr() -> None:
    parsed = frame("JwtResponse", {"jwt": "eyJhbGciOiJIUzI1NiJ9.secret.sig", "exp": 10})
    assert "secret" not in repr(parsed) and "secret" not in repr(parsed.body)
    assert isinstance(parsed.body, JwtResponse)
    assert parsed.body.expires_within(5, now=5) and not parsed.body.expires_within(5, now=4)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ("{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        ("[]", "A frame must be a JSON object, not a list"),
        ('{"type": "message", "code": 200}', "A frame: class is missing; expected a string"),
        ('{"class": "LogoutEvent", "code": 200}', "A frame: type is missing"),
        ('{"type": "message", "class": "LogoutEvent", "code": "OK"}', "A frame: code is a string"),
        (
            '{"type": "response", "class": "JwtResponse", "code": 200, "body": {"exp": 1}}',
            "JwtResponse body: jwt is missing; expected a string",
        ),
        (
            '{"type": "response", "class": "SessionResponse", "code": 200, "body": []}',
            "SessionResponse body must be a JSON object, not a list",
        ),
        (
            '{"type": "message", "class": "StructuredMessage", "code": 200, "body": {"id": "i"}}',
            "StructuredMessage body: type is missing",
        ),
    ],
)
def test_an_unreadable_frame_is_a_protocol_error_that_says_why(
    data: str | bytes, says: str
) -> None:
    with pytest.raises(ProtocolError, match=says):
        parse_frame(data)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
CLASSES = st.sampled_from(
    [
        *sorted({e["json"]["class"] for e in EXAMPLES["frames"]}),
        *("Error", "ResumeTokenResponse", "GetConfigurationResponse", "Nope"),
    ]
)


@given(
    frame_class=CLASSES,
    body=JSON,
    code=st.integers() | st.text(max_size=3),
    kind=st.sampled_from(["message", "response"]),
)
def test_no_frame_raises_anything_but_a_protocol_error(
    frame_class: str, body: Any, code: Any, kind: str
) -> None:
    try:
        parsed = parse_frame(
            json.dumps({"type": kind, "class": frame_class, "code": code, "body": body})
        )
    except ProtocolError:
        return
    assert parsed.frame_class == frame_class


def test_a_number_in_other_digits_than_ascii_is_no_number() -> None:
    """'²' is a digit to str.isdigit, but no whole number: the code is missing, not a crash."""
    with pytest.raises(ProtocolError, match="code"):
        parse_frame(json.dumps({"type": "message", "class": "LogoutEvent", "code": "²"}))
    assert (
        parse_frame(json.dumps({"type": "message", "class": "LogoutEvent", "code": " 42 "})).code
        == 42
    )


@given(JSON)
def test_no_json_at_all_raises_anything_but_a_protocol_error(value: Any) -> None:
    with contextlib.suppress(ProtocolError):
        parse_frame(json.dumps(value))


def test_a_structured_message_frame_carries_the_message() -> None:
    body = frame(
        "StructuredMessage", {"id": "i", "type": "Text", "direction": "Outbound", "text": "Hi"}
    ).body
    assert isinstance(body, StructuredMessage) and body.text == "Hi" and not body.inbound
