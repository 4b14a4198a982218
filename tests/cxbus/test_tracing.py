"""Debug tracing: commands, answers and events logged, secrets never, customers' words
only when asked for."""

from __future__ import annotations

import logging

import pytest

from cxbus import Bus
from cxbus.redaction import redact

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJjb252ZXJzYXRpb24iOiIxIn0.c2lnbmF0dXJlLWJ5dGVz"


def test_a_bus_made_at_debug_level_traces_commands_and_events(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With the cxbus logger at DEBUG, each command, its answer and each event is logged."""
    with caplog.at_level(logging.DEBUG, logger="cxbus"), Bus() as bus:
        echo = bus.register_plugin("Echo")
        echo.register_command("echo", lambda call: call.data)
        bus.command("Echo.echo", {"id": "c1"}).result(timeout=1)
        echo.publish("echoed", 1)
    assert "command Echo.echo from -: {'id': 'c1'}" in caplog.text
    assert "command Echo.echo resolved: {'id': 'c1'}" in caplog.text
    assert "event Echo.echoed: 1" in caplog.text


def test_traces_mask_jwts_and_keys(caplog: pytest.LogCaptureFixture) -> None:
    """A JWT or deployment key in command data or an event never reaches the log."""
    with caplog.at_level(logging.DEBUG, logger="cxbus"), Bus() as bus:
        chat = bus.register_plugin("Chat")
        chat.register_command("start", lambda call: {"jwt": JWT, "id": "c1"})
        bus.command("Chat.start", {"deploymentKey": "dk-123", "note": f"token {JWT}"}).result(
            timeout=1
        )
        chat.publish("started", {"sessionData": {"jwt": JWT}})
    assert JWT not in caplog.text
    assert "dk-123" not in caplog.text
    assert "'id': 'c1'" in caplog.text


def test_a_bus_made_above_debug_level_logs_no_traces(caplog: pytest.LogCaptureFixture) -> None:
    """Without DEBUG, nothing is traced (and nothing is paid for it)."""
    with caplog.at_level(logging.INFO, logger="cxbus"), Bus() as bus:
        bus.register_plugin("Echo").publish("echoed")
    assert caplog.text == ""


def test_redact_leaves_the_original_untouched() -> None:
    """redact copies: the data the plugins exchange keeps its secrets."""
    data = {"jwt": JWT, "nested": [{"token": "t"}], "text": "plain"}
    assert redact(data) == {"jwt": "***", "nested": [{"token": "***"}], "text": "<5 chars>"}
    assert data == {"jwt": JWT, "nested": [{"token": "t"}], "text": "plain"}


SIGNED_URL = (
    "https://bucket.s3.amazonaws.com/uploads/a1?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6"
)


def test_traces_mask_the_query_of_urls_and_keep_where_they_point(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A presigned URL's signature and session token never reach the log, whatever the
    key it is under or the text it is in; its host and path do."""
    with caplog.at_level(logging.DEBUG, logger="cxbus"), Bus() as bus:
        files = bus.register_plugin("Files")
        files.publish("uploadApproved", {"attachmentId": "a1", "uploadURL": SIGNED_URL})
        files.publish("messagesReceived", {"messages": [{"note": f"see {SIGNED_URL} now"}]})
    assert "X-Amz-Security-Token" not in caplog.text and "5d672d79" not in caplog.text
    assert "'uploadURL': 'https://bucket.s3.amazonaws.com/uploads/a1?***'" in caplog.text
    assert "see https://bucket.s3.amazonaws.com/uploads/a1?*** now" in caplog.text
    assert redact("http://127.0.0.1:8080/v1/files#sig=abc") == "http://127.0.0.1:8080/v1/files?***"


CARD = "4111 1111 1111 1111"


def test_customers_words_are_left_out_of_traces(caplog: pytest.LogCaptureFixture) -> None:
    """Message text, names, contact details and every custom attribute are logged as their
    length: what was said stays with the customer, what happened stays in the log."""
    with caplog.at_level(logging.DEBUG, logger="cxbus"), Bus() as bus:
        chat = bus.register_plugin("Chat")
        chat.register_command("send", lambda call: {"id": "m1", "text": call.data["message"]})
        bus.command("Chat.send", {"message": f"my card is {CARD}"}).result(timeout=1)
        chat.publish(
            "started",
            {
                "nickname": "Ada",
                "email": "ada@example.org",
                "customAttributes": {"account": "AC-42", "phone": 5551234},
                "type": "Text",
            },
        )
    assert CARD not in caplog.text and "my card" not in caplog.text
    assert "Ada" not in caplog.text and "ada@example.org" not in caplog.text
    assert "AC-42" not in caplog.text and "5551234" not in caplog.text
    assert "{'message': '<30 chars>'}" in caplog.text
    assert "'customAttributes': {'account': '<5 chars>', 'phone': '<7 chars>'}" in caplog.text
    assert "'id': 'm1'" in caplog.text and "'type': 'Text'" in caplog.text


def test_content_is_logged_when_the_switch_is_on(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CXBUS_LOG_CONTENT=1 lets content through (read at each line); secrets stay masked."""
    monkeypatch.setenv("CXBUS_LOG_CONTENT", "1")
    with caplog.at_level(logging.DEBUG, logger="cxbus"), Bus() as bus:
        bus.register_plugin("Chat").publish("said", {"text": CARD, "jwt": JWT})
    assert f"'text': '{CARD}'" in caplog.text
    assert JWT not in caplog.text
    monkeypatch.setenv("CXBUS_LOG_CONTENT", "0")
    assert redact({"text": CARD}) == {"text": "<19 chars>"}
