"""Who may call the GMS emulator, and the envelope every reply has."""

from __future__ import annotations

import pytest
import requests

from cxbus_emulator import Emulator

from .gms import GmsChat, request_chat

pytestmark = pytest.mark.integration

ENVELOPE = {"chatId", "statusCode", "chatEnded", "alias", "userId", "secureKey", "nextPosition"}


def test_every_call_needs_the_apikey_header(emulator: Emulator, gms_chat: GmsChat) -> None:
    """Without the header, or with another key, the call is refused with 401."""
    for headers in ({}, {"apikey": "not-the-key"}):
        refused = requests.post(
            f"{gms_chat.url}/refresh", data=gms_chat.keys, headers=headers, timeout=5
        )
        assert refused.status_code == 401
        assert refused.json()["errors"] == [{"advice": "The apikey header is missing or wrong."}]
    assert request_chat(emulator, headers={}).status_code == 401


def test_the_apikey_is_also_taken_as_x_api_key(emulator: Emulator, gms_chat: GmsChat) -> None:
    """GMSLibrary sends x-api-key; apiKey is the same header as apikey."""
    for name in ("x-api-key", "apiKey"):
        answer = requests.post(
            f"{gms_chat.url}/refresh",
            data=gms_chat.keys,
            headers={name: emulator.gms.apikey or ""},
            timeout=5,
        )
        assert answer.status_code == 200


def test_the_secure_key_is_required(gms_chat: GmsChat) -> None:
    answer = requests.post(
        f"{gms_chat.url}/refresh",
        data={"userId": gms_chat.keys["userId"], "alias": gms_chat.keys["alias"]},
        headers={"apikey": gms_chat.emulator.gms.apikey or ""},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"advice": "The field secureKey is required."}]


def test_another_secure_key_is_refused_without_the_right_one_in_the_answer(
    gms_chat: GmsChat,
) -> None:
    answer = gms_chat.post("refresh", secureKey="0123456789abcdef")
    assert answer.status_code == 401
    body = answer.json()
    assert body["chatId"] == gms_chat.id and body["statusCode"] == 2
    assert gms_chat.keys["secureKey"] not in answer.text


def test_user_id_and_alias_are_accepted_and_not_required(gms_chat: GmsChat) -> None:
    """They are legacy (deprecated in GMS 8.5.112): only the secure key proves the caller."""
    answer = requests.post(
        f"{gms_chat.url}/refresh",
        data={"secureKey": gms_chat.keys["secureKey"], "userId": "other", "alias": "1"},
        headers={"apikey": gms_chat.emulator.gms.apikey or ""},
        timeout=5,
    )
    assert answer.status_code == 200


def test_a_json_body_is_not_a_form(gms_chat: GmsChat) -> None:
    """Calls are form-encoded: the keys sent as JSON are not read."""
    answer = requests.post(
        f"{gms_chat.url}/refresh",
        json=gms_chat.keys,
        headers={"apikey": gms_chat.emulator.gms.apikey or ""},
        timeout=5,
    )
    assert answer.status_code == 400


def test_another_service_name_is_code_306(emulator: Emulator) -> None:
    url = emulator.gms.data_url.replace("customer-support", "sales")
    answer = requests.post(
        url, data={"nickname": "Ada"}, headers={"apikey": emulator.gms.apikey or ""}, timeout=5
    )
    assert answer.status_code == 404
    body = answer.json()
    assert body["statusCode"] == 2 and body["errors"][0]["code"] == 306


def test_an_unknown_chat_is_404_with_status_code_2(emulator: Emulator) -> None:
    answer = requests.post(
        f"{emulator.gms.data_url}/0004nosuchchat00/refresh",
        data={"secureKey": "x"},
        headers={"apikey": emulator.gms.apikey or ""},
        timeout=5,
    )
    assert answer.status_code == 404
    body = answer.json()
    assert body["statusCode"] == 2 and "code" not in body["errors"][0]


def test_an_unknown_operation_is_404(gms_chat: GmsChat) -> None:
    answer = gms_chat.post("readReceipt", transcriptPosition=1)
    assert answer.status_code == 404
    assert answer.json()["errors"] == [{"advice": "There is no operation readReceipt."}]


def test_every_operation_is_a_post(emulator: Emulator, gms_chat: GmsChat) -> None:
    headers = {"apikey": emulator.gms.apikey or ""}
    for path in ("/refresh", "/file/limits"):
        answer = requests.get(gms_chat.url + path, params=gms_chat.keys, headers=headers, timeout=5)
        assert answer.status_code == 405


@pytest.mark.parametrize(
    ("operation", "fields"),
    [
        ("send", {"message": "hi"}),
        ("startTyping", {}),
        ("stopTyping", {}),
        ("refresh", {}),
        ("customNotice", {"message": "n"}),
        ("updateData", {"userData[a]": "b"}),
        ("pushUrl", {"pushUrl": "https://example.com"}),
        ("updateNickname", {"nickname": "Ada L"}),
        ("file/limits", {}),
        ("disconnect", {}),
    ],
)
def test_every_reply_is_the_envelope_with_the_chats_keys(
    gms_chat: GmsChat, operation: str, fields: dict[str, str]
) -> None:
    body = gms_chat.call(operation, **fields)
    assert set(body) >= ENVELOPE
    assert body["chatId"] == gms_chat.id and body["statusCode"] == 0
    assert {key: body[key] for key in gms_chat.keys} == gms_chat.keys
    assert isinstance(body["chatEnded"], bool) and isinstance(body["nextPosition"], int)


def test_replies_are_json(gms_chat: GmsChat) -> None:
    answer = gms_chat.post("refresh")
    assert answer.headers["Content-Type"].startswith("application/json")
