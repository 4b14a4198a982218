"""The emulator's platform API over real sockets, with requests: tokens, finding a Web
Messaging conversation from a message's id, a conversation's participants and their
attributes, disconnecting, permissions, and the open conversations of every API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from cxbus_emulator import Emulator
from cxbus_emulator.platform import DEFAULT_CLIENT, OAuthClient

from .gms import GmsChat
from .guest import Guest, of_type, said
from .messenger import Messenger, outbound

Json = dict[str, Any]
ORDER_STATUS = Path(__file__).resolve().parents[3] / "docs" / "examples" / "order-status.yaml"
SET_BY_THE_FLOW = {"order_number": "12345", "intent": "order-status"}


def token_of(emulator: Emulator, client: OAuthClient = DEFAULT_CLIENT) -> str:
    answer = requests.post(
        f"{emulator.data_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
        timeout=5,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


class Platform:
    """Platform API calls with one client's token."""

    def __init__(self, emulator: Emulator, client: OAuthClient = DEFAULT_CLIENT) -> None:
        self.base = emulator.data_url
        self.headers = {"Authorization": f"Bearer {token_of(emulator, client)}"}

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{self.base}/api/v2{path}", headers=self.headers, timeout=5, **kwargs
        )

    def get(self, path: str) -> Json:
        answer = self.call("GET", path)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@pytest.fixture
def platform(emulator: Emulator) -> Platform:
    return Platform(emulator)


@pytest.fixture
def viewer(emulator: Emulator) -> Iterator[Platform]:
    """A client that may read conversations but not disconnect them."""
    client = OAuthClient(
        "viewer",
        "viewer-secret",
        permissions={"conversation:webmessaging:view", "conversation:communication:view"},
    )
    emulator.platform.add_client(client)
    yield Platform(emulator, client)


def bot_says(words: str) -> Callable[[Json], bool]:
    """An outbound message frame whose text has ``words``."""
    return lambda frame: (
        frame["class"] == "StructuredMessage"
        and frame["body"]["direction"] == "Outbound"
        and words in (frame["body"].get("text") or "")
    )


def customer(conversation: Json) -> Json:
    (found,) = [p for p in conversation["participants"] if p["purpose"] == "customer"]
    return found


# Tokens -----------------------------------------------------------------------------------


def test_a_client_credentials_token_is_a_bearer_token_with_its_clients_lifetime(
    emulator: Emulator,
) -> None:
    answer = requests.post(
        f"{emulator.data_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(DEFAULT_CLIENT.client_id, DEFAULT_CLIENT.client_secret),
        timeout=5,
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 86_400
    assert body["access_token"]
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "auth",
    [
        (DEFAULT_CLIENT.client_id, "not the secret"),
        ("nobody", DEFAULT_CLIENT.client_secret),
        None,
    ],
    ids=["wrong secret", "unknown client", "no credentials"],
)
def test_bad_client_credentials_are_401_invalid_client(
    emulator: Emulator, auth: tuple[str, str] | None
) -> None:
    answer = requests.post(
        f"{emulator.data_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=auth,
        timeout=5,
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert DEFAULT_CLIENT.client_secret not in answer.text


def test_another_grant_type_is_400_unsupported_grant_type(emulator: Emulator) -> None:
    answer = requests.post(
        f"{emulator.data_url}/oauth/token",
        data={"grant_type": "password"},
        auth=(DEFAULT_CLIENT.client_id, DEFAULT_CLIENT.client_secret),
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_a_configured_client_gets_tokens_of_its_own_lifetime() -> None:
    client = OAuthClient("tester", "tester-secret", token_seconds=600)
    with Emulator(demo_agent=False, platform_clients=(client,)) as emulator:
        assert emulator.platform_config() == {
            "apiBaseUrl": emulator.data_url,
            "clientId": "tester",
            "clientSecret": "tester-secret",
        }
        answer = requests.post(
            f"{emulator.data_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("tester", "tester-secret"),
            timeout=5,
        )
        assert answer.json()["expires_in"] == 600
        refused = requests.post(
            f"{emulator.data_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(DEFAULT_CLIENT.client_id, DEFAULT_CLIENT.client_secret),
            timeout=5,
        )
        assert refused.status_code == 401  # only the configured clients


def test_an_api_call_without_a_good_token_is_401_bad_credentials(
    emulator: Emulator, platform: Platform
) -> None:
    for headers in ({}, {"Authorization": "Bearer forged"}):
        answer = requests.get(
            f"{emulator.data_url}/api/v2/conversations/some-id", headers=headers, timeout=5
        )
        assert answer.status_code == 401
        assert answer.json()["code"] == "bad.credentials"
    assert emulator.platform.expire_tokens() >= 1
    assert platform.call("GET", "/conversations/some-id").status_code == 401


def test_a_client_without_the_permission_is_403_missing_any_permissions(
    emulator: Emulator, messenger: Messenger, viewer: Platform
) -> None:
    messenger.say("Hello")
    answer = viewer.call(
        "PATCH", f"/conversations/messages/{messenger.session_id}", json={"state": "disconnected"}
    )
    assert answer.status_code == 403
    body = answer.json()
    assert body["code"] == "missing.any.permissions"
    assert "conversation:communication:disconnect" in body["message"]
    assert ("messaging", messenger.session_id) in emulator.platform.open_conversations()


# Web Messaging ----------------------------------------------------------------------------


def test_a_message_id_finds_its_web_messaging_conversation(
    emulator: Emulator, messenger: Messenger, platform: Platform
) -> None:
    echo = messenger.say("Where is my order?")
    reply_id = emulator.messaging.agent_send(messenger.session_id, "Which order?")
    mine = platform.get(f"/conversations/messages/{echo['body']['id']}/details")
    assert mine["conversationId"] == messenger.session_id
    assert mine["direction"] == "inbound"
    assert mine["messengerType"] == "webmessaging"
    assert mine["textBody"] == "Where is my order?"
    assert mine["normalizedMessage"]["text"] == "Where is my order?"
    theirs = platform.get(f"/conversations/messages/{reply_id}/details?useNormalizedMessage=true")
    assert theirs["conversationId"] == messenger.session_id
    assert theirs["direction"] == "outbound"
    assert "textBody" not in theirs
    same = platform.get(f"/conversations/messages/{messenger.session_id}/messages/{reply_id}")
    assert same["id"] == reply_id


def test_an_unknown_message_is_404_not_found(
    emulator: Emulator, messenger: Messenger, platform: Platform
) -> None:
    echo = messenger.say("Hello")
    answer = platform.call("GET", "/conversations/messages/wm-tester-preflight-check/details")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not.found"
    elsewhere = platform.call(
        "GET", f"/conversations/messages/other-id/messages/{echo['body']['id']}"
    )
    assert elsewhere.status_code == 404


def test_a_web_messaging_conversation_has_its_customer_with_the_custom_attributes(
    emulator: Emulator, messenger: Messenger, platform: Platform
) -> None:
    messenger.say("Hello", channel={"metadata": {"customAttributes": {"run": "r-17"}}})
    emulator.messaging.agent_send(messenger.session_id, "Hi, Alex here", sender="Alex")
    conversation = platform.get(f"/conversations/{messenger.session_id}")
    assert conversation["id"] == messenger.session_id
    assert "endTime" not in conversation
    guest = customer(conversation)
    assert guest["attributes"] == {"run": "r-17"}
    assert guest["messages"][0]["state"] == "connected"
    purposes = [p["purpose"] for p in conversation["participants"]]
    assert purposes == ["customer", "workflow", "agent"]
    assert platform.get(f"/conversations/{messenger.session_id}") == conversation  # same ids


def test_a_session_with_no_message_yet_is_no_conversation(
    emulator: Emulator, messenger: Messenger, platform: Platform
) -> None:
    assert platform.call("GET", f"/conversations/{messenger.session_id}").status_code == 404
    assert ("messaging", messenger.session_id) not in emulator.platform.open_conversations()


def test_disconnecting_a_web_messaging_conversation_tells_the_guest_and_ends_it(
    emulator: Emulator, messenger: Messenger, platform: Platform
) -> None:
    messenger.say("Hello")
    conversation_id = messenger.session_id
    assert ("messaging", conversation_id) in emulator.platform.open_conversations()
    answer = platform.call(
        "PATCH", f"/conversations/messages/{conversation_id}", json={"state": "disconnected"}
    )
    assert answer.status_code == 200
    disconnect = messenger.frame(outbound("Event"))
    assert disconnect["body"]["events"][0]["presence"]["type"] == "Disconnect"
    assert disconnect["body"]["metadata"] == {"readOnly": "true"}  # the deployment's type
    ended = answer.json()
    assert "endTime" in ended
    assert {p["messages"][0]["state"] for p in ended["participants"]} == {"disconnected"}
    assert ("messaging", conversation_id) not in emulator.platform.open_conversations()
    again = platform.call(
        "PATCH", f"/conversations/messages/{conversation_id}", json={"state": "disconnected"}
    )
    assert again.status_code == 200
    assert again.json()["endTime"] == ended["endTime"]
    assert len(emulator.messaging.describe(conversation_id)["messages"]) == 2  # one Disconnect


@pytest.mark.parametrize("body", [{"state": "connected"}, {}, ["disconnected"]])
def test_a_disconnect_needs_the_state_disconnected(
    messenger: Messenger, platform: Platform, body: Any
) -> None:
    messenger.say("Hello")
    answer = platform.call("PATCH", f"/conversations/messages/{messenger.session_id}", json=body)
    assert answer.status_code == 400
    assert answer.json()["code"] == "bad.request"


def test_disconnecting_an_unknown_conversation_is_404(platform: Platform) -> None:
    for media in ("messages", "chats"):
        answer = platform.call(
            "PATCH", f"/conversations/{media}/no-such-id", json={"state": "disconnected"}
        )
        assert answer.status_code == 404


def test_a_cleared_conversation_is_no_longer_open(
    emulator: Emulator, messenger: Messenger, platform: Platform
) -> None:
    messenger.say("Hello")
    conversation_id = messenger.session_id
    emulator.messaging.clear(conversation_id)
    assert ("messaging", conversation_id) not in emulator.platform.open_conversations()
    assert "endTime" in platform.get(f"/conversations/{conversation_id}")


def test_what_the_flow_set_is_the_customers_participant_data() -> None:
    with Emulator(flow=ORDER_STATUS, agent_typing_delay=0.01) as emulator:
        platform = Platform(emulator)
        web = Messenger(emulator)
        web.say("Track my order", channel={"metadata": {"customAttributes": {"run": "r-1"}}})
        web.frame(bot_says("order number"))
        web.say("12345")
        web.frame(bot_says("on its way"))
        conversation = platform.get(f"/conversations/{web.session_id}")
        assert customer(conversation)["attributes"] == {"run": "r-1", **SET_BY_THE_FLOW}
        web.close()

        chat = Guest(emulator)
        chat.frame(said)  # the bot's greeting
        chat.say("Track my order")
        chat.say("12345")
        chat.frame(lambda frame: said(frame) and "on its way" in frame["eventBody"]["body"])
        conversation = platform.get(f"/conversations/{chat.id}")
        assert customer(conversation)["attributes"] == {"customerId": "59606", **SET_BY_THE_FLOW}
        chat.close()


# Guest chat and GMS -----------------------------------------------------------------------


def test_a_guest_chat_has_its_members_as_participants(
    emulator: Emulator, guest: Guest, platform: Platform
) -> None:
    guest.frame(of_type("member-change"))
    conversation = platform.get(f"/conversations/{guest.id}")
    assert conversation["id"] == guest.id
    found = customer(conversation)
    assert found["id"] == guest.member_id
    assert found["chats"][0]["state"] == "connected"
    assert found["attributes"] == {"customerId": "59606"}  # its customFields


def test_disconnecting_a_guest_chat_ends_it_for_every_member(
    emulator: Emulator, guest: Guest, platform: Platform
) -> None:
    assert ("webchat", guest.id) in emulator.platform.open_conversations()
    answer = platform.call(
        "PATCH", f"/conversations/chats/{guest.id}", json={"state": "disconnected"}
    )
    assert answer.status_code == 200
    assert {p["chats"][0]["state"] for p in answer.json()["participants"]} == {"disconnected"}
    assert emulator.conversation(guest.id).ended
    assert ("webchat", guest.id) not in emulator.platform.open_conversations()


def test_a_guest_chat_is_no_message_conversation(guest: Guest, platform: Platform) -> None:
    answer = platform.call(
        "PATCH", f"/conversations/messages/{guest.id}", json={"state": "disconnected"}
    )
    assert answer.status_code == 404


def test_a_gms_chat_is_open_until_it_ends_but_no_platform_conversation(
    emulator: Emulator, gms_chat: GmsChat, platform: Platform
) -> None:
    chat_id = gms_chat.id
    assert ("gms", chat_id) in emulator.platform.open_conversations()
    assert platform.call("GET", f"/conversations/{chat_id}").status_code == 404
    gms_chat.call("disconnect")
    assert ("gms", chat_id) not in emulator.platform.open_conversations()


def test_the_control_path_expires_tokens(
    emulator: Emulator, guest: Guest, platform: Platform
) -> None:
    expired = requests.post(f"{emulator.data_url}/emulator/platform/tokens/expire", timeout=5)
    assert expired.json()["expired"] >= 1
    assert platform.call("GET", f"/conversations/{guest.id}").status_code == 401
