"""The chat state machine on a polling transport (GMS): when it polls, what the polls mean.

No threads, no bus, no clock: each test feeds ``ChatMachine.handle`` what happened
(the refreshes' ``Refreshed`` outcomes among them) and reads what it asks for.
"""

from __future__ import annotations

import pytest

from cxbus.runtime import machine_runner as effects
from cxbus.runtime.machine_runner import CallFailed, CallSucceeded, TimerFired
from cxbus_webchat import actions
from cxbus_webchat.inputs import (
    EndChat,
    PollNow,
    Read,
    ResetPollExceptions,
    SendMessage,
    StartChat,
    StartPoll,
    StopPoll,
)
from cxbus_webchat.machine import ChatMachine
from cxbus_webchat.polling import PollingOptions, PollResult
from cxbus_webchat.states import Settings
from cxbus_webchat.transport import (
    ChatEnded,
    ChatMessage,
    Member,
    Refreshed,
    SessionData,
    StartRequest,
    Typing,
)

from .test_machine import Clock, answers, call, names

SESSION = SessionData("chat-1", "user-1", "secure-key-1", "", "1", "117")
AGENT = Member("2", "AGENT", "CONNECTED", "Kate")
OPTIONS = PollingOptions(min_interval=0.5, max_interval=3.0, multiplier=2.0, exception_limit=1)


def timers(out: list[effects.Effect]) -> list[float]:
    return [e.seconds for e in out if isinstance(e, effects.SetTimer) and e.name == "poll"]


def started(clock: Clock | None = None) -> tuple[ChatMachine, list[effects.Effect]]:
    """A GMS chat just started: what its start asked for."""
    chat = ChatMachine(Settings(polling=OPTIONS), None, clock or Clock())
    out = chat.handle(StartChat(1, StartRequest(nickname="Ada")))
    return chat, chat.handle(CallSucceeded(call(out, actions.Start).id, SESSION))


def refresh_due(chat: ChatMachine) -> effects.Call:
    """The clock is moved on to the next refresh, whose timer fires: the refresh it asks for."""
    schedule = chat.polling.schedule
    due_at = schedule.next_poll_at() if schedule is not None else None
    assert due_at is not None, "no refresh is due"
    assert isinstance(chat.clock, Clock)
    chat.clock.now = max(chat.clock.now, due_at)
    return call(chat.handle(TimerFired("poll")), actions.Refresh)


def joined(index: str) -> ChatMessage:
    return ChatMessage(index, AGENT, "", "member-join", "", {"index": int(index)})


def said(index: str, text: str) -> ChatMessage:
    return ChatMessage(index, AGENT, text, "standard", "", {"index": int(index)})


def test_a_started_chat_polls_at_once_and_publishes_polling_started() -> None:
    chat, out = started()
    assert names(out) == ["started", "pollingStarted"]
    assert timers(out) == [0.0]
    assert refresh_due(chat).action == actions.Refresh()


def test_the_session_data_has_the_gms_shape() -> None:
    chat, out = started()
    expected = {
        "secureKey": "secure-key-1",
        "sessionID": "chat-1",
        "alias": "117",
        "userId": "user-1",
    }
    assert answers(out) == [effects.Answer(1, expected)]
    assert answers(chat.handle(Read(2, "getSessionData"))) == [effects.Answer(2, expected)]


def test_news_is_published_in_one_message_received_and_the_next_poll_is_soon() -> None:
    clock = Clock()
    chat, _ = started(clock)
    refresh = refresh_due(chat)
    clock.now += 0.1
    news = Refreshed(PollResult.NEWS, (joined("2"), said("3", "Hi"), said("4", "there")), {})
    out = chat.handle(CallSucceeded(refresh.id, news))
    assert names(out) == ["messageReceived", "agentConnected", "messageReceived"]
    received = [e.data for e in out if isinstance(e, effects.Publish)][-1]
    assert [m["text"] for m in received["messages"]] == ["Hi", "there"]
    assert timers(out) == [pytest.approx(0.4)]  # min_interval from the refresh's start


def test_quiet_polls_grow_the_interval_and_a_send_shrinks_it() -> None:
    clock = Clock()
    chat, _ = started(clock)
    out = chat.handle(CallSucceeded(refresh_due(chat).id, Refreshed(PollResult.QUIET)))
    assert timers(out) == [1.0]
    clock.now += 1.0
    out = chat.handle(CallSucceeded(refresh_due(chat).id, Refreshed(PollResult.QUIET)))
    assert timers(out) == [2.0]
    sent = call(chat.handle(SendMessage(5, "hello")), actions.SendText)
    out = chat.handle(CallSucceeded(sent.id, ChatMessage("", AGENT, "hello", "standard", "", {})))
    assert timers(out) == [0.5]


def test_a_timer_that_fires_early_arms_again_without_polling() -> None:
    clock = Clock()
    chat, _ = started(clock)
    chat.handle(CallSucceeded(refresh_due(chat).id, Refreshed(PollResult.QUIET)))
    clock.now += 0.25
    out = chat.handle(TimerFired("poll"))
    assert not [e for e in out if isinstance(e, effects.Call)]
    assert timers(out) == [pytest.approx(0.75)]


def test_poll_refuses_while_a_refresh_is_in_flight_and_answers_with_the_reply() -> None:
    chat, _ = started()
    timed = refresh_due(chat)
    assert answers(chat.handle(PollNow(7))) == [effects.Refuse(7, "previous poll has not finished")]
    chat.handle(CallSucceeded(timed.id, Refreshed(PollResult.QUIET)))
    out = chat.handle(PollNow(8))
    reply = {"statusCode": 0, "secureKey": "***"}
    out = chat.handle(
        CallSucceeded(call(out, actions.Refresh).id, Refreshed(PollResult.QUIET, (), reply))
    )
    assert answers(out) == [effects.Answer(8, reply)]


def test_stop_poll_waits_for_the_refresh_in_flight_and_start_poll_polls_at_once() -> None:
    chat, _ = started()
    refresh = refresh_due(chat)
    out = chat.handle(StopPoll(7))
    assert names(out) == ["pollingStopped"] and answers(out) == []
    out = chat.handle(CallSucceeded(refresh.id, Refreshed(PollResult.QUIET)))
    assert answers(out) == [effects.Answer(7, None)] and timers(out) == []
    assert names(chat.handle(TimerFired("poll"))) == []
    out = chat.handle(StartPoll(8))
    assert names(out) == ["pollingStarted"] and timers(out) == [0.0]


def test_stop_poll_while_not_polling_rejects_as_the_widgets_do() -> None:
    chat, _ = started()
    chat.handle(CallSucceeded(refresh_due(chat).id, Refreshed(PollResult.QUIET)))
    assert names(chat.handle(StopPoll(7))) == ["pollingStopped"]
    assert answers(chat.handle(StopPoll(8))) == [
        effects.Refuse(8, "Not currently polling. Ignoring command.")
    ]
    assert names(chat.handle(StartPoll(9))) == ["pollingStarted"]
    assert names(chat.handle(StartPoll(10))) == []  # polling already


def test_supervisors_and_bots_have_their_own_events() -> None:
    chat, _ = started()
    sam = Member("3", "SUPERVISOR", "CONNECTED", "Sam")
    bot = Member("4", "BOT", "CONNECTED", "Helper")
    joins = (
        ChatMessage("2", sam, "", "member-join", "", {}),
        ChatMessage("3", bot, "", "member-join", "", {}),
    )
    out = chat.handle(CallSucceeded(refresh_due(chat).id, Refreshed(PollResult.NEWS, joins)))
    assert [n for n in names(out) if n != "messageReceived"] == [
        "supervisorConnected",
        "botConnected",
    ]
    (answer,) = answers(chat.handle(Read(5, "getAgents")))
    assert isinstance(answer, effects.Answer)
    agents = answer.value
    assert [(a["name"], a["supervisor"]) for a in agents] == [("Sam", True)]  # no bot


def test_poll_exceptions_over_the_limit_go_offline_and_a_reset_forgets() -> None:
    chat, _ = started()

    def poll(result: PollResult) -> list[str]:
        return names(chat.handle(CallSucceeded(refresh_due(chat).id, Refreshed(result))))

    assert poll(PollResult.BUSY) == []
    assert poll(PollResult.BUSY) == ["chatServerWentOffline"]
    assert poll(PollResult.QUIET) == ["chatServerBackOnline", "reconnected"]
    assert poll(PollResult.BUSY) == []
    assert answers(chat.handle(ResetPollExceptions(9))) == [effects.Answer(9, None)]
    assert poll(PollResult.BUSY) == []


def test_an_unreachable_server_is_disconnected_once_and_any_answer_reconnects() -> None:
    chat, _ = started()
    unreachable = Refreshed(PollResult.UNREACHABLE, error="no answer")
    assert names(chat.handle(CallSucceeded(refresh_due(chat).id, unreachable))) == ["disconnected"]
    sent = call(chat.handle(SendMessage(5, "anyone?")), actions.SendText)
    assert names(chat.handle(CallFailed(sent.id, "no answer", None))) == ["error"]
    answered = ChatMessage("", AGENT, "anyone?", "standard", "", {})
    sent = call(chat.handle(SendMessage(6, "anyone?")), actions.SendText)
    assert names(chat.handle(CallSucceeded(sent.id, answered))) == ["reconnected"]


def test_a_refused_refresh_publishes_error_and_polling_goes_on() -> None:
    chat, _ = started()
    refused = Refreshed(PollResult.REFUSED, error={"errorReason": "InvalidService"}, status=500)
    out = chat.handle(CallSucceeded(refresh_due(chat).id, refused))
    assert names(out) == ["error"] and timers(out) == [1.0]


def test_chat_ended_in_a_refresh_ends_the_chat_after_its_messages() -> None:
    chat, _ = started()
    ended = Refreshed(PollResult.NEWS, (said("2", "Bye"), ChatEnded("chatEnded")))
    out = chat.handle(CallSucceeded(refresh_due(chat).id, ended))
    assert names(out) == ["messageReceived", "clientDisconnected", "pollingStopped", "ended"]
    assert timers(out) == []


def test_agent_typing_stopped_is_read() -> None:
    chat, _ = started()
    typing = Refreshed(PollResult.NEWS, (joined("2"), Typing(AGENT, "", started=True)))
    chat.handle(CallSucceeded(refresh_due(chat).id, typing))
    stopped = Refreshed(PollResult.NEWS, (Typing(AGENT, "", started=False),))
    out = chat.handle(CallSucceeded(refresh_due(chat).id, stopped))
    assert names(out) == ["agentTypingStopped"]


def test_a_refresh_of_a_chat_that_has_ended_is_dropped() -> None:
    chat, _ = started()
    refresh = refresh_due(chat)
    leave = call(chat.handle(EndChat(3)), actions.Leave)
    out = chat.handle(CallSucceeded(leave.id, None))
    assert "pollingStopped" in names(out) and "ended" in names(out)
    late = Refreshed(PollResult.NEWS, (said("2", "late"),))
    assert chat.handle(CallSucceeded(refresh.id, late)) == []


def test_polling_commands_with_no_chat() -> None:
    chat = ChatMachine(Settings(polling=OPTIONS), None, Clock())
    for ticket, command in enumerate((PollNow, StartPoll, StopPoll), start=1):
        refused = answers(chat.handle(command(ticket)))
        assert refused == [effects.Refuse(ticket, "No active chat session.")]
    assert answers(chat.handle(ResetPollExceptions(9))) == [effects.Answer(9, None)]


def test_the_refresh_position_is_kept_with_the_session() -> None:
    clock = Clock()
    chat, _ = started(clock)
    refresh = refresh_due(chat)
    clock.now += 6  # the stored time is renewed at most every 5 s
    news = Refreshed(PollResult.NEWS, (joined("2"),), position=3)
    out = chat.handle(CallSucceeded(refresh.id, news))
    (saved,) = [e.stored for e in out if isinstance(e, effects.Save)]
    assert saved.session.last_message_id == "3"
