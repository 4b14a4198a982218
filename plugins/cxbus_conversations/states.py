"""A conversation's states, the moves between them, and what each state allows.

::

    new --start--> starting --started--> active --end--> ending --closed--> ended
                       |                    |
                       +------failed--------+--ended (the other side)--> ended

``end`` is allowed from every state (from ``new`` and ``ended`` it only closes), and
every move happens through ``Lifecycle.move``, under one lock, from whichever thread
(the caller's, or the channel's when the other side ends the conversation).
"""

from __future__ import annotations

import enum
import threading

from .errors import WrongState

__all__ = ["Lifecycle", "State"]


class State(enum.Enum):
    NEW = "new"
    STARTING = "starting"
    ACTIVE = "active"
    ENDING = "ending"
    ENDED = "ended"


# (state, what happened) -> the state it leads to. Anything else keeps the state.
MOVES = {
    (State.NEW, "start"): State.STARTING,
    (State.STARTING, "started"): State.ACTIVE,
    (State.STARTING, "failed"): State.ENDED,
    (State.STARTING, "ended"): State.ENDED,
    (State.ACTIVE, "ended"): State.ENDED,
    (State.NEW, "end"): State.ENDING,
    (State.STARTING, "end"): State.ENDING,
    (State.ACTIVE, "end"): State.ENDING,
    (State.ENDING, "closed"): State.ENDED,
}
# Why an operation is refused, by the state it is tried in.
NOT_STARTED = "the conversation has not started: start() it first (or enter its with block)"
STARTING = "the conversation is starting: wait for start() to return"
ENDED = "the conversation has ended; a new Conversation starts a new one"
STARTED = "the conversation has started already; a Conversation starts once"
REFUSALS = {
    "start": {
        State.STARTING: STARTED,
        State.ACTIVE: STARTED,
        State.ENDING: ENDED,
        State.ENDED: ENDED,
    },
    "send": {
        State.NEW: NOT_STARTED,
        State.STARTING: STARTING,
        State.ENDING: ENDED,
        State.ENDED: ENDED,
    },
    "wait": {State.NEW: NOT_STARTED},
}


class Lifecycle:
    """The state of one conversation, moved only by ``move``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state = State.NEW

    def move(self, happened: str) -> State:
        """Take what ``happened`` into account; the state it was in before."""
        with self._lock:
            before = self.state
            self.state = MOVES.get((before, happened), before)
            return before

    def check(self, operation: str, kind: str) -> None:
        """Raise ``WrongState`` if ``operation`` (of ``kind``: ``"start"``, ``"send"``,
        ``"wait"``) is not allowed now."""
        refusal = REFUSALS[kind].get(self.state)
        if refusal is not None:
            raise WrongState(f"{operation}: {refusal}.")

    def begin(self) -> None:
        """Start (the move ``start``) if the conversation is new; ``WrongState`` otherwise."""
        with self._lock:
            self.check("start", "start")
            self.state = MOVES[(self.state, "start")]
