"""A machine's transitions as one table: checked when built, checked at each step, drawn."""

from __future__ import annotations

import enum

import attrs
import pytest

from cxbus.runtime.transitions import Row, TransitionError, Transitions


@attrs.frozen
class Off:
    pass


@attrs.frozen
class On:
    presses: int = 0


@attrs.frozen
class Broken:
    pass


@attrs.frozen
class Gone:
    pass


@attrs.frozen
class Press:
    pass


class Timer(enum.Enum):
    WEAR = "wear"


State = Off | On | Broken | Gone


class Switch:
    """A switch: pressed, it turns on and off; worn out, it breaks."""

    def press(self, state: State, press: Press) -> State:
        return On() if isinstance(state, Off) else Off()

    def count(self, state: On, press: Press) -> On:
        return attrs.evolve(state, presses=state.presses + 1)

    def wear(self, state: State, fired: object) -> Broken:
        return Broken()

    def nothing(self, state: State, happened: object) -> State:
        return state


def table(*rows: Row[Switch]) -> Transitions[Switch, State]:
    return Transitions(states=(Off, On, Broken), kinds=(Press, Timer.WEAR), first=Off, rows=rows)


def whole() -> Transitions[Switch, State]:
    return table(
        Row(Off, Press, Switch.press, to=On),
        Row(On, Press, Switch.press, to=Off),
        Row((Off, On), Timer.WEAR, Switch.wear, to=Broken),
        Row(Broken, (Press, Timer.WEAR), Switch.nothing),
    )


def test_each_step_runs_the_row_of_the_state_and_the_kind_and_gives_the_next_state() -> None:
    switch, transitions = Switch(), whole()
    assert transitions.step(switch, Off(), Press, Press()) == On()
    assert transitions.step(switch, On(), Press, Press()) == Off()
    assert transitions.step(switch, On(), Timer.WEAR, object()) == Broken()
    assert transitions.step(switch, Broken(), Press, Press()) == Broken()


def test_a_table_without_a_row_for_a_state_and_a_kind_is_refused_naming_them() -> None:
    with pytest.raises(ValueError, match=r"^Broken has no row for Timer.WEAR\.$"):
        table(
            Row(Off, Press, Switch.press, to=On),
            Row(On, Press, Switch.press, to=Off),
            Row((Off, On), Timer.WEAR, Switch.wear, to=Broken),
            Row(Broken, Press, Switch.nothing),
        )


def test_a_table_with_two_rows_for_a_state_and_a_kind_is_refused_naming_them() -> None:
    with pytest.raises(ValueError, match=r"^On has two rows for Press\.$"):
        table(
            Row((Off, On), Press, Switch.press, to=(On, Off)),
            Row(On, Press, Switch.count),
            Row((Off, On), Timer.WEAR, Switch.wear, to=Broken),
            Row(Broken, (Press, Timer.WEAR), Switch.nothing),
        )


def test_a_row_naming_a_kind_the_table_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match="A row of nothing names <class"):
        table(Row(Broken, str, Switch.nothing))


def test_a_handler_may_stay_with_new_data_but_not_go_where_its_row_does_not_say() -> None:
    transitions = table(
        Row(Off, Press, Switch.press),  # goes On: its row does not say so
        Row(On, Press, Switch.count),
        Row((Off, On), Timer.WEAR, Switch.wear, to=Broken),
        Row(Broken, (Press, Timer.WEAR), Switch.nothing),
    )
    assert transitions.step(Switch(), On(1), Press, Press()) == On(2)
    with pytest.raises(TransitionError, match="press went from Off to On on Press"):
        transitions.step(Switch(), Off(), Press, Press())


def test_the_diagram_draws_each_move_once_and_a_move_of_every_state_from_any_state() -> None:
    assert whole().mermaid() == (
        "stateDiagram-v2\n"
        "    [*] --> Off\n"
        '    state "any state" as AnyState\n'
        "    AnyState --> Broken: Timer.WEAR\n"
        "    Off --> On: Press\n"
        "    On --> Off: Press\n"
    )


def test_a_move_every_state_of_a_group_makes_is_drawn_once_from_the_group() -> None:
    transitions = Transitions(
        states=(Off, On, Broken, Gone),
        kinds=(Press, Timer.WEAR),
        first=Off,
        groups={"working": (Off, On)},
        rows=[
            Row(Off, Press, Switch.press, to=On),
            Row(On, Press, Switch.count),
            Row((Off, On), Timer.WEAR, Switch.wear, to=Broken),
            Row((Broken, Gone), (Press, Timer.WEAR), Switch.nothing),
        ],
    )
    assert transitions.mermaid() == (
        "stateDiagram-v2\n"
        "    [*] --> Off\n"
        '    state "working" as Working\n'
        "    Working --> Broken: Timer.WEAR\n"
        "    Off --> On: Press\n"
    )
