"""Every step kind played by a ``Player`` against the emulator over real sockets, on Web
Messaging (the demo bot), guest chat and GMS (the demo agent); what a failing step says;
and every conversation ended on the server afterwards.

What the demo answers is the emulator's: the bot greets, echoes ("You said: ..."), offers
quick replies on "options" and a card on "card", acknowledges a choice ("You chose Blue.")
and a file ("Thanks, I got note.txt."), and says goodbye and disconnects on "bye"; the
agent joins, greets ("Hi Ada, I'm Alex. ..."), echoes, and leaves on "bye" (the chat ends).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from cxbus_conversations import Conversation
from cxbus_conversations.emulator_sections import emulator_config
from cxbus_conversations.scenarios import (
    RUN_ATTRIBUTE,
    Play,
    Player,
    Scenario,
    read_scenarios,
)
from cxbus_conversations.testing import CHANNELS
from cxbus_emulator import Emulator

pytestmark = pytest.mark.integration

MESSAGING = """\
nickname: Ada
attributes: {case: "${scenario.id}"}
scenarios:
  - name: words
    steps:
      - say: hello ${run.id}
      - expect: {contains: demo bot, from: bot}
      - expect: {matches: 'You said: hello cxbus-test-\\d+', within: 5}
      - say: "12345"
      - expect: {equals: "You said: 12345"}
      - silence: 0.3
  - name: choices
    steps:
      - say: options
      - expect: {quick_replies: [Red, Green, Blue], contains: colour}
      - choose: Blue
      - expect: {equals: You chose Blue., quick_replies: []}
      - say: card
      - expect: {card: cxbus, buttons: [Tell me more, Genesys Cloud]}
      - choose: Tell me more
      - expect: {contains: You chose Tell me more}
  - name: a choice waits for its offer
    steps:
      - say: options
      - choose: Red
      - expect: {equals: You chose Red.}
  - name: files
    steps:
      - send_file: {path: note.txt, text: here it is}
      - expect: {contains: "Thanks, I got note.txt."}
  - name: groups
    steps:
      - say: first
      - any_order:
          - {contains: "You said: first"}
          - {contains: the demo bot}
      - say: second
      - collect: {quiet: 0.4, count: 1, expect: [{contains: second}]}
  - name: the end
    steps:
      - say: bye
      - collect: {quiet: 0.3, expect: [{contains: Goodbye}]}
      - expect: {ended: true}
"""

WEB_CHAT = """\
nickname: Ada
scenarios:
  - name: words
    steps:
      - expect: {joined: agent}
      - expect: {equals: "Hi Ada, I'm Alex. How can I help you today?", from: agent}
      - say: order ${scenario.id}
      - expect: {matches: 'You said: order [0-9a-f]{12}$'}
      - silence: 0.3
  - name: choices
    steps:
      - expect: {joined: true}
      - choose: Blue
      - expect: {contains: "You said: Blue", quick_replies: []}
  - name: files
    steps:
      - expect: {joined: agent}
      - send_file: note.txt
      - expect: {attachment: note.txt, from: customer}
  - name: groups
    steps:
      - expect: {joined: agent}
      - say: first
      - say: second
      - any_order:
          - {contains: "You said: second"}
          - {contains: "You said: first"}
      - say: third
      - collect: {quiet: 0.4, count: {min: 1, max: 1}, expect: [{contains: third}]}
  - name: the end
    steps:
      - expect: {joined: agent}
      - say: bye
      - expect: {contains: Goodbye}
      - expect: {left: agent}
      - expect: {ended: true}
"""


def played(emulator: Emulator, channel: str, text: str, folder: Path) -> list[Play]:
    (folder / "note.txt").write_text("a note")
    scenarios = read_scenarios(textwrap.dedent(text), "steps.scenario.yaml", {}, folder)
    return [play_one(emulator, scenario, channel) for scenario in scenarios]


def play_one(emulator: Emulator, scenario: Scenario, channel: str) -> Play:
    player = Player(
        scenario,
        channel,
        emulator_config(emulator, channel),
        run_id="cxbus-test-42",
        within=5,
        environ={},
    )
    return player.play()


def open_on(emulator: Emulator, channel: str) -> int:
    """How many conversations are open on ``channel`` (other tests' too: the emulator is
    the session's, so a test compares before and after)."""
    return emulator.open_conversations()[channel]


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_step_kind_passes_and_every_conversation_is_ended(
    emulator: Emulator, channel: str, tmp_path: Path
) -> None:
    text = MESSAGING if channel == "messaging" else WEB_CHAT
    before = open_on(emulator, channel)
    plays = played(emulator, channel, text, tmp_path)
    for play in plays:
        assert play.status == "passed", f"{play.scenario.name}: {play.problem}\n{play.transcript}"
    assert open_on(emulator, channel) == before
    waits = [r for play in plays for r in play.steps if r.latency is not None]
    assert waits and all(0 <= r.latency < 5 for r in waits)


def test_the_run_and_the_scenario_attributes_reach_the_server(
    emulator: Emulator, tmp_path: Path
) -> None:
    (scenario,) = read_scenarios(
        "attributes: {case: '${scenario.id}', team: qa}\n"
        "steps: [{say: hi}, {expect: {from: bot}}]\n",
        "a.scenario.yaml",
        {},
    )
    before = set(emulator.messaging.sessions())
    play = play_one(emulator, scenario, "messaging")
    assert play.status == "passed", play.problem
    (session,) = set(emulator.messaging.sessions()) - before
    attributes = emulator.messaging.session(session).custom_attributes
    assert attributes[RUN_ATTRIBUTE] == "cxbus-test-42"
    assert attributes["team"] == "qa" and len(attributes["case"]) == 12


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        (
            "[{say: hello}, {expect: {contains: order number, within: 0.5}}]",
            "No bot or agent message containing 'order number' within 0.5 s; the nearest: bot at",
        ),
        (
            "[{say: hello}, {silence: 2}]",
            "Expected 2 s of silence; the bot said",
        ),
        (
            "[{say: hello}, {collect: {quiet: 0.4, count: 3}}]",
            "Expected 3 replies before the quiet; 2 came",
        ),
        (
            "[{say: hello}, {collect: {quiet: 0.4, expect: [{contains: shipped}]}}]",
            "No bot or agent message containing 'shipped' among the 2 replies collected; "
            "the nearest: ",
        ),
        (
            "[{say: hello}, {any_order: [{contains: hello, within: 0.3}, {contains: shipped, "
            "within: 0.5}]}]",
            "No bot or agent message containing 'shipped' within 0.5 s; the nearest: bot at",
        ),
        (
            "[{say: hello}, {choose: Purple}]",
            "choose: no quick reply or button labelled 'Purple' was offered",
        ),
        (
            "[{expect: {participant_data: {intent: order}}}]",
            "expect participant_data needs a platform section in the target's configuration",
        ),
        (
            "[{say: bye}, {expect: {contains: shipped}}]",
            "The conversation ended before a bot or agent message containing 'shipped' came",
        ),
    ],
)
def test_a_failing_step_says_what_was_expected_and_what_came_nearest(
    emulator: Emulator, steps: str, problem: str
) -> None:
    text = f"name: failing\nwithin: 2\nsteps: {steps}\n"
    (scenario,) = read_scenarios(text, "f.scenario.yaml", {})
    before = open_on(emulator, "messaging")
    play = play_one(emulator, scenario, "messaging")
    assert play.status == "failed"
    assert play.failed_step == len(scenario.steps) - 1
    assert play.problem is not None and problem in play.problem, play.problem
    assert open_on(emulator, "messaging") == before


def test_a_scenario_for_other_channels_is_skipped(emulator: Emulator) -> None:
    (scenario,) = read_scenarios("channels: [gms]\nsteps: [{say: hi}]\n", "s.scenario.yaml", {})
    assert play_one(emulator, scenario, "webchat").status == "skipped"


class FakePlatform:
    """The platform's side as a Player asks it (its seam): fixed participant data, and the
    conversations it was asked to disconnect."""

    def __init__(self, data: dict[str, str]) -> None:
        self.data = data
        self.asked: list[dict[str, str]] = []
        self.disconnected: list[dict[str, str]] = []

    def conversation_id(self, conversation: Conversation) -> str | None:
        return None

    def participant_data(
        self, conversation: Conversation, attributes: Mapping[str, str]
    ) -> Mapping[str, str]:
        self.asked.append(dict(attributes))
        return self.data

    def disconnect(self, conversation: Conversation, attributes: Mapping[str, str]) -> None:
        self.disconnected.append(dict(attributes))


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"intent": "order-status", "order_number": "12345"}, None),
        (
            {"intent": "agent", "order_number": "12345"},
            "The participant data intent is not as expected (equals order-status) within "
            "0.3 s; it is 'agent'",
        ),
        (
            {"intent": "order-status"},
            "The participant data order_number is not as expected (matches ^\\d{5}$) "
            "within 0.3 s; it is not set",
        ),
    ],
)
def test_participant_data_is_asked_of_the_platform_and_every_play_is_disconnected_there(
    emulator: Emulator, data: dict[str, str], problem: str | None
) -> None:
    (scenario,) = read_scenarios(
        "steps:\n  - say: hi\n  - expect: {participant_data: "
        "{intent: order-status, order_number: {matches: '^\\d{5}$'}}, within: 0.3}\n",
        "p.scenario.yaml",
        {},
    )
    platform = FakePlatform(data)
    player = Player(
        scenario,
        "messaging",
        emulator_config(emulator, "messaging"),
        run_id="cxbus-test-42",
        environ={},
        platform=platform,
    )
    play = player.play()
    assert play.problem == problem
    assert play.status == ("passed" if problem is None else "failed")
    assert {asked[RUN_ATTRIBUTE] for asked in platform.asked} == {"cxbus-test-42"}
    assert [gone[RUN_ATTRIBUTE] for gone in platform.disconnected] == ["cxbus-test-42"]
