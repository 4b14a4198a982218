"""``PlatformClient`` against the emulator's platform API over real sockets: finding a
conversation, its participant data, disconnecting it, tokens kept and fetched again,
and errors of one sentence with no secret in them; the ``platform`` section's checks."""

from __future__ import annotations

import uuid

import pytest

from cxbus_conversations import PlatformClient, PlatformError, PlatformSection
from cxbus_conversations.testing import Conversations
from cxbus_emulator import Emulator
from cxbus_emulator.platform import OAuthClient

SECRET = "s3cret-that-must-not-leak"


@pytest.fixture
def platform(emulator: Emulator) -> PlatformClient:
    return PlatformClient(emulator.platform_config())


def token_requests(emulator: Emulator, since: int) -> int:
    return sum(path == "/oauth/token" for _, path, _ in emulator.requests_seen(since))


# The section ---------------------------------------------------------------------------------


def test_a_region_names_the_api_and_login_hosts() -> None:
    section = PlatformSection.from_config(
        {"region": "mypurecloud.ie", "clientId": "c", "clientSecret": SECRET}
    )
    assert section.api_base_url == "https://api.mypurecloud.ie"
    assert section.login_base_url == "https://login.mypurecloud.ie"
    assert SECRET not in repr(section)
    assert SECRET not in repr(PlatformClient(section))


def test_an_api_base_url_without_api_serves_the_tokens_too() -> None:
    section = PlatformSection.from_config(
        {"apiBaseUrl": "http://127.0.0.1:8080/", "clientId": "c", "clientSecret": SECRET}
    )
    assert section.api_base_url == section.login_base_url == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("section", "said"),
    [
        (
            {"clientId": "c", "clientSecret": SECRET},
            "region (such as mypurecloud.com) or apiBaseUrl",
        ),
        (
            {
                "region": "mypurecloud.com",
                "apiBaseUrl": "https://x",
                "clientId": "c",
                "clientSecret": SECRET,
            },
            "exactly one",
        ),
        (
            {"region": "https://mypurecloud.com", "clientId": "c", "clientSecret": SECRET},
            "platform.region",
        ),
        ({"apiBaseUrl": "ftp://x", "clientId": "c", "clientSecret": SECRET}, "platform.apiBaseUrl"),
        ({"region": "mypurecloud.com", "clientSecret": SECRET}, "platform needs clientId"),
        ({"region": "mypurecloud.com", "clientId": "c"}, "platform needs clientSecret"),
        (
            {"region": "mypurecloud.com", "clientId": "", "clientSecret": SECRET},
            "platform.clientId",
        ),
        (
            {"region": "mypurecloud.com", "clientId": "c", "clientSecret": ""},
            "platform.clientSecret",
        ),
        ({"region": "mypurecloud.com", "clientId": "c", "secret": SECRET}, "no key 'secret'"),
    ],
)
def test_a_bad_section_is_one_sentence_naming_the_key(section: dict[str, str], said: str) -> None:
    with pytest.raises(ValueError, match="^platform") as raised:
        PlatformSection.from_config(section)
    message = str(raised.value)
    assert said in message
    assert SECRET not in message
    assert message.count(". ") == 0 and message.endswith(".")


def test_a_secret_of_the_wrong_type_is_not_shown() -> None:
    with pytest.raises(ValueError) as raised:
        PlatformSection.from_config(
            {"region": "mypurecloud.com", "clientId": "c", "clientSecret": 1234567}
        )
    assert "1234567" not in str(raised.value)


# The calls -----------------------------------------------------------------------------------


def test_a_web_messaging_conversation_is_found_and_read(
    conversations: Conversations, platform: PlatformClient, emulator: Emulator
) -> None:
    run = str(uuid.uuid4())
    chat = conversations("messaging", attributes={"run": run})
    assert chat.conversation_id is None  # the guest is not told
    assert platform.find_conversation(chat) is None  # nothing said: no conversation yet
    chat.say("where is my order")
    chat.wait_for(contains="You said")
    found = platform.find_conversation(chat)
    assert found in emulator.messaging.sessions()
    assert platform.participant_data(found) == {"run": run}


def test_a_guest_chats_id_is_its_own(
    conversations: Conversations, platform: PlatformClient, emulator: Emulator
) -> None:
    chat = conversations("webchat", attributes={"run": "r-1"})
    found = platform.find_conversation(chat)
    assert found is not None and found == chat.conversation_id
    assert emulator.conversation(found).guest.custom_fields == {"run": "r-1"}
    assert platform.participant_data(found) == {"run": "r-1"}


def test_gms_has_no_platform(conversations: Conversations, platform: PlatformClient) -> None:
    chat = conversations("gms")
    assert chat.conversation_id is not None  # GMS tells its chatId
    with pytest.raises(PlatformError, match="GMS chats are Genesys Engage's"):
        platform.find_conversation(chat)
    with pytest.raises(PlatformError, match="GMS"):
        platform.check("gms")


@pytest.mark.parametrize("channel", ["messaging", "webchat"])
def test_disconnect_ends_the_conversation_for_the_guest_and_on_the_server(
    conversations: Conversations,
    platform: PlatformClient,
    emulator: Emulator,
    channel: str,
) -> None:
    chat = conversations(channel)
    if channel == "webchat":
        chat.wait_for_joined()  # the demo agent answers what is said once it is there
    chat.say("where is my order")
    chat.wait_for(contains="You said")
    found = platform.find_conversation(chat)
    assert found is not None
    assert (channel, found) in emulator.platform.open_conversations()
    platform.disconnect(found, channel)
    chat.wait_for_end()
    assert (channel, found) not in emulator.platform.open_conversations()


def test_a_token_is_kept_and_fetched_again_when_refused(
    conversations: Conversations, platform: PlatformClient, emulator: Emulator
) -> None:
    chat = conversations("webchat")
    mark = emulator.requests_served()
    platform.participant_data(chat.conversation_id or "")
    platform.participant_data(chat.conversation_id or "")
    assert token_requests(emulator, mark) == 1
    emulator.platform.expire_tokens()
    platform.participant_data(chat.conversation_id or "")
    assert token_requests(emulator, mark) == 2


def test_a_token_is_fetched_again_before_it_expires(
    conversations: Conversations, emulator: Emulator
) -> None:
    client = OAuthClient("short-lived", SECRET, token_seconds=300)
    emulator.platform.add_client(client)
    clock = [0.0]
    platform = PlatformClient(emulator.platform.config("short-lived"), clock=lambda: clock[0])
    chat = conversations("webchat")
    mark = emulator.requests_served()
    platform.participant_data(chat.conversation_id or "")
    clock[0] = 260.0  # 40 s left: more than the margin, a tenth of its 300 s
    platform.participant_data(chat.conversation_id or "")
    assert token_requests(emulator, mark) == 1
    clock[0] = 271.0
    platform.participant_data(chat.conversation_id or "")
    assert token_requests(emulator, mark) == 2


# Errors --------------------------------------------------------------------------------------


def test_bad_credentials_are_one_sentence_without_the_secret(
    emulator: Emulator,
) -> None:
    config = {**emulator.platform_config(), "clientSecret": SECRET}
    with pytest.raises(PlatformError) as raised:
        PlatformClient(config).check("messaging")
    message = str(raised.value)
    assert "refused the OAuth client 'cxbus-emulator'" in message
    assert "platform.clientSecret" in message
    assert SECRET not in message


def test_an_unreachable_platform_says_where_and_why() -> None:
    platform = PlatformClient(
        {"apiBaseUrl": "http://127.0.0.1:9", "clientId": "c", "clientSecret": SECRET}
    )
    with pytest.raises(
        PlatformError, match=r"^Cannot reach the platform at http://127\.0\.0\.1:9: "
    ) as raised:
        platform.check("webchat")
    assert SECRET not in str(raised.value)


def test_a_missing_permission_is_found_before_the_run(emulator: Emulator) -> None:
    client = OAuthClient("webchat-only", SECRET, permissions={"conversation:communication:view"})
    emulator.platform.add_client(client)
    platform = PlatformClient(emulator.platform.config("webchat-only"))
    platform.check("webchat")
    with pytest.raises(PlatformError, match="'webchat-only' may not find conversations: Unable"):
        platform.check("messaging")


def test_a_missing_disconnect_permission_says_so(
    conversations: Conversations, emulator: Emulator
) -> None:
    client = OAuthClient("reader", SECRET, permissions={"conversation:communication:view"})
    emulator.platform.add_client(client)
    platform = PlatformClient(emulator.platform.config("reader"))
    chat = conversations("webchat")
    with pytest.raises(PlatformError, match="'reader' may not disconnect conversations"):
        platform.disconnect(chat.conversation_id or "", "webchat")


def test_an_unknown_conversation_is_an_error(platform: PlatformClient) -> None:
    with pytest.raises(PlatformError, match="no such conversation"):
        platform.participant_data("no-such-conversation")
