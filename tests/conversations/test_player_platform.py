"""A player's platform side, with a platform of the test's own: participant data asked
again until it is as expected or the step's time is up, an interrupt that ends the
asking at once, the conversation's id kept on the play, and a disconnect at the end.

The conversations are real ones, with the emulator's demo bot (Web Messaging) and demo
agent (guest chat); only the platform side is the test's.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import pytest

from cxbus_conversations import Conversation
from cxbus_conversations.scenarios import Player, Scenario, read_scenarios
from cxbus_conversations.testing import Conversations

ASKS = """\
name: participant data
steps:
  - say: hello
  - expect: {{participant_data: {{intent: order-status}}, within: {within}}}
"""


def scenario(within: float) -> Scenario:
    (read,) = read_scenarios(ASKS.format(within=within))
    return read


class Platform:
    """Answers each ask for participant data with the next of ``answers`` (the last
    one again when they run out), and records what the player did."""

    def __init__(self, *answers: Mapping[str, str] | None) -> None:
        self.answers = list(answers)
        self.asked = 0
        self.disconnected: list[Conversation] = []
        self.first_ask = threading.Event()

    def conversation_id(self, conversation: Conversation) -> str | None:
        return "conversation-17"

    def participant_data(
        self, conversation: Conversation, attributes: Mapping[str, str]
    ) -> Mapping[str, str] | None:
        self.asked += 1
        self.first_ask.set()
        assert attributes["cxbusTestRun"] == "run-1"
        return self.answers[min(self.asked, len(self.answers)) - 1]

    def disconnect(self, conversation: Conversation, attributes: Mapping[str, str]) -> None:
        self.disconnected.append(conversation)


def player(conversations: Conversations, platform: Platform | None, within: float) -> Player:
    return Player(
        scenario(within),
        "messaging",
        conversations.config("messaging"),
        run_id="run-1",
        environ={},
        platform=platform,
    )


def test_participant_data_is_asked_again_until_it_is_as_expected(
    conversations: Conversations,
) -> None:
    platform = Platform(None, {}, {"intent": "order-status"})
    play = player(conversations, platform, within=30).play()
    assert play.status == "passed", play.problem
    assert platform.asked == 3
    assert play.conversation_id == "conversation-17"
    assert len(platform.disconnected) == 1


def test_data_not_as_expected_in_time_says_what_it_is(conversations: Conversations) -> None:
    platform = Platform({"intent": "agent"})
    play = player(conversations, platform, within=0.3).play()
    assert play.status == "failed"
    assert play.problem == (
        "The participant data intent is not as expected (equals order-status) within "
        "0.3 s; it is 'agent'"
    )
    assert platform.asked >= 2  # asked again before the time was up
    assert play.conversation_id == "conversation-17"


def test_a_conversation_the_platform_never_found_says_so(conversations: Conversations) -> None:
    play = player(conversations, Platform(None), within=0.2).play()
    assert play.status == "failed"
    assert play.problem is not None
    assert play.problem.startswith("The platform did not find the conversation within 0.2 s")


def test_an_interrupt_ends_the_asking_at_once(conversations: Conversations) -> None:
    platform = Platform({})
    playing = player(conversations, platform, within=60)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(playing.play()))
    worker.start()
    assert platform.first_ask.wait(timeout=30)
    playing.interrupt()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert outcome[0].status == "interrupted"
    assert platform.asked == 1  # woken from its wait, not asking again


def test_without_a_platform_participant_data_fails_saying_it_needs_one(
    conversations: Conversations,
) -> None:
    play = player(conversations, None, within=1).play()
    assert play.status == "failed"
    assert play.problem is not None and "needs a platform section" in play.problem
    assert play.conversation_id is None  # Web Messaging: the guest is not told


@pytest.mark.parametrize("channel", ["webchat", "gms"])
def test_a_guest_that_is_told_its_id_keeps_it_without_a_platform(
    conversations: Conversations, channel: str
) -> None:
    (said,) = read_scenarios("name: hello\nsteps:\n  - say: hello\n")
    play = Player(said, channel, conversations.config(channel), run_id="run-1", environ={}).play()
    assert play.status == "passed", play.problem
    assert play.conversation_id is not None
    assert play.conversation_id in {
        *conversations.emulator.server.conversations,
        *conversations.emulator.gms_server.chats,
    }
