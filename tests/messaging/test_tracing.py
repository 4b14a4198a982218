"""Matching answers to requests: by tracingId, and by what answers what when it is missing."""

from __future__ import annotations

from typing import Any

from cxbus_messaging.guest_api import PendingRequests, actions, parse_frame


def frame(
    frame_class: str,
    body: Any,
    kind: str = "response",
    tracing_id: str | None = None,
    code: int = 200,
) -> Any:
    raw: dict[str, Any] = {"type": kind, "class": frame_class, "code": code, "body": body}
    if tracing_id is not None:
        raw["tracingId"] = tracing_id
    return parse_frame(raw)


MESSAGE = {"id": "m", "type": "Text", "direction": "Inbound", "text": "hi"}


def test_an_answer_is_matched_by_its_tracing_id_once() -> None:
    pending = PendingRequests()
    request = actions.get_jwt("t")
    pending.add(request, now=0)
    assert request.tracing_id in pending and len(pending) == 1
    answer = frame("JwtResponse", {"jwt": "j", "exp": 1}, tracing_id=request.tracing_id)
    assert pending.match(answer) is request
    assert pending.match(answer) is None and len(pending) == 0


def test_an_echo_with_a_tracing_id_not_sent_here_matches_nothing() -> None:
    """Another socket's message of the same session comes with its own tracingId."""
    pending = PendingRequests()
    pending.add(actions.on_message("t", actions.text_message("hi")), now=0)
    assert (
        pending.match(frame("StructuredMessage", MESSAGE, "message", tracing_id="theirs")) is None
    )
    assert len(pending) == 1


def test_without_a_tracing_id_the_answering_class_decides_oldest_first() -> None:
    pending = PendingRequests()
    first, second = actions.get_jwt("t"), actions.get_jwt("t")
    configure = actions.configure_session("t", "d")
    for request in (first, configure, second):
        pending.add(request, now=0)
    assert pending.match(frame("JwtResponse", {"jwt": "j", "exp": 1})) is first
    assert pending.match(frame("SessionResponse", {"connected": True})) is configure
    assert pending.match(frame("JwtResponse", {"jwt": "j", "exp": 1})) is second


def test_without_a_tracing_id_a_file_s_answer_goes_to_the_request_about_that_file() -> None:
    pending = PendingRequests()
    one = actions.on_attachment("t", "a1", "one.png", "image/png", 1)
    two = actions.on_attachment("t", "a2", "two.png", "image/png", 1)
    delete = actions.delete_attachment("t", "a1")
    for request in (one, two, delete):
        pending.add(request, now=0)
    refused = frame("GenerateUrlError", {"attachmentId": "a2", "errorCode": 4001}, "message")
    assert pending.match(refused) is two
    assert (
        pending.match(frame("AttachmentDeletedResponse", {"attachmentId": "a1"}, "message"))
        is delete
    )
    assert pending.match(frame("PresignedUrlResponse", {"attachmentId": "a1", "url": "u"})) is one


def test_without_a_tracing_id_a_structured_message_answers_only_the_health_check() -> None:
    pending = PendingRequests()
    text = actions.on_message("t", actions.text_message("hi"))
    check = actions.echo("t")
    pending.add(text, now=0)
    pending.add(check, now=0)
    assert pending.match(frame("StructuredMessage", MESSAGE, "message")) is None
    assert pending.match(frame("StructuredMessage", MESSAGE, "response")) is check
    assert list(pending.drain()) == [text]


def test_without_a_tracing_id_an_error_goes_to_the_oldest_request_waiting_for_an_answer() -> None:
    pending = PendingRequests()
    typing = actions.on_message("t", actions.typing_event())
    text = actions.on_message("t", actions.text_message("hi"))
    pending.add(typing, now=0)
    pending.add(text, now=1)
    assert pending.match(frame("string", "message too long", code=4011)) is text
    refused = frame("TooManyRequestsErrorMessage", {"retryAfter": 3}, code=429)
    assert pending.match(refused) is typing
    assert pending.match(refused) is None


def test_a_clear_is_answered_by_session_cleared() -> None:
    pending = PendingRequests()
    clear = actions.on_message("t", actions.presence_event("Clear"))
    pending.add(clear, now=0)
    assert pending.match(frame("SessionClearedEvent", {}, "message")) is clear


def test_pushed_frames_answer_nothing() -> None:
    pending = PendingRequests()
    pending.add(actions.get_jwt("t"), now=0)
    outbound = {**MESSAGE, "direction": "Outbound"}
    for pushed in (
        frame("StructuredMessage", outbound, "message"),
        frame("UploadSuccessEvent", {"attachmentId": "a"}, "message"),
        frame("SessionExpiredEvent", {}, "message"),
        frame("Nope", {}, "message"),
    ):
        assert pending.match(pushed) is None
    assert len(pending) == 1


def test_the_health_check_reuses_its_id_and_the_newest_one_waits() -> None:
    pending = PendingRequests()
    pending.add(actions.echo("t"), now=0)
    newer = actions.echo("t")
    pending.add(newer, now=30)
    assert len(pending) == 1
    assert pending.overdue(now=39, timeout=10) == []
    assert pending.match(frame("StructuredMessage", MESSAGE, tracing_id=newer.tracing_id)) is newer


def test_overdue_requests_are_handed_back_once() -> None:
    pending = PendingRequests()
    old, new = actions.get_jwt("t"), actions.get_jwt("t")
    pending.add(old, now=0)
    pending.add(new, now=5)
    assert pending.overdue(now=10, timeout=10) == [old]
    assert pending.overdue(now=10, timeout=10) == []
    assert pending.drain() == [new] and len(pending) == 0
