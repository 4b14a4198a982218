"""Every resolution and rejection row of the Genesys WebChatService page, on the fake transport."""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from cxbus import Bus, CommandRejected
from cxbus_webchat import register_transport
from cxbus_webchat.transports.fake import FakeTransport

from .conftest import Chat, webchat_config

NO_SESSION = "There is no active chat session."
DENIED = "Access Denied to private command. Only WebChatService is allowed to invoke this command."


@register_transport
class LimitedTransport(FakeTransport):
    """A fake server that takes no custom notices, user data updates or files."""

    type = "fake-limited"
    supports_custom_notice = False
    supports_user_data_update = False
    supports_files = False


@pytest.fixture
def limited(tmp_path: Path) -> Any:
    with Bus(
        config={"webchat": webchat_config(tmp_path, transport={"type": "fake-limited"})}
    ) as bus:
        bus.load_plugin("WebChatService").result(timeout=5)
        chat = Chat(bus)
        chat("startChat", {"nickname": "Ada"})
        yield chat


def as_service(chat: Chat, command: str, data: Any = None) -> Any:
    """Run a command as WebChatService itself (the only commander of private commands)."""
    service = chat.bus.plugins["WebChatService"]
    return service.command(f"WebChatService.{command}", data)


# configure ------------------------------------------------------------------------


def test_configure_is_private(chat: Chat) -> None:
    """configure rejects every commander but WebChatService."""
    assert chat.rejection("configure", {"transport": {"type": "fake"}}) == DENIED


def test_configure_can_only_be_called_once(chat: Chat) -> None:
    """A second configure is refused rather than half-applied."""
    with pytest.raises(CommandRejected, match="configure can only be called once"):
        as_service(chat, "configure", {"transport": {"type": "fake"}}).result(timeout=5)


@pytest.mark.parametrize(
    ("webchat", "sentence"),
    [
        # No transport: GMS mode, which needs its chat service's URL.
        (
            {},
            "webchat.dataURL must be the GMS chat service's http(s) URL, service name "
            "included, such as 'http://host:8080/genesys/2/chat/customer-support' (or give "
            "a transport section with its type for another chat service); it is missing.",
        ),
        ({"transport": {}}, "webchat.transport.type must be a non-empty string; it is missing."),
        (
            {"transport": {"type": "fake", "interactionData": {"routing": {"priority": 11}}}},
            "webchat.transport.interactionData.routing.priority must be an integer from 0 to 10; "
            "got 11.",
        ),
        (
            {"transport": {"type": "fake", "dataURL": "api.mypurecloud.com"}},
            "webchat.transport.dataURL must be an http(s) URL such as "
            "'https://api.mypurecloud.com'; got 'api.mypurecloud.com'.",
        ),
        (
            {"transport": {"type": "carrier-pigeon"}},
            "webchat.transport.type 'carrier-pigeon' is not a known transport",
        ),
        (
            {"transport": {"type": "fake"}, "userData": ["not", "an", "object"]},
            "webchat.userData must be an object of key/value pairs; got ['not', 'an', 'object'].",
        ),
        (
            {"transport": {"type": "fake"}, "autoRestore": "no"},
            "webchat.autoRestore must be true or false; got 'no'.",
        ),
    ],
)
def test_a_bad_configuration_is_one_error_naming_the_option(
    webchat: dict[str, Any], sentence: str
) -> None:
    """A wrong type, a missing option or a priority out of 0-10 fails the load, naming it."""
    with Bus(config={"webchat": webchat}) as bus:
        with pytest.raises(CommandRejected) as raised:
            bus.command("WebChatService.verifySession").result(timeout=5)
        assert str(raised.value.reason).startswith(sentence)
        assert "WebChatService" not in bus.plugins


def test_the_deployment_key_never_appears_in_a_configuration_error() -> None:
    """A configuration error names the option, never a secret beside it."""
    webchat = {"transport": {"type": "fake", "deploymentKey": "dk-secret", "orgGuid": 5}}
    with Bus(config={"webchat": webchat}) as bus, pytest.raises(CommandRejected) as raised:
        bus.command("WebChatService.verifySession").result(timeout=5)
    assert "orgGuid" in str(raised.value.reason)
    assert "dk-secret" not in str(raised.value.reason)


# startChat / endChat ----------------------------------------------------------------


def test_start_chat_resolves_with_the_session_and_publishes_started(chat: Chat) -> None:
    """startChat resolves when the server confirms, and started carries the session data."""
    session = chat("startChat", {"nickname": "Ada", "email": "ada@example.com"})
    assert set(session) == {"conversationId", "memberId"}
    assert chat.data("started") == [session]
    assert chat.names()[:2] == ["started", "clientConnected"]


def test_start_chat_while_a_chat_is_active_rejects(started: Chat) -> None:
    """A second startChat rejects with the page's sentence."""
    assert started.rejection("startChat", {}) == "There is already an active chat session."


def test_start_chat_with_malformed_user_data_rejects(chat: Chat) -> None:
    """userData that is not an object rejects with the page's sentence."""
    reason = chat.rejection("startChat", {"userData": "vip"})
    assert reason == "malformed data object provided in userData property."


def test_start_chat_with_a_bad_option_rejects_naming_it(chat: Chat) -> None:
    """A form field of the wrong type is named in the rejection."""
    assert chat.rejection("startChat", {"nickname": 7}) == (
        "startChat needs 'nickname': a non-empty string; got 7."
    )


def test_start_chat_refused_by_the_server_rejects_and_publishes_error(chat: Chat) -> None:
    """A server exception rejects with the server's answer and publishes error; no chat starts."""
    answer = {"message": "Deployment is disabled", "status": 400}
    chat("FakeTransport.failNext", {"reason": answer})
    assert chat.rejection("startChat", {"nickname": "Ada"}) == answer
    chat("verifySession")  # the error event is out once the worker answers
    assert chat.data("error") == [answer]
    assert chat("verifySession") == {"sessionActive": False}


def test_end_chat_resolves_and_publishes_ended(started: Chat) -> None:
    """endChat leaves the conversation, publishes ended, and the session is no longer active."""
    started("endChat")
    assert started.names()[-2:] == ["clientDisconnected", "ended"]
    assert started("verifySession") == {"sessionActive": False}


def test_end_chat_without_a_chat_rejects(chat: Chat) -> None:
    """endChat with no chat rejects with the page's sentence."""
    assert chat.rejection("endChat") == NO_SESSION


# sendMessage / sendCustomNotice / sendTyping ----------------------------------------


def test_send_message_resolves_with_the_server_answer(started: Chat) -> None:
    """sendMessage resolves with the sent message as the server describes it."""
    answer = started("sendMessage", {"message": "hi"})
    assert answer["body"] == "hi" and answer["bodyType"] == "standard"


@pytest.mark.parametrize("data", [None, {}, {"message": ""}, {"message": "   "}, {"message": 3}])
def test_send_message_without_text_rejects(started: Chat, data: Any) -> None:
    """No message text rejects with the page's sentence."""
    assert started.rejection("sendMessage", data) == "No message text provided."


def test_send_message_without_a_chat_rejects(chat: Chat) -> None:
    """sendMessage with no chat rejects with the page's sentence."""
    assert chat.rejection("sendMessage", {"message": "hi"}) == NO_SESSION


def test_send_message_refused_by_the_server_rejects_with_its_answer(started: Chat) -> None:
    """An exception on the way rejects with what the server said."""
    started("FakeTransport.failNext", {"reason": {"message": "Too many requests", "status": 429}})
    assert started.rejection("sendMessage", {"message": "hi"})["status"] == 429


def test_send_custom_notice_resolves(started: Chat) -> None:
    """A custom notice goes to the server as a notice."""
    assert started("sendCustomNotice", {"message": "bye"})["bodyType"] == "notice"


def test_send_custom_notice_on_a_transport_without_them_rejects(limited: Chat) -> None:
    """A transport that takes no custom notices rejects with the page's sentence."""
    assert limited.rejection("sendCustomNotice", {"message": "bye"}) == (
        "This transport doesn't support sendCustomNotice command."
    )


def test_send_typing_resolves_and_publishes_client_typing_started(started: Chat) -> None:
    """sendTyping tells the agent, and clientTypingStarted is published once per burst."""
    started("sendTyping")
    started("sendTyping")
    assert started.names() == ["clientTypingStarted"]


def test_send_typing_without_a_chat_rejects(chat: Chat) -> None:
    """sendTyping with no chat rejects with the page's sentence."""
    assert chat.rejection("sendTyping") == NO_SESSION


# Filters and preprocessors ---------------------------------------------------------------


def test_send_filtered_message_resolves_and_hides_the_message(started: Chat) -> None:
    """A filtered message reaches the agent but never the transcript nor messageReceived."""
    assert started("sendFilteredMessage", {"message": "token 1234", "regex": r"token \d+"}) is None
    started("sendMessage", {"message": "visible"})
    texts = [m["text"] for m in started("getTranscript")["messages"]]
    assert "token 1234" not in texts and "visible" in texts
    shown = [m["text"] for data in started.data("messageReceived") for m in data["messages"]]
    assert shown == ["visible"]


def test_send_filtered_message_that_fails_takes_its_filter_back(started: Chat) -> None:
    """When the server refuses the message, its filter does not hide later messages."""
    started("FakeTransport.failNext", {"reason": {"message": "Internal", "status": 500}})
    started.rejection("sendFilteredMessage", {"message": "my order 42", "regex": "order"})
    started("FakeTransport.agentSend", {"text": "about your order"})
    assert started.texts()[-1] == "about your order"
    assert started("addPrefilter", {"filters": "card"}) == [re.compile("card")]


def test_send_filtered_message_without_a_chat_rejects(chat: Chat) -> None:
    """With no chat, the page's own (shorter) sentence."""
    reason = chat.rejection("sendFilteredMessage", {"message": "x", "regex": "x"})
    assert reason == "No active chat session."


def test_send_filtered_message_with_a_bad_regex_rejects_naming_it(started: Chat) -> None:
    """A regex that is not a regular expression is named in the rejection."""
    reason = started.rejection("sendFilteredMessage", {"message": "x", "regex": "("})
    assert reason.startswith("sendFilteredMessage needs 'regex': a regular expression")


def test_add_prefilter_resolves_with_every_filter(started: Chat) -> None:
    """addPrefilter takes one regex or a list, and resolves with all registered."""
    first = started("addPrefilter", {"filters": re.compile("secret")})
    both = started("addPrefilter", {"filters": ["code \\d+"]})
    assert [p.pattern for p in first] == ["secret"]
    assert [p.pattern for p in both] == ["secret", "code \\d+"]
    started("FakeTransport.agentSend", {"text": "your code 42"})
    started("FakeTransport.agentSend", {"text": "hello"})
    texts = [m["text"] for m in started("getTranscript")["messages"]]
    assert "your code 42" not in texts and "hello" in texts


@pytest.mark.parametrize("filters", [None, [], ["("], 5, [re.compile("ok"), 5]])
def test_add_prefilter_with_invalid_filters_rejects(chat: Chat, filters: Any) -> None:
    """Missing or invalid filters reject with the page's sentence."""
    assert chat.rejection("addPrefilter", {"filters": filters}) == (
        "Missing or invalid filters provided. "
        "Please provide a regular expression or an array of regular expressions."
    )


def test_register_preprocessor_resolves_with_it_and_it_runs_before_publishing(
    started: Chat,
) -> None:
    """The preprocessor sees each message first; its changes reach subscribers and transcript."""

    def shout(message: dict[str, Any]) -> dict[str, Any]:
        message["text"] = message["text"].upper()
        return message

    assert started("registerPreProcessor", {"preprocessor": shout}) is shout
    started("FakeTransport.agentSend", {"text": "hello"})
    assert started.data("messageReceived")[-1]["messages"][0]["text"] == "HELLO"
    assert started("getTranscript")["messages"][-1]["text"] == "HELLO"


@pytest.mark.parametrize(("value", "kind"), [(None, "NoneType"), ("upper", "str")])
def test_register_preprocessor_without_a_function_rejects(
    chat: Chat, value: Any, kind: str
) -> None:
    """Anything but a callable rejects with the page's sentence and the type given."""
    assert chat.rejection("registerPreProcessor", {"preprocessor": value}) == (
        f"No preprocessor function provided. Type provided was '{kind}'."
    )


# updateUserData -----------------------------------------------------------------------------


def test_update_user_data_before_a_chat_merges_and_resolves_with_it(tmp_path: Path) -> None:
    """Before a chat, the internal userData is merged and returned."""
    config = webchat_config(tmp_path, userData={"customerId": "59606"})
    with Bus(config={"webchat": config}) as bus:
        merged = bus.command("WebChatService.updateUserData", {"firstname": "Joe"}).result(
            timeout=5
        )
    assert merged == {"customerId": "59606", "firstname": "Joe"}


def test_update_user_data_during_a_chat_goes_to_the_server(started: Chat) -> None:
    """During a chat, a transport that can update user data is asked to."""
    assert started("updateUserData", {"firstname": "Joe"}) == {"userData": {"firstname": "Joe"}}


def test_update_user_data_during_a_chat_on_a_transport_without_it_rejects(limited: Chat) -> None:
    """A transport that cannot update user data mid-chat rejects with the page's sentence."""
    assert limited.rejection("updateUserData", {"firstname": "Joe"}) == (
        "This transport doesn't support updating userData during an active chat session."
    )


def test_update_user_data_needs_an_object(chat: Chat) -> None:
    """Anything but an object is named in the rejection."""
    assert chat.rejection("updateUserData", "Joe") == (
        "updateUserData needs an object of key/value pairs; got 'Joe'."
    )


# Polling, history --------------------------------------------------------------------------


def test_poll_is_private(started: Chat) -> None:
    """poll rejects every commander but WebChatService."""
    assert started.rejection("poll") == DENIED


def test_poll_on_a_socket_transport_rejects(started: Chat) -> None:
    """Even for WebChatService itself, this transport does not poll."""
    with pytest.raises(CommandRejected, match="This transport doesn't support polling."):
        as_service(started, "poll").result(timeout=5)


@pytest.mark.parametrize("command", ["startPoll", "stopPoll"])
def test_start_and_stop_poll_reject_on_a_socket_transport(started: Chat, command: str) -> None:
    """startPoll and stopPoll reject with the page's sentence."""
    assert started.rejection(command) == "This transport doesn't support polling."


def test_reset_poll_exceptions_rejects_on_a_socket_transport(started: Chat) -> None:
    """resetPollExceptions rejects with the page's sentence."""
    assert started.rejection("resetPollExceptions") == (
        "This transport doesn't support resetPollExceptions command."
    )


def test_fetch_history_rejects_outside_asynchronous_chat(started: Chat) -> None:
    """fetchHistory applies only to asynchronous chat, as the page says."""
    assert started.rejection("fetchHistory") == (
        "Fetching history messages applies only to Asynchronous chat."
    )


# restore ---------------------------------------------------------------------------------------


def test_restore_by_another_plugin_rejects(chat: Chat) -> None:
    """restore in non-async mode is WebChatService's alone, with the page's longer sentence."""
    assert chat.rejection("restore") == (
        "Access Denied to private command. "
        "Only WebChatService is allowed to invoke this command in Non-Async mode."
    )


def test_restore_while_a_chat_is_active_rejects(started: Chat) -> None:
    """restore with a chat going rejects with the page's sentence."""
    with pytest.raises(CommandRejected, match="Chat session is already active"):
        as_service(started, "restore").result(timeout=5)


def test_restore_with_nothing_stored_rejects(chat: Chat) -> None:
    """restore with no stored session rejects: the session cannot be found."""
    with pytest.raises(CommandRejected, match="There is no chat session to restore."):
        as_service(chat, "restore").result(timeout=5)


# Reading the chat ---------------------------------------------------------------------------------


def test_get_transcript_always_resolves(chat: Chat) -> None:
    """getTranscript resolves even with no chat, with an empty list of messages."""
    assert chat("getTranscript") == {"messages": []}


def test_get_agents_lists_every_agent_with_metadata(started: Chat) -> None:
    """getAgents resolves with name, connected, supervisor and times per agent."""
    (agent,) = started("getAgents")
    assert agent["name"] == "Alex" and agent["connected"] is True
    assert agent["supervisor"] is False and agent["disconnectedTime"] is None
    assert agent["connectedTime"] > 0


def test_get_stats_reports_times_and_agents(started: Chat) -> None:
    """getStats resolves with agents, start time, end time and duration."""
    live = started("getStats")
    assert live["startTime"] > 0 and live["endTime"] is None and live["duration"] >= 0
    started("endChat")
    ended = started("getStats")
    assert ended["endTime"] >= ended["startTime"]
    assert ended["duration"] == ended["endTime"] - ended["startTime"]
    assert [a["name"] for a in ended["agents"]] == ["Alex"]


def test_get_session_data_never_gives_the_jwt(started: Chat) -> None:
    """getSessionData always resolves, with the ids and without the JWT."""
    data = started("getSessionData")
    assert set(data) == {"conversationId", "memberId"}
    assert "fake-jwt" not in repr(data)


def test_verify_session_resolves_with_session_active(chat: Chat) -> None:
    """verifySession tells whether a chat is active."""
    assert chat("verifySession") == {"sessionActive": False}
    chat("startChat", {})
    assert chat("verifySession") == {"sessionActive": True}


# Files -------------------------------------------------------------------------------------------


def test_send_file_takes_a_path(started: Chat, tmp_path: Path) -> None:
    """sendFile with a path uploads its bytes; the answer is the server's."""
    path = tmp_path / "receipt.pdf"
    path.write_bytes(b"%PDF-1.4")
    answer = started("sendFile", {"files": path})
    assert answer["name"] == "receipt.pdf" and answer["size"] == 8
    assert answer["contentType"] == "application/pdf"


def test_send_file_takes_a_binary_file_object_and_download_returns_its_bytes(
    started: Chat, tmp_path: Path
) -> None:
    """A binary file object uploads too; downloadFile returns the bytes or writes a path."""
    upload = io.BytesIO(b"hello")
    upload.name = "note.txt"
    file_id = started("sendFile", {"files": upload})["fileId"]
    assert started("downloadFile", {"fileId": file_id}) == b"hello"
    target = tmp_path / "copy.txt"
    assert started("downloadFile", {"fileId": file_id, "path": target}) == str(target)
    assert target.read_bytes() == b"hello"


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        ({"files": 3}, "sendFile needs 'files': a path or a binary file object; got 3."),
        ({"files": io.StringIO("text")}, "sendFile needs a binary file object (opened with 'rb')."),
        ({"files": "/no/such/file"}, "sendFile could not read '/no/such/file': No such file"),
    ],
)
def test_send_file_with_bad_input_rejects_naming_it(
    started: Chat, data: Any, sentence: str
) -> None:
    """What is not a readable file is named in the rejection."""
    assert started.rejection("sendFile", data).startswith(sentence)


def test_send_file_refused_by_the_server_rejects_with_its_answer(
    started: Chat, tmp_path: Path
) -> None:
    """A type or size refusal comes back as the server's answer."""
    path = tmp_path / "virus.exe"
    path.write_bytes(b"MZ")
    refusal = {"message": "File type is not allowed", "status": 400}
    started("FakeTransport.failNext", {"reason": refusal})
    assert started.rejection("sendFile", {"files": path}) == refusal


def test_send_file_on_a_transport_without_files_rejects(limited: Chat, tmp_path: Path) -> None:
    """A transport that takes no uploads rejects with the page's sentence."""
    path = tmp_path / "a.txt"
    path.write_text("a")
    assert limited.rejection("sendFile", {"files": path}) == (
        "This transport doesn't support file uploads."
    )


def test_download_file_needs_a_file_id(started: Chat) -> None:
    """downloadFile without fileId names the option."""
    assert started.rejection("downloadFile", {}) == (
        "downloadFile needs 'fileId': a non-empty string; got None."
    )


# Typing preview --------------------------------------------------------------------------------


class TextField:
    """A typing preview input: anything with on_text_changed(callback)."""

    def __init__(self) -> None:
        self.callbacks: list[Any] = []

    def on_text_changed(self, callback: Any) -> None:
        self.callbacks.append(callback)

    def type(self, text: str) -> None:
        for callback in self.callbacks:
            callback(text)


def test_register_typing_preview_input_sends_typing_as_the_guest_types(started: Chat) -> None:
    """A registered input's text changes send typing to the agent."""
    field = TextField()
    assert started("registerTypingPreviewInput", {"input": field}) is None
    typing = threading.Event()
    started.bus.register_plugin("Watcher").subscribe(
        "WebChatService.clientTypingStarted", lambda e: typing.set()
    )
    field.type("h")
    assert typing.wait(timeout=5)


@pytest.mark.parametrize("value", [None, "textarea", object()])
def test_register_typing_preview_input_without_an_input_rejects(chat: Chat, value: Any) -> None:
    """Anything without on_text_changed rejects with the page's sentence."""
    assert chat.rejection("registerTypingPreviewInput", {"input": value}) == (
        "Invalid value provided for the input property. "
        "An HTML element reference to a textarea or text input is required."
    )
