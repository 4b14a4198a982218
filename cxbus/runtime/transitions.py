"""A state machine's transitions as one table: per state and kind of input, what to do and
which states may follow.

A plugin's machine (``machine_runner.Machine``) assigns its state in one place, its
``handle``: ``Transitions.step`` finds the row of the state and of the input's kind, runs
the row's handler, which does the work (publishing, answering, calling, through the
machine) and returns the next state. The table is checked once, when it is built: every
state has exactly one row for every kind. Each step is checked against its row: a
handler may stay in its state (with new data) or go to a state the row names, nothing
else. So ``mermaid()``, the diagram drawn from the rows, is what the machine can do.
h11 keeps its connection's transitions in a table the same way (``h11/_state.py``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

__all__ = ["Kind", "Row", "TransitionError", "Transitions", "label"]

M = TypeVar("M")
S = TypeVar("S")

Kind = type | enum.Enum
"""A kind of input: a type (a command, a call's purpose, a frame's body), or an enum
member (a timer)."""


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


@attrs.frozen
class Row(Generic[M]):
    """In any of ``states``, an input of any of ``kinds`` goes to ``handler(machine, state,
    input)``, which returns the next state: the same state, or one of ``to`` (one state or
    kind may stand for a tuple of one)."""

    states: tuple[type, ...] = attrs.field(converter=_tuple)
    kinds: tuple[Kind, ...] = attrs.field(converter=_tuple)
    handler: Callable[[M, Any, Any], object]
    to: tuple[type, ...] = attrs.field(default=(), converter=_tuple)


class TransitionError(RuntimeError):
    """A handler went to a state its row does not name: the table is wrong, or the handler."""


class Transitions(Generic[M, S]):
    """The rows of a machine whose states are ``states`` and inputs of ``kinds``, starting
    in ``first``; a ``ValueError`` says which state lacks a row for which kind, or has two.

    ``groups`` name sets of states for the diagram: a move every state of a group makes
    on the same input is drawn once, from the group (``"any state"`` is one already)."""

    def __init__(
        self,
        states: Sequence[type],
        kinds: Sequence[Kind],
        first: type,
        rows: Iterable[Row[M]],
        groups: Mapping[str, Sequence[type]] | None = None,
    ) -> None:
        self.states = tuple(states)
        self.kinds = tuple(kinds)
        self.first = first
        self.rows = tuple(rows)
        self.groups = {"any state": self.states, **(groups or {})}
        self._rows: dict[tuple[type, Kind], Row[M]] = {}
        for row in self.rows:
            strangers: list[Kind] = [s for s in (*row.states, *row.to) if s not in self.states]
            strangers += [k for k in row.kinds if k not in self.kinds]
            if strangers:
                raise ValueError(f"A row of {row.handler.__name__} names {strangers[0]!r}.")
            for state in row.states:
                for kind in row.kinds:
                    if (state, kind) in self._rows:
                        raise ValueError(f"{state.__name__} has two rows for {label(kind)}.")
                    self._rows[state, kind] = row
        for state in self.states:
            for kind in self.kinds:
                if (state, kind) not in self._rows:
                    raise ValueError(f"{state.__name__} has no row for {label(kind)}.")

    def step(self, machine: M, state: S, kind: Kind, happened: object) -> S:
        """What ``happened`` (of ``kind``) does in ``state``: the next state."""
        row = self._rows[type(state), kind]
        after: S = row.handler(machine, state, happened)  # type: ignore[assignment]
        if type(after) is not type(state) and type(after) not in row.to:
            raise TransitionError(
                f"{row.handler.__name__} went from {type(state).__name__} to "
                f"{type(after).__name__} on {label(kind)}: its row does not say so."
            )
        return after

    def moves(self) -> dict[tuple[type, type], list[str]]:
        """Each move from one state to another, with the kinds of input that make it."""
        found: dict[tuple[type, type], list[str]] = {}
        for row in self.rows:
            for state in row.states:
                for target in row.to:
                    if target is not state:
                        kinds = found.setdefault((state, target), [])
                        kinds += [label(k) for k in row.kinds if label(k) not in kinds]
        return found

    def mermaid(self) -> str:
        """The states and their moves as a Mermaid state diagram, one line each."""
        moves = self.moves()
        lines = ["stateDiagram-v2", f"    [*] --> {self.first.__name__}"]
        for name, members in self.groups.items():
            drawn: dict[type, list[str]] = {}
            for (_, target), kinds in moves.items():
                others = [s for s in members if s is not target]
                if len(others) < 2:
                    continue  # a group of one is that state
                for kind in kinds:
                    if kind not in drawn.get(target, []) and all(
                        kind in moves.get((other, target), []) for other in others
                    ):
                        drawn.setdefault(target, []).append(kind)
            if drawn:
                node = _node(name)
                lines.append(f'    state "{name}" as {node}')
                lines += [f"    {node} --> {t.__name__}: {', '.join(k)}" for t, k in drawn.items()]
            for (state, target), kinds in moves.items():
                if state in members:
                    kinds[:] = [k for k in kinds if k not in drawn.get(target, [])]
        for (state, target), kinds in moves.items():
            if kinds:
                lines.append(f"    {state.__name__} --> {target.__name__}: {', '.join(kinds)}")
        return "\n".join(lines) + "\n"


def label(kind: Kind) -> str:
    """A kind of input as the diagram names it: a type by its name, an enum member by its
    enum's and its own (``Timer.RECONNECT``)."""
    if isinstance(kind, type):
        return kind.__name__
    return f"{type(kind).__name__}.{kind.name}"


def _node(name: str) -> str:
    """A group's name as a diagram's node: "any state" is ``AnyState``."""
    return "".join(word.capitalize() for word in name.split())
