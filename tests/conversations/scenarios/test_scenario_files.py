"""Scenario files read into scenarios, and every kind of mistake reported as ONE error that
names the file, the line and what was expected (before anything connects)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cxbus_conversations.scenarios import (
    DocumentError,
    load_scenario_file,
    load_scenarios,
    read_scenarios,
)
from cxbus_conversations.scenarios.steps import (
    AnyOrder,
    Choose,
    Collect,
    Expect,
    Say,
    SendFile,
    Silence,
)

SOURCE = "order.scenario.yaml"


def read(text: str, environ: dict[str, str] | None = None, folder: Path = Path(".")) -> list:
    return read_scenarios(textwrap.dedent(text), SOURCE, environ or {}, folder)


def error_of(text: str, environ: dict[str, str] | None = None) -> DocumentError:
    with pytest.raises(DocumentError) as raised:
        read(text, environ)
    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith(f"{SOURCE}, line {raised.value.line}: ")
    return raised.value


def test_the_issue_example_reads_as_written() -> None:
    (scenario,) = read(
        """\
        name: order status
        steps:
          - say: Where is my order?
          - expect: {contains: order number}
          - say: "12345"
          - expect: {matches: 'shipped|on its way', within: 10}
        """
    )
    assert scenario.name == "order status"
    assert [type(step) for step in scenario.steps] == [Say, Expect, Say, Expect]
    say, expect, number, shipped = scenario.steps
    assert say.text.written == "Where is my order?" and say.line == 3
    assert expect.expectation.contains.written == "order number"
    assert expect.expectation.within is None
    assert number.text.written == "12345"
    assert shipped.expectation.matches.written == "shipped|on its way"
    assert shipped.expectation.within == 10
    assert shipped.written == "expect: {matches: shipped|on its way, within: 10}"


def test_plain_numbers_and_yes_no_stay_texts_as_written() -> None:
    (scenario,) = read(
        """\
        name: texts
        steps:
          - say: 12345
          - say: 1.50
          - choose: Yes
          - expect: {quick_replies: [Yes, No, 3]}
        """
    )
    twelve, one_fifty, yes, offered = scenario.steps
    assert twelve.text.written == "12345"
    assert one_fifty.text.written == "1.50"
    assert isinstance(yes, Choose) and yes.label.written == "Yes"
    labels = [label.written for label in offered.expectation.quick_replies]
    assert labels == ["Yes", "No", "3"]


def test_every_step_kind_and_the_file_defaults(tmp_path: Path) -> None:
    (tmp_path / "invoice.pdf").write_bytes(b"%PDF")
    scenarios = read(
        """\
        within: 4
        nickname: Ada
        attributes: {team: qa}
        channels: [messaging, gms]
        scenarios:
          - name: first
            attributes: {case: "7"}
            steps:
              - send_file: invoice.pdf
              - send_file: {path: invoice.pdf, text: here}
              - any_order:
                  - {contains: a}
                  - {card: Plans, from: agent}
              - collect: {quiet: 1.5, within: 20, count: {min: 1, max: 3}, expect: [{contains: b}]}
              - silence: 2
              - expect: {joined: agent}
              - expect: {left: true}
              - expect: {ended: true}
          - name: second
            within: 2
            channels: [webchat]
            steps:
              - expect: {participant_data: {intent: order, id: {matches: '^[0-9]+$'}}}
        """,
        folder=tmp_path,
    )
    first, second = scenarios
    assert (first.within, second.within) == (4, 2)
    assert first.nickname.written == "Ada"
    assert {name: text.written for name, text in first.attributes.items()} == {
        "team": "qa",
        "case": "7",
    }
    assert first.channels == ("messaging", "gms") and second.channels == ("webchat",)
    kinds = [type(step) for step in first.steps]
    assert kinds == [SendFile, SendFile, AnyOrder, Collect, Silence, Expect, Expect, Expect]
    plain, with_text = first.steps[:2]
    assert plain.folder == tmp_path and with_text.text.written == "here"
    group = first.steps[2]
    assert group.expectations[1].sender == ("agent",)
    collect = first.steps[3]
    assert (collect.quiet, collect.within, collect.fewest, collect.most) == (1.5, 20, 1, 3)
    assert first.steps[4].seconds == 2
    events = [step.expectation.event for step in first.steps[5:]]
    assert events == ["joined", "left", "ended"]
    data = second.steps[0].expectation.participant_data
    assert {name: (check.how, check.text.written) for name, check in data.items()} == {
        "intent": ("equals", "order"),
        "id": ("matches", "^[0-9]+$"),
    }


def test_a_file_with_no_name_is_named_after_the_file() -> None:
    (scenario,) = read("steps: [{say: hi}]\n")
    assert scenario.name == "order"


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("", 1, "the file is empty; expected a scenario file"),
        ("name: x\nsteps: [say: hi\n", 3, "this is not YAML: expected ',' or ']'"),
        ("name: x\n", 1, "expected steps (one scenario's steps) or scenarios"),
        (
            "name: x\nsteps:\n  - say: hi\n  - sey: hi\n",
            4,
            "steps[1].sey: not a key here; expected one of say, expect, choose",
        ),
        (
            "name: x\nsteps:\n  - say: hi\n    expect: {contains: x}\n",
            3,
            "steps[0]: expected one step: a mapping with one of say, expect, choose, send_file, "
            "any_order, collect, silence; got say and expect",
        ),
        (
            "name: x\nsteps:\n  - say: hi\n  - expect: {contains: x, within: soon}\n",
            4,
            "steps[1].expect.within: expected a number of seconds above 0",
        ),
        (
            "name: x\nsteps:\n  - expect: {contains: x, within: -1}\n",
            3,
            "got -1",
        ),
        (
            "name: x\nsteps:\n  - expect: {contains: x}\nname: y\n",
            4,
            "name: given twice",
        ),
        (
            "name: x\nsteps: [{say: a}]\nscenarios: [{name: b, steps: [{say: c}]}]\n",
            3,
            "expected steps (one scenario) or scenarios (several), not both",
        ),
        (
            "scenarios:\n  - name: a\n    steps: [{say: a}]\n  - name: a\n    steps: [{say: b}]\n",
            4,
            "scenarios[1].name: the name 'a' is given to scenarios[0] too",
        ),
        (
            "scenarios:\n  - steps: [{say: a}]\n",
            2,
            "scenarios[0]: name is missing: expected the scenario's name",
        ),
        (
            "name: x\nsteps:\n  - say: hi\n  - expect: {matches: 'order ('}\n",
            4,
            "steps[1].expect.matches: expected a regular expression; missing ), unterminated",
        ),
        (
            "name: x\nsteps:\n  - say: 'order ${order}'\n",
            3,
            "steps[0].say: ${order} is no variable; expected ${env.NAME}, ${run.id} or "
            "${scenario.id}",
        ),
        (
            "name: x\nsteps:\n  - say: hi\n  - say: '${env.CXBUS_NOT_SET}'\n",
            4,
            "steps[1].say: ${env.CXBUS_NOT_SET}: the environment variable CXBUS_NOT_SET is not set",
        ),
        (
            "name: x\nsteps:\n  - send_file: no-such-file.pdf\n",
            3,
            "steps[0].send_file: expected a file to send; 'no-such-file.pdf' is none",
        ),
        (
            "name: x\nsteps:\n  - expect: {joined: agent, contains: hi}\n",
            3,
            "steps[0].expect.contains: joined is an event, which has no text or content",
        ),
        (
            "name: x\nsteps:\n  - expect: {participant_data: {a: b}, contains: hi}\n",
            3,
            "participant_data is checked on its own",
        ),
        (
            "name: x\nsteps:\n  - collect: {quiet: 1, count: {min: 3, max: 1}}\n",
            3,
            "steps[0].collect.count: expected min at most max",
        ),
        (
            "name: x\nchannels: [messaging, sms]\nsteps: [{say: a}]\n",
            2,
            "channels[1]: expected a channel: messaging, webchat or gms; got 'sms'",
        ),
        (
            "name: x\nsteps:\n  - expect: {quick_replies: false}\n",
            3,
            "steps[0].expect.quick_replies: expected true (any), a label, or a list of labels",
        ),
        (
            "name: x\nsteps:\n  - expect: {}\n",
            3,
            "steps[0].expect: expected an expectation",
        ),
        (
            "name: x\nsteps:\n  - any_order: [{contains: a}, {ended: true}]\n",
            3,
            "steps[0].any_order[1]: any_order groups messages",
        ),
        (
            "name: x\nsteps:\n  - collect: {within: 3}\n",
            3,
            "steps[0].collect: quiet is missing: expected a number of seconds above 0",
        ),
    ],
)
def test_a_bad_file_is_one_error_naming_its_line_and_what_was_expected(
    text: str, line: int, expected: str
) -> None:
    error = error_of(text)
    assert error.line == line, error
    assert expected in error.problem, error


def test_environment_variables_are_checked_when_read_and_rendered_when_played() -> None:
    (scenario,) = read(
        "name: x\nsteps:\n  - say: 'token ${env.TOKEN} costs $$5'\n", {"TOKEN": "s3cret"}
    )
    text = scenario.steps[0].text
    assert text.written == "token ${env.TOKEN} costs $$5"
    assert "s3cret" not in repr(scenario)
    assert text.render({"TOKEN": "s3cret"}, {}) == "token s3cret costs $5"


def test_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "a.scenario.yaml").write_text("steps: [{say: a}]\n")
    (tmp_path / "deeper").mkdir()
    (tmp_path / "deeper" / "b.scenario.yml").write_text("steps: [{say: b}]\n")
    (tmp_path / "notes.yaml").write_text("not: a scenario\n")
    assert [s.name for s in load_scenarios([tmp_path])] == ["a", "b"]
    with pytest.raises(DocumentError, match=r"notes.yaml, line 1: expected steps"):
        load_scenarios([tmp_path / "notes.yaml"])  # a file given is read whatever its name
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        load_scenarios([tmp_path / "missing"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="holds no scenario file"):
        load_scenarios([empty])
    with pytest.raises(DocumentError, match=r"line 1: cannot read the scenario file"):
        load_scenario_file(tmp_path / "deeper")
