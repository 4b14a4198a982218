"""FlowRun, the flow bot's machine, through a channel that records what the bot does; and
how a reply is shown as text and as Web Messaging content."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import attrs

from cxbus_emulator.flow import Button, Card, parse_flow
from cxbus_emulator.flow_bot import Coverage, FlowRun, Phase, Reply, branches
from cxbus_emulator.web_messaging.flow_bot import content_of, words_of
from cxbus_emulator.web_messaging.sessions import Message

FLOW = """
bot: Sam
fallback: "Say again? ({size})"
on:
  - equals: reset
    goto: menu
states:
  menu:
    say: Which size?
    quick_replies: [Small, Large]
    ask: size
    on:
      - contains: small
        goto: small
      - matches: '^l'
        goto: large
  small:
    set: {size: "{size}", route: small}
    say: Small it is.
    goto: confirm
  large:
    say: Sure about {size}?
    on:
      - var: size
        equals: Large
        ignore_case: false
        goto: exact
      - goto: confirm
  exact:
    say: Exactly Large.
    handover: Sizes
  confirm:
    say: Confirm?
    fallback: Yes or no, please.
    on:
      - equals: [yes, y]
        goto: done
  done:
    say: Done.
    disconnect: true
"""


@attrs.define
class Recorder:
    """A channel that records what the bot does, and can be closed."""

    done: list[Any] = attrs.field(factory=list)
    open: bool = True

    async def join(self) -> None:
        self.done.append("join")

    async def typing(self) -> None:
        self.done.append("typing")

    async def send(self, reply: Reply) -> None:
        self.done.append(reply)

    def set_participant_data(self, values: Mapping[str, str]) -> None:
        self.done.append(dict(values))

    async def handover(self, queue: str | None) -> None:
        self.done.append(("handover", queue))

    async def disconnect(self) -> None:
        self.done.append("disconnect")

    def texts(self) -> list[str | None]:
        return [entry.text for entry in self.done if isinstance(entry, Reply)]


def play(*answers: str, first_words: str | None = None) -> tuple[FlowRun, Recorder, list[bool]]:
    """A run of FLOW that begins (with ``first_words``) and hears ``answers``."""
    channel = Recorder()

    async def talk() -> tuple[FlowRun, list[bool]]:
        run = FlowRun(parse_flow(FLOW), channel, 0.0)
        await run.begin(first_words)
        return run, [await run.hear(answer) for answer in answers]

    run, taken = asyncio.run(talk())
    return run, channel, taken


def test_the_bot_joins_types_and_greets_with_its_quick_replies() -> None:
    run, channel, _ = play()
    greeting = Reply("Which size?", ("Small", "Large"))
    assert channel.done == ["join", "typing", greeting]
    assert run.offered == greeting and run.state is not None and run.state.name == "menu"


def test_an_answer_is_asked_for_kept_and_sets_participant_data_then_goto_goes_on() -> None:
    run, channel, taken = play("a SMALL one")
    assert taken == [True]
    assert channel.done[3:] == [
        {"size": "a SMALL one", "route": "small"},
        "typing",
        Reply("Small it is."),
        "typing",
        Reply("Confirm?"),
    ]
    assert run.variables == {"size": "a SMALL one"}


def test_a_choice_by_number_is_its_label() -> None:
    run, channel, _ = play("2")
    assert run.variables["size"] == "Large"
    assert channel.texts()[-1] == "Sure about Large?"


def test_a_later_rule_tests_a_variable_and_may_mind_case() -> None:
    _, channel, _ = play("large", "sure")  # the label, in another case: the label is kept
    assert channel.texts()[-1] == "Exactly Large."
    _, channel, _ = play("LARGE please", "sure")  # no label: kept as said, not exactly Large
    assert channel.texts()[-2:] == ["Sure about LARGE please?", "Confirm?"]


def test_the_hand_over_leaves_the_rest_to_the_agent() -> None:
    run, channel, taken = play("Large", "sure", "hello")
    assert channel.done[-1] == ("handover", "Sizes")
    assert run.phase is Phase.HANDED_OVER and taken == [True, True, False]


def test_fallbacks_the_states_then_the_flows_with_variables() -> None:
    _, channel, _ = play("medium", "small", "maybe")
    assert channel.texts()[1:] == [
        "Say again? (medium)",
        "Small it is.",
        "Confirm?",
        "Yes or no, please.",
    ]


def test_the_flows_rules_come_after_the_states_in_any_state() -> None:
    _, channel, _ = play("small", "reset")
    assert channel.texts()[-1] == "Which size?"


def test_disconnect_ends_the_bots_part() -> None:
    run, channel, taken = play("small", "Y", "anyone?")
    assert channel.done[-2:] == [Reply("Done."), "disconnect"]
    assert run.phase is Phase.ENDED and taken == [True, True, False]


def test_the_first_words_are_heard_after_the_greeting() -> None:
    _, channel, _ = play(first_words="small")
    assert channel.texts() == ["Which size?", "Small it is.", "Confirm?"]


def test_nothing_is_said_on_a_closed_channel() -> None:
    channel = Recorder(open=False)

    async def talk() -> None:
        await FlowRun(parse_flow(FLOW), channel, 0.0).begin()

    asyncio.run(talk())
    assert channel.done == ["join"]


def test_turns_are_taken_in_order() -> None:
    channel = Recorder()

    async def talk() -> None:
        run = FlowRun(parse_flow(FLOW), channel, 0.01)
        await asyncio.gather(run.begin(), run.hear("small"), run.hear("yes"))

    asyncio.run(talk())
    assert channel.texts() == ["Which size?", "Small it is.", "Confirm?", "Done."]


CAROUSEL = Reply(
    "Pick a plan",
    cards=(
        Card("Basic", "For one", "https://example.com/b.png", (Button("Basic"),)),
        Card("Team", None, None, (Button("Team"), Button("Compare", "https://example.com/c"))),
    ),
    carousel=True,
)


def test_text_channels_number_the_choices_across_cards() -> None:
    assert CAROUSEL.as_text() == (
        "Pick a plan\nBasic\nFor one\n1. Basic\nTeam\n2. Team\nCompare: https://example.com/c"
    )
    assert CAROUSEL.choices == ("Basic", "Team")
    assert CAROUSEL.choice(" 2 ") == "Team" and CAROUSEL.choice("team") == "Team"
    assert CAROUSEL.choice("3") == "3" and CAROUSEL.choice("basic plan") == "basic plan"


def test_web_messaging_gets_structured_content() -> None:
    assert content_of(CAROUSEL) == [
        {
            "contentType": "Carousel",
            "carousel": {
                "cards": [
                    {
                        "title": "Basic",
                        "description": "For one",
                        "image": "https://example.com/b.png",
                        "actions": [{"type": "Postback", "text": "Basic", "payload": "Basic"}],
                    },
                    {
                        "title": "Team",
                        "actions": [
                            {"type": "Postback", "text": "Team", "payload": "Team"},
                            {"type": "Link", "text": "Compare", "url": "https://example.com/c"},
                        ],
                    },
                ]
            },
        }
    ]
    assert content_of(Reply("Sure?", ("Yes", "No")))[1] == {
        "contentType": "QuickReply",
        "quickReply": {"text": "No", "payload": "No", "action": "Message"},
    }


def test_what_a_web_messaging_guest_said() -> None:
    pressed = {"contentType": "ButtonResponse", "buttonResponse": {"payload": "Team"}}
    assert words_of(Message("Inbound", "Structured", text="", content=[pressed])) == "Team"
    assert words_of(Message("Inbound", "Text", text="hi")) == "hi"
    assert words_of(Message("Inbound", "Event", events=[{"eventType": "Presence"}])) is None
    assert words_of(Message("Inbound", "Text", text=None)) is None


def test_a_run_keeps_the_states_it_entered_and_the_branches_it_took() -> None:
    run, _, _ = play("small", "maybe", "reset", "LARGE please", "sure")
    assert run.reached == ["menu", "small", "confirm", "menu", "large", "confirm"]
    assert run.taken == [
        "menu on[0]",  # contains small
        "confirm fallback",  # maybe
        "on[0]",  # the flow's own rule: reset
        "menu on[1]",  # matches ^l
        "large on[1]",  # anything else -> confirm
    ]


def test_coverage_adds_up_runs_against_every_state_and_branch_of_the_flow() -> None:
    flow = parse_flow(FLOW)
    assert branches(flow) == {
        "menu on[0]": "contains 'small' -> small",
        "menu on[1]": "matches /^l/ -> large",
        "menu fallback": "anything else: the fallback",
        "large on[0]": "size equals 'Large' -> exact",
        "large on[1]": "anything -> confirm",
        "large fallback": "anything else: the fallback",
        "confirm on[0]": "equals 'yes' or 'y' -> done",
        "confirm fallback": "anything else: the fallback",
        "on[0]": "equals 'reset' -> menu",
    }
    first, _, _ = play("small", "yes")
    second, _, _ = play("Large", "sure")
    found = Coverage.of(flow, [first, second])
    assert found.states == {
        "menu": 2,
        "small": 1,
        "large": 1,
        "exact": 1,
        "confirm": 1,
        "done": 1,
    }
    assert [name for name, count in found.branches.items() if count] == [
        "menu on[0]",
        "menu on[1]",
        "large on[0]",
        "confirm on[0]",
    ]
