"""The flow file: a scripted bot that a team writes in YAML, read and checked up front.

A flow is a set of named states. Entering a state, the bot sets the participant data
of ``set``, says ``say`` with the ``quick_replies``, ``card`` or ``carousel`` offered,
then goes on at once (``goto``), hands the conversation to an agent (``handover``),
ends it (``disconnect``), or waits for the guest's answer: ``ask`` keeps the answer in
a variable, and the first of the state's ``on`` rules that matches it (then the
flow's own ``on`` rules) says where to go; when none does, the bot says the
``fallback`` and waits again. ``{name}`` in ``say``, ``fallback`` and ``set`` values
is the variable ``name``. The format, key by key, is in ``docs/emulator.md``.

``load_flow`` reads a file and ``parse_flow`` a text; a bad flow is one ``FlowError``
that names the file, the line and what was expected. The shape is checked against
the JSON Schema beside this module (``flow.schema.json``, also for editors); what a
schema cannot say (a ``goto`` names a state, a regular expression compiles, a
variable is asked somewhere, ``goto`` does not loop) is checked here.

YAML is read with YAML 1.2's booleans (only ``true`` and ``false``), so that the
keys ``on`` and quick replies such as ``Yes`` and ``No`` stay texts; every other
plain value is the text as written (``12345`` is the text ``"12345"``). The reading,
and the schema's complaints as one sentence with a line, are ``cxbus.yaml_documents``'
(which scenario files are read with too).
"""

from __future__ import annotations

import json
import os
import re
import string
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

import attrs
import jsonschema

from cxbus.yaml_documents import Document, DocumentError, load_document, read_document
from cxbus.yaml_documents import Path as Path

__all__ = [
    "SCHEMA",
    "Button",
    "Card",
    "Flow",
    "FlowError",
    "Rule",
    "State",
    "Template",
    "choices_of",
    "load_flow",
    "parse_flow",
]

SCHEMA: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("flow.schema.json").read_text(encoding="utf-8")
)
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
DEFAULT_BOT = "Bot"
DEFAULT_FALLBACK = "Sorry, I did not understand that."


class FlowError(DocumentError):
    """A flow file that cannot be played: ``"FILE, line N: where: what was expected"``."""


# The parts of a flow ------------------------------------------------------------------


@attrs.frozen
class Template:
    """A text with ``{variable}`` fields (``{{`` and ``}}`` are braces), as written."""

    text: str
    _parts: tuple[tuple[str, str | None], ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        parts = []
        try:
            parsed = list(string.Formatter().parse(self.text))
        except ValueError as error:
            raise ValueError(f"has a brace out of place ({error}); write {{{{ for {{") from None
        for literal, field, spec, conversion in parsed:
            if field is not None and (not field.isidentifier() or spec or conversion):
                raise ValueError(f"expected {{name}} with a variable's name; got {{{field}}}")
            parts.append((literal, field))
        object.__setattr__(self, "_parts", tuple(parts))

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(field for _, field in self._parts if field is not None)

    def render(self, variables: Mapping[str, str]) -> str:
        """The text with each field replaced by its variable (empty while not asked yet)."""
        return "".join(literal + variables.get(field or "", "") for literal, field in self._parts)


@attrs.frozen
class Button:
    """A card's button: a postback that answers with its ``label``, or a link to ``url``."""

    label: str
    url: str | None = None


@attrs.frozen
class Card:
    """A card: a title, and optionally a description, an image's URL and buttons."""

    title: str
    description: str | None = None
    image: str | None = None
    buttons: tuple[Button, ...] = ()


def choices_of(quick_replies: tuple[str, ...], cards: tuple[Card, ...]) -> tuple[str, ...]:
    """The labels a guest may answer with, numbered from 1 in this order: the quick
    replies, then the cards' postback buttons."""
    buttons = (b.label for card in cards for b in card.buttons if b.url is None)
    return (*quick_replies, *buttons)


def _texts(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _regular_expression(rule: Rule, field: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"expected a regular expression; {error}") from None


@attrs.frozen
class Rule:
    """Where to go when the answer (or the variable ``var``) contains, equals or matches
    one of the texts; a rule with none of them always matches."""

    goto: str
    contains: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    equals: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    matches: str | None = attrs.field(default=None, validator=_regular_expression)
    ignore_case: bool = True
    var: str | None = None

    def holds(self, answer: str, variables: Mapping[str, str]) -> bool:
        said = variables.get(self.var, "") if self.var is not None else answer
        if self.matches is not None:
            flags = re.IGNORECASE if self.ignore_case else 0
            return re.search(self.matches, said, flags) is not None
        fold = str.casefold if self.ignore_case else str
        said = fold(said.strip())
        if self.contains:
            return any(fold(text) in said for text in self.contains)
        if self.equals:
            return any(fold(text.strip()) == said for text in self.equals)
        return True


@attrs.frozen
class State:
    """One named step of the flow; see the module's docstring for what each key does."""

    name: str
    say: Template | None = None
    quick_replies: tuple[str, ...] = ()
    cards: tuple[Card, ...] = ()
    carousel: bool = False
    """Whether ``cards`` are a carousel (several) rather than one card."""
    set: Mapping[str, Template] = attrs.field(factory=dict)
    ask: str | None = None
    on: tuple[Rule, ...] = ()
    fallback: Template | None = None
    goto: str | None = None
    handover: bool = False
    queue: str | None = None
    """The queue a hand-over names (``None``: the conversation's own)."""
    disconnect: bool = False

    @property
    def choices(self) -> tuple[str, ...]:
        return choices_of(self.quick_replies, self.cards)

    @property
    def waits(self) -> bool:
        """Whether the bot waits for an answer in this state."""
        return self.goto is None and not self.handover and not self.disconnect


@attrs.frozen
class Flow:
    """A whole flow: its states (in the file's order), where it starts, and its defaults."""

    states: Mapping[str, State]
    start: str
    source: str = "<flow>"
    name: str | None = None
    bot: str = DEFAULT_BOT
    fallback: Template = Template(DEFAULT_FALLBACK)
    on: tuple[Rule, ...] = ()

    @property
    def first_state(self) -> State:
        return self.states[self.start]


# Reading ---------------------------------------------------------------------------------


def load_flow(path: str | os.PathLike[str]) -> Flow:
    """The flow in the YAML file at ``path``; ``FlowError`` naming the file and the line
    when it cannot be read or is not a flow."""
    return _flow(load_document(path, "the flow file", **_READING))


def parse_flow(text: str, source: str = "<flow>") -> Flow:
    """The flow written in ``text``; ``source`` names it in a ``FlowError``."""
    return _flow(read_document(text, source, **_READING))


# Every plain value a text; "the flow" for the whole; FlowError for what is wrong.
_READING: dict[str, Any] = {"numbers": False, "top": "the flow", "raises": FlowError}


def _flow(document: Document) -> Flow:
    if document.data is None:
        raise FlowError(document.source, 1, f"the file is empty; expected {SCHEMA['description']}")
    problem = document.schema_error(_VALIDATOR)
    if problem is not None:
        raise problem
    return _Reader(document).flow(document.data)


@attrs.define
class _Reader:
    """Turns a flow's plain data into a ``Flow``, naming the line of whatever is wrong."""

    document: Document

    def fail(self, path: Path, problem: str) -> DocumentError:
        return self.document.error(path, problem)

    # The meaning: names, expressions, variables ------------------------------------------

    def flow(self, data: dict[str, Any]) -> Flow:
        names = list(data["states"])
        asked = {s["ask"] for s in data["states"].values() if "ask" in s}
        ignore_case = data.get("ignore_case", True)
        states = {
            name: self.state(("states", name), name, body, names, asked, ignore_case)
            for name, body in data["states"].items()
        }
        start = data.get("start", names[0])
        if start not in states:
            raise self.fail(("start",), self._no_state(start, names))
        self._check_gotos(states)
        return Flow(
            states=states,
            start=start,
            source=self.document.source,
            name=data.get("name"),
            bot=data.get("bot", DEFAULT_BOT),
            fallback=self.template(("fallback",), data.get("fallback", DEFAULT_FALLBACK), asked),
            on=self.rules(("on",), data.get("on", []), names, asked, ignore_case),
        )

    def at_most_one(self, path: Path, body: dict[str, Any], keys: tuple[str, ...]) -> None:
        given = [key for key in keys if key in body]
        if len(given) > 1:
            problem = f"expected one of {' or '.join(given)}, not both"
            raise self.fail((*path, given[1]), problem)

    @staticmethod
    def _no_state(name: str, names: list[str]) -> str:
        return f"expected the name of a state ({', '.join(names)}); got {name!r}"

    def template(self, path: Path, text: str, asked: set[str]) -> Template:
        try:
            template = Template(text)
        except ValueError as error:
            raise self.fail(path, str(error)) from None
        unknown = sorted(template.variables - asked)
        if unknown:
            raise self.fail(path, f"{{{unknown[0]}}} names no variable; {_variables(asked)}")
        return template

    def rules(
        self, path: Path, data: list[dict[str, Any]], names: list[str], asked: set[str], fold: bool
    ) -> tuple[Rule, ...]:
        made = []
        for index, body in enumerate(data):
            where = (*path, index)
            self.at_most_one(where, body, ("contains", "equals", "matches"))
            if body["goto"] not in names:
                raise self.fail((*where, "goto"), self._no_state(body["goto"], names))
            if "var" in body and body["var"] not in asked:
                problem = f"{body['var']!r} is no variable; {_variables(asked)}"
                raise self.fail((*where, "var"), problem)
            try:
                made.append(Rule(**{"ignore_case": fold, **body}))
            except ValueError as error:
                raise self.fail((*where, "matches"), str(error)) from None
        return tuple(made)

    def state(
        self,
        path: Path,
        name: str,
        body: dict[str, Any],
        names: list[str],
        asked: set[str],
        fold: bool,
    ) -> State:
        self.at_most_one(path, body, ("quick_replies", "card", "carousel"))
        self.at_most_one(path, body, ("goto", "handover", "disconnect"))
        if "quick_replies" in body and "say" not in body:
            problem = "quick replies need a say: the text they go with"
            raise self.fail((*path, "quick_replies"), problem)
        handover = body.get("handover")
        state = State(
            name=name,
            say=self.template((*path, "say"), body["say"], asked) if "say" in body else None,
            quick_replies=tuple(body.get("quick_replies", ())),
            cards=tuple(self.card(card) for card in _cards(body)),
            carousel="carousel" in body,
            set={
                key: self.template((*path, "set", key), value, asked)
                for key, value in body.get("set", {}).items()
            },
            ask=body.get("ask"),
            on=self.rules((*path, "on"), body.get("on", []), names, asked, fold),
            fallback=(
                self.template((*path, "fallback"), body["fallback"], asked)
                if "fallback" in body
                else None
            ),
            goto=body.get("goto"),
            handover=handover is not None,
            queue=handover if isinstance(handover, str) else None,
            disconnect=body.get("disconnect", False),
        )
        if state.goto is not None and state.goto not in names:
            raise self.fail((*path, "goto"), self._no_state(state.goto, names))
        self._check_waiting(path, body, state)
        return state

    def _check_waiting(self, path: Path, body: dict[str, Any], state: State) -> None:
        """What only a state that waits for an answer may have, and its choices told apart."""
        if not state.waits:
            heard: list[str] = [key for key in ("ask", "on", "fallback") if key in body]
            if state.choices:
                heard.insert(0, "quick_replies" if state.quick_replies else "buttons")
            if heard:
                moves = next(key for key in ("goto", "handover", "disconnect") if key in body)
                raise self.fail(
                    (*path, moves),
                    f"the state goes on at once, so its {heard[0]} would never be used; "
                    f"expected a state that waits for the answer",
                )
        seen: set[str] = set()
        for label in state.choices:
            if label.casefold() in seen:
                offer = next(key for key in ("quick_replies", "card", "carousel") if key in body)
                problem = f"offers {label!r} twice; expected labels told apart"
                raise self.fail((*path, offer), problem)
            seen.add(label.casefold())

    def card(self, body: dict[str, Any]) -> Card:
        buttons = tuple(
            Button(b) if isinstance(b, str) else Button(b["label"], b["url"])
            for b in body.get("buttons", ())
        )
        return Card(body["title"], body.get("description"), body.get("image"), buttons)

    def _check_gotos(self, states: Mapping[str, State]) -> None:
        """No state goes on to itself through ``goto``s alone: the bot would talk forever."""
        for name in states:
            chain = [name]
            while (following := states[chain[-1]].goto) is not None:
                if following == name:
                    loop = " -> ".join([*chain, following])
                    raise self.fail(
                        ("states", name, "goto"),
                        f"the states {loop} go on to each other without waiting for the guest; "
                        "expected a state on the way that waits for an answer",
                    )
                if following in chain:
                    break
                chain.append(following)


def _variables(asked: set[str]) -> str:
    if not asked:
        return "expected a variable that a state asks for, and no state has ask"
    return f"expected a variable that a state asks for ({', '.join(sorted(asked))})"


def _cards(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "card" in body:
        yield body["card"]
    yield from body.get("carousel", ())
