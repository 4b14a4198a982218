"""The conversation state machine, command by command of the Messenger's MessagingService:
no threads, no sockets, no clock.

Each test feeds ``ConversationMachine.handle`` what happened (commands, the outcomes
of its calls, frames the socket reports, timers) and reads what it asks for.
"""

from __future__ import annotations

import itertools
from typing import Any, TypeVar

import pytest

from cxbus.runtime import machine_runner as effects
from cxbus.runtime.machine_runner import CallFailed, CallSucceeded, Close, TimerFired, Updated
from cxbus_messaging import calls
from cxbus_messaging.guest_api import (
    DeploymentConfig,
    Frame,
    HistoryPage,
    Request,
    parse_frame,
    parse_message,
)
from cxbus_messaging.inputs import (
    Answered,
    ButtonReply,
    ClearConversation,
    ClearSession,
    ClearTypingTimeout,
    Configure,
    DeleteFile,
    FetchHistory,
    GetFile,
    HealthChecked,
    JoinConversation,
    Pushed,
    RequestUpload,
    ResetConversation,
    Restore,
    SendMessage,
    SendTyping,
    SocketLost,
    StartConversation,
)
from cxbus_messaging.machine import THROTTLED, ConversationMachine
from cxbus_messaging.session_store import StoredSession
from cxbus_messaging.states import (
    Active,
    Idle,
    ReadOnly,
    Reconnecting,
    Settings,
)

A = TypeVar("A")
NOW = 1_700_000_000.0
MEDIA = {
    "inbound": {"fileTypes": [{"type": "image/*"}, {"type": "text/plain"}], "maxFileSizeKB": 1}
}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def deployment(**changes: Any) -> DeploymentConfig:
    settings: dict[str, Any] = {
        "uploads_enabled": True,
        "show_user_typing": True,
        "clear_enabled": True,
        "disconnect_enabled": True,
        "disconnect_type": "ReadOnly",
        **changes,
    }
    return DeploymentConfig("deployment", **settings)


def machine(stored: Any = None, **deployment_changes: Any) -> ConversationMachine:
    """A machine with the deployment's configuration read, no conversation yet."""
    numbers = itertools.count(1)
    chat = ConversationMachine(
        Settings(deployment_id="deployment", history_page_size=2),
        stored,
        Clock(),
        new_token=lambda: f"token-{next(numbers)}",
    )
    load = call(chat.handle(Configure(1)), calls.LoadDeployment)
    assert answers(chat.handle(CallSucceeded(load.id, deployment(**deployment_changes)))) == [
        effects.Answer(1, None)
    ]
    return chat


def names(out: list[effects.Effect]) -> list[str]:
    return [e.name for e in out if isinstance(e, effects.Publish)]


def data(out: list[effects.Effect], name: str) -> Any:
    (found,) = [e.data for e in out if isinstance(e, effects.Publish) and e.name == name]
    return found


def call(out: list[effects.Effect], action: type[A]) -> effects.Call[A]:
    (found,) = [e for e in out if isinstance(e, effects.Call) and isinstance(e.action, action)]
    return found


def sent(out: list[effects.Effect]) -> list[Request]:
    return [
        r
        for e in out
        if isinstance(e, effects.Call) and isinstance(e.action, calls.Send)
        for r in e.action.requests
    ]


def answers(out: list[effects.Effect]) -> list[effects.Answer | effects.Refuse]:
    return [e for e in out if isinstance(e, (effects.Answer, effects.Refuse))]


def frame(
    frame_class: str, body: Any, kind: str = "message", code: int = 200, **extra: Any
) -> Frame:
    return parse_frame({"type": kind, "class": frame_class, "code": code, "body": body, **extra})


def session(**body: Any) -> Frame:
    return frame(
        "SessionResponse",
        {
            "connected": True,
            "newSession": True,
            "readOnly": False,
            "maxCustomDataBytes": 2048,
            "allowedMedia": MEDIA,
            "blockedExtensions": [".exe"],
            "durationSeconds": 259200,
            "expirationDate": int(NOW) + 259200,
            **body,
        },
        kind="response",
    )


def message(
    id: str, text: str, direction: str = "Outbound", time: str = "10:00:00", **body: Any
) -> dict[str, Any]:
    return {
        "id": id,
        "type": "Text",
        "text": text,
        "direction": direction,
        "channel": {"time": f"2026-11-25T{time}.000Z"},
        **body,
    }


def pushed(chat: ConversationMachine, body: dict[str, Any]) -> list[effects.Effect]:
    return chat.handle(Updated(chat.generation, Pushed(frame("StructuredMessage", body))))


def answered(chat: ConversationMachine, request: Request, answer: Frame) -> list[effects.Effect]:
    return chat.handle(Updated(chat.generation, Answered(request, answer)))


def connect(
    chat: ConversationMachine, out: list[effects.Effect], **body: Any
) -> list[effects.Effect]:
    """The socket of ``out``'s Connect opens and the session is configured."""
    opening = call(out, calls.Connect)
    opened = chat.handle(CallSucceeded(opening.id, None))
    return opened + answered(chat, opening.action.configure, session(**body))


def started(**deployment_changes: Any) -> ConversationMachine:
    chat = machine(**deployment_changes)
    connect(chat, chat.handle(StartConversation(2)))
    assert isinstance(chat.state, Active)
    return chat


def read_history(
    chat: ConversationMachine, out: list[effects.Effect], *pages: list[dict[str, Any]]
) -> list[effects.Effect]:
    """Answer getJwt, then each FetchPage with the next of ``pages`` (newest first)."""
    (get_jwt,) = [r for r in sent(out) if r.action == "getJwt"]
    out = answered(
        chat, get_jwt, frame("JwtResponse", {"jwt": "a.jwt", "exp": int(NOW) + 60}, "response")
    )
    published: list[effects.Effect] = []
    for number, page in enumerate(pages, start=1):
        fetch = call(out, calls.FetchPage)
        assert fetch.action.page_number == number
        last = number == len(pages)
        history = HistoryPage(
            tuple(parse_message(m) for m in page),
            number,
            2,
            page_count=len(pages) if last else None,
        )
        out = chat.handle(CallSucceeded(fetch.id, history))
        published += out
    return published


# Loading ---------------------------------------------------------------------------------


def test_commands_before_the_deployment_is_read_reject_as_not_configured() -> None:
    chat = ConversationMachine(Settings(), None, Clock())
    assert chat.handle(StartConversation(1)) == [
        effects.Refuse(1, "MessagingService is not configured yet.")
    ]


def test_a_configuration_that_cannot_be_read_fails_the_load_with_a_sentence() -> None:
    chat = ConversationMachine(Settings(), None, Clock())
    load = call(chat.handle(Configure(1)), calls.LoadDeployment)
    (refused,) = answers(chat.handle(CallFailed(load.id, "The server answered 503.", 503)))
    assert refused == effects.Refuse(
        1,
        "MessagingService could not read the deployment's configuration: The server answered 503.",
    )


def test_every_command_rejects_while_the_conversations_app_is_off() -> None:
    chat = machine(conversations_enabled=False)
    for command in (
        StartConversation(2),
        SendMessage(3, "hi"),
        FetchHistory(4),
        RequestUpload(5, b"x", "a.txt"),
    ):
        assert chat.handle(command) == [
            effects.Refuse(
                command.ticket, "Conversation app must be enabled in your configuration."
            )
        ]


# startConversation, configureConversation, joinConversation --------------------------------


def test_startconversation_resolves_once_the_socket_opens_then_publishes_started_retained() -> None:
    chat = machine()
    opening = call(chat.handle(StartConversation(2)), calls.Connect)
    assert opening.action.configure.payload["token"] == "token-1"
    assert opening.action.configure.payload["startNew"] is False
    assert chat.handle(CallSucceeded(opening.id, None)) == [effects.Answer(2, None)]
    out = answered(chat, opening.action.configure, session())
    started = [e for e in out if isinstance(e, effects.Publish) and e.name == "started"]
    assert started == [
        effects.Publish(
            "started",
            {
                "newSession": True,
                "authenticated": False,
                "readOnly": False,
                "durationSeconds": 259200,
                "expirationDate": int(NOW) + 259200,
            },
            retain=True,
        )
    ]
    assert "allowedFileTypes" in names(out)
    assert any(isinstance(e, effects.Save) and e.stored.token == "token-1" for e in out)


def test_a_session_answer_before_the_socket_is_told_open_still_resolves_before_started() -> None:
    chat = machine()
    opening = call(chat.handle(StartConversation(2)), calls.Connect)
    out = answered(chat, opening.action.configure, session())
    started = next(e for e in out if isinstance(e, effects.Publish) and e.name == "started")
    assert answers(out) == [effects.Answer(2, None)]
    assert out.index(effects.Answer(2, None)) < out.index(started)
    assert chat.handle(CallSucceeded(opening.id, None)) == []


def test_startconversation_while_one_is_active_rejects() -> None:
    chat = started()
    assert chat.handle(StartConversation(3)) == [
        effects.Refuse(3, "There is already an active conversation")
    ]


def test_a_socket_that_cannot_be_opened_rejects_cannot_start_conversation_and_publishes_error() -> (
    None
):
    chat = machine()
    opening = call(chat.handle(StartConversation(2)), calls.Connect)
    out = chat.handle(
        CallFailed(opening.id, "The web messaging socket was refused with status 403.", 403)
    )
    assert answers(out) == [effects.Refuse(2, "Cannot start conversation")]
    assert data(out, "error")["error"]["code"] == 403
    assert isinstance(chat.state, Idle)


def test_with_autostart_startconversation_sends_join_and_configureconversation_does_not() -> None:
    chat = machine(auto_start=True)
    out = connect(chat, chat.handle(StartConversation(2)))
    (join,) = sent(out)
    assert join.payload["message"]["events"] == [
        {"eventType": "Presence", "presence": {"type": "Join"}}
    ]
    assert data(out, "sendingMessage")["message"]["tracingId"] == join.tracing_id
    other = machine(auto_start=True)
    assert sent(connect(other, other.handle(StartConversation(2, join=False)))) == []
    assert sent(other.handle(JoinConversation(3)))[0].payload["message"]["type"] == "Event"


def test_joinconversation_rejects_when_autostart_is_off() -> None:
    chat = started()
    assert chat.handle(JoinConversation(3)) == [
        effects.Refuse(3, "Auto start must be enabled in the configuration")
    ]


# sendMessage ---------------------------------------------------------------------------


def test_sendmessage_resolves_with_its_echo_which_is_received_with_its_tracingid() -> None:
    chat = started()
    out = chat.handle(SendMessage(3, "hello"))
    (request,) = sent(out)
    assert request.payload["message"] == {"text": "hello", "type": "Text"}
    assert names(out) == ["sendingMessage"] and answers(out) == []
    assert data(out, "sendingMessage") == {
        "message": {"text": "hello", "type": "Text", "tracingId": request.tracing_id}
    }
    echo = frame(
        "StructuredMessage", message("m1", "hello", "Inbound"), tracingId=request.tracing_id
    )
    out = answered(chat, request, echo)
    echoed = {**message("m1", "hello", "Inbound"), "tracingId": request.tracing_id}
    assert data(out, "messagesReceived")["messages"] == [echoed]
    assert answers(out) == [effects.Answer(3, echoed)]


def test_a_sendmessage_never_echoed_rejects_after_sendtimeout() -> None:
    now = [1000.0]
    chat = started()
    chat.clock = lambda: now[0]
    out = chat.handle(SendMessage(3, "one"))
    assert effects.SetTimer("sendTimeout", chat.settings.send_timeout) in out
    now[0] += 1
    chat.handle(SendMessage(4, "two"))
    now[0] += chat.settings.send_timeout - 1
    out = chat.handle(TimerFired("sendTimeout"))
    (refused,) = answers(out)
    assert refused.ticket == 3 and "messaging.sendTimeout" in refused.reason
    assert effects.SetTimer("sendTimeout", 1.0) in out
    now[0] += 1
    assert [a.ticket for a in answers(chat.handle(TimerFired("sendTimeout")))] == [4]


def test_the_send_timeout_is_cancelled_once_no_message_awaits_its_echo() -> None:
    chat = started()
    (one,) = sent(chat.handle(SendMessage(3, "one")))
    (two,) = sent(chat.handle(SendMessage(4, "two")))
    cancel = effects.CancelTimer("sendTimeout")
    echo = frame("StructuredMessage", message("m1", "one", "Inbound"), tracingId=one.tracing_id)
    assert cancel not in answered(chat, one, echo)  # "two" still waits for its echo
    refusal = frame("string", "Message too long", kind="response", code=4011)
    assert cancel in answered(chat, two, refusal)


def test_a_sendmessage_the_server_refuses_rejects_with_its_words() -> None:
    chat = started()
    (request,) = sent(chat.handle(SendMessage(3, "hello")))
    refusal = frame("string", "Message too long", kind="response", code=4011)
    out = answered(chat, request, refusal)
    assert answers(out) == [effects.Refuse(3, "Message too long")]
    assert names(out) == ["error"]


def test_a_message_of_whitespace_rejects_with_the_sdk_sentence() -> None:
    chat = started()
    assert chat.handle(SendMessage(3, "  \n")) == [
        effects.Refuse(3, "Message only contains whitespaces")
    ]


def test_sendmessage_with_no_conversation_opens_one_and_the_message_goes_once_configured() -> None:
    chat = machine()
    out = chat.handle(SendMessage(2, "hi"))
    assert answers(out) == [] and sent(out) == []  # it resolves on the echo
    (request,) = sent(connect(chat, out))
    assert request.payload["message"]["text"] == "hi"


def test_a_quick_reply_is_a_button_response_and_a_date_picker_reply_publishes_repliedmessage() -> (
    None
):
    chat = started()
    (quick,) = sent(chat.handle(SendMessage(3, "Red", ButtonReply("QuickReply", "Red", "RED"))))
    assert quick.payload["message"]["content"] == [
        {
            "contentType": "ButtonResponse",
            "buttonResponse": {"text": "Red", "payload": "RED", "type": "QuickReply"},
        }
    ]
    out = chat.handle(
        SendMessage(4, "noon", ButtonReply("DatePicker", "noon", "2026-11-25T12:00", "m9"))
    )
    assert names(out) == ["sendingMessage", "repliedMessage"]
    assert sent(out)[0].payload["message"]["metadata"] == {"parentMessageId": "m9"}


def test_custom_attributes_ride_on_the_next_message_only_when_they_changed() -> None:
    chat = started()
    first = sent(chat.handle(SendMessage(3, "one", custom_attributes={"plan": "gold"})))[0]
    assert first.payload["message"]["channel"] == {
        "metadata": {"customAttributes": {"plan": "gold"}}
    }
    answered(
        chat,
        first,
        frame("StructuredMessage", message("m1", "one", "Inbound"), tracingId=first.tracing_id),
    )
    again = sent(chat.handle(SendMessage(4, "two", custom_attributes={"plan": "gold"})))[0]
    assert "channel" not in again.payload["message"]


def test_custom_attributes_over_2048_bytes_fail_the_send_with_customattributessizeexceeded() -> (
    None
):
    chat = started()
    out = chat.handle(SendMessage(3, "hi", custom_attributes={"big": "x" * 2048}))
    sentence = "customAttributes object is larger than allowed limit: 2048 bytes"
    assert data(out, "customAttributesSizeExceeded") == {
        "body": sentence,
        "errorKey": "customAttributesSizeExceeded",
    }
    assert answers(out) == [effects.Refuse(3, sentence)] and sent(out) == []


def test_an_error_answer_to_a_message_publishes_error_with_its_errorkey() -> None:
    chat = started()
    (request,) = sent(chat.handle(SendMessage(3, "x" * 10)))
    refused = frame(
        "string",
        "Message length 5000 is larger than 4096",
        "response",
        4011,
        tracingId=request.tracing_id,
    )
    error = data(answered(chat, request, refused), "error")["error"]
    assert error["code"] == 4011 and error["errorKey"] == "messageLengthExceeded"


# Typing --------------------------------------------------------------------------------


def test_sendtyping_sends_one_typing_per_5_seconds_and_the_others_are_dropped() -> None:
    chat = started()
    out = chat.handle(SendTyping(3))
    assert sent(out)[0].payload["message"]["events"][0]["eventType"] == "Typing"
    assert names(out) == ["clientTypingStarted"] and answers(out) == [effects.Answer(3, None)]
    assert chat.handle(SendTyping(4)) == [effects.Answer(4, THROTTLED)]
    chat.clock.now += 5
    assert sent(chat.handle(SendTyping(5)))


AGENT_TYPING = {
    "id": "t1",
    "type": "Event",
    "direction": "Outbound",
    "events": [{"eventType": "Typing", "typing": {"type": "On", "duration": 3000}}],
}


def test_the_agents_typing_is_received_and_times_out_unless_a_message_comes_first() -> None:
    chat = started()
    out = pushed(chat, AGENT_TYPING)
    assert data(out, "typingReceived") == {"typing": {"type": "On", "duration": 3000}}
    assert effects.SetTimer("agentTyping", 3.0) in out
    assert names(chat.handle(TimerFired("agentTyping"))) == ["typingTimeout"]
    assert effects.CancelTimer("agentTyping") in pushed(chat, message("m1", "Here I am"))


def test_cleartypingtimeout_cancels_the_agents_typing_timer_and_nothing_times_out() -> None:
    chat = started()
    assert effects.SetTimer("agentTyping", 3.0) in pushed(chat, AGENT_TYPING)
    assert chat.handle(ClearTypingTimeout(3)) == [
        effects.CancelTimer("agentTyping"),
        effects.Answer(3, None),
    ]


# Disconnect, read-only, reset ------------------------------------------------------------


def disconnect(read_only: bool = True) -> dict[str, Any]:
    return {
        "id": "d1",
        "type": "Event",
        "direction": "Outbound",
        "channel": {"time": "2026-11-25T10:00:00.000Z"},
        "events": [{"eventType": "Presence", "presence": {"type": "Disconnect"}}],
        "metadata": {"readOnly": "true"} if read_only else {},
    }


def test_a_read_only_disconnect_turns_the_conversation_read_only_and_sends_reject() -> None:
    chat = started()
    out = pushed(chat, disconnect())
    assert names(out) == ["messagesReceived", "conversationDisconnected", "readOnlyConversation"]
    assert data(out, "conversationDisconnected") == {"message": disconnect(), "readOnly": True}
    assert isinstance(chat.state, ReadOnly)
    assert chat.handle(SendMessage(3, "hello?")) == [
        effects.Refuse(3, "Conversation session has ended, start a new session to send a message.")
    ]
    assert chat.handle(SendTyping(4)) == [
        effects.Refuse(
            4, "Conversation session has ended, start a new session to send a typing indicator."
        )
    ]


def test_resetconversation_closes_the_read_only_session_and_starts_a_new_one() -> None:
    chat = started()
    pushed(chat, disconnect())
    (close,) = sent(chat.handle(ResetConversation(3)))
    assert close.payload == {
        "token": "token-1",
        "closeAllConnections": True,
        "tracingId": close.tracing_id,
        "action": "closeSession",
    }
    (configure,) = sent(
        answered(chat, close, session(connected=False, newSession=False, readOnly=True))
    )
    assert configure.payload["startNew"] is True and configure.payload["token"] == "token-1"
    out = answered(chat, configure, session())
    assert names(out)[-2:] == ["conversationReset", "started"]
    assert answers(out) == [
        effects.Answer(3, {"authenticated": False, "newSession": True, "readOnly": False})
    ]
    assert isinstance(chat.state, Active)


def test_resetconversation_of_a_conversation_that_is_not_read_only_rejects() -> None:
    chat = started()
    assert chat.handle(ResetConversation(3)) == [
        effects.Refuse(
            3,
            "Conversation reset is not allowed. "
            "Check your configuration if Read only conversation disconnect is enabled.",
        )
    ]


# Clearing ----------------------------------------------------------------------------------


def test_clearconversation_resolves_with_the_sessionclearedevent_and_forgets_the_session() -> None:
    chat = started()
    (clear,) = sent(chat.handle(ClearConversation(3)))
    assert clear.payload["message"]["events"][0]["presence"] == {"type": "Clear"}
    cleared = frame("SessionClearedEvent", {})
    out = answered(chat, clear, cleared)
    assert answers(out) == [effects.Answer(3, cleared.raw)]
    assert data(out, "conversationCleared") == cleared.raw
    assert effects.Forget() in out and isinstance(chat.state, Idle)
    assert chat.record.token is None


def test_clearconversation_rejects_when_it_is_off_or_there_is_nothing_to_clear() -> None:
    assert started(clear_enabled=False).handle(ClearConversation(3)) == [
        effects.Refuse(
            3, "Please check your conversation clear option is enabled in your configuration."
        )
    ]
    assert machine().handle(ClearConversation(3)) == [
        effects.Refuse(3, "There is no active conversation found to clear.")
    ]


def test_clearsession_closes_the_socket_forgets_the_token_and_publishes_sessioncleared() -> None:
    chat = started()
    out = chat.handle(ClearSession(3))
    assert call(out, calls.Disconnect) and effects.Forget() in out
    assert names(out) == ["sessionCleared"] and answers(out) == [effects.Answer(3, None)]
    assert call(chat.handle(StartConversation(4)), calls.Connect).action.token == "token-2"


def test_clearsession_while_starting_rejects_the_start_rather_than_leave_it_hanging() -> None:
    chat = machine()
    chat.handle(StartConversation(2))
    out = chat.handle(ClearSession(3))
    assert answers(out) == [
        effects.Refuse(2, "Cannot start conversation"),
        effects.Answer(3, None),
    ]


def test_a_getjwt_lost_with_its_socket_is_asked_again_after_the_reconnection() -> None:
    chat = started()
    (get_jwt,) = sent(chat.handle(FetchHistory(3)))
    out = chat.handle(Updated(chat.generation, SocketLost("gone", (get_jwt,))))
    out = connect(chat, out, newSession=False)
    assert [r.action for r in sent(out)] == ["getJwt"]  # for the catch-up and fetchHistory


def test_the_session_expiring_publishes_sessionexpired_and_a_new_token_is_used_next() -> None:
    chat = started()
    out = chat.handle(Updated(chat.generation, Pushed(frame("SessionExpiredEvent", {}))))
    assert names(out) == ["sessionExpired", "sessionEnded"] and isinstance(chat.state, Idle)
    assert chat.record.token is None


# Reconnecting -------------------------------------------------------------------------------


def test_a_lost_socket_is_reopened_with_the_same_token_and_the_gap_is_read_from_history() -> None:
    chat = started()
    pushed(chat, message("m1", "before", time="10:00:01"))
    (in_flight,) = sent(chat.handle(SendMessage(3, "are you there?")))
    (lost_too,) = sent(chat.handle(SendMessage(4, "hello?")))
    out = chat.handle(
        Updated(chat.generation, SocketLost("closed by the server", (in_flight, lost_too)))
    )
    assert names(out) == ["offline", "reconnecting"] and isinstance(chat.state, Reconnecting)
    opening = call(out, calls.Connect)
    assert opening.action.token == "token-1"
    out = connect(chat, out, newSession=False)
    assert names(out)[-1] == "reconnected"
    live = message("m5", "live", time="10:00:09")
    assert pushed(chat, live) == []  # held until the gap is filled
    missed = [  # newest first, as history pages are
        message("m4", "missed two", time="10:00:05"),
        message("i1", "are you there?", "Inbound", time="10:00:04"),
        message("m3", "missed one", time="10:00:03"),
        message("m1", "before", time="10:00:01"),
    ]
    out = read_history(chat, out, missed[:2], missed[2:])
    received = [
        (m["id"], m.get("tracingId"))
        for d in (
            e.data for e in out if isinstance(e, effects.Publish) and e.name == "messagesReceived"
        )
        for m in d["messages"]
    ]
    assert received == [("m3", None), ("i1", in_flight.tracing_id), ("m4", None), ("m5", None)]
    assert [r.payload["message"]["text"] for r in sent(out)] == ["hello?"]  # not delivered: again
    assert isinstance(chat.state, Active)


def test_reconnecting_tries_again_every_interval_and_gives_up_after_the_timeout() -> None:
    chat = started()
    out = chat.handle(Updated(chat.generation, SocketLost("gone")))
    assert effects.SetTimer("reconnectDeadline", 300.0) in out
    failed = chat.handle(CallFailed(call(out, calls.Connect).id, "not open", None))
    assert effects.SetTimer("reconnect", 5.0) in failed
    assert call(chat.handle(TimerFired("reconnect")), calls.Connect)
    out = chat.handle(TimerFired("reconnectDeadline"))
    assert data(out, "error")["error"]["body"] == "Failed to reconnect."
    assert isinstance(chat.state, Idle)


def test_a_reconnection_refused_with_403_is_given_up_at_once() -> None:
    chat = started()
    out = chat.handle(Updated(chat.generation, SocketLost("gone")))
    out = chat.handle(CallFailed(call(out, calls.Connect).id, "refused", 403))
    assert "Failed to reconnect." in [
        d["error"]["body"]
        for d in [e.data for e in out if isinstance(e, effects.Publish) and e.name == "error"]
    ]
    assert isinstance(chat.state, Idle)


def test_a_socket_the_server_closed_on_purpose_is_not_reopened() -> None:
    chat = started()
    chat.handle(Updated(chat.generation, Pushed(frame("ConnectionClosedEvent", {}))))
    out = chat.handle(Updated(chat.generation, SocketLost("closed by the server")))
    assert names(out) == ["error"] and isinstance(chat.state, Idle)
    assert chat.record.token == "token-1"  # kept: startConversation resumes the session


def test_what_an_old_socket_reports_is_dropped() -> None:
    chat = started()
    old = chat.generation
    chat.handle(Updated(old, SocketLost("gone")))
    assert (
        chat.handle(Updated(old, Pushed(frame("StructuredMessage", message("m1", "late"))))) == []
    )


# Restoring ----------------------------------------------------------------------------------


def test_a_stored_session_is_resumed_with_restoring_started_and_restored_retained() -> None:
    chat = machine(StoredSession("stored-token", "deployment", NOW - 3600))
    out = chat.handle(Restore(2))
    assert effects.Publish("restoring", None, retain=True) in out
    assert call(out, calls.Connect).action.token == "stored-token"
    out = connect(chat, out, newSession=False)
    assert names(out)[-1] == "started"
    history = [message("m2", "second", time="10:00:02"), message("m1", "first", time="10:00:01")]
    out = read_history(chat, out, history)
    assert (
        effects.Publish(
            "restored", {"messages": history, "pageNumber": 1, "pageSize": 2}, retain=True
        )
        in out
    )
    assert isinstance(chat.state, Active)
    assert pushed(chat, history[0]) == []  # known already


def test_a_stored_session_of_another_deployment_is_not_resumed() -> None:
    chat = machine(StoredSession("stored-token", "another", NOW))
    assert chat.handle(Restore(2)) == [effects.Answer(2, None)]


def test_an_unreadable_stored_session_is_discarded() -> None:
    chat = machine(ValueError("not a stored messaging session"))
    assert chat.handle(Restore(2))[0] == effects.Forget()


def test_closing_the_bus_keeps_the_session_and_closes_the_socket() -> None:
    chat = started()
    out = chat.handle(Close())
    assert any(isinstance(e, effects.Save) for e in out) and call(out, calls.Disconnect)
    assert chat.handle(SendMessage(9, "hi")) == [
        effects.Refuse(9, "MessagingService has stopped: its bus was closed.")
    ]


# fetchHistory --------------------------------------------------------------------------------


def test_fetchhistory_gives_page_after_page_then_all_the_messages_are_fetched() -> None:
    chat = started()
    out = chat.handle(FetchHistory(3))
    newest = [message("m3", "three"), message("m2", "two")]
    out = read_history(chat, out, newest)
    expected = {"messages": newest, "pageNumber": 1, "pageSize": 2}
    assert answers(out) == [effects.Answer(3, expected)]
    assert names(out) == ["oldMessages", "historyComplete"]
    out = chat.handle(FetchHistory(4))
    assert answers(out) == [effects.Answer(4, "All the messages are fetched")]
    assert names(out) == ["historyComplete"]


def test_fetchhistory_rejects_with_no_conversation_and_when_the_request_fails() -> None:
    assert machine().handle(FetchHistory(3)) == [effects.Refuse(3, "Not able to fetch history")]
    chat = started()
    out = chat.handle(FetchHistory(3))
    (get_jwt,) = sent(out)
    out = answered(
        chat, get_jwt, frame("JwtResponse", {"jwt": "a.jwt", "exp": int(NOW) + 60}, "response")
    )
    out = chat.handle(CallFailed(call(out, calls.FetchPage).id, "The message history: 503.", 503))
    assert answers(out) == [effects.Refuse(3, "Unable to fetch history")]


def test_the_jwt_is_reused_until_five_seconds_before_it_expires() -> None:
    chat = started()
    out = chat.handle(FetchHistory(3))
    read_history(chat, out, [message("m1", "one"), message("m0", "zero")])
    chat.record.history_complete = False
    assert call(chat.handle(FetchHistory(4)), calls.FetchPage)  # no getJwt
    chat.record.history_tickets = ()
    chat.clock.now += 56
    assert [r.action for r in sent(chat.handle(FetchHistory(5)))] == ["getJwt"]


# Files ----------------------------------------------------------------------------------------


def upload(chat: ConversationMachine, name: str, data: bytes, mime: str) -> list[effects.Effect]:
    out = chat.handle(RequestUpload(3, data, name))
    assert answers(out) == [effects.Answer(3, None)]
    read = call(out, calls.ReadFile)
    return chat.handle(CallSucceeded(read.id, (data, mime)))


def test_an_upload_is_approved_put_and_confirmed_and_the_next_message_carries_it() -> None:
    chat = started()
    (on_attachment,) = sent(upload(chat, "notes.txt", b"hello", "text/plain"))
    attachment_id = on_attachment.payload["attachmentId"]
    assert (
        on_attachment.payload["fileSize"] == 5 and on_attachment.payload["fileType"] == "text/plain"
    )
    presigned = frame(
        "PresignedUrlResponse",
        {"attachmentId": attachment_id, "url": "http://up/x", "headers": {"x-amz-tagging": "a"}},
        "response",
    )
    out = answered(chat, on_attachment, presigned)
    assert data(out, "uploadApproved") == {
        "attachmentId": attachment_id,
        "headers": {"x-amz-tagging": "a"},
        "uploadURL": "http://up/x",
    }
    put = call(out, calls.Upload)
    assert put.action.data == b"hello"
    assert names(chat.handle(CallSucceeded(put.id, None))) == ["uploading"]
    success = frame(
        "UploadSuccessEvent",
        {"attachmentId": attachment_id, "downloadUrl": "http://down/x", "timestamp": "t"},
    )
    out = chat.handle(Updated(chat.generation, Pushed(success)))
    assert data(out, "fileUploaded") == {
        "attachmentId": attachment_id,
        "downloadUrl": "http://down/x",
        "timestamp": "t",
    }
    (carrier,) = sent(chat.handle(SendMessage(4, "")))
    assert carrier.payload["message"]["content"] == [
        {"contentType": "Attachment", "attachment": {"id": attachment_id}}
    ]


@pytest.mark.parametrize(
    ("name", "data", "mime", "key"),
    [
        ("run.exe", b"MZ", "application/octet-stream", "fileTypeInvalid"),
        ("song.mp3", b"ID3", "audio/mpeg", "fileTypeInvalid"),
        ("big.png", b"x" * 1025, "image/png", "fileTooLarge"),
        ("empty.txt", b"", "text/plain", "fileSizeZero"),
        ("n" * 252 + ".txt", b"x", "text/plain", "fileNameTooLong"),
    ],
)
def test_a_file_the_session_refuses_is_refused_before_any_upload(
    name: str, data: bytes, mime: str, key: str
) -> None:
    chat = started()
    out = upload(chat, name, data, mime)
    assert sent(out) == [] and names(out) == ["error", "fileUploadError"]
    assert [
        e.data["error"]["errorKey"]
        for e in out
        if isinstance(e, effects.Publish) and e.name == "error"
    ] == [key]


def test_requestupload_rejects_when_the_deployment_takes_no_files_or_the_session_has_ended() -> (
    None
):
    assert started(uploads_enabled=False).handle(RequestUpload(3, b"x", "a.txt")) == [
        effects.Refuse(3, "Sending attachments is disabled in the configuration")
    ]
    assert machine().handle(RequestUpload(3, b"x", "a.txt")) == [
        effects.Refuse(3, "Conversation session has ended, start a new session to upload a file.")
    ]


def test_deletefile_deletes_an_upload_and_getfile_refreshes_the_message_that_carries_one() -> None:
    chat = started()
    (delete,) = sent(chat.handle(DeleteFile(3, "a1")))
    out = answered(chat, delete, frame("AttachmentDeletedResponse", {"attachmentId": "a1"}))
    assert data(out, "fileDeleted") == {"attachmentId": "a1"} and answers(out) == [
        effects.Answer(3, None)
    ]
    carried = message(
        "m1",
        "",
        content=[{"contentType": "Attachment", "attachment": {"id": "a2", "url": "http://old"}}],
    )
    pushed(chat, carried)
    (get,) = sent(chat.handle(GetFile(4, "a2")))
    out = answered(
        chat,
        get,
        frame(
            "PresignedUrlResponse",
            {"attachmentId": "a2", "url": "http://new", "headers": {}},
            "response",
        ),
    )
    assert names(out) == ["messagesUpdated", "fileReceived"]
    (updated,) = data(out, "messagesUpdated")["updatedMessages"]
    assert updated["content"][0]["attachment"]["url"] == "http://new"


# The session's timing -----------------------------------------------------------------------


def test_the_sessions_timing_is_published_and_a_warning_comes_five_minutes_before_it_expires() -> (
    None
):
    chat = machine()
    out = connect(chat, chat.handle(StartConversation(2)))
    assert data(out, "sessionDurationConfigured") == {"sessionDurationSeconds": 259200}
    assert data(out, "sessionTimingUpdated") == {
        "durationSeconds": 259200,
        "expirationDate": int(NOW) + 259200,
    }
    assert effects.SetTimer("sessionWarning", 259200 - 300) in out
    assert data(chat.handle(TimerFired("sessionWarning")), "sessionWarning") == {
        "expirationTime": int(NOW) + 259200
    }


def test_a_conversation_resumed_after_the_server_closed_its_socket_reconnects_when_lost_again() -> (
    None
):
    chat = started()
    chat.handle(Updated(chat.generation, Pushed(frame("ConnectionClosedEvent", {}))))
    chat.handle(Updated(chat.generation, SocketLost("closed by the server")))
    connect(chat, chat.handle(StartConversation(3)), newSession=False)
    assert isinstance(chat.state, Active)
    out = chat.handle(Updated(chat.generation, SocketLost("network gone")))
    assert names(out) == ["offline", "reconnecting"] and isinstance(chat.state, Reconnecting)
    assert call(out, calls.Connect).action.token == "token-1"


def texts(requests: list[Request]) -> list[str]:
    """What each onMessage request says: its text, or its presence."""
    said = []
    for request in requests:
        sent_message = request.payload["message"]
        events = sent_message.get("events") or []
        said.append(events[0]["presence"]["type"] if events else sent_message["text"])
    return said


def test_a_message_sent_while_the_conversation_resets_goes_on_the_new_session_after_join() -> None:
    chat = started(auto_start=True)
    pushed(chat, disconnect())
    (close,) = sent(chat.handle(ResetConversation(3)))
    out = chat.handle(SendMessage(4, "hello again"))
    assert sent(out) == [] and answers(out) == []  # it resolves on the echo
    (configure,) = sent(
        answered(chat, close, session(connected=False, newSession=False, readOnly=True))
    )
    assert configure.action == "configureSession"
    assert texts(sent(answered(chat, configure, session()))) == ["Join", "hello again"]


def test_a_message_sent_while_a_reset_fails_goes_to_the_read_only_session_to_be_refused() -> None:
    chat = started()
    pushed(chat, disconnect())
    (close,) = sent(chat.handle(ResetConversation(3)))
    chat.handle(SendMessage(4, "hello again"))
    refused = frame("string", "Session not found", "response", 4007, tracingId=close.tracing_id)
    out = answered(chat, close, refused)
    assert texts(sent(out)) == ["hello again"] and isinstance(chat.state, ReadOnly)


def test_with_autostart_a_sendmessage_that_opens_the_session_sends_join_before_the_message() -> (
    None
):
    chat = machine(auto_start=True)
    out = chat.handle(SendMessage(2, "hi"))
    assert texts(sent(connect(chat, out))) == ["Join", "hi"]


def test_messages_in_flight_when_the_socket_is_lost_go_again_when_the_session_comes_back_new() -> (
    None
):
    chat = started()
    (in_flight,) = sent(chat.handle(SendMessage(3, "are you there?")))
    (typing,) = sent(chat.handle(SendTyping(4)))
    out = chat.handle(Updated(chat.generation, SocketLost("gone", (in_flight, typing))))
    out = connect(chat, out, newSession=True)
    assert names(out)[-3:] == ["reconnected", "sessionEnded", "started"]
    assert data(out, "sessionEnded") == {"reason": "replaced"} and isinstance(chat.state, Active)
    (again,) = sent(out)  # the typing is stale by now
    assert again.tracing_id == in_flight.tracing_id
    echo = frame("StructuredMessage", message("i1", "are you there?", "Inbound"))
    received = data(answered(chat, again, echo), "messagesReceived")
    assert received["messages"][0]["tracingId"] == in_flight.tracing_id


def test_messages_a_gone_socket_gives_back_go_again_in_the_order_they_were_sent() -> None:
    """Each sendMessage is its own hand-over: given back one by one (the socket went
    first), they once went again newest first."""
    chat = started()
    hand_overs = [call(chat.handle(SendMessage(3 + n, f"m{n}")), calls.Send) for n in range(3)]
    out = chat.handle(Updated(chat.generation, SocketLost("gone")))
    out += chat.handle(SendMessage(9, "later"))
    for hand_over in hand_overs:
        out += chat.handle(CallSucceeded(hand_over.id, False))
    out = connect(chat, out, newSession=True)
    assert [r.payload["message"]["text"] for r in sent(out)] == ["m0", "m1", "m2", "later"]


def test_an_expiration_date_in_milliseconds_is_taken_as_the_same_moment_in_seconds() -> None:
    """Ours: the reference has seen seconds only; a value above 1e11 is milliseconds."""
    chat = machine()
    expires = int(NOW) + 259200
    out = connect(chat, chat.handle(StartConversation(2)), expirationDate=expires * 1000)
    assert data(out, "started")["expirationDate"] == expires
    assert data(out, "sessionTimingUpdated")["expirationDate"] == expires
    assert effects.SetTimer("sessionWarning", 259200 - 300) in out
    later = expires + 600
    echo = frame(
        "StructuredMessage",
        {
            "id": "e1",
            "type": "Text",
            "text": "ping",
            "direction": "Inbound",
            "metadata": {"durationSeconds": "259200", "expirationDate": str(later * 1000)},
        },
        "response",
    )
    out = chat.handle(Updated(chat.generation, HealthChecked(echo)))
    assert data(out, "sessionTimingUpdated")["expirationDate"] == later
    assert effects.SetTimer("sessionWarning", 259200 + 600 - 300) in out
