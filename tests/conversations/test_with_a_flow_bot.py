"""Conversations with the flow-file bot of docs/examples/order-status.yaml, over real
sockets, on every channel: its quick replies and card buttons are waited for and chosen
by label alike, whether structured (Web Messaging) or numbered lines of text (guest chat,
GMS).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cxbus_conversations import Conversation
from cxbus_conversations.testing import CHANNELS

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "order-status.yaml"

pytestmark = [pytest.mark.integration, pytest.mark.emulator_flow(EXAMPLE)]


def greeted(chat: Conversation) -> Conversation:
    """``chat``, once the bot greets: on Web Messaging it greets the first message."""
    if chat.channel == "messaging":
        chat.say("hello")
    return chat


@pytest.mark.parametrize("conversation_channel", CHANNELS)
def test_a_quick_reply_is_offered_and_chosen_by_its_label(conversation: Conversation) -> None:
    offer = greeted(conversation).wait_for(quick_reply="Track my order")
    assert offer.choices == ("Track my order", "Talk to an agent")
    assert offer.text.startswith("Hi, I'm Ava. What can I do for you?")
    conversation.choose("Track my order")
    assert conversation.wait_for(equals="What is your order number?").sender == "bot"


@pytest.mark.parametrize("conversation_channel", CHANNELS)
def test_a_cards_buttons_are_chosen_by_label(conversation: Conversation) -> None:
    greeted(conversation).wait_for(quick_reply="Track my order")
    conversation.choose("Track my order")
    conversation.wait_for(equals="What is your order number?")
    conversation.say("12345")
    card = conversation.wait_for(contains="Order 12345 is on its way.")
    assert card.choices == ("Another order", "Done")  # the link is no choice
    conversation.choose("Done")
    assert conversation.wait_for(contains="Goodbye").text == "Thanks for chatting. Goodbye!"
    assert conversation.wait_for_end().event == "ended"
