"""Reading GMS replies, and what their refusals mean, for answers the emulator does not give."""

from __future__ import annotations

from typing import Any

import pytest

from cxbus_webchat.transports.gms_errors import (
    ChatFinished,
    ChatServerBusy,
    FileTooLarge,
    GmsError,
    InvalidService,
    MessageTooLong,
    StartRefused,
    TooManyFiles,
    refusal,
)
from cxbus_webchat.transports.gms_replies import ChatKeys, ErrorEntry, read_reply

# The official request chat example (reference §2): no nextPosition, no chatEnded.
OFFICIAL_START = {
    "statusCode": 0,
    "alias": "117",
    "userId": "007555677B20000A",
    "secureKey": "4ee15d7e1c343c8e",
    "messages": [
        {
            "from": {"nickname": "First Last", "participantId": 1, "type": "Client"},
            "index": 1,
            "type": "ParticipantJoined",
            "utcTime": 1432845088000,
        }
    ],
    "chatId": "00048aAPEQJ8000U",
}

# The captured file limits reply (reference §5): no chatId, no keys.
CAPTURED_LIMITS = {
    "messages": [
        {
            "from": {"nickname": "test", "participantId": 1, "type": "Client"},
            "text": "file-client-cfg-get",
            "type": "Notice",
            "utcTime": 1554322581000,
            "userData": {
                "download-attempts": "2",
                "upload-max-files": "5",
                "delete-file": "odd",
                "upload-max-file-size": "10485760",
                "used-download-attempts": "0",
                "used-upload-max-total-size": "0",
                "upload-need-agent": "false",
                "used-upload-max-files": "0",
                "upload-max-total-size": "99614720",
                "upload-file-types": "jpeg:jpg:pdf:png:zip",
            },
        }
    ],
    "chatEnded": False,
    "statusCode": 0,
}


def test_the_official_start_example_is_read_with_what_it_lacks_left_none() -> None:
    reply = read_reply(OFFICIAL_START)
    assert reply.chat_ended is None and reply.next_position is None
    assert reply.keys == ChatKeys("00048aAPEQJ8000U", "4ee15d7e1c343c8e", "007555677B20000A", "117")
    (joined,) = reply.messages
    assert joined.sender.nickname == "First Last" and joined.utc_time == 1432845088000
    assert joined.original == OFFICIAL_START["messages"][0]  # type: ignore[index]


def test_the_captured_limits_reply_is_read_without_a_chat_id() -> None:
    reply = read_reply(CAPTURED_LIMITS)
    assert reply.chat_id is None and reply.keys is None and reply.chat_ended is False
    limits = reply.file_limits
    assert limits is not None
    assert limits.file_types == ("jpeg", "jpg", "pdf", "png", "zip")
    assert (limits.max_files, limits.max_file_size, limits.max_total_size) == (
        5,
        10485760,
        99614720,
    )
    assert limits.download_attempts == 2 and limits.delete_file == "odd"
    assert limits.need_agent is False and limits.used_download_attempts == 0


def test_a_reply_without_the_notice_has_no_file_limits() -> None:
    assert read_reply(OFFICIAL_START).file_limits is None


def test_numbers_and_flags_sent_as_text_are_read() -> None:
    reply = read_reply(
        {
            "statusCode": "0",
            "chatEnded": "true",
            "nextPosition": "7",
            "idleTimerExpire": "30",
            "messages": [
                {"from": {"participantId": "2", "type": "Agent"}, "index": "6", "type": "Message"}
            ],
        }
    )
    assert reply.status_code == 0 and reply.chat_ended is True and reply.next_position == 7
    assert reply.idle_timer_expire == 30
    assert reply.messages[0].index == 6 and reply.messages[0].sender.participant_id == 2


def test_what_cannot_be_read_is_none_or_empty_never_an_error() -> None:
    reply = read_reply(
        {
            "chatEnded": "maybe",
            "nextPosition": 1.5,
            "messages": [{"type": "Message"}, "not a message", {"from": "nobody"}],
            "errors": [{"advice": "no code"}, "not an entry", {"code": "x"}],
            "userData": ["not", "a", "map"],
        }
    )
    assert reply.status_code == 0 and reply.chat_ended is None and reply.next_position is None
    assert [m.type for m in reply.messages] == ["Message", ""]
    assert reply.messages[0].index is None and reply.messages[1].sender.nickname is None
    assert reply.errors == (ErrorEntry(None, "no code"), ErrorEntry(None, None))
    assert reply.user_data == {}
    assert read_reply({"messages": "none"}).messages == ()


def test_the_body_is_kept_with_the_secure_key_masked() -> None:
    reply = read_reply(OFFICIAL_START)
    assert reply.body["secureKey"] == "***" and reply.body["chatId"] == "00048aAPEQJ8000U"
    assert "4ee15d7e1c343c8e" not in repr(reply)


# Refusals ----------------------------------------------------------------------------------


def envelope(status_code: int = 1, *codes: int | None, **fields: Any) -> dict[str, Any]:
    errors = [{"code": code, "advice": "5"} if code else {"advice": "why"} for code in codes]
    return {
        "chatId": "c",
        "statusCode": status_code,
        "chatEnded": False,
        "errors": errors,
        **fields,
    }


def test_a_success_is_no_refusal() -> None:
    assert refusal("refresh", 200, read_reply(OFFICIAL_START)) is None
    assert refusal("refresh", 200, read_reply({"chatEnded": False})) is None


def test_code_204_is_ignored_in_a_refresh_reply_only() -> None:
    ignored = refusal("refresh", 400, read_reply(envelope(1, 204)))
    assert type(ignored) is GmsError
    assert str(ignored) == "The chat server refused refresh (HTTP 400): no reason given."
    assert isinstance(refusal("send", 400, read_reply(envelope(1, 204))), MessageTooLong)
    assert isinstance(refusal("refresh", 200, read_reply(envelope(1, 204))), ChatServerBusy)


def test_a_known_code_counts_more_than_the_status_code() -> None:
    assert isinstance(refusal("file", 200, read_reply(envelope(1, 201))), TooManyFiles)
    assert isinstance(refusal("file", 400, read_reply(envelope(2, None, 202))), FileTooLarge)


def test_code_306_among_others_is_an_invalid_service() -> None:
    assert isinstance(refusal("send", 400, read_reply(envelope(1, 204, 306))), InvalidService)


def test_a_404_with_errors_but_no_known_code_is_a_plain_gms_error() -> None:
    found = refusal("refresh", 404, read_reply(envelope(1, None)))
    assert type(found) is GmsError
    assert str(found) == "The chat server refused refresh (HTTP 404): why."


def test_a_refusal_that_says_status_code_2_is_chat_finished() -> None:
    """A chat the server has lost (404 after a restart) cannot go on: it is over."""
    found = refusal("refresh", 404, read_reply(envelope(2, None)))
    assert type(found) is ChatFinished
    assert str(found) == (
        "The chat server refused refresh (HTTP 404, statusCode 2): why; the chat is over there."
    )


def test_a_200_that_ends_the_chat_with_errors_is_refused_with_them() -> None:
    """The Widgets publish error for chatEnded, statusCode 2 and errors."""
    found = refusal("send", 200, read_reply(envelope(2, None, chatEnded=True)))
    assert type(found) is ChatFinished and found.reply is not None
    assert found.reply.chat_ended is True and found.codes == ()
    assert found.reply.errors


def test_status_code_2_alone_is_chat_finished() -> None:
    assert isinstance(
        refusal("send", 200, read_reply({"statusCode": 2, "chatEnded": True})), ChatFinished
    )


def test_an_unknown_status_code_is_a_plain_gms_error() -> None:
    found = refusal("send", 200, read_reply({"statusCode": 7}))
    assert str(found) == "The chat server answered send with statusCode 7."


@pytest.mark.parametrize("body", ["<html>ok</html>", ["a", "list"]])
def test_a_200_that_is_not_a_json_object_is_refused(body: Any) -> None:
    found = refusal("refresh", 200, body)
    assert str(found) == "The chat server answered refresh with something that is not JSON."
    assert found is not None and found.body == body


def test_code_240_is_a_start_refused_for_now_with_no_field() -> None:
    found = refusal("requestChat", 400, read_reply(envelope(1, 240)))
    assert isinstance(found, StartRefused) and found.field is None
    assert str(found) == 'The chat server cannot start a chat now (code 240: "5").'


def test_a_bot_is_told_by_its_event_attributes_as_object_or_json_text() -> None:
    from cxbus_webchat.transports.gms_transcript import Transcript

    party = {"GCTI_SYSTEM": {"party-info": {"style": "BOT"}}}
    as_text = {"GCTI_SYSTEM": '{"party-info": {"style": "BOT"}}'}
    reply = read_reply(
        {
            "statusCode": 0,
            "messages": [
                {
                    "from": {"nickname": "Helper", "participantId": 3, "type": "Agent"},
                    "index": 2,
                    "type": "ParticipantJoined",
                    "eventAttributes": party,
                },
                {
                    "from": {"nickname": "Helper", "participantId": 3, "type": "Agent"},
                    "index": 3,
                    "type": "Message",
                    "text": "hi",
                    "eventAttributes": as_text,
                },
                {
                    "from": {"nickname": "Kate", "participantId": 4, "type": "Agent"},
                    "index": 4,
                    "type": "Message",
                    "text": "me too",
                },
            ],
        }
    )
    updates = Transcript().read(reply.messages, 1)
    assert [u.sender.role for u in updates] == ["BOT", "BOT", "AGENT"]  # type: ignore[union-attr]
