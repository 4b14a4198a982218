"""MessagingService over real sockets against the emulator: every command and its events.

The ``messaging`` fixture (cxbus_messaging.testing) is MessagingService on the session's
emulator, whose agent each test plays; ``messaging_on`` makes one with options of its
own (after the deployment is changed, which the service reads when it loads).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxbus import Bus, CommandRejected
from cxbus_emulator import Emulator
from cxbus_messaging import MessagingService
from cxbus_messaging.testing import MessagingDriver, messaging_on

pytestmark = pytest.mark.integration


@pytest.fixture
def started(messaging: MessagingDriver) -> MessagingDriver:
    messaging("startConversation")
    messaging.wait("started")
    return messaging


@pytest.fixture
def deployment(emulator: Emulator) -> Iterator[Emulator]:
    """The emulator, whose deployment a test changes before its service loads."""
    yield emulator
    emulator.messaging.clear_faults()


def sent_and_echoed(messaging: MessagingDriver, data: dict[str, object]) -> dict[str, object]:
    """Send, and the echo of what was sent (by the tracingId of its sendingMessage)."""
    messaging("sendMessage", data)
    tracing_id = messaging.data("sendingMessage")[-1]["message"]["tracingId"]
    received = messaging.wait(
        "messagesReceived", lambda d: d["messages"][0].get("tracingId") == tracing_id
    )
    echo: dict[str, object] = received["messages"][0]
    return echo


# Starting ------------------------------------------------------------------------------------


def test_a_conversation_starts_and_messages_go_both_ways(started: MessagingDriver) -> None:
    assert started.names()[:2] == ["ready", "allowedFileTypes"]
    assert started.data("started") == [
        {
            "newSession": True,
            "authenticated": False,
            "readOnly": False,
            "durationSeconds": 72 * 3600,
            "expirationDate": started.data("sessionTimingUpdated")[0]["expirationDate"],
        }
    ]
    assert started.data("sessionDurationConfigured") == [{"sessionDurationSeconds": 72 * 3600}]
    echo = sent_and_echoed(started, {"message": "hello"})
    assert echo["direction"] == "Inbound" and echo["text"] == "hello"
    reply = started.agent_send("Hi, how can I help?")
    assert reply["direction"] == "Outbound" and reply["originatingEntity"] == "Bot"
    assert started.texts() == ["hello", "Hi, how can I help?"]
    assert started.rejection("startConversation") == "There is already an active conversation"


def test_started_is_retained_for_a_late_subscriber(started: MessagingDriver) -> None:
    late: list[object] = []
    started.bus.register_plugin("Late").subscribe("MessagingService.started", late.append)
    assert len(late) == 1


def test_sendmessage_with_no_conversation_opens_one(messaging: MessagingDriver) -> None:
    echo = sent_and_echoed(messaging, {"message": "first words"})
    assert echo["text"] == "first words" and messaging.names().count("started") == 1


def test_a_wrong_deployment_id_says_what_to_check(emulator: Emulator) -> None:
    """A deploymentId the server does not know: one sentence naming it and the options to
    check (it said only "the server answered 404 Not Found")."""
    config = {**emulator.messaging_config(), "deploymentId": "not-a-deployment"}
    with Bus(config={"messaging": config}) as bus, pytest.raises(CommandRejected) as refused:
        bus.command("MessagingService.startConversation").result(timeout=10)
    where = emulator.data_url.split("://")[1]
    assert refused.value.reason == (
        f"MessagingService found no deployment with this deploymentId at {where} (its "
        "config.json answered 404): check messaging.deploymentId, and messaging.domain (the "
        "region the deployment was made in) or baseURL."
    )


def test_a_message_of_whitespace_and_stepupconversation_reject(started: MessagingDriver) -> None:
    assert started.rejection("sendMessage", {"message": "   "}) == (
        "Message only contains whitespaces"
    )
    assert "not supported yet" in started.rejection("stepUpConversation")


def test_autostart_joins_on_startconversation_not_on_configureconversation(
    deployment: Emulator, tmp_path: Path
) -> None:
    deployment.messaging.set_deployment(auto_start=True)
    with messaging_on(deployment, tmp_path / "a.json") as starts:
        starts("startConversation")
        joined = starts.wait("messagesReceived")["messages"][0]
        assert joined["events"] == [{"eventType": "Presence", "presence": {"type": "Join"}}]
    with messaging_on(deployment, tmp_path / "b.json") as configures:
        configures("configureConversation")
        configures.wait("started")
        assert configures.data("sendingMessage") == []
        configures("joinConversation")
        configures.wait("messagesReceived")
    described = deployment.messaging.describe(configures.session_id)
    assert described["started"] is True


def test_with_autostart_a_sendmessage_that_opens_the_conversation_joins_it_first(
    deployment: Emulator, tmp_path: Path
) -> None:
    deployment.messaging.set_deployment(auto_start=True)
    with messaging_on(deployment, tmp_path / "a.json") as sends:
        sent_and_echoed(sends, {"message": "first words"})
        received = [d["messages"][0] for d in sends.data("messagesReceived")]
    # As the server got them (sendingMessage came first for the message, handed over first).
    inbound = [m for m in received if m["direction"] == "Inbound"]
    assert [m.get("events", m.get("text")) for m in inbound] == [
        [{"eventType": "Presence", "presence": {"type": "Join"}}],
        "first words",
    ]


def test_joinconversation_without_autostart_rejects(started: MessagingDriver) -> None:
    assert started.rejection("joinConversation") == (
        "Auto start must be enabled in the configuration"
    )


# Structured content -------------------------------------------------------------------------


def test_a_quick_reply_and_a_card_button_are_answered(started: MessagingDriver) -> None:
    offer = started.agent_send_quick_replies("Pick one", ("Yes", "No"))
    assert [c["quickReply"]["text"] for c in offer["content"]] == ["Yes", "No"]
    echo = sent_and_echoed(
        started, {"type": "quickReply", "postback": {"text": "Yes", "payload": "YES"}}
    )
    assert echo["content"] == [
        {
            "contentType": "ButtonResponse",
            "buttonResponse": {"text": "Yes", "payload": "YES", "type": "QuickReply"},
        }
    ]
    started.agent_send_card("A card")
    echo = sent_and_echoed(
        started, {"type": "card", "postback": {"text": "Tell me more", "payload": "MORE"}}
    )
    assert echo["content"][0]["buttonResponse"]["type"] == "Button"  # type: ignore[index]
    sent_and_echoed(
        started,
        {"type": "datePicker", "postback": {"payload": "2026-11-25T12:00:00Z", "messageId": "m"}},
    )
    assert len(started.data("repliedMessage")) == 1


def test_a_reply_of_an_unknown_type_rejects_naming_it(started: MessagingDriver) -> None:
    assert "'type'" in started.rejection("sendMessage", {"type": "poll", "postback": {}})


# Custom attributes ------------------------------------------------------------------------


def test_custom_attributes_of_the_database_ride_on_the_next_message(
    started: MessagingDriver, emulator: Emulator
) -> None:
    started("Database.set", {"messaging": {"customAttributes": {"plan": "gold"}}})
    assert started("Database.get", {"name": "messaging.customAttributes"}) == {"plan": "gold"}
    sent_and_echoed(started, {"message": "with attributes"})
    described = emulator.messaging.describe(started.session_id)
    assert described["customAttributes"] == {"plan": "gold"}


def test_custom_attributes_over_the_limit_fail_the_send(started: MessagingDriver) -> None:
    started("Database.update", {"messaging": {"customAttributes": {"big": "x" * 2100}}})
    sentence = "customAttributes object is larger than allowed limit: 2048 bytes"
    assert started.rejection("sendMessage", {"message": "hi"}) == sentence
    assert started.data("customAttributesSizeExceeded") == [
        {"body": sentence, "errorKey": "customAttributesSizeExceeded"}
    ]


# Typing --------------------------------------------------------------------------------


def test_sendtyping_reaches_the_agent_once_per_five_seconds(
    started: MessagingDriver, emulator: Emulator
) -> None:
    started("sendTyping")
    assert started.names().count("clientTypingStarted") == 1
    throttled = started.bus.command("MessagingService.sendTyping")
    started.settle()
    assert throttled.state == "pending"  # as the SDK: a throttled call never settles
    sent_and_echoed(started, {"message": "after typing"})  # the typing went before it
    assert emulator.messaging.describe(started.session_id)["guestTyping"] == 1


def test_the_agents_typing_is_received_then_times_out(started: MessagingDriver) -> None:
    started.agent_typing(duration_ms=50)
    assert started.data("typingReceived") == [{"typing": {"type": "On", "duration": 50}}]
    started.wait("typingTimeout")
    started.agent_typing(duration_ms=60_000)
    assert started("clearTypingTimeout") is None  # the timer it cancels: test_machine.py


# Read-only, reset, clear ------------------------------------------------------------------------


def test_a_read_only_conversation_rejects_sends_and_resetconversation_starts_anew(
    started: MessagingDriver, emulator: Emulator
) -> None:
    first = started.session_id
    disconnected = started.agent_disconnect(read_only=True)
    assert disconnected["readOnly"] is True
    started.wait("readOnlyConversation")
    assert started.rejection("sendMessage", {"message": "hello?"}) == (
        "Conversation session has ended, start a new session to send a message."
    )
    assert started("resetConversation") == {
        "authenticated": False,
        "newSession": True,
        "readOnly": False,
    }
    assert started.names()[-2:] == ["conversationReset", "started"]
    assert started.session_id != first
    sent_and_echoed(started, {"message": "a new conversation"})
    assert emulator.messaging.describe(first)["state"] == "ended"


def test_a_message_sent_while_the_conversation_resets_goes_to_the_new_one(
    started: MessagingDriver, emulator: Emulator
) -> None:
    first = started.session_id
    started.agent_disconnect(read_only=True)
    started.wait("readOnlyConversation")
    reset = started.bus.command("MessagingService.resetConversation")
    started("sendMessage", {"message": "still there?"})
    assert reset.result(timeout=10)["newSession"] is True
    tracing_id = started.data("sendingMessage")[-1]["message"]["tracingId"]
    started.wait("messagesReceived", lambda d: d["messages"][0].get("tracingId") == tracing_id)
    assert started.data("error") == [] and started.session_id != first


def test_resetconversation_of_an_active_conversation_rejects(started: MessagingDriver) -> None:
    assert started.rejection("resetConversation").startswith("Conversation reset is not allowed.")


def test_clearconversation_clears_it_on_the_server_and_the_next_start_is_new(
    started: MessagingDriver, emulator: Emulator
) -> None:
    first = started.session_id
    cleared = started("clearConversation")
    assert cleared["class"] == "SessionClearedEvent"
    assert started.data("conversationCleared") == [cleared]
    assert emulator.messaging.describe(first)["state"] == "ended"
    assert started.rejection("clearConversation") == (
        "There is no active conversation found to clear."
    )
    started("startConversation")
    started.wait("started", lambda d: d["newSession"])
    assert started.session_id != first


def test_clearconversation_refused_by_the_server_rejects_with_the_sdk_sentence(
    started: MessagingDriver, emulator: Emulator
) -> None:
    emulator.messaging.disable_clear()
    assert started.rejection("clearConversation") == (
        "Please check your conversation clear option is enabled in your configuration."
    )
    assert started.data("error")[-1]["error"]["code"] == 403


def test_clearsession_forgets_the_session_here_only(
    started: MessagingDriver, emulator: Emulator
) -> None:
    first = started.session_id
    started("clearSession")
    assert started.names()[-1] == "sessionCleared"
    assert not started.session_file.exists()
    assert emulator.messaging.describe(first)["state"] == "active"
    started("startConversation")
    started.wait("started", lambda d: d["newSession"])
    assert started.session_id != first


# History --------------------------------------------------------------------------------


@pytest.mark.messaging_config(historyPageSize=2)
def test_fetchhistory_pages_back_to_the_first_message(started: MessagingDriver) -> None:
    for text in ("one", "two", "three"):
        started.agent_send(text)
    first = started("fetchHistory")
    assert [m["text"] for m in first["messages"]] == ["three", "two"]
    assert started("fetchHistory")["messages"][0]["text"] == "one"
    assert started.names()[-1] == "historyComplete"
    assert started("fetchHistory") == "All the messages are fetched"
    assert len(started.data("oldMessages")) == 2


def test_fetchhistory_with_no_conversation_rejects(messaging: MessagingDriver) -> None:
    assert messaging.rejection("fetchHistory") == "Not able to fetch history"


def test_fetchhistory_that_fails_rejects(started: MessagingDriver, emulator: Emulator) -> None:
    emulator.messaging.fail_rest("*/webmessaging/messages", status=400)
    assert started.rejection("fetchHistory") == "Unable to fetch history"


# Files ----------------------------------------------------------------------------------------


def uploaded(messaging: MessagingDriver, data: dict[str, object]) -> str:
    count = len(messaging.data("fileUploaded"))
    messaging("requestUpload", data)
    messaging.wait("fileUploaded", lambda d: len(messaging.data("fileUploaded")) > count)
    attachment_id: str = messaging.data("fileUploaded")[-1]["attachmentId"]
    return attachment_id


def test_a_file_from_a_path_bytes_or_a_file_object_is_uploaded_and_sent(
    started: MessagingDriver, emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("from a path")
    ids = [
        uploaded(started, {"file": str(path)}),
        uploaded(started, {"file": b"\x89PNG bytes", "name": "pic.png"}),
        uploaded(started, {"file": io.BytesIO(b"from an object"), "name": "obj.txt"}),
    ]
    assert {"uploadApproved", "uploading"} <= set(started.names())
    echo = sent_and_echoed(started, {"message": "three files"})
    carried = [c["attachment"]["id"] for c in echo["content"]]  # type: ignore[attr-defined]
    assert carried == ids
    states = emulator.messaging.describe(started.session_id)["attachments"]
    assert [states[i] for i in ids] == ["sent"] * 3


def test_a_blocked_file_is_refused_before_any_upload(
    started: MessagingDriver, emulator: Emulator
) -> None:
    started("requestUpload", {"file": b"MZ", "name": "setup.exe"})
    error = started.wait("error")["error"]
    assert error["errorKey"] == "fileTypeInvalid" and error["code"] == 4001
    started.wait("fileUploadError")
    assert emulator.messaging.describe(started.session_id)["attachments"] == {}


def test_a_file_that_is_not_regular_is_refused(started: MessagingDriver) -> None:
    started("requestUpload", {"file": "/dev/null"})
    assert "regular file" in started.wait("fileUploadError")["errorMessage"]


def test_requestupload_rejects_when_the_deployment_takes_no_files(
    deployment: Emulator, tmp_path: Path
) -> None:
    deployment.messaging.set_deployment(uploads=False)
    with messaging_on(deployment, tmp_path / "s.json") as messaging:
        messaging("startConversation")
        assert messaging.rejection("requestUpload", {"file": b"x", "name": "a.txt"}) == (
            "Sending attachments is disabled in the configuration"
        )


def test_deletefile_deletes_an_upload_no_message_carries(
    started: MessagingDriver, emulator: Emulator
) -> None:
    attachment_id = uploaded(started, {"file": b"oops", "name": "wrong.txt"})
    started("deleteFile", {"id": attachment_id})
    assert started.data("fileDeleted") == [{"attachmentId": attachment_id}]
    states = emulator.messaging.describe(started.session_id)["attachments"]
    assert states[attachment_id] == "deleted"
    echo = sent_and_echoed(started, {"message": "no file"})
    assert "content" not in echo


def test_the_agents_file_is_fetched_refreshed_and_downloaded(
    started: MessagingDriver, tmp_path: Path
) -> None:
    attachment_id = started.agent_send_file("terms.pdf", b"%PDF terms", "application/pdf")
    started("getFile", {"id": attachment_id})
    received = started.wait("fileReceived")
    assert received["attachmentId"] == attachment_id
    assert started.names()[-2:] == ["messagesUpdated", "fileReceived"]
    started("refreshFiles", {"files": [{"id": attachment_id}]})
    started.wait("messagesUpdated", lambda d: len(started.data("messagesUpdated")) == 2)
    url = received["downloadUrl"]
    assert started("downloadFile", {"downloadUrl": url, "name": "terms.pdf"}) == b"%PDF terms"
    target = tmp_path / "saved.pdf"
    started("downloadFile", {"downloadUrl": url, "name": "terms.pdf", "path": str(target)})
    assert target.read_bytes() == b"%PDF terms"
    assert len(started.data("fileDownloaded")) == 2


def test_a_download_that_fails_rejects_and_publishes_filedownloaderror(
    started: MessagingDriver, emulator: Emulator
) -> None:
    bad = f"{emulator.data_url}/emulator/messaging/downloads/nope?expires=1&signature=x"
    with pytest.raises(CommandRejected, match="403"):
        started("downloadFile", {"downloadUrl": bad, "name": "x"})
    assert started.data("fileDownloadError")[0]["name"] == "x"


# Errors ------------------------------------------------------------------------------------


def test_a_message_the_server_refuses_as_too_long_is_an_error_with_its_errorkey(
    started: MessagingDriver,
) -> None:
    started("sendMessage", {"message": "x" * 5000})
    error = started.wait("error")["error"]
    assert error["code"] == 4011 and error["errorKey"] == "messageLengthExceeded"


# Secrets -----------------------------------------------------------------------------------


def test_the_session_token_and_jwts_are_in_no_log_line_and_no_repr(
    emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.DEBUG),
        messaging_on(emulator, tmp_path / "s.json", reconnectInterval=0.05) as messaging,
    ):
        messaging("startConversation")
        sent_and_echoed(messaging, {"message": "hello"})
        messaging.agent_send("hi")
        messaging("fetchHistory")
        emulator.messaging.drop_sockets(messaging.session_id)
        messaging.wait("reconnected")
        messaging.agent_send("back")
        token = messaging.store.token()
        service = MessagingService.of(messaging.bus)
        assert service is not None and service._runner is not None
        machine = service._runner._machine
        shown = " ".join(
            repr(thing)
            for thing in (
                service,
                machine,
                machine.state,
                machine.record,
                messaging.store.load(),
                *machine.asked.values(),
            )
        )
    assert token not in shown and token not in caplog.text
    assert "eyJ" not in caplog.text  # no JWT either
    assert "MessagingService.messagesReceived" in caplog.text  # the trace was on
