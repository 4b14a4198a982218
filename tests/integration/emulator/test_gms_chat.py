"""The GMS emulator's chat endpoints, over real sockets with plain requests calls."""

from __future__ import annotations

import json

import pytest
import requests

from cxbus_emulator import Emulator

from .gms import GmsChat, kinds, request_chat

pytestmark = pytest.mark.integration


# Request chat -----------------------------------------------------------------------


def test_request_chat_answers_the_keys_and_the_clients_join(emulator: Emulator) -> None:
    """The reply has chatId, userId, alias, secureKey, and the transcript from 1."""
    body = request_chat(
        emulator, {"nickname": "Ada", "subject": "Billing", "userData[customerId]": "59606"}
    ).json()
    assert body["statusCode"] == 0 and body["chatEnded"] is False
    assert len(body["chatId"]) == 16 and body["alias"].isdigit()
    assert len(body["userId"]) == 16 and len(body["secureKey"]) == 16
    (joined,) = body["messages"]
    assert joined["type"] == "ParticipantJoined" and joined["index"] == 1
    assert joined["from"] == {"nickname": "Ada", "participantId": 1, "type": "Client"}
    assert isinstance(joined["utcTime"], int) and joined["utcTime"] > 1_600_000_000_000
    assert body["nextPosition"] == 2
    chat = emulator.gms.chat(body["chatId"])
    assert chat.subject == "Billing" and chat.user_data == {"customerId": "59606"}


def test_request_chat_takes_a_first_and_last_name_for_a_nickname(emulator: Emulator) -> None:
    body = request_chat(emulator, {"firstName": "Ada", "lastName": "Lovelace"}).json()
    assert body["messages"][0]["from"]["nickname"] == "Ada Lovelace"


def test_request_chat_is_served_without_the_trailing_slash_too(emulator: Emulator) -> None:
    answer = requests.post(
        emulator.gms.data_url,
        data={"nickname": "Ada"},
        headers={"apikey": emulator.gms.apikey},
        timeout=5,
    )
    assert answer.status_code == 200 and answer.json()["statusCode"] == 0


def test_request_chat_takes_a_multipart_form_too(emulator: Emulator) -> None:
    answer = request_chat(emulator, {}, files={"nickname": (None, "Ada")})
    assert answer.json()["messages"][0]["from"]["nickname"] == "Ada"


def test_request_chat_ignores_the_empty_fields_the_widgets_send(emulator: Emulator) -> None:
    fields = {"nickname": "Ada", "firstName": "", "lastName": "", "emailAddress": "", "text": ""}
    fields.update({"secureKey": "", "userId": "", "alias": "", "subject": ""})
    assert request_chat(emulator, fields).json()["statusCode"] == 0


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, 161),
        ({"nickname": "  "}, 161),
        ({"lastName": "Lovelace"}, 102),
        ({"firstName": "Ada"}, 103),
        ({"nickname": "Ada", "emailAddress": "not an address"}, 364),
    ],
)
def test_request_chat_refuses_a_bad_form_with_the_widgets_codes(
    emulator: Emulator, fields: dict[str, str], code: int
) -> None:
    answer = request_chat(emulator, fields)
    assert answer.status_code == 400
    body = answer.json()
    assert body["statusCode"] == 1 and [e["code"] for e in body["errors"]] == [code]
    assert body["errors"][0]["advice"]


# The conversation ------------------------------------------------------------------------


def test_send_adds_a_message_at_the_next_index(gms_chat: GmsChat) -> None:
    body = gms_chat.call("send", message="hello", messageType="text")
    assert body["statusCode"] == 0 and body["chatEnded"] is False
    assert "messages" not in body and body["nextPosition"] == 3
    message = gms_chat.transcript()[-1]
    assert message["index"] == 2 and message["type"] == "Message"
    assert message["text"] == "hello" and message["messageType"] == "text"
    assert message["from"]["type"] == "Client"


def test_send_with_a_position_answers_the_transcript_from_there(gms_chat: GmsChat) -> None:
    body = gms_chat.call("send", message="hello", transcriptPosition=2)
    assert [m["text"] for m in body["messages"]] == ["hello"]


def test_send_keeps_the_message_type_and_the_event_attributes(gms_chat: GmsChat) -> None:
    attributes = {"general-properties": {"related-event-id": "42"}}
    gms_chat.call("send", message="re", messageType="reply", eventAttributes=json.dumps(attributes))
    message = gms_chat.transcript()[-1]
    assert message["messageType"] == "reply" and message["eventAttributes"] == attributes


def test_send_without_a_type_is_a_text_message(gms_chat: GmsChat) -> None:
    gms_chat.call("send", message="plain")
    assert gms_chat.transcript()[-1]["messageType"] == "text"


@pytest.mark.parametrize("fields", [{}, {"message": "   "}])
def test_send_needs_a_message(gms_chat: GmsChat, fields: dict[str, str]) -> None:
    answer = gms_chat.post("send", **fields)
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert "code" not in error and error["advice"] == "The field message is required."


def test_a_message_too_long_is_refused_with_code_204(emulator: Emulator, gms_chat: GmsChat) -> None:
    longest = emulator.gms_server.max_message_length
    assert gms_chat.post("send", message="x" * longest).status_code == 200
    answer = gms_chat.post("send", message="x" * (longest + 1))
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"code": 204, "advice": str(longest)}]


def test_event_attributes_must_be_json(gms_chat: GmsChat) -> None:
    answer = gms_chat.post("send", message="x", eventAttributes="{nope")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["advice"] == "The field eventAttributes must be JSON text."


def test_typing_start_and_stop_are_in_the_transcript_with_the_preview_kept(
    emulator: Emulator, gms_chat: GmsChat
) -> None:
    gms_chat.call("startTyping", message="hel")
    assert emulator.gms.chat(gms_chat.id).typing_preview == "hel"
    gms_chat.call("stopTyping", message="")
    assert kinds(gms_chat.transcript()[-2:]) == [
        ("TypingStarted", "Client"),
        ("TypingStopped", "Client"),
    ]


def test_typing_with_a_position_answers_the_transcript_as_the_widgets_ask(
    gms_chat: GmsChat,
) -> None:
    body = gms_chat.call("startTyping", message="", transcriptPosition=1)
    assert [m["index"] for m in body["messages"]] == [1, 2]


def test_refresh_keeps_the_typing_preview_the_widgets_send(
    emulator: Emulator, gms_chat: GmsChat
) -> None:
    gms_chat.call("refresh", transcriptPosition=1, message="draft")
    assert emulator.gms.chat(gms_chat.id).typing_preview == "draft"


def test_custom_notice_is_in_the_transcript(gms_chat: GmsChat) -> None:
    gms_chat.call("customNotice", message="bye")
    notice = gms_chat.transcript()[-1]
    assert notice["type"] == "CustomNotice" and notice["text"] == "bye"


def test_the_widgets_wake_notice_carries_its_event_attributes(gms_chat: GmsChat) -> None:
    gms_chat.call("customNotice", eventAttributes='{"purpose":"cancel-idle-timer"}')
    notice = gms_chat.transcript()[-1]
    assert notice["eventAttributes"] == {"purpose": "cancel-idle-timer"} and "text" not in notice


def test_update_data_merges_user_data_into_the_chat(emulator: Emulator) -> None:
    chat = GmsChat(emulator)
    chat.call("updateData", **{"userData[firstname]": "Joe", "userData[plan]": "gold"})
    chat.call("updateData", **{"userData[plan]": "platinum"})
    assert emulator.gms.chat(chat.id).user_data == {"firstname": "Joe", "plan": "platinum"}
    assert [m["type"] for m in chat.transcript()] == ["ParticipantJoined"]
    chat.close()


def test_push_url_shows_the_agent_a_page(gms_chat: GmsChat) -> None:
    gms_chat.call("pushUrl", pushUrl="https://example.com/help")
    pushed = gms_chat.transcript()[-1]
    assert pushed["type"] == "PushUrl" and pushed["text"] == "https://example.com/help"


def test_push_url_must_be_absolute(gms_chat: GmsChat) -> None:
    answer = gms_chat.post("pushUrl", pushUrl="/help")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["advice"] == "The field pushUrl must be an absolute URL."


def test_update_nickname_renames_the_client_from_then_on(gms_chat: GmsChat) -> None:
    gms_chat.call("updateNickname", nickname="Countess")
    gms_chat.call("send", message="hi")
    transcript = gms_chat.transcript()
    assert transcript[0]["from"]["nickname"] == "Ada"
    assert transcript[-2]["type"] == "NicknameUpdated"
    assert transcript[-2]["from"]["nickname"] == transcript[-1]["from"]["nickname"] == "Countess"


def test_update_nickname_needs_a_nickname(gms_chat: GmsChat) -> None:
    assert gms_chat.post("updateNickname", nickname=" ").status_code == 400


# Positions -------------------------------------------------------------------------------


def test_refresh_reads_the_events_from_the_position_given(
    emulator: Emulator, gms_chat: GmsChat
) -> None:
    emulator.gms.agent_join(gms_chat.id, "Kate")
    emulator.gms.agent_typing(gms_chat.id)
    emulator.gms.agent_send(gms_chat.id, "Hello, how can I help?")
    body = gms_chat.refresh(2)
    assert [m["index"] for m in body["messages"]] == [2, 3, 4]
    assert kinds(body["messages"]) == [
        ("ParticipantJoined", "Agent"),
        ("TypingStarted", "Agent"),
        ("Message", "Agent"),
    ]
    assert body["messages"][0]["from"] == {"nickname": "Kate", "participantId": 2, "type": "Agent"}
    assert body["nextPosition"] == 5
    assert gms_chat.refresh(5)["messages"] == []
    assert gms_chat.refresh(4)["messages"][0]["text"] == "Hello, how can I help?"


def test_position_zero_reads_nothing_and_one_reads_everything(gms_chat: GmsChat) -> None:
    gms_chat.call("send", message="hi")
    assert gms_chat.refresh(0)["messages"] == []
    assert [m["index"] for m in gms_chat.refresh(1)["messages"]] == [1, 2]


def test_a_refresh_without_a_position_reads_from_one(gms_chat: GmsChat) -> None:
    assert [m["index"] for m in gms_chat.call("refresh")["messages"]] == [1]


def test_a_position_past_the_end_reads_nothing(gms_chat: GmsChat) -> None:
    body = gms_chat.refresh(99)
    assert body["messages"] == [] and body["nextPosition"] == 2


def test_next_position_read_back_gives_only_what_is_new(
    emulator: Emulator, gms_chat: GmsChat
) -> None:
    position = gms_chat.refresh(1)["nextPosition"]
    emulator.gms.agent_join(gms_chat.id)
    emulator.gms.agent_send(gms_chat.id, "one")
    first = gms_chat.refresh(position)
    emulator.gms.agent_send(gms_chat.id, "two")
    second = gms_chat.refresh(first["nextPosition"])
    assert [m.get("text") for m in first["messages"]] == [None, "one"]
    assert [m["text"] for m in second["messages"]] == ["two"]


@pytest.mark.parametrize("position", ["-1", "two", "1.5"])
def test_a_position_must_be_a_whole_number_from_zero(gms_chat: GmsChat, position: str) -> None:
    answer = gms_chat.post("refresh", transcriptPosition=position)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["advice"] == (
        "The field transcriptPosition must be a whole number from 0."
    )


def test_indexes_run_from_one_without_gaps_whoever_writes(
    emulator: Emulator, gms_chat: GmsChat
) -> None:
    emulator.gms.agent_join(gms_chat.id)
    for n in range(5):
        gms_chat.call("send", message=f"c{n}")
        emulator.gms.agent_send(gms_chat.id, f"a{n}")
    indexes = [m["index"] for m in gms_chat.transcript()]
    assert indexes == list(range(1, 13))


# Ending ----------------------------------------------------------------------------------


def test_disconnect_ends_the_chat_with_the_client_leaving(emulator: Emulator) -> None:
    chat = GmsChat(emulator)
    body = chat.call("disconnect")
    assert body["statusCode"] == 0 and body["chatEnded"] is True
    assert kinds(chat.transcript())[-1] == ("ParticipantLeft", "Client")
    assert emulator.gms.chat(chat.id).ended


def test_an_ended_chat_still_answers_refresh_and_disconnect(emulator: Emulator) -> None:
    chat = GmsChat(emulator)
    chat.call("disconnect")
    again = chat.call("disconnect")
    assert again["statusCode"] == 0 and again["chatEnded"] is True
    refreshed = chat.refresh(1)
    assert refreshed["statusCode"] == 0 and refreshed["chatEnded"] is True
    assert len(refreshed["messages"]) == 2


@pytest.mark.parametrize(
    ("operation", "fields"),
    [
        ("send", {"message": "late"}),
        ("startTyping", {}),
        ("customNotice", {"message": "x"}),
        ("updateData", {"userData[a]": "b"}),
        ("pushUrl", {"pushUrl": "https://example.com"}),
        ("updateNickname", {"nickname": "x"}),
    ],
)
def test_anything_else_on_an_ended_chat_is_status_code_2(
    emulator: Emulator, operation: str, fields: dict[str, str]
) -> None:
    chat = GmsChat(emulator)
    chat.call("disconnect")
    body = chat.call(operation, **fields)
    assert body["statusCode"] == 2 and body["chatEnded"] is True
    assert len(chat.transcript()) == 2


def test_the_agent_side_ending_the_chat_says_chat_ended_after_the_agent_leaves(
    emulator: Emulator, gms_chat: GmsChat
) -> None:
    emulator.gms.agent_join(gms_chat.id)
    emulator.gms.end_chat(gms_chat.id)
    body = gms_chat.refresh(2)
    assert body["chatEnded"] is True
    assert kinds(body["messages"]) == [("ParticipantJoined", "Agent"), ("ParticipantLeft", "Agent")]


def test_the_agent_leaving_does_not_end_the_chat(emulator: Emulator, gms_chat: GmsChat) -> None:
    emulator.gms.agent_join(gms_chat.id, "Kate")
    emulator.gms.agent_leave(gms_chat.id)
    emulator.gms.agent_join(gms_chat.id, "Sam", kind="Supervisor")
    body = gms_chat.refresh(2)
    assert body["chatEnded"] is False
    assert kinds(body["messages"]) == [
        ("ParticipantJoined", "Agent"),
        ("ParticipantLeft", "Agent"),
        ("ParticipantJoined", "Supervisor"),
    ]
    assert body["messages"][-1]["from"]["participantId"] == 3
