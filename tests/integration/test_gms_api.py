"""The GMS REST client against the emulator: every call, every refusal, no secret shown."""

from __future__ import annotations

import concurrent.futures
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cxbus_emulator import Emulator
from cxbus_emulator.gms import FileLimits as ServerFileLimits
from cxbus_webchat.transports.gms_api import GmsChatApi
from cxbus_webchat.transports.gms_errors import (
    ChatFinished,
    ChatServerBusy,
    ChatServerUnreachable,
    FileTooLarge,
    FileTypeNotAllowed,
    GmsError,
    InvalidService,
    MessageTooLong,
    NotAuthorized,
    StartRefused,
    TooManyFiles,
)
from cxbus_webchat.transports.gms_replies import ChatKeys

from .conftest import TlsEmulator

pytestmark = pytest.mark.integration

MakeApi = Callable[..., GmsChatApi]


@pytest.fixture
def make_api(emulator: Emulator) -> Iterator[MakeApi]:
    """GmsChatApi objects for the emulator's chat service, closed after the test."""
    made: list[GmsChatApi] = []

    def make(**options: Any) -> GmsChatApi:
        options.setdefault("apikey", emulator.gms.apikey)
        options.setdefault("timeout", 10.0)
        api = GmsChatApi(options.pop("data_url", emulator.gms.data_url), **options)
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()


@pytest.fixture
def api(make_api: MakeApi) -> GmsChatApi:
    """A chat requested as Ada."""
    chat = make_api()
    chat.request_chat(nickname="Ada")
    return chat


def chat_id(api: GmsChatApi) -> str:
    assert api.keys is not None
    return api.keys.chat_id


# Starting ------------------------------------------------------------------------------


def test_the_emulators_gms_config_is_what_the_client_needs(emulator: Emulator) -> None:
    """No transport section: dataURL is the chat service URL, with the apikey beside it."""
    config = emulator.gms_config()
    assert "transport" not in config
    assert config["dataURL"].endswith("/genesys/2/chat/customer-support")
    api = GmsChatApi(config["dataURL"], apikey=config["apikey"])
    try:
        assert api.request_chat(nickname="Ada").status_code == 0
    finally:
        api.close()


def test_request_chat_keeps_the_keys_and_reads_the_reply(
    emulator: Emulator, make_api: MakeApi
) -> None:
    api = make_api()
    reply = api.request_chat(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        subject="Billing",
        user_data={"customerId": 59606, "vip": True, "address": {"city": "London"}},
    )
    assert reply.status_code == 0 and reply.chat_ended is False
    assert api.keys is not None and api.keys == reply.keys
    assert reply.chat_id == api.keys.chat_id and reply.next_position == 2
    (joined,) = reply.messages
    assert (joined.type, joined.index, joined.sender.type) == ("ParticipantJoined", 1, "Client")
    assert joined.sender.nickname == "Ada Lovelace" and joined.sender.participant_id == 1
    chat = emulator.gms.chat(api.keys.chat_id)
    assert chat.email == "ada@example.com" and chat.subject == "Billing"
    assert chat.user_data == {
        "customerId": "59606",
        "vip": "true",
        "address": '{"city": "London"}',
    }


def test_request_chat_without_the_trailing_slash(make_api: MakeApi) -> None:
    reply = make_api(trailing_slash=False).request_chat(nickname="Ada")
    assert reply.status_code == 0


@pytest.mark.parametrize(
    ("names", "code", "field", "sentence"),
    [
        (
            {},
            161,
            "nickname",
            "The chat server needs a nickname, or a first and a last name (code 161: "
            '"Give a nickname, or a first and a last name.").',
        ),
        (
            {"last_name": "Lovelace"},
            102,
            "firstName",
            'The chat server needs a first name (code 102: "The first name is required.").',
        ),
        (
            {"first_name": "Ada"},
            103,
            "lastName",
            'The chat server needs a last name (code 103: "The last name is required.").',
        ),
        (
            {"nickname": "Ada", "email": "nope"},
            364,
            "emailAddress",
            "The chat server refused the email address (code 364: "
            '"The email address is not valid.").',
        ),
    ],
)
def test_a_refused_start_names_the_form_field(
    make_api: MakeApi, names: dict[str, str], code: int, field: str, sentence: str
) -> None:
    api = make_api()
    with pytest.raises(StartRefused) as refused:
        api.request_chat(**names)
    assert refused.value.codes == (code,) and refused.value.field == field
    assert refused.value.status == 400 and refused.value.operation == "requestChat"
    assert str(refused.value) == sentence
    assert api.keys is None


def test_a_chat_is_requested_once(api: GmsChatApi) -> None:
    with pytest.raises(RuntimeError, match="already has chat"):
        api.request_chat(nickname="Ada")


def test_no_call_before_the_chat_is_requested(make_api: MakeApi) -> None:
    with pytest.raises(RuntimeError, match=r"request_chat\(\) first"):
        make_api().refresh()


def test_data_url_must_be_an_http_url() -> None:
    with pytest.raises(ValueError, match="^dataURL must be the chat service's http"):
        GmsChatApi("ftp://example.com/genesys/2/chat/customer-support")


# The conversation ------------------------------------------------------------------------


def test_send_and_read_back_from_a_position(emulator: Emulator, api: GmsChatApi) -> None:
    reply = api.send("hello", transcript_position=2)
    (sent,) = reply.messages
    assert (sent.text, sent.message_type, sent.index) == ("hello", "text", 2)
    emulator.gms.agent_join(chat_id(api), "Kate")
    emulator.gms.agent_send(chat_id(api), "Hi Ada")
    news = api.refresh(reply.next_position or 1)
    assert [(m.type, m.sender.type, m.text) for m in news.messages] == [
        ("ParticipantJoined", "Agent", None),
        ("Message", "Agent", "Hi Ada"),
    ]
    assert news.next_position == 5 and api.refresh(5).messages == ()


def test_send_without_a_position_answers_no_messages(api: GmsChatApi) -> None:
    assert api.send("hi").messages == ()


def test_send_carries_the_type_and_the_event_attributes(api: GmsChatApi) -> None:
    attributes = {"general-properties": {"related-event-id": "7"}}
    api.send("re", message_type="reply", event_attributes=attributes)
    sent = api.refresh(2).messages[0]
    assert sent.message_type == "reply" and sent.event_attributes == attributes


def test_a_message_too_long_is_message_too_long(emulator: Emulator, api: GmsChatApi) -> None:
    with pytest.raises(MessageTooLong) as refused:
        api.send("x" * (emulator.gms_server.max_message_length + 1))
    assert refused.value.codes == (204,)


def test_typing_sends_the_preview(emulator: Emulator, api: GmsChatApi) -> None:
    api.start_typing("hel")
    assert emulator.gms.chat(chat_id(api)).typing_preview == "hel"
    reply = api.stop_typing(transcript_position=2)
    assert [m.type for m in reply.messages] == ["TypingStarted", "TypingStopped"]


def test_refresh_reads_from_one_by_default_and_sends_the_preview(
    emulator: Emulator, api: GmsChatApi
) -> None:
    assert [m.index for m in api.refresh(text="draft").messages] == [1]
    assert emulator.gms.chat(chat_id(api)).typing_preview == "draft"
    assert api.refresh(0).messages == ()


def test_custom_notice_and_the_wake_notice(api: GmsChatApi) -> None:
    api.custom_notice("ping")
    api.custom_notice(event_attributes={"purpose": "cancel-idle-timer"})
    notices = api.refresh(2).messages
    assert [(m.type, m.text) for m in notices] == [("CustomNotice", "ping"), ("CustomNotice", None)]
    assert notices[1].event_attributes == {"purpose": "cancel-idle-timer"}


def test_update_data_push_url_and_nickname(emulator: Emulator, api: GmsChatApi) -> None:
    api.update_data({"firstname": "Joe"})
    api.push_url("https://example.com/help")
    api.update_nickname("Countess")
    assert emulator.gms.chat(chat_id(api)).user_data == {"firstname": "Joe"}
    events = api.refresh(2).messages
    assert [(m.type, m.text) for m in events] == [
        ("PushUrl", "https://example.com/help"),
        ("NicknameUpdated", None),
    ]
    assert events[1].sender.nickname == "Countess"


def test_the_idle_countdown_is_read(emulator: Emulator, api: GmsChatApi) -> None:
    alert, close = emulator.gms_server.idle.alert_after, emulator.gms_server.idle.close_after
    emulator.gms.set_idle(0.05, 60)
    try:
        api.send("restart the idle clock")
        emulator.gms.wait_for(chat_id(api), lambda c: c.idle_close_at is not None)
        reply = api.refresh(3)
        assert reply.messages[0].type == "IdleAlert"
        assert reply.messages[0].user_data["next-idle-timer-secs"] == "60"
        assert reply.idle_timer_expire is not None and 0 < reply.idle_timer_expire <= 60
    finally:
        emulator.gms.set_idle(alert, close)


# Ending ----------------------------------------------------------------------------------


def test_disconnect_says_the_chat_ended_and_later_calls_are_chat_finished(
    api: GmsChatApi,
) -> None:
    assert api.disconnect().chat_ended is True
    assert api.refresh().chat_ended is True
    with pytest.raises(ChatFinished) as finished:
        api.send("late")
    assert finished.value.reply is not None and finished.value.reply.chat_ended is True
    assert str(finished.value) == (
        "The chat server says the chat is over (statusCode 2): send was not done."
    )


def test_the_agent_ending_the_chat_is_read_on_the_next_reply(
    emulator: Emulator, api: GmsChatApi
) -> None:
    emulator.gms.agent_join(chat_id(api))
    emulator.gms.end_chat(chat_id(api))
    reply = api.refresh(2)
    assert reply.chat_ended is True and reply.messages[-1].type == "ParticipantLeft"


def test_a_chat_is_picked_up_again_with_its_keys(emulator: Emulator, api: GmsChatApi) -> None:
    """A restore: a new session with the stored keys reads the whole transcript."""
    api.send("before the restart")
    assert api.keys is not None
    again = GmsChatApi(emulator.gms.data_url, apikey=emulator.gms.apikey, keys=api.keys)
    try:
        reply = again.refresh(1)
        assert [m.text for m in reply.messages] == [None, "before the restart"]
        assert reply.chat_ended is False
    finally:
        again.close()


def test_calls_of_one_chat_may_run_on_several_threads_at_once(api: GmsChatApi) -> None:
    """Refreshes in flight while messages are sent: every message is there, once."""
    texts = [f"m{n}" for n in range(40)]
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        refreshes = [pool.submit(api.refresh, 1) for _ in range(20)]
        list(pool.map(api.send, texts))
        assert all(refresh.result().status_code == 0 for refresh in refreshes)
    sent = [m.text for m in api.refresh(2).messages]
    assert sorted(sent, key=lambda t: int(str(t)[1:])) == texts


# Files -----------------------------------------------------------------------------------


def test_file_limits_are_read(api: GmsChatApi) -> None:
    limits = api.file_limits().file_limits
    assert limits is not None
    assert limits.file_types == ("jpeg", "jpg", "png", "gif", "pdf", "txt")
    assert (limits.max_files, limits.max_file_size, limits.max_total_size) == (
        3,
        2_097_152,
        5_242_880,
    )
    assert limits.need_agent is False and limits.used_files == 0
    assert limits.allows_type("photo.PNG") and not limits.allows_type("run.exe")


def test_upload_download_and_delete(emulator: Emulator, api: GmsChatApi) -> None:
    uploaded = api.upload("notes.txt", b"hello", "text/plain", description="my notes")
    assert uploaded.file_id is not None
    event = api.refresh(2).messages[0]
    assert event.type == "FileUploaded" and event.user_data["file-id"] == uploaded.file_id
    assert event.user_data["file-description"] == "my notes"
    downloaded = api.download(uploaded.file_id)
    assert downloaded.content == b"hello" and downloaded.name == "notes.txt"
    assert downloaded.content_type is not None and downloaded.content_type.startswith("text/plain")
    api.delete_file(uploaded.file_id)
    assert api.refresh(3).messages[0].type == "FileDeleted"
    with pytest.raises(GmsError) as gone:
        api.download(uploaded.file_id)
    assert str(gone.value) == (
        f"The chat server refused file/{uploaded.file_id}/download (HTTP 400): "
        f"There is no file {uploaded.file_id} in this chat."
    )


def test_a_json_file_is_downloaded_as_a_file(emulator: Emulator, api: GmsChatApi) -> None:
    emulator.gms.set_file_limits(ServerFileLimits(upload_file_types=("json",)))
    try:
        uploaded = api.upload("data.json", b'{"statusCode": 0}', "application/json")
        assert uploaded.file_id is not None
        assert api.download(uploaded.file_id).content == b'{"statusCode": 0}'
    finally:
        emulator.gms.set_file_limits(ServerFileLimits())


def test_refused_uploads_say_which_limit(emulator: Emulator, api: GmsChatApi) -> None:
    with pytest.raises(FileTypeNotAllowed) as wrong_type:
        api.upload("run.exe", b"MZ")
    assert wrong_type.value.limit is None and wrong_type.value.codes == (203,)
    emulator.gms.set_file_limits(ServerFileLimits(upload_max_files=1, upload_max_file_size=4))
    try:
        with pytest.raises(FileTooLarge) as too_large:
            api.upload("big.txt", b"12345")
        assert too_large.value.limit == 4
        assert str(too_large.value) == "The file is too large (code 202: at most 4 bytes)."
        api.upload("ok.txt", b"1234")
        with pytest.raises(TooManyFiles) as too_many:
            api.upload("more.txt", b"1")
        assert too_many.value.limit == 1
    finally:
        emulator.gms.set_file_limits(ServerFileLimits())


# Refusals and faults ---------------------------------------------------------------------


def test_a_busy_server_is_chat_server_busy(emulator: Emulator, api: GmsChatApi) -> None:
    emulator.gms.answer_busy("*/refresh")
    with pytest.raises(ChatServerBusy) as busy:
        api.refresh()
    assert busy.value.status == 200 and busy.value.reply is not None
    assert busy.value.reply.status_code == 1 and busy.value.reply.chat_ended is False
    assert api.refresh().status_code == 0


def test_a_cut_connection_is_chat_server_unreachable(emulator: Emulator, api: GmsChatApi) -> None:
    emulator.gms.cut_connection("*/send")
    with pytest.raises(ChatServerUnreachable) as cut:
        api.send("hello?")
    assert cut.value.status is None and cut.value.operation == "send"
    assert str(cut.value).startswith("The chat server could not be reached for send: ")


def test_a_closed_port_is_chat_server_unreachable(make_api: MakeApi) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = make_api(data_url=f"http://127.0.0.1:{port}/genesys/2/chat/customer-support")
    with pytest.raises(ChatServerUnreachable):
        api.request_chat(nickname="Ada")


def test_a_call_slower_than_the_timeout_is_chat_server_unreachable(
    emulator: Emulator, make_api: MakeApi
) -> None:
    api = make_api(timeout=0.2)
    emulator.gms.delay("/genesys/2/chat/*", 2.0)
    with pytest.raises(ChatServerUnreachable):
        api.request_chat(nickname="Ada")


@pytest.mark.parametrize("status", [404, 500, 502])
def test_a_404_500_or_502_with_no_errors_is_an_invalid_service(
    emulator: Emulator, api: GmsChatApi, status: int
) -> None:
    emulator.gms.fail_next("*/refresh", status=status)
    with pytest.raises(InvalidService) as invalid:
        api.refresh()
    assert invalid.value.status == status and invalid.value.body == "Injected by the emulator."
    assert invalid.value.reply is None


def test_another_http_error_is_a_plain_gms_error(emulator: Emulator, api: GmsChatApi) -> None:
    emulator.gms.fail_next("*/refresh", status=503)
    with pytest.raises(GmsError) as refused:
        api.refresh()
    assert type(refused.value) is GmsError and refused.value.status == 503
    assert str(refused.value) == "The chat server refused refresh (HTTP 503): no reason given."


def test_an_unknown_service_is_an_invalid_service(emulator: Emulator, make_api: MakeApi) -> None:
    api = make_api(data_url=emulator.gms.data_url.replace("customer-support", "sales"))
    with pytest.raises(InvalidService) as invalid:
        api.request_chat(nickname="Ada")
    assert invalid.value.codes == (306,)


def test_a_wrong_apikey_is_not_authorized(make_api: MakeApi) -> None:
    for apikey in (None, "not-the-key"):
        with pytest.raises(NotAuthorized) as refused:
            make_api(apikey=apikey).request_chat(nickname="Ada")
        assert refused.value.status == 401


def test_wrong_keys_are_not_authorized(emulator: Emulator, api: GmsChatApi) -> None:
    assert api.keys is not None
    forged = ChatKeys(api.keys.chat_id, "0123456789abcdef")
    other = GmsChatApi(emulator.gms.data_url, apikey=emulator.gms.apikey, keys=forged)
    try:
        with pytest.raises(NotAuthorized):
            other.refresh()
    finally:
        other.close()


def test_a_refusal_keeps_the_servers_body_with_the_secure_key_masked(api: GmsChatApi) -> None:
    with pytest.raises(FileTypeNotAllowed) as refused:
        api.upload("run.exe", b"MZ")
    body = refused.value.body
    assert body["statusCode"] == 1 and body["errors"] == [{"code": 203}]
    assert body["secureKey"] == "***" and body["chatId"] == chat_id(api)


# Secrets -----------------------------------------------------------------------------------


def test_the_secure_key_is_in_no_repr_exception_or_log_line(
    emulator: Emulator, make_api: MakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = make_api()
    started = api.request_chat(nickname="Ada")
    assert api.keys is not None
    secret = api.keys.secure_key
    shown = [repr(api), repr(api.keys), repr(started), str(started)]
    shown += [repr(api.refresh()), repr(api.file_limits())]
    emulator.gms.answer_busy("*/refresh")
    emulator.gms.cut_connection("*/send")
    for call in (api.refresh, lambda: api.send("x"), lambda: api.upload("a.exe", b"")):
        with pytest.raises(GmsError) as refused:
            call()
        shown += [str(refused.value), repr(refused.value), repr(refused.value.reply)]
        shown.append(repr(refused.value.body))
    api.disconnect()
    with pytest.raises(ChatFinished) as finished:
        api.send("late")
    shown += [str(finished.value), repr(finished.value.body), repr(finished.value.reply)]
    assert caplog.records, "the client logs its calls at debug level"
    shown += [record.getMessage() for record in caplog.records]
    assert not [text for text in shown if secret in text]


def test_cabundle_wins_over_the_environment_s_bundle_and_fills_in_for_it(
    tls: TlsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    gms = tls.emulator.gms
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.stranger))
    trusted = GmsChatApi(gms.data_url, apikey=gms.apikey, ca_bundle=str(tls.signer))
    assert trusted.request_chat(nickname="Ada").keys is not None
    with pytest.raises(ChatServerUnreachable):
        GmsChatApi(gms.data_url, apikey=gms.apikey).request_chat(nickname="Ada")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.signer))
    assert GmsChatApi(gms.data_url, apikey=gms.apikey).request_chat(nickname="Ada").keys
