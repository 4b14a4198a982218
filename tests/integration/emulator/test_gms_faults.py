"""The GMS emulator's fault switches, its controls over HTTP, its demo agent and idle control."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from cxbus_emulator import Emulator
from cxbus_emulator.gms import Chat, FileLimits

from .gms import GmsChat, kinds

pytestmark = pytest.mark.integration


def said(kind: str, sender: str = "Agent") -> Callable[[Chat], bool]:
    """A test for ``wait_for``: the chat's transcript has a ``kind`` event from ``sender``."""
    return lambda chat: any(m.type == kind and m.sender["type"] == sender for m in chat.transcript)


# Fault switches ------------------------------------------------------------------------


def test_answer_busy_gives_status_code_1_for_as_many_refreshes(
    emulator: Emulator, gms_chat: GmsChat
) -> None:
    emulator.gms.answer_busy("*/refresh", count=3)
    for _ in range(3):
        body = gms_chat.call("refresh", transcriptPosition=1)
        assert body == {"chatId": gms_chat.id, "statusCode": 1, "chatEnded": False}
    assert gms_chat.refresh(1)["statusCode"] == 0


def test_a_busy_send_is_not_carried_out(emulator: Emulator, gms_chat: GmsChat) -> None:
    emulator.gms.answer_busy("*/send")
    assert gms_chat.call("send", message="lost")["statusCode"] == 1
    assert [m["type"] for m in gms_chat.transcript()] == ["ParticipantJoined"]


def test_cut_connection_closes_the_call_unanswered(emulator: Emulator, gms_chat: GmsChat) -> None:
    emulator.gms.cut_connection("*/refresh", count=2)
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            gms_chat.post("refresh")
    assert gms_chat.post("refresh").status_code == 200


def test_fail_next_answers_an_http_status_with_no_errors(
    emulator: Emulator, gms_chat: GmsChat
) -> None:
    """As a proxy in front of GMS would: plain text, no envelope."""
    for status in (500, 502, 503):
        emulator.gms.fail_next("*/send", status=status)
        answer = gms_chat.post("send", message="hi")
        assert answer.status_code == status and answer.text == "Injected by the emulator."
    assert [m["type"] for m in gms_chat.transcript()] == ["ParticipantJoined"]


def test_a_fault_may_hit_request_chat(emulator: Emulator) -> None:
    emulator.gms.fail_next("/genesys/2/chat/*", status=503)
    refused = requests.post(
        emulator.gms.data_url + "/",
        data={"nickname": "Ada"},
        headers={"apikey": emulator.gms.apikey or ""},
        timeout=5,
    )
    assert refused.status_code == 503


def test_delay_answers_late(emulator: Emulator, gms_chat: GmsChat) -> None:
    emulator.gms.delay("*/refresh", 0.3)
    started = time.monotonic()
    assert gms_chat.post("refresh").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_end_at_next_closes_the_chat_with_nothing_in_the_transcript(
    emulator: Emulator, gms_chat: GmsChat
) -> None:
    emulator.gms.end_at_next("*/refresh")
    body = gms_chat.refresh(1)
    assert body["statusCode"] == 0 and body["chatEnded"] is True
    assert [m["type"] for m in body["messages"]] == ["ParticipantJoined"]
    assert gms_chat.call("send", message="late")["statusCode"] == 2


def test_faults_match_their_path_only(emulator: Emulator, gms_chat: GmsChat) -> None:
    emulator.gms.answer_busy("*/refresh")
    assert gms_chat.call("send", message="hi")["statusCode"] == 0
    assert gms_chat.call("refresh")["statusCode"] == 1


def test_clear_faults_disarms_them(emulator: Emulator, gms_chat: GmsChat) -> None:
    emulator.gms.answer_busy("*/refresh", count=5)
    emulator.gms.clear_faults("*/refresh")
    assert gms_chat.call("refresh")["statusCode"] == 0


def test_guest_chat_faults_do_not_touch_gms(emulator: Emulator, gms_chat: GmsChat) -> None:
    emulator.fail_next("*", status=500, count=5)
    assert gms_chat.post("refresh").status_code == 200


# The HTTP control API ----------------------------------------------------------------------


def test_the_http_control_api_plays_the_agent_and_shows_the_chat(
    emulator: Emulator, gms_chat: GmsChat
) -> None:
    control = f"{emulator.data_url}/emulator/gms/chats/{gms_chat.id}"
    joined = requests.post(f"{control}/agent/join", json={"name": "Kate"}, timeout=5).json()
    assert joined == {"nickname": "Kate", "participantId": 2, "type": "Agent"}
    requests.post(f"{control}/agent/typing", timeout=5)
    sent = requests.post(f"{control}/agent/send", json={"text": "via http"}, timeout=5).json()
    assert sent == {"index": 4}
    requests.post(f"{control}/agent/typing", json={"typing": False}, timeout=5)
    requests.post(f"{control}/agent/leave", timeout=5)
    assert kinds(gms_chat.refresh(2)["messages"]) == [
        ("ParticipantJoined", "Agent"),
        ("TypingStarted", "Agent"),
        ("Message", "Agent"),
        ("TypingStopped", "Agent"),
        ("ParticipantLeft", "Agent"),
    ]
    assert requests.post(f"{control}/agent/send", json={"text": "x"}, timeout=5).status_code == 409
    state = requests.get(control, timeout=5).json()
    assert state["chatId"] == gms_chat.id and state["ended"] is False
    assert [p["connected"] for p in state["participants"]] == [True, False]
    assert len(state["transcript"]) == 6
    requests.post(f"{control}/agent/join", json={"name": "Sam"}, timeout=5)
    requests.post(f"{control}/agent/end", timeout=5)
    assert requests.get(control, timeout=5).json()["ended"] is True


def test_the_http_control_api_refuses_what_it_cannot_do(
    emulator: Emulator, gms_chat: GmsChat
) -> None:
    control = f"{emulator.data_url}/emulator/gms"
    chat = f"{control}/chats/{gms_chat.id}"
    assert requests.get(f"{control}/chats/nope", timeout=5).status_code == 404
    assert requests.post(f"{chat}/agent/dance", timeout=5).status_code == 404
    assert requests.post(f"{chat}/agent/join", data="{", timeout=5).status_code == 400
    missing = requests.post(f"{control}/faults", json={"count": 1}, timeout=5)
    assert missing.status_code == 400
    assert missing.json() == {"message": "The field path must be a path pattern."}
    bad = requests.post(f"{control}/faults", json={"path": "*", "answer": "nap"}, timeout=5)
    assert bad.json() == {"message": "The field answer must be one of busy, cut, ended."}
    unknown = requests.post(f"{control}/file-limits", json={"upload-max-fils": 2}, timeout=5)
    assert unknown.status_code == 400 and "upload-max-fils" in unknown.json()["message"]
    negative = requests.post(f"{control}/file-limits", json={"upload-max-files": -1}, timeout=5)
    assert negative.status_code == 400


def test_the_http_control_api_arms_and_clears_faults(emulator: Emulator, gms_chat: GmsChat) -> None:
    control = f"{emulator.data_url}/emulator/gms/faults"
    requests.post(control, json={"path": "*/refresh", "answer": "busy", "count": 2}, timeout=5)
    assert gms_chat.call("refresh")["statusCode"] == 1
    requests.post(f"{control}/clear", json={"path": "*/refresh"}, timeout=5)
    assert gms_chat.call("refresh")["statusCode"] == 0
    requests.post(control, json={"path": "*/send", "status": 502}, timeout=5)
    assert gms_chat.post("send", message="x").status_code == 502
    requests.post(control, json={"path": "*/refresh", "answer": "cut"}, timeout=5)
    with pytest.raises(requests.ConnectionError):
        gms_chat.post("refresh")
    requests.post(control, json={"path": "*/refresh", "delay": 0.2}, timeout=5)
    started = time.monotonic()
    gms_chat.post("refresh")
    assert time.monotonic() - started >= 0.2
    requests.post(control, json={"path": "*/refresh", "answer": "ended"}, timeout=5)
    assert gms_chat.call("refresh")["chatEnded"] is True


def test_the_http_control_api_sets_file_limits(emulator: Emulator, gms_chat: GmsChat) -> None:
    control = f"{emulator.data_url}/emulator/gms/file-limits"
    try:
        changes = {"upload-max-files": 1, "upload-file-types": "png", "upload-need-agent": True}
        assert requests.post(control, json=changes, timeout=5).status_code == 200
        limits = gms_chat.call("file/limits")["messages"][0]["userData"]
        assert limits["upload-max-files"] == "1" and limits["upload-file-types"] == "png"
        assert limits["upload-need-agent"] == "true"
    finally:
        emulator.gms.set_file_limits(FileLimits())


# The demo agent ------------------------------------------------------------------------


def test_the_demo_agent_joins_greets_types_answers_and_says_goodbye() -> None:
    """It joins a requested chat, types before each line, echoes, and ends the chat on bye."""
    with Emulator(agent_join_delay=0.01, agent_typing_delay=0.01) as emulator:
        chat = GmsChat(emulator, "Ada")
        emulator.gms.wait_for(chat.id, said("Message"))
        greeting = chat.refresh(2)["messages"]
        assert kinds(greeting) == [
            ("ParticipantJoined", "Agent"),
            ("TypingStarted", "Agent"),
            ("Message", "Agent"),
        ]
        assert greeting[-1]["text"] == "Hi Ada, I'm Alex. How can I help you today?"
        position = chat.call("send", message="what is cxbus?")["nextPosition"]
        emulator.gms.wait_for(chat.id, lambda c: len(c.transcript) >= position + 1)
        answer = chat.refresh(position)["messages"]
        assert kinds(answer) == [("TypingStarted", "Agent"), ("Message", "Agent")]
        assert answer[-1]["text"] == "You said: what is cxbus?"
        position = chat.call("send", message="bye")["nextPosition"]
        emulator.gms.wait_for(chat.id, lambda c: c.ended)
        farewell = chat.refresh(position)
        assert farewell["chatEnded"] is True
        assert [m.get("text") for m in farewell["messages"]][-2:] == [
            "Goodbye, and thanks for chatting!",
            None,
        ]
        assert kinds(farewell["messages"])[-1] == ("ParticipantLeft", "Agent")


def test_the_demo_agent_does_not_join_a_chat_that_ended_first() -> None:
    with Emulator(agent_join_delay=0.2, agent_typing_delay=0.01) as emulator:
        chat = GmsChat(emulator)
        chat.call("disconnect")
        other = GmsChat(emulator)
        emulator.gms.wait_for(other.id, said("Message"))
        assert [m["type"] for m in chat.transcript()] == ["ParticipantJoined", "ParticipantLeft"]


# Idle control ------------------------------------------------------------------------------


@pytest.fixture
def idle(emulator: Emulator) -> Iterator[None]:
    """Idle settings put back as they were after the test."""
    alert, close = emulator.gms_server.idle.alert_after, emulator.gms_server.idle.close_after
    yield
    emulator.gms.set_idle(alert, close)


def test_an_idle_client_is_alerted_and_replies_count_down(emulator: Emulator, idle: None) -> None:
    emulator.gms.set_idle(alert_after=0.05, close_after=60)
    chat = GmsChat(emulator)
    emulator.gms.wait_for(chat.id, said("IdleAlert", "External"))
    body = chat.refresh(2)
    (alert,) = body["messages"]
    assert alert["from"] == {"nickname": "system", "participantId": 0, "type": "External"}
    assert alert["userData"] == {"next-idle-timer-type": "CLOSE", "next-idle-timer-secs": "60"}
    assert 0 < body["idleTimerExpire"] <= 60
    chat.call("send", message="still here")
    assert "idleTimerExpire" not in chat.refresh(0)
    chat.close()


def test_typing_does_not_wake_an_idle_chat_and_a_notice_does(
    emulator: Emulator, idle: None
) -> None:
    emulator.gms.set_idle(alert_after=0.05, close_after=60)
    chat = GmsChat(emulator)
    emulator.gms.wait_for(chat.id, said("IdleAlert", "External"))
    chat.call("startTyping", message="h")
    assert "idleTimerExpire" in chat.refresh(0)
    chat.call("customNotice", eventAttributes='{"purpose":"cancel-idle-timer"}')
    assert "idleTimerExpire" not in chat.refresh(0)
    chat.close()


def test_an_idle_chat_is_closed_after_the_alert(emulator: Emulator, idle: None) -> None:
    emulator.gms.set_idle(alert_after=0.05, close_after=0.05)
    chat = GmsChat(emulator)
    emulator.gms.agent_join(chat.id)
    emulator.gms.wait_for(chat.id, lambda c: c.ended)
    body = chat.refresh(3)
    assert body["chatEnded"] is True and "idleTimerExpire" not in body
    assert kinds(body["messages"]) == [
        ("IdleAlert", "External"),
        ("IdleClose", "External"),
        ("ParticipantLeft", "Agent"),
    ]


def test_idle_control_can_be_turned_off_and_on_again(emulator: Emulator, idle: None) -> None:
    """Settings apply to idle clocks started from then on."""
    emulator.gms.set_idle(alert_after=None, close_after=60)
    chat = GmsChat(emulator)
    assert emulator.gms.chat(chat.id).idle_alert_at is None
    emulator.gms.set_idle(alert_after=30, close_after=60)
    assert emulator.gms.chat(chat.id).idle_alert_at is None
    chat.call("send", message="hello")
    assert emulator.gms.chat(chat.id).idle_alert_at is not None
    chat.close()
    assert emulator.gms.chat(chat.id).idle_alert_at is None


def test_the_http_control_api_sets_the_idle_timers(emulator: Emulator, idle: None) -> None:
    control = f"{emulator.data_url}/emulator/gms/idle"
    answer = requests.post(control, json={"alertAfter": 0.05, "closeAfter": 60}, timeout=5)
    assert answer.status_code == 200
    chat = GmsChat(emulator)
    emulator.gms.wait_for(chat.id, said("IdleAlert", "External"))
    requests.post(control, json={"closeAfter": 30}, timeout=5)
    assert emulator.gms_server.idle.alert_after == 0.05
    requests.post(control, json={"alertAfter": None}, timeout=5)
    assert emulator.gms_server.idle.alert_after is None
    assert emulator.gms_server.idle.close_after == 30
    bad = requests.post(control, json={"alertAfter": "soon"}, timeout=5)
    assert bad.status_code == 400
    chat.close()


def test_wait_for_times_out_when_nothing_comes(emulator: Emulator, gms_chat: GmsChat) -> None:
    def never(chat: Chat) -> bool:
        return False

    with pytest.raises(TimeoutError):
        emulator.gms.wait_for(gms_chat.id, never, timeout=0.05)


# Many chats ------------------------------------------------------------------------------


def test_a_hundred_chats_at_once(emulator: Emulator) -> None:
    """100 chats, each polled, each get their own agent message and nothing of the others."""
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        chats = list(pool.map(lambda n: GmsChat(emulator, f"guest{n}"), range(100)))
        for chat in chats:
            emulator.gms.agent_join(chat.id)
            emulator.gms.agent_send(chat.id, f"for {chat.id}")
        replies = list(pool.map(lambda chat: chat.refresh(2), chats))
        for chat, reply in zip(chats, replies, strict=True):
            assert [m.get("text") for m in reply["messages"]] == [None, f"for {chat.id}"]
        list(pool.map(lambda chat: chat.close(), chats))
