"""The chat state machine, row by row of the Genesys page: no threads, no bus, no clock.

Each test feeds ``ChatMachine.handle`` what happened and reads what it asks for.
"""

from __future__ import annotations

import math
import re
from typing import Any

from cxbus.runtime import machine_runner as effects
from cxbus.runtime.machine_runner import CallFailed, CallSucceeded, Close, TimerFired, Updated
from cxbus_webchat import actions
from cxbus_webchat.inputs import (
    AddPrefilter,
    EndChat,
    Read,
    Restore,
    SendFilteredMessage,
    SendMessage,
    SendTyping,
    StartChat,
)
from cxbus_webchat.machine import ChatMachine
from cxbus_webchat.session_store import StoredSession
from cxbus_webchat.states import Settings
from cxbus_webchat.transport import (
    ChatEnded,
    ChatMessage,
    Connection,
    Member,
    SessionData,
    StartRequest,
    Typing,
)

SESSION = SessionData("conversation-1", "guest-1", "a.jwt.secret", "wss://stream/secret")
GUEST = Member("guest-1", "CUSTOMER", "CONNECTED", "Ada")
AGENT = Member("agent-1", "AGENT", "CONNECTED", "Alex")
NOW = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def machine(stored: Any = None, **settings: Any) -> ChatMachine:
    return ChatMachine(Settings(**settings), stored, Clock())


def names(out: list[effects.Effect]) -> list[str]:
    return [e.name for e in out if isinstance(e, effects.Publish)]


def data(out: list[effects.Effect], name: str) -> Any:
    (found,) = [e.data for e in out if isinstance(e, effects.Publish) and e.name == name]
    return found


def call(out: list[effects.Effect], action: type) -> effects.Call:
    (found,) = [e for e in out if isinstance(e, effects.Call) and isinstance(e.action, action)]
    return found


def answers(out: list[effects.Effect]) -> list[effects.Answer | effects.Refuse]:
    return [e for e in out if isinstance(e, (effects.Answer, effects.Refuse))]


def message(id: str, sender: Member, body: str) -> ChatMessage:
    return ChatMessage(id, sender, body, "standard", "2026-11-25T10:00:00.000Z", {"id": id})


def started(chat: ChatMachine, agent: bool = True) -> ChatMachine:
    """Start a chat as Ada and let Alex join (unless ``agent`` is off)."""
    out = chat.handle(StartChat(1, StartRequest(nickname="Ada")))
    chat.handle(CallSucceeded(call(out, actions.Start).id, SESSION))
    chat.handle(Updated(1, GUEST))
    if agent:
        chat.handle(Updated(1, AGENT))
    return chat


# startChat ----------------------------------------------------------------------------


def test_startchat_resolves_when_the_server_confirms_and_publishes_started() -> None:
    chat = machine(user_data={"customerId": "59606"})
    out = chat.handle(StartChat(1, StartRequest(nickname="Ada", user_data={"vip": "yes"})))
    start = call(out, actions.Start)
    assert start.action.request.user_data == {"customerId": "59606", "vip": "yes"}
    out = chat.handle(CallSucceeded(start.id, SESSION))
    session_data = {"conversationId": "conversation-1", "memberId": "guest-1"}
    assert names(out) == ["started"] and data(out, "started") == session_data
    assert answers(out) == [effects.Answer(1, session_data)]
    assert any(isinstance(e, effects.Save) for e in out)


def test_startchat_rejects_while_a_chat_is_active() -> None:
    chat = started(machine())
    assert chat.handle(StartChat(2, StartRequest())) == [
        effects.Refuse(2, "There is already an active chat session.")
    ]


def test_a_second_startchat_while_one_is_under_way_is_refused_and_the_first_goes_on() -> None:
    chat = machine()
    start = call(chat.handle(StartChat(1, StartRequest())), actions.Start)
    chat.handle(Updated(1, GUEST))  # the server reports the guest before answering
    assert chat.handle(StartChat(2, StartRequest())) == [
        effects.Refuse(2, "There is already an active chat session.")
    ]
    out = chat.handle(CallSucceeded(start.id, SESSION))
    assert names(out) == ["started", "clientConnected"]


def test_startchat_refused_by_the_server_rejects_with_its_answer_and_publishes_error() -> None:
    chat = machine()
    start = call(chat.handle(StartChat(1, StartRequest())), actions.Start)
    refusal = {"message": "Deployment is disabled", "status": 400}
    out = chat.handle(CallFailed(start.id, refusal, 400))
    assert names(out) == ["error"] and answers(out) == [effects.Refuse(1, refusal)]
    assert chat.handle(Read(2, "verifySession")) == [effects.Answer(2, {"sessionActive": False})]


# endChat ------------------------------------------------------------------------------


def test_endchat_resolves_once_left_with_clientdisconnected_then_ended() -> None:
    chat = started(machine())
    leave = call(chat.handle(EndChat(5)), actions.Leave)
    out = chat.handle(CallSucceeded(leave.id, None))
    assert names(out) == ["clientDisconnected", "ended"]
    assert answers(out) == [effects.Answer(5)]
    assert any(isinstance(e, effects.Forget) for e in out)


def test_endchat_without_a_chat_rejects() -> None:
    assert machine().handle(EndChat(1)) == [effects.Refuse(1, "There is no active chat session.")]


def test_endchat_on_a_vanished_server_ends_here_and_says_the_server_was_not_told() -> None:
    chat = started(machine())
    leave = call(chat.handle(EndChat(5)), actions.Leave)
    unreachable = "The chat server at http://gone could not be reached."
    out = chat.handle(CallFailed(leave.id, unreachable))
    assert names(out) == ["error", "clientDisconnected", "ended"]
    assert answers(out) == [
        effects.Refuse(
            5,
            "The chat has ended here, but the chat server could not be told: "
            "The chat server at http://gone could not be reached.",
        )
    ]


def test_the_guest_s_own_leaving_ends_the_chat_and_answers_endchat_once() -> None:
    chat = started(machine())
    leave = call(chat.handle(EndChat(5)), actions.Leave)
    assert names(chat.handle(Updated(1, AWAY))) == []  # the member-change: maybe for a while
    out = chat.handle(Updated(1, presence("guest-left", GUEST, "member-leave")))
    assert names(out) == ["clientDisconnected", "ended"] and answers(out) == [effects.Answer(5)]
    assert answers(chat.handle(CallSucceeded(leave.id, None))) == []


# Joins and leaves, as the real server sends them ------------------------------------------

AWAY = Member("guest-1", "CUSTOMER", "DISCONNECTED", "Ada")


def presence(id: str, sender: Member, body_type: str) -> ChatMessage:
    return ChatMessage(id, sender, "", body_type, "2026-11-25T10:00:00.000Z", {"id": id})


def texts(chat: ChatMachine) -> list[str]:
    (answer,) = answers(chat.handle(Read(99, "getTranscript")))
    return [line.text for line in answer.value]


def test_a_join_that_comes_twice_is_one_line_and_one_event_whichever_comes_first() -> None:
    for frames in (
        [AGENT, presence("j1", AGENT, "member-join")],
        [presence("j1", AGENT, "member-join"), AGENT],
    ):
        chat = started(machine(), agent=False)
        out = [effect for frame in frames for effect in chat.handle(Updated(1, frame))]
        assert names(out) == ["messageReceived", "agentConnected"]
        assert texts(chat)[-1] == "Alex joined the chat"
        assert texts(chat).count("Alex joined the chat") == 1


def test_queue_and_flow_members_and_an_alerting_agent_are_no_agents() -> None:
    chat = started(machine(), agent=False)
    others = [
        Member("acd-1", "ACD", "CONNECTED", "Support"),
        presence("q1", Member("acd-1", "ACD", "CONNECTED", "Support"), "member-join"),
        Member("flow-1", "WORKFLOW", "CONNECTED", "Bot flow"),
        Member("agent-1", "AGENT", "ALERTING", "Alex"),
    ]
    out = [effect for frame in others for effect in chat.handle(Updated(1, frame))]
    assert names(out) == []
    assert answers(chat.handle(Read(2, "getAgents"))) == [effects.Answer(2, [])]


def test_the_guest_s_own_disconnected_is_temporary_and_the_chat_goes_on() -> None:
    chat = started(machine())
    assert names(chat.handle(Updated(1, AWAY))) == []
    assert names(chat.handle(Updated(1, GUEST))) == []  # back, and not joined again
    assert chat.handle(Read(2, "verifySession")) == [effects.Answer(2, {"sessionActive": True})]


def test_a_conversation_the_server_says_is_gone_ends_the_chat() -> None:
    chat = started(machine())
    out = chat.handle(Updated(1, ChatEnded("the server refused the event stream (401)")))
    assert names(out) == ["clientDisconnected", "ended"]


def test_a_media_request_is_a_message_of_its_own_type_never_the_agent_s_words() -> None:
    chat = started(machine())
    offer = ChatMessage("m9", AGENT, "request-7", "media-request", "", {"id": "m9"})
    (message,) = data(chat.handle(Updated(1, offer)), "messageReceived")["messages"]
    assert (message["type"], message["text"]) == ("MediaRequest", "request-7")


def test_a_restored_history_has_one_line_per_join_and_the_members_say_who_is_there() -> None:
    chat = machine(stored())
    resume = call(chat.handle(Restore(1)), actions.Resume)
    pages = [
        [
            presence("j0", GUEST, "member-join"),
            presence("j1", AGENT, "member-join"),
            message("m1", AGENT, "Hi"),
            presence("l1", AGENT, "member-leave"),
        ]
    ]
    back = Member("agent-1", "AGENT", "CONNECTED", "Alex")  # the list says Alex is back
    out = chat.handle(CallSucceeded(resume.id, ([GUEST, back], pages, False)))
    assert names(out) == ["messageReceived", "restored"]
    assert [m["text"] for m in data(out, "messageReceived")["messages"]] == [
        "Ada joined the chat",
        "Alex joined the chat",
        "Hi",
        "Alex left the chat",
    ]
    ((agent,),) = [a.value for a in answers(chat.handle(Read(2, "getAgents")))]
    assert (agent["name"], agent["connected"]) == ("Alex", True)


# Updates and generations ----------------------------------------------------------------------


def test_a_late_update_of_an_ended_chat_is_dropped_by_the_next_chat() -> None:
    chat = started(machine())
    chat.handle(CallSucceeded(call(chat.handle(EndChat(5)), actions.Leave).id, None))
    start = call(chat.handle(StartChat(6, StartRequest())), actions.Start)
    assert start.generation == 2
    chat.handle(CallSucceeded(start.id, SESSION))
    late_leave = presence("late", GUEST, "member-leave")
    assert names(chat.handle(Updated(1, late_leave))) == []
    assert chat.handle(Read(7, "verifySession")) == [effects.Answer(7, {"sessionActive": True})]


def test_a_message_received_twice_is_published_once() -> None:
    chat = started(machine())
    assert names(chat.handle(Updated(1, message("m1", AGENT, "Hi")))) == ["messageReceived"]
    assert names(chat.handle(Updated(1, message("m1", AGENT, "Hi")))) == []


def test_reconnected_only_ever_follows_disconnected() -> None:
    chat = started(machine())
    assert names(chat.handle(Updated(1, Connection(True)))) == []
    assert names(chat.handle(Updated(1, Connection(False, "dropped")))) == ["disconnected"]
    assert names(chat.handle(Updated(1, Connection(True)))) == ["reconnected"]


# Typing -------------------------------------------------------------------------------


def test_agent_typing_starts_once_times_out_and_a_message_stops_it() -> None:
    chat = started(machine(agent_typing_timeout=3.0))
    out = chat.handle(Updated(1, Typing(AGENT, "")))
    assert names(out) == ["agentTypingStarted"]
    assert effects.SetTimer("agentTyping:agent-1", 3.0) in out
    assert names(chat.handle(Updated(1, Typing(AGENT, "")))) == []  # still typing
    assert names(chat.handle(TimerFired("agentTyping:agent-1"))) == ["agentTypingTimeout"]
    chat.handle(Updated(1, Typing(AGENT, "")))
    out = chat.handle(Updated(1, message("m2", AGENT, "Done")))
    assert names(out) == ["agentTypingStopped", "messageReceived"]
    assert effects.CancelTimer("agentTyping:agent-1") in out


def test_client_typing_starts_once_and_stops_after_the_countdown_or_a_message() -> None:
    chat = started(machine(client_typing_timeout=5.0))
    typing = call(chat.handle(SendTyping(3)), actions.TellTyping)
    out = chat.handle(CallSucceeded(typing.id, None))
    assert names(out) == ["clientTypingStarted"] and effects.SetTimer("clientTyping", 5.0) in out
    assert names(chat.handle(TimerFired("clientTyping"))) == ["clientTypingStopped"]
    typing = call(chat.handle(SendTyping(4)), actions.TellTyping)
    chat.handle(CallSucceeded(typing.id, None))
    send = call(chat.handle(SendMessage(5, "hi")), actions.SendText)
    out = chat.handle(CallSucceeded(send.id, message("m3", GUEST, "hi")))
    assert names(out) == ["clientTypingStopped"] and answers(out) == [
        effects.Answer(5, {"id": "m3"})
    ]


# Filters ------------------------------------------------------------------------------


def test_a_filtered_message_hides_its_echo_and_a_failed_one_takes_its_filter_back() -> None:
    chat = started(machine())
    send = call(
        chat.handle(SendFilteredMessage(3, "code 42", re.compile("code"))), actions.SendText
    )
    assert names(chat.handle(Updated(1, message("m4", GUEST, "code 42")))) == []
    out = chat.handle(CallFailed(send.id, {"message": "Internal", "status": 500}, 500))
    assert answers(out) == [effects.Refuse(3, {"message": "Internal", "status": 500})]
    assert answers(chat.handle(AddPrefilter(4, ()))) == [effects.Answer(4, [])]


# restore ------------------------------------------------------------------------------


def stored(saved_at: float = NOW - 10, filters: tuple[tuple[str, int], ...] = ()) -> StoredSession:
    return StoredSession(SESSION, filters, started_at=int((NOW - 100) * 1000), saved_at=saved_at)


def test_restore_resumes_the_stored_chat_with_its_history_as_restoring() -> None:
    chat = machine(stored(filters=(("secret", 0),)))
    resume = call(chat.handle(Restore(1)), actions.Resume)
    pages = [[message("m1", AGENT, "before"), message("m2", AGENT, "a secret")]]
    out = chat.handle(CallSucceeded(resume.id, ([GUEST, AGENT], pages, False)))
    assert names(out) == ["messageReceived", "restored"]
    received = data(out, "messageReceived")
    assert received["restoring"] is True
    assert [m["text"] for m in received["messages"]] == ["before"]
    assert answers(out) == [effects.Answer(1)]


def test_restore_while_restoring_or_with_a_chat_on_or_nothing_stored_rejects() -> None:
    chat = machine(stored())
    chat.handle(Restore(1))
    assert chat.handle(Restore(2)) == [effects.Refuse(2, "Already restoring. Ignoring request.")]
    assert started(machine()).handle(Restore(3)) == [
        effects.Refuse(3, "Chat session is already active, ignoring restore command.")
    ]
    assert machine().handle(Restore(4)) == [
        effects.Refuse(4, "There is no chat session to restore.")
    ]


def test_restore_of_a_chat_older_than_restoretimeout_publishes_restoretimeout() -> None:
    out = machine(stored(saved_at=NOW - 61), restore_timeout=60.0).handle(Restore(1))
    assert names(out) == ["restoreTimeout"] and effects.Forget() in out


def test_an_unusable_stored_session_is_discarded_with_restorefailed() -> None:
    for unusable in (ValueError("savedAt must be a number"), stored(saved_at=NOW + 3600)):
        out = machine(unusable).handle(Restore(1))
        assert names(out) == ["restoreFailed"] and effects.Forget() in out
        (refusal,) = answers(out)
        assert isinstance(refusal, effects.Refuse) and "discarded" in refusal.reason


def test_a_failed_restore_closes_the_transport_and_forgets_only_a_gone_chat() -> None:
    for status, forgotten in ((404, True), (503, False)):
        chat = machine(stored())
        resume = call(chat.handle(Restore(1)), actions.Resume)
        out = chat.handle(CallFailed(resume.id, {"status": status}, status))
        assert names(out) == ["error", "restoreFailed"]
        assert any(
            isinstance(e, effects.Call) and isinstance(e.action, actions.CloseTransport)
            for e in out
        )
        assert (effects.Forget() in out) is forgotten


# Closing ------------------------------------------------------------------------------


def test_a_chat_created_after_the_bus_closed_is_stored_to_be_restored() -> None:
    """Closed while startChat was under way: the server's new conversation is not lost
    there, a restarted program picks it up."""
    chat = machine()
    out = chat.handle(StartChat(1, StartRequest(nickname="Ada")))
    start = call(out, actions.Start)
    chat.handle(Close())
    out = chat.handle(CallSucceeded(start.id, SESSION))
    (save,) = [e for e in out if isinstance(e, effects.Save)]
    assert save.stored.session == SESSION
    assert isinstance(call(out, actions.CloseTransport).action, actions.CloseTransport)


def test_closing_keeps_the_chat_restorable_from_now_and_refuses_what_comes_after() -> None:
    clock = Clock()
    chat = ChatMachine(Settings(), None, clock)
    started(chat)
    clock.now += 3600
    out = chat.handle(Close())
    (save,) = [e for e in out if isinstance(e, effects.Save)]
    assert math.isclose(save.stored.saved_at, clock.now)
    assert isinstance(call(out, actions.CloseTransport).action, actions.CloseTransport)
    assert chat.handle(SendMessage(9, "late")) == [
        effects.Refuse(9, "WebChatService has stopped: its bus was closed.")
    ]
