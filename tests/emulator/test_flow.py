"""Reading a flow file: what a good one gives, and one error naming the file, the line and
what was expected for each kind of bad one."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from cxbus_emulator.flow import SCHEMA, FlowError, load_flow, parse_flow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "order-status.yaml"


def error_of(text: str) -> FlowError:
    with pytest.raises(FlowError) as caught:
        parse_flow(text, "bot.yaml")
    return caught.value


def test_the_example_flow_reads_as_written() -> None:
    flow = load_flow(EXAMPLE)
    assert flow.name == "order status" and flow.bot == "Ava" and flow.start == "welcome"
    assert list(flow.states) == ["welcome", "ask_number", "found", "agent", "goodbye"]
    welcome = flow.first_state
    assert welcome.quick_replies == ("Track my order", "Talk to an agent")
    assert [rule.contains for rule in flow.on] == [("agent", "human"), ()]
    assert flow.on[1].equals == ("bye", "goodbye")
    found = flow.states["found"]
    assert found.choices == ("Another order", "Done")
    assert found.cards[0].buttons[2].url == "https://example.com/track"
    assert found.set["order_number"].render({"order": "12345"}) == "12345"
    assert flow.states["agent"].handover and flow.states["agent"].queue == "Support"
    assert flow.states["goodbye"].disconnect
    assert flow.states["ask_number"].ask == "order"


def test_yaml_1_2_booleans_keep_on_yes_and_no_texts_and_numbers_texts() -> None:
    flow = parse_flow(
        "states:\n"
        "  a:\n"
        "    say: Pick one\n"
        "    quick_replies: [Yes, No, 3]\n"
        "    on:\n"
        "      - equals: 12345\n"
        "        goto: a\n"
    )
    state = flow.states["a"]
    assert state.quick_replies == ("Yes", "No", "3")
    assert state.on[0].equals == ("12345",)


def test_defaults() -> None:
    flow = parse_flow("states:\n  only:\n    say: hi\n")
    assert flow.start == "only" and flow.bot == "Bot" and flow.name is None
    assert flow.fallback.render({}) == "Sorry, I did not understand that."
    assert flow.source == "<flow>"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "bot.yaml, line 1: the file is empty; expected a flow: a mapping with the bot's"),
        ("states:\n  a: [\n", "bot.yaml, line 3: this is not YAML: "),
        ("- a\n", "bot.yaml, line 1: expected a flow: a mapping with the bot's states"),
        ("name: x\n", "bot.yaml, line 1: states is missing: expected a mapping of state names"),
        (
            "states:\n  a:\n    say: hi\nstaets: {}\n",
            "bot.yaml, line 4: staets: not a key here; expected one of name, bot, start, "
            "ignore_case, fallback, on, states",
        ),
        (
            "states:\n  a:\n    sya: hi\n",
            "bot.yaml, line 3: states.a.sya: not a key here; expected one of say, quick_replies,",
        ),
        (
            "states:\n  a:\n    say: true\n",
            "bot.yaml, line 3: states.a.say: expected the text the bot says on entering the "
            "state; got true",
        ),
        (
            "states:\n  my state:\n    say: hi\n",
            "bot.yaml, line 2: states.my state: expected a name of letters, digits, _ and -, "
            "starting with a letter or _; got 'my state'",
        ),
        (
            "states:\n  a:\n    say: hi\n    on:\n      - contains: x\n        goto: nowhere\n",
            "bot.yaml, line 6: states.a.on[0].goto: expected the name of a state (a); "
            "got 'nowhere'",
        ),
        (
            "states:\n  a:\n    say: hi\n    on:\n      - contains: x\n",
            "bot.yaml, line 5: states.a.on[0]: goto is missing: expected the name of the state",
        ),
        (
            "states:\n  a:\n    say: hi\n    on:\n      - contains: x\n        equals: y\n"
            "        goto: a\n",
            "bot.yaml, line 6: states.a.on[0].equals: expected one of contains or equals, not both",
        ),
        (
            "states:\n  a:\n    say: hi\n    on:\n      - matches: '(('\n        goto: a\n",
            "bot.yaml, line 5: states.a.on[0].matches: expected a regular expression; missing )",
        ),
        (
            "states:\n  a:\n    say: hi\n    on:\n      - var: size\n        goto: a\n",
            "bot.yaml, line 5: states.a.on[0].var: 'size' is no variable; expected a variable "
            "that a state asks for, and no state has ask",
        ),
        (
            "states:\n  a:\n    say: 'Hi {name}'\n    ask: nme\n",
            "bot.yaml, line 3: states.a.say: {name} names no variable; expected a variable that "
            "a state asks for (nme)",
        ),
        (
            "states:\n  a:\n    say: 'Hi {'\n",
            "bot.yaml, line 3: states.a.say: has a brace out of place",
        ),
        (
            "states:\n  a:\n    say: 'Hi {name!r}'\n    ask: name\n",
            "bot.yaml, line 3: states.a.say: expected {name} with a variable's name; got {name}",
        ),
        (
            "states:\n  a:\n    say: hi\n    goto: b\n  b:\n    say: ho\n    goto: a\n",
            "bot.yaml, line 4: states.a.goto: the states a -> b -> a go on to each other without "
            "waiting for the guest",
        ),
        (
            "states:\n  a:\n    say: hi\n    say: ho\n",
            "bot.yaml, line 4: states.a.say: given twice",
        ),
        (
            "states:\n  a:\n    quick_replies: [Yes, No]\n",
            "bot.yaml, line 3: states.a.quick_replies: quick replies need a say",
        ),
        (
            "states:\n  a:\n    say: x\n    quick_replies: [Yes, No]\n    disconnect: true\n",
            "bot.yaml, line 5: states.a.disconnect: the state goes on at once, so its "
            "quick_replies would never be used",
        ),
        (
            "states:\n  a:\n    say: x\n    ask: v\n    goto: a\n",
            "bot.yaml, line 5: states.a.goto: the state goes on at once, so its ask would never",
        ),
        (
            "states:\n  a:\n    say: x\n    quick_replies: [Yes, yes]\n",
            "bot.yaml, line 4: states.a.quick_replies: offers 'yes' twice",
        ),
        (
            "states:\n  a:\n    say: x\n    handover:\n",
            "bot.yaml, line 4: states.a.handover: expected true, or the name of a queue",
        ),
        (
            "states:\n  a:\n    say: x\n    handover: true\n    disconnect: true\n",
            "bot.yaml, line 5: states.a.disconnect: expected one of handover or disconnect",
        ),
        (
            "states:\n  a:\n    card:\n      title: t\n      buttons:\n        - {label: x}\n",
            "bot.yaml, line 6: states.a.card.buttons[0]: expected a button: a label (a postback),",
        ),
        (
            "states:\n  a:\n    card: {title: t}\n    carousel: [{title: u}]\n",
            "bot.yaml, line 4: states.a.carousel: expected one of card or carousel, not both",
        ),
        ("start: zz\nstates:\n  a:\n    say: x\n", "bot.yaml, line 1: start: expected the name"),
        (
            "states:\n  a:\n    set: {tier: false}\n",
            "bot.yaml, line 3: states.a.set.tier: expected a participant data value (a text); "
            "got false",
        ),
        (
            "states:\n  a:\n    say: hi\n    on:\n      - contains: []\n        goto: a\n",
            "bot.yaml, line 5: states.a.on[0].contains: expected a text, or a list of texts",
        ),
        ("states:\n  a: &x [*x]\n", "bot.yaml, line 2: states.a[0]: an alias to itself"),
        ("states:\n  [a]: {say: x}\n", "bot.yaml, line 2: states: expected a name as a key"),
    ],
)
def test_a_bad_flow_is_one_error_naming_the_file_the_line_and_what_was_expected(
    text: str, message: str
) -> None:
    error = error_of(text)
    assert str(error).startswith(message), str(error)
    assert "\n" not in str(error)
    assert error.source == "bot.yaml" and str(error).startswith(f"bot.yaml, line {error.line}: ")


def test_the_first_problem_in_the_file_is_the_one_told() -> None:
    error = error_of("states:\n  a:\n    say: 1\n    sya: x\n  b:\n    qick: y\nbot: 3\n")
    assert error.line == 4 and "states.a.sya" in error.problem


def test_a_missing_or_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FlowError, match=r"nowhere.yaml, line 1: cannot read the flow file: No"):
        load_flow(tmp_path / "nowhere.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FlowError, match=r"binary.yaml, line 1: cannot read the flow file"):
        load_flow(binary)


def test_the_schema_is_a_json_schema_and_the_docs_link_the_packages_own() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    shipped = ROOT / "plugins" / "cxbus_emulator" / "flow.schema.json"
    assert json.loads((ROOT / "docs" / "flow.schema.json").read_text()) == json.loads(
        shipped.read_text()
    )
