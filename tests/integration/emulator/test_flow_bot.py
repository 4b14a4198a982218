"""The flow-file bot of docs/examples/order-status.yaml on Web Messaging, the guest chat API
and GMS, through MessagingService and WebChatService over real sockets: greeting, quick
replies, choices by label and number, ask and branch, participant data, fallback, a card,
hand-over to the demo agent, disconnect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from cxbus_emulator import Emulator
from cxbus_emulator.web_messaging import Deployment

from .flow_guests import CHANNELS, Guest, guest_on
from .guest import wait_until
from .messenger import Messenger, outbound

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "order-status.yaml"
GREETING = "Hi, I'm Ava. What can I do for you?"
ASK = "What is your order number?"


@pytest.fixture(scope="module")
def flow_emulator() -> Iterator[Emulator]:
    """The example flow's bot, the demo agents behind it; Web Messaging conversations begin
    with a Join (autoStart), so that the bot greets on every channel at the start."""
    with Emulator(
        flow=EXAMPLE,
        agent_join_delay=0.05,
        agent_typing_delay=0.01,
        messaging_deployment=Deployment(auto_start=True),
    ) as running:
        yield running


@pytest.fixture(params=CHANNELS)
def guest(
    request: pytest.FixtureRequest, flow_emulator: Emulator, tmp_path: Path
) -> Iterator[Guest]:
    """A guest of each channel, greeted by the bot."""
    with guest_on(flow_emulator, request.param, tmp_path) as started:
        started.start()
        assert started.text().startswith(GREETING)
        yield started


def quick_replies(message: dict[str, object]) -> list[str]:
    content = message.get("content") or []
    assert isinstance(content, list)
    return [c["quickReply"]["text"] for c in content if c["contentType"] == "QuickReply"]


def test_the_greeting_offers_the_quick_replies(flow_emulator: Emulator, tmp_path: Path) -> None:
    for channel in CHANNELS:
        with guest_on(flow_emulator, channel, tmp_path / channel) as guest:
            guest.start()
            greeting = guest.said()
            if channel == "messaging":
                assert greeting["text"] == GREETING
                assert quick_replies(greeting) == ["Track my order", "Talk to an agent"]
                assert greeting["originatingEntity"] == "Bot"
            else:
                assert greeting["text"] == f"{GREETING}\n1. Track my order\n2. Talk to an agent"
                expected = {"webchat": "External", "gms": "Bot"}[channel]
                assert greeting["from"] == {"name": "Ava", "type": expected}


def test_a_quick_reply_chosen_by_its_label_goes_on(guest: Guest) -> None:
    guest.choose("Track my order")
    assert guest.text() == ASK


def test_a_choice_by_its_number_goes_on(guest: Guest) -> None:
    guest.say("1")
    assert guest.text() == ASK


def test_an_answer_is_kept_branched_on_and_set_as_participant_data(
    flow_emulator: Emulator, guest: Guest
) -> None:
    guest.say("track it")
    assert guest.text() == ASK
    guest.say("12345")
    found = guest.said()
    data = {"order_number": "12345", "intent": "order-status"}
    assert flow_emulator.participant_data(guest.conversation_id) == data
    if guest.channel == "messaging":
        assert found["text"] == "Order 12345 is on its way."
        card = found["content"][0]["card"]
        assert card["title"] == "Your parcel"
        assert card["actions"] == [
            {"type": "Postback", "text": "Another order", "payload": "Another order"},
            {"type": "Postback", "text": "Done", "payload": "Done"},
            {"type": "Link", "text": "Track the parcel", "url": "https://example.com/track"},
        ]
    else:
        assert found["text"] == (
            "Order 12345 is on its way.\nYour parcel\nShipped on Monday, arriving on Thursday.\n"
            "1. Another order\n2. Done\nTrack the parcel: https://example.com/track"
        )


def test_participant_data_are_on_each_apis_control_api(
    flow_emulator: Emulator, guest: Guest
) -> None:
    guest.say("1")
    guest.text()
    guest.say("54321")
    guest.said()
    path = {
        "messaging": "/emulator/messaging/sessions/",
        "webchat": "/emulator/conversations/",
        "gms": "/emulator/gms/chats/",
    }[guest.channel]
    shown = requests.get(flow_emulator.data_url + path + guest.conversation_id, timeout=5).json()
    assert shown["participantData"] == {"order_number": "54321", "intent": "order-status"}


def test_an_answer_no_rule_takes_gets_the_fallback_and_the_state_waits_again(
    guest: Guest,
) -> None:
    guest.say("hello")
    assert guest.text() == "Sorry, I did not get that. Choose an option, or say agent."
    guest.say("2")  # the greeting's choices still stand
    assert guest.text() == "I'm passing you to an agent."


def test_a_state_says_its_own_fallback(guest: Guest) -> None:
    guest.say("1")
    guest.text()
    guest.say("my order")
    assert guest.text() == "An order number has five digits, like 12345."


def test_a_card_button_is_chosen(guest: Guest) -> None:
    guest.say("1")
    guest.text()
    guest.say("12345")
    guest.said()
    guest.choose("Done", kind="card")
    assert guest.text() == "Thanks for chatting. Goodbye!"


def test_the_hand_over_gives_the_chat_to_the_demo_agent(
    flow_emulator: Emulator, guest: Guest
) -> None:
    guest.say("Can I talk to a human?")  # the flow's own rule, in any state
    assert guest.text() == "I'm passing you to an agent."
    assert flow_emulator.participant_data(guest.conversation_id) == {"intent": "agent"}
    if guest.channel == "messaging":
        assert guest.text().startswith("Hi, I'm Alex, the demo bot.")
        guest.say("hello")
        assert guest.text() == "You said: hello"
        return
    joined = guest.driver.wait("agentConnected", timeout=10)
    assert joined["message"]["from"] == {"name": "Alex", "type": "Agent"}
    assert guest.text() == "Hi Ada, I'm Alex. How can I help you today?"
    guest.say("hello")
    answer = guest.said()
    assert answer["text"] == "Hello again! What can I do for you?"
    assert answer["from"] == {"name": "Alex", "type": "Agent"}


def test_the_bot_disconnects(flow_emulator: Emulator, guest: Guest) -> None:
    guest.say("bye")
    assert guest.text() == "Thanks for chatting. Goodbye!"
    ended = guest.ended()
    if guest.channel == "messaging":
        assert ended["readOnly"] is True
        assert ended["message"]["events"] == [
            {"eventType": "Presence", "presence": {"type": "Disconnect"}}
        ]
        assert ended["message"]["channel"]["from"] == {"nickname": "Ava"}
    elif guest.channel == "webchat":
        assert flow_emulator.conversation(guest.conversation_id).ended
    else:
        assert flow_emulator.gms.chat(guest.conversation_id).ended


def test_on_web_messaging_the_first_message_begins_the_conversation_and_is_heard(
    flow_emulator: Emulator,
) -> None:
    """With no Join first: the greeting, then the answer to that first message."""
    chat = Messenger(flow_emulator)
    try:
        chat.say("I want a human")
        texts = [chat.frame(outbound("Structured"))["body"]["text"]]
        texts.append(chat.frame(outbound("Text"))["body"]["text"])
        assert texts == [GREETING, "I'm passing you to an agent."]
    finally:
        chat.close()


def test_on_guest_chat_the_bot_is_the_chats_flow_until_it_queues_the_chat(
    flow_emulator: Emulator, tmp_path: Path
) -> None:
    """A WORKFLOW member greets before any queue; the hand-over is its leaving, the
    queue's ACD member, then the agent."""
    with guest_on(flow_emulator, "webchat", tmp_path) as guest:
        guest.start()
        guest.said()
        conversation = flow_emulator.conversation(guest.conversation_id)
        members = [(m.role, m.display_name, m.state) for m in conversation.members.values()]
        assert members == [("CUSTOMER", "Ada", "CONNECTED"), ("WORKFLOW", "Ava", "CONNECTED")]
        guest.say("2")
        guest.text()
        assert guest.text() == "Hi Ada, I'm Alex. How can I help you today?"  # Alex has joined
        members = [(m.role, m.display_name, m.state) for m in conversation.members.values()]
        assert members == [
            ("CUSTOMER", "Ada", "CONNECTED"),
            ("WORKFLOW", "Ava", "DISCONNECTED"),
            ("ACD", "Support", "DISCONNECTED"),
            ("AGENT", "Alex", "CONNECTED"),
        ]


def test_on_gms_the_bot_is_told_as_a_bot(flow_emulator: Emulator, tmp_path: Path) -> None:
    """Its events carry the Widgets' bot attributes: botConnected, then botDisconnected at
    the hand-over, before the agent joins."""
    with guest_on(flow_emulator, "gms", tmp_path) as guest:
        guest.start()
        guest.said()
        assert guest.driver.wait("botConnected")["message"]["from"] == {
            "name": "Ava",
            "type": "Bot",
        }
        guest.say("agent")
        guest.driver.wait("agentConnected", timeout=10)
        names = guest.driver.names()
        assert names.index("botConnected") < names.index("botDisconnected")
        assert names.index("botDisconnected") < names.index("agentConnected")
        joined = flow_emulator.gms.chat(guest.conversation_id).transcript[1]
        assert joined.type == "ParticipantJoined" and joined.sender["type"] == "External"
        assert joined.event_attributes == {"GCTI_SYSTEM": {"party-info": {"style": "BOT"}}}


def test_without_demo_agents_a_hand_over_waits_in_the_queue_for_the_test(tmp_path: Path) -> None:
    with (
        Emulator(flow=EXAMPLE, demo_agent=False, agent_typing_delay=0.01) as emulator,
        guest_on(emulator, "webchat", tmp_path) as guest,
    ):
        guest.start()
        guest.said()
        guest.say("agent")
        assert guest.text() == "I'm passing you to an agent."
        conversation = emulator.conversation(guest.conversation_id)
        wait_until(lambda: conversation.member("ACD") is not None)  # the queue, after the words
        assert conversation.agent is None
        emulator.agent_join(guest.conversation_id, "Kate")
        emulator.agent_send(guest.conversation_id, "Kate here.")
        assert guest.text() == "Kate here."
