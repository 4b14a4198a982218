"""The flow-file bot at work in one conversation, the same on every API.

A ``FlowRun`` walks one conversation through a ``Flow``: it greets from the first
state, hears each answer of the guest, and says, sets, hands over and disconnects
through a ``Channel``, which each API implements in its own ``flow_bot`` module
(``guest_chat``, ``gms``, ``web_messaging``). What it says is a ``Reply``: a text with
the quick replies or cards offered. Web Messaging carries those as structured
content; the guest chat API and GMS carry text only, and get ``Reply.as_text()``::

    What can I do for you?
    1. Track my order
    2. Talk to an agent

The guest answers a choice with its label or its number (``"2"``, on every API).

Everything here runs on the emulator's loop. One conversation's turns are taken one at
a time, in the order they came (the greeting first), under the run's lock.

A run keeps the states it entered and the branches it took (``reached``, ``taken``);
``Coverage.of`` adds them up over many runs against every state and branch of the
flow (``branches``): which of the flow the conversations reached, and which not.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Iterable, Mapping
from typing import Protocol

import attrs

from .flow import Card, Flow, Rule, State, choices_of

__all__ = ["Channel", "Coverage", "FlowRun", "Phase", "Reply", "branches"]


@attrs.frozen
class Reply:
    """One message of the bot: a text, and the quick replies or cards offered with it."""

    text: str | None
    quick_replies: tuple[str, ...] = ()
    cards: tuple[Card, ...] = ()
    carousel: bool = False

    @property
    def choices(self) -> tuple[str, ...]:
        """The labels the guest may answer with (``flow.choices_of``)."""
        return choices_of(self.quick_replies, self.cards)

    def choice(self, answer: str) -> str:
        """The label the guest chose with ``answer`` (a label in any case, or its number);
        otherwise ``answer`` as it is."""
        said = answer.strip()
        for label in self.choices:
            if label.casefold() == said.casefold():
                return label
        if said.isdigit() and 1 <= int(said) <= len(self.choices):
            return self.choices[int(said) - 1]
        return answer

    def as_text(self) -> str:
        """The message as a channel of text shows it: the text, each card's title and
        description, the choices numbered, each link as ``label: url``."""
        lines = [self.text] if self.text else []
        lines += [f"{number}. {label}" for number, label in enumerate(self.quick_replies, 1)]
        number = len(self.quick_replies)
        for card in self.cards:
            lines += [card.title] + ([card.description] if card.description else [])
            for button in card.buttons:
                if button.url is None:
                    number += 1
                    lines.append(f"{number}. {button.label}")
                else:
                    lines.append(f"{button.label}: {button.url}")
        return "\n".join(lines)


class Channel(Protocol):
    """What the bot does in one conversation, as one API does it."""

    @property
    def open(self) -> bool:
        """Whether the bot may still speak in the conversation."""

    async def join(self) -> None:
        """The bot comes into the conversation, before its greeting."""

    async def typing(self) -> None: ...

    async def send(self, reply: Reply) -> None: ...

    def set_participant_data(self, values: Mapping[str, str]) -> None: ...

    async def handover(self, queue: str | None) -> None:
        """The conversation goes to ``queue`` (``None``: its own), and so to an agent."""

    async def disconnect(self) -> None:
        """The bot ends the conversation."""


class Phase(enum.Enum):
    """Whose the conversation is; it only ever moves down this list."""

    TALKING = "the bot answers the guest"
    HANDED_OVER = "the bot handed the conversation to an agent"
    ENDED = "the bot ended the conversation"


@attrs.define
class FlowRun:
    """One conversation's walk through ``flow``: its state, variables and offered choices.

    The bot types for ``typing_delay`` seconds before each message.
    """

    flow: Flow
    channel: Channel
    typing_delay: float
    phase: Phase = Phase.TALKING
    state: State | None = None
    variables: dict[str, str] = attrs.field(factory=dict)
    offered: Reply | None = None
    """The last message that offered choices, while its state waits for the answer."""
    reached: list[str] = attrs.field(factory=list)
    """The states entered, in order."""
    taken: list[str] = attrs.field(factory=list)
    """The branches taken, in order, by their names in ``branches``."""
    _turn: asyncio.Lock = attrs.field(factory=asyncio.Lock, repr=False)

    async def begin(self, first_words: str | None = None) -> None:
        """The bot joins and greets from the first state; then hears ``first_words``, the
        message that began the conversation, if any."""
        async with self._turn:
            await self.channel.join()
            await self._enter(self.flow.first_state)
            if first_words is not None and self.phase is Phase.TALKING:
                await self._answer(first_words)

    async def hear(self, words: str) -> bool:
        """The guest said ``words``; whether the bot took them (not once it has handed the
        conversation over or ended it)."""
        async with self._turn:
            if self.phase is not Phase.TALKING:
                return False
            await self._answer(words)
            return True

    async def _answer(self, words: str) -> None:
        state = self.state
        assert state is not None  # begin() entered the first state
        answer = self.offered.choice(words) if self.offered is not None else words
        if state.ask is not None:
            self.variables[state.ask] = answer
        for number, rule in enumerate((*state.on, *self.flow.on)):
            if rule.holds(answer, self.variables):
                own = number < len(state.on)
                self.taken.append(
                    f"{state.name} on[{number}]" if own else f"on[{number - len(state.on)}]"
                )
                await self._enter(self.flow.states[rule.goto])
                return
        self.taken.append(f"{state.name} fallback")
        fallback = state.fallback or self.flow.fallback
        await self._say(Reply(fallback.render(self.variables)))

    async def _enter(self, state: State) -> None:
        """Do what ``state`` does, and go on through its ``goto``s to one that waits."""
        while True:
            self.state, self.offered = state, None
            self.reached.append(state.name)
            if state.set:
                data = {key: value.render(self.variables) for key, value in state.set.items()}
                self.channel.set_participant_data(data)
            if state.say is not None or state.cards:
                reply = Reply(
                    state.say.render(self.variables) if state.say is not None else None,
                    state.quick_replies,
                    state.cards,
                    state.carousel,
                )
                await self._say(reply)
                self.offered = reply if reply.choices else None
            if state.handover:
                self.phase = Phase.HANDED_OVER
                await self.channel.handover(state.queue)
                return
            if state.disconnect:
                self.phase = Phase.ENDED
                await self.channel.disconnect()
                return
            if state.goto is None:
                return
            state = self.flow.states[state.goto]

    async def _say(self, reply: Reply) -> None:
        if not self.channel.open:
            return
        await self.channel.typing()
        await asyncio.sleep(self.typing_delay)
        if self.channel.open:
            await self.channel.send(reply)


def branches(flow: Flow) -> dict[str, str]:
    """Every branch of ``flow`` by its name, with what takes it: each waiting state's
    rules (``"ask_number on[0]"``) and fallback (``"ask_number fallback"``), and the
    flow's own rules, tried in every waiting state (``"on[1]"``)."""
    found = {}
    for state in flow.states.values():
        if not state.waits:
            continue
        for number, rule in enumerate(state.on):
            found[f"{state.name} on[{number}]"] = _said(rule)
        found[f"{state.name} fallback"] = "anything else: the fallback"
    for number, rule in enumerate(flow.on):
        found[f"on[{number}]"] = _said(rule)
    return found


def _said(rule: Rule) -> str:
    """A rule in words: ``contains 'track' -> ask_number``."""
    heard = f"{rule.var} " if rule.var is not None else ""
    if rule.matches is not None:
        heard += f"matches /{rule.matches}/"
    elif rule.contains:
        heard += "contains " + " or ".join(repr(text) for text in rule.contains)
    elif rule.equals:
        heard += "equals " + " or ".join(repr(text) for text in rule.equals)
    else:
        heard += "anything"
    return f"{heard} -> {rule.goto}"


@attrs.frozen
class Coverage:
    """How often each state of a flow was entered and each branch taken, over many
    conversations (zero for those never reached)."""

    states: Mapping[str, int]
    branches: Mapping[str, int]

    @classmethod
    def of(cls, flow: Flow, runs: Iterable[FlowRun]) -> Coverage:
        states = dict.fromkeys(flow.states, 0)
        taken = dict.fromkeys(branches(flow), 0)
        for run in runs:
            for name in run.reached:
                states[name] += 1
            for name in run.taken:
                taken[name] += 1
        return cls(states, taken)

    def to_json(self) -> dict[str, dict[str, int]]:
        return {"states": dict(self.states), "branches": dict(self.branches)}
