"""The guest chat REST API of the emulator, endpoint by endpoint, status by status."""

from __future__ import annotations

import pytest
import requests

from cxbus_emulator import Emulator

from .guest import API, Guest, create_body


def test_create_answers_id_jwt_stream_and_member(emulator: Emulator) -> None:
    """POST /conversations needs no auth and answers id, jwt, eventStreamUri and member."""
    answer = requests.post(
        f"{emulator.data_url}{API}/conversations", json=create_body(emulator), timeout=5
    )
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"id", "jwt", "eventStreamUri", "member"}
    assert body["eventStreamUri"].startswith("ws://127.0.0.1:")
    assert emulator.conversation(body["id"]).guest.id == body["member"]["id"]


@pytest.mark.parametrize("target_type", ["queue", "Queue", "QUEUE"])
def test_target_type_is_accepted_in_any_case(emulator: Emulator, target_type: str) -> None:
    """Real clients send "queue"; the widgets document "QUEUE": both work."""
    body = create_body(emulator)
    body["routingTarget"]["targetType"] = target_type
    answer = requests.post(f"{emulator.data_url}{API}/conversations", json=body, timeout=5)
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"organizationId": "another-org"}, "organizationId"),
        ({"deploymentId": "another-deployment"}, "deploymentId"),
        (
            {"routingTarget": {"targetType": "SKILL", "targetAddress": "x"}},
            "routingTarget.targetType",
        ),
        ({"routingTarget": {"targetType": "QUEUE"}}, "routingTarget.targetAddress"),
        ({"memberInfo": {}}, "memberInfo.displayName"),
    ],
)
def test_a_bad_create_body_is_400_naming_the_field(
    emulator: Emulator, change: dict, field: str
) -> None:
    """A wrong or missing field answers 400 with an ErrorBody naming it."""
    answer = requests.post(
        f"{emulator.data_url}{API}/conversations",
        json={**create_body(emulator), **change},
        timeout=5,
    )
    assert answer.status_code == 400
    error = answer.json()
    assert error["status"] == 400 and error["details"][0]["fieldName"] == field
    assert field in error["message"]


def test_a_body_that_is_not_json_is_400(emulator: Emulator) -> None:
    """A create body that is not JSON answers 400 with an ErrorBody."""
    answer = requests.post(f"{emulator.data_url}{API}/conversations", data="{", timeout=5)
    assert answer.status_code == 400 and answer.json()["message"] == "The body is not JSON."


def test_calls_without_a_token_are_401(guest: Guest) -> None:
    """Every call but create needs Authorization: Bearer."""
    assert guest.call("GET", "/members", headers={}).status_code == 401


def test_calls_with_a_forged_token_are_401(guest: Guest) -> None:
    """A token the emulator did not sign is refused."""
    forged = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJjb252IjoieCJ9.c2ln"}
    assert guest.call("GET", "/members", headers=forged).status_code == 401


def test_a_token_of_another_conversation_is_403(emulator: Emulator, guest: Guest) -> None:
    """A valid token used on another conversation is forbidden."""
    other = Guest(emulator, attach=False)
    answer = guest.call("GET", "/members", headers=other.headers)
    assert answer.status_code == 403 and answer.json()["code"] == "not.authorized"


def test_members_lists_guest_queue_and_agent_with_paging(emulator: Emulator, guest: Guest) -> None:
    """GET members pages WebChatMemberInfo entities: the guest, the ACD member, the agent."""
    emulator.agent_join(guest.id, "Alex")
    listing = guest.call("GET", "/members", params={"pageSize": 2}).json()
    assert listing["total"] == 3 and listing["pageCount"] == 2 and listing["pageSize"] == 2
    assert [m["role"] for m in listing["entities"]] == ["CUSTOMER", "ACD"]
    assert "nextUri" in listing
    second = guest.call("GET", "/members", params={"pageSize": 2, "pageNumber": 2}).json()
    assert [(m["role"], m["displayName"]) for m in second["entities"]] == [("AGENT", "Alex")]


def test_members_can_exclude_the_disconnected(emulator: Emulator, guest: Guest) -> None:
    """excludeDisconnectedMembers drops members who left: here the ACD member."""
    emulator.agent_join(guest.id, "Alex")
    listing = guest.call("GET", "/members", params={"excludeDisconnectedMembers": "true"}).json()
    assert [m["role"] for m in listing["entities"]] == ["CUSTOMER", "AGENT"]


def test_member_answers_role_name_and_state(emulator: Emulator, guest: Guest) -> None:
    """GET member/{id} tells an agent's role and name; an unknown member is 404."""
    agent_id = emulator.agent_join(guest.id, "Alex")
    member = guest.call("GET", f"/members/{agent_id}").json()
    assert (member["role"], member["displayName"], member["state"]) == (
        "AGENT",
        "Alex",
        "CONNECTED",
    )
    assert guest.call("GET", "/members/nobody").status_code == 404


def test_send_message_answers_a_web_chat_message(guest: Guest) -> None:
    """POST messages answers the WebChatMessage with conversation, sender and timestamp."""
    message = guest.say("hello").json()
    assert message["body"] == "hello" and message["bodyType"] == "standard"
    assert message["sender"]["id"] == guest.member_id
    assert message["conversation"]["id"] == guest.id and message["timestamp"].endswith("Z")


NOT_ACTIVE = {
    "message": "Conversation State",
    "code": "chat.error.conversation.state",
    "status": 400,
    "messageWithParams": "Conversation State",
    "messageParams": {"message": "The conversation is not active"},
    "details": [],
    "errors": [],
}


@pytest.mark.parametrize("call", ["message", "typing"])
def test_posting_before_the_stream_is_attached_is_refused(emulator: Emulator, call: str) -> None:
    """Before its stream is attached the chat is not active: 400 with Genesys's ErrorBody."""
    guest = Guest(emulator, attach=False)
    refused = guest.say("too soon") if call == "message" else guest.typing()
    assert refused.status_code == 400
    body = refused.json()
    assert {key: body[key] for key in NOT_ACTIVE} == NOT_ACTIVE and body["contextId"]
    guest.attach()
    assert (guest.say("now") if call == "message" else guest.typing()).status_code == 200
    guest.close()


def test_a_body_of_4000_characters_is_taken_and_one_more_refused(guest: Guest) -> None:
    """The SDK's limit: 4,000 characters; over it, 400 naming the body (our ErrorBody)."""
    assert guest.say("é" * 4000).status_code == 200
    refused = guest.say("é" * 4001)
    assert refused.status_code == 400
    assert refused.json()["details"][0]["fieldName"] == "body"
    assert "4000 characters" in refused.json()["message"]


@pytest.mark.parametrize("body_type", ["notice", "member-join", "member-leave"])
def test_send_message_takes_every_body_type(guest: Guest, body_type: str) -> None:
    """notice, member-join and member-leave are accepted body types."""
    assert guest.say("x", body_type).json()["bodyType"] == body_type


@pytest.mark.parametrize(
    ("body", "field"), [({}, "body"), ({"body": "x", "bodyType": "shout"}, "bodyType")]
)
def test_a_bad_message_is_400_naming_the_field(guest: Guest, body: dict, field: str) -> None:
    """A missing body or an unknown bodyType answers 400 naming the field."""
    answer = guest.call("POST", f"/members/{guest.member_id}/messages", json=body)
    assert answer.status_code == 400 and answer.json()["details"][0]["fieldName"] == field


def test_a_guest_cannot_speak_for_another_member(emulator: Emulator, guest: Guest) -> None:
    """Posting as the agent's member id is forbidden."""
    agent_id = emulator.agent_join(guest.id, "Alex")
    answer = guest.call("POST", f"/members/{agent_id}/messages", json={"body": "I am the agent"})
    assert answer.status_code == 403


def test_typing_answers_a_web_chat_typing(guest: Guest) -> None:
    """POST typing answers id, conversation, sender and timestamp."""
    typing = guest.call("POST", f"/members/{guest.member_id}/typing").json()
    assert set(typing) == {"id", "conversation", "sender", "timestamp"}


def test_messages_page_with_after_before_and_max_results(guest: Guest) -> None:
    """GET messages pages with after, before and maxResults, ascending by default."""
    joins = [m["id"] for m in guest.history()]  # the guest's and the queue's member-join
    ids = [guest.say(f"m{n}").json()["id"] for n in range(5)]
    everything = guest.call("GET", "/messages").json()
    assert [m["id"] for m in everything["entities"]] == joins + ids
    page = guest.call("GET", "/messages", params={"after": ids[0], "maxResults": 2}).json()
    assert [m["body"] for m in page["entities"]] == ["m1", "m2"] and "next" in page
    before = guest.call("GET", "/messages", params={"before": ids[2]}).json()
    assert [m["id"] for m in before["entities"]] == [*joins, *ids[:2]]
    latest = guest.call("GET", "/messages", params={"sortOrder": "descending", "maxResults": 1})
    assert latest.json()["entities"][0]["body"] == "m4"


@pytest.mark.parametrize(
    ("params", "field"), [({"after": "unknown"}, "after"), ({"maxResults": 101}, "maxResults")]
)
def test_bad_message_paging_is_400(guest: Guest, params: dict, field: str) -> None:
    """An unknown message id or maxResults over 100 answers 400 naming it."""
    answer = guest.call("GET", "/messages", params=params)
    assert answer.status_code == 400 and answer.json()["details"][0]["fieldName"] == field


def test_one_message_by_id(guest: Guest) -> None:
    """GET messages/{id} answers that message; an unknown one is 404."""
    sent = guest.say("find me").json()
    assert guest.call("GET", f"/messages/{sent['id']}").json()["body"] == "find me"
    assert guest.call("GET", "/messages/unknown").status_code == 404


def test_leave_is_204_and_ends_the_chat_for_the_guest(guest: Guest) -> None:
    """DELETE the guest member answers 204; the guest can no longer post."""
    assert guest.call("DELETE", f"/members/{guest.member_id}").status_code == 204
    member = guest.call("GET", f"/members/{guest.member_id}").json()
    assert member["state"] == "DISCONNECTED" and "leaveDate" in member
    refused = guest.say("still here?")
    assert refused.status_code == 400
    assert refused.json()["code"] == "chat.error.conversation.state"


def test_an_upload_is_kept_apart_from_media_requests(emulator: Emulator, guest: Guest) -> None:
    """The emulator's own file flow: uploaded, given back, and never a media request."""
    upload = requests.post(
        f"{emulator.data_url}/emulator/uploads/{guest.id}",
        data=b"%PDF-1.4",
        headers={**guest.headers, "Content-Type": "application/pdf", "X-File-Name": "r.pdf"},
        timeout=5,
    )
    assert upload.status_code == 201
    sent = upload.json()
    assert (sent["name"], sent["contentType"], sent["size"]) == ("r.pdf", "application/pdf", 8)
    download = requests.get(
        f"{emulator.data_url}/emulator/uploads/{guest.id}/{sent['id']}",
        headers=guest.headers,
        timeout=5,
    )
    assert download.content == b"%PDF-1.4"
    assert download.headers["Content-Type"].startswith("application/pdf")
    assert guest.call("GET", "/mediarequests").json() == {"entities": []}
    assert guest.call("GET", f"/mediarequests/{sent['id']}").status_code == 404


@pytest.mark.parametrize(
    ("content_type", "size", "status"),
    [("application/x-msdownload", 10, 415), ("text/plain", 11 * 2**20, 413)],
)
def test_uploads_refuse_bad_types_and_sizes(
    emulator: Emulator, guest: Guest, content_type: str, size: int, status: int
) -> None:
    """A type outside the allow-list is 415; a file over the limit is 413."""
    answer = requests.post(
        f"{emulator.data_url}/emulator/uploads/{guest.id}",
        data=b"x" * size,
        headers={**guest.headers, "Content-Type": content_type},
        timeout=10,
    )
    assert answer.status_code == status and answer.json()["status"] == status
