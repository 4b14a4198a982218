"""Conditions, the inbox's cursor, and what a wait that fails says (no threads, no bus)."""

from __future__ import annotations

import re

import pytest

from cxbus_conversations import (
    Button,
    Card,
    Condition,
    ConversationEnded,
    Message,
    QuickReply,
    WaitTimeout,
    WrongState,
)
from cxbus_conversations.inbox import Inbox


class Clock:
    """A clock a test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def bot(text: str, **fields: object) -> Message:
    return Message("bot", "Alex", text, **fields)  # type: ignore[arg-type]


ENDED = Message("system", text="The chat ended.", event="ended")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def inbox(clock: Clock) -> Inbox:
    inbox = Inbox(clock)
    inbox.start()
    return inbox


def outcome(inbox: Inbox, condition: Condition) -> Message:
    """Wait for ``condition`` and give up at once if nothing settled it."""
    return inbox.conclude(inbox.wait(condition))


# Conditions ------------------------------------------------------------------------------


def test_every_criterion_must_hold() -> None:
    offer = bot("Pick a colour:", quick_replies=(QuickReply("Red"), QuickReply("Blue")))
    assert Condition(contains="colour", quick_reply="Blue").test(offer)
    assert Condition(quick_reply=True).test(offer)
    assert not Condition(contains="colour", quick_reply="Green").test(offer)
    assert not Condition(card=True).test(offer)
    assert Condition(matches=r"^Pick").test(offer)
    assert Condition(matches=re.compile("colour:$")).test(offer)
    assert Condition(equals="  Pick a colour:\n").test(offer)
    assert not Condition(equals="Pick").test(offer)


def test_a_wait_is_for_a_bot_or_an_agent_unless_told() -> None:
    mine = Message("customer", text="hello")
    assert not Condition(contains="hello").test(mine)
    assert Condition(contains="hello", sender="customer").test(mine)
    assert Condition(sender=["agent", "bot"]).test(bot("x"))
    assert not Condition(contains="x").test(Message("bot", text="x", event="joined"))


def test_a_list_of_labels_is_exactly_those_offered_in_that_order() -> None:
    offer = bot("Pick a colour:", quick_replies=(QuickReply("Red"), QuickReply("Blue")))
    assert Condition(quick_reply=["Red", "Blue"]).test(offer)
    assert not Condition(quick_reply=["Blue", "Red"]).test(offer)
    assert not Condition(quick_reply=["Red"]).test(offer)
    assert Condition(quick_reply=[]).test(bot("no choices"))
    assert not Condition(quick_reply=[]).test(offer)
    assert Condition(button=("Tell me more",)).test(
        bot("", cards=(Card("cxbus", buttons=(Button("Tell me more"),)),))
    )


def test_cards_by_title() -> None:
    card = bot("", cards=(Card("Plans"),))
    assert Condition(card="Plans").test(card) and not Condition(card="Other").test(card)


@pytest.mark.parametrize(
    ("criteria", "said"),
    [
        ({"contains": "order"}, "a bot or agent message containing 'order'"),
        ({"matches": "ship|way", "sender": "agent"}, "an agent message matching /ship|way/"),
        (
            {"equals": "Yes", "quick_reply": True},
            "a bot or agent message equal to 'Yes' and offering quick replies",
        ),
        ({"card": "Plans"}, "a bot or agent message with the card 'Plans'"),
        (
            {"quick_reply": ["Red", "Blue"]},
            "a bot or agent message offering the quick replies 'Red', 'Blue'",
        ),
        ({"button": []}, "a bot or agent message with no button"),
        ({"attachment": True}, "a bot or agent message with an attachment"),
        ({"event": "joined", "sender": "agent"}, "an agent joining"),
        ({"event": "ended"}, "the end of the conversation"),
    ],
)
def test_a_condition_says_what_it_waits_for(criteria: dict[str, object], said: str) -> None:
    assert str(Condition(**criteria)) == said  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("criteria", "error"),
    [
        ({"matches": "("}, "matches must be a regular expression; got '('"),
        ({"sender": "robot"}, "sender must be one of bot, agent, system, customer"),
        ({"contains": 3}, "contains must be a string; got 3."),
        ({"card": 1}, "card must be True (any), False (no matter) or a string; got 1."),
        ({"quick_reply": [1]}, "quick_reply must be True (any), False (no matter), a label or"),
    ],
)
def test_bad_criteria_are_named(criteria: dict[str, object], error: str) -> None:
    with pytest.raises((ValueError, TypeError), match=re.escape(error)):
        Condition(**criteria)  # type: ignore[arg-type]


# The cursor -------------------------------------------------------------------------------


def test_a_reply_that_came_before_the_wait_is_found(inbox: Inbox) -> None:
    inbox.add([bot("You said: hello")])
    assert outcome(inbox, Condition(contains="hello")).text == "You said: hello"


def test_a_wait_consumes_up_to_what_it_matched(inbox: Inbox) -> None:
    inbox.add([bot("one"), bot("two"), bot("three")])
    assert outcome(inbox, Condition(contains="two")).text == "two"
    assert outcome(inbox, Condition()).text == "three"
    with pytest.raises(WaitTimeout):  # "one" was passed over: consumed
        outcome(inbox, Condition(contains="one"))


def test_a_wait_under_way_is_settled_by_the_message_it_waits_for(inbox: Inbox) -> None:
    wait = inbox.wait(Condition(contains="two"))
    inbox.add([bot("one")])
    assert wait.settled.state == "pending"
    inbox.add([bot("two")])
    assert wait.settled.state == "resolved"
    assert inbox.conclude(wait).text == "two"


def test_one_wait_at_a_time(inbox: Inbox) -> None:
    inbox.wait(Condition(contains="x"))
    with pytest.raises(
        WrongState, match="a wait for a bot or agent message containing 'x' is under way"
    ):
        inbox.wait(Condition())


def test_a_timeout_names_the_condition_the_time_and_the_nearest(clock: Clock, inbox: Inbox) -> None:
    wait = inbox.wait(Condition(contains="order number"))
    clock.now += 1.5
    inbox.add([bot("Hello!"), bot("What is your order nmber?"), Message("customer", text="secret")])
    clock.now += 8.5
    with pytest.raises(WaitTimeout) as raised:
        inbox.conclude(wait)
    error = raised.value
    assert str(error) == (
        "No bot or agent message containing 'order number' within 10.0 s; the nearest: "
        "bot Alex at 1.50 s: 'What is your order nmber?'."
    )
    assert (error.waited, error.nearest and error.nearest.message.text) == (
        10.0,
        "What is your order nmber?",
    )
    assert isinstance(error, TimeoutError)
    assert inbox.wait(Condition()).first == 0  # given up: a new wait may begin


def test_a_timeout_with_nothing_meanwhile(inbox: Inbox) -> None:
    with pytest.raises(
        WaitTimeout, match=r"within 0.0 s; no bot or agent message came meanwhile\.$"
    ):
        outcome(inbox, Condition(contains="x"))


def test_the_end_ends_a_wait_under_way(clock: Clock, inbox: Inbox) -> None:
    wait = inbox.wait(Condition(contains="order"))
    inbox.add([bot("Goodbye")])
    clock.now += 2
    inbox.add([ENDED])
    with pytest.raises(ConversationEnded) as raised:
        inbox.conclude(wait)
    assert str(raised.value) == (
        "The conversation ended before a bot or agent message containing 'order' came "
        "(waited 2.0 s); the nearest: bot Alex at 0.00 s: 'Goodbye'."
    )


def test_after_the_end_a_wait_fails_at_once_but_finds_what_came_before(inbox: Inbox) -> None:
    inbox.add([bot("last words"), ENDED])
    assert outcome(inbox, Condition(contains="last")).text == "last words"
    with pytest.raises(ConversationEnded):
        outcome(inbox, Condition(contains="more"))


def test_the_end_is_found_wherever_the_cursor_is_and_comes_once(inbox: Inbox) -> None:
    inbox.add([ENDED, bot("late"), Message("system", text="again", event="ended")])
    assert outcome(inbox, Condition(event="ended")) is ENDED
    assert outcome(inbox, Condition(event="ended")) is ENDED
    assert [m.event for m in inbox.transcript.messages] == ["ended", None]


def test_a_dropped_wait_lets_another_begin(inbox: Inbox) -> None:
    wait = inbox.wait(Condition(contains="x"))
    inbox.drop(wait)
    inbox.add([bot("x")])
    assert outcome(inbox, Condition(contains="x")).text == "x"


# The transcript ---------------------------------------------------------------------------


def test_the_transcript_prints_one_line_per_message(clock: Clock, inbox: Inbox) -> None:
    inbox.add([Message("customer", text="options")])
    clock.now += 0.25
    inbox.add(
        [
            bot("Pick a colour:", quick_replies=(QuickReply("Red"), QuickReply("Blue"))),
            Message("agent", "Kate", "Kate joined the chat", event="joined"),
            ENDED,
        ]
    )
    transcript = inbox.transcript
    assert str(transcript) == "\n".join(
        [
            "   0.00 s  customer: options",
            "   0.25 s  bot Alex: Pick a colour:  [quick replies: Red | Blue]",
            "   0.25 s  agent Kate joined",
            "   0.25 s  ended: The chat ended.",
        ]
    )
    assert f"{transcript}" == str(transcript)
    assert [entry.at for entry in transcript] == [0.0, 0.25, 0.25, 0.25]
    assert transcript[1].message.text == "Pick a colour:"
    assert len(transcript) == 4


def test_an_empty_transcript() -> None:
    assert str(Inbox().transcript) == "(no messages)"
