"""``Inbox``: every message of a conversation in arrival order, and the waits on them.

"The next message" is the next one no earlier wait consumed: the inbox keeps a cursor,
which a wait moves past the message it matched (the messages it passed over are
consumed with it). A wait scans from the cursor first, so a reply that arrived before
the wait began is never lost: the common race (say, then wait for the answer) cannot
go wrong. One wait at a time: a second one while the first is under way is a
``WrongState`` error, since which of them a message belongs to would be a guess.

The conversation's end is kept apart: it is the last message, it ends every wait
that is under way with ``ConversationEnded``, and a wait for the end finds it
wherever the cursor is.

Thread-safety: ``add`` runs on whichever thread the channel's service publishes on;
``wait`` and ``give_up`` on the caller's. One lock guards the list, the cursor and the
wait under way; deferreds are settled after it is released (their callbacks run user
code).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

import attrs

from cxbus import Deferred

from .conditions import Condition
from .errors import ConversationEnded, WaitTimeout, WrongState
from .message import Message
from .transcript import Entry, Transcript

__all__ = ["Inbox", "Wait"]


@attrs.define(eq=False)
class Wait:
    """A wait under way: what for, since when, from which message on. ``settled``
    resolves (with nothing) once ``outcome`` is known: the message, or the end."""

    condition: Condition
    began: float
    first: int
    settled: Deferred = attrs.field(factory=Deferred)
    outcome: Message | ConversationEnded | None = None


class Inbox:
    """The messages received so far and the wait under way (see the module docstring).

    ``clock`` gives seconds (monotonic); times are told from ``start()`` on.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: list[Entry] = []
        self._cursor = 0
        self._ended: Entry | None = None
        self._wait: Wait | None = None
        self._started_at = clock()

    def start(self) -> None:
        """The conversation starts now: the transcript's times count from here."""
        self._started_at = self._clock()

    def elapsed(self) -> float:
        return self._clock() - self._started_at

    @property
    def transcript(self) -> Transcript:
        with self._lock:
            return Transcript(tuple(self._entries))

    @property
    def ended(self) -> Message | None:
        """The conversation's end, once it came."""
        ended = self._ended
        return ended.message if ended is not None else None

    def add(self, messages: Iterable[Message]) -> None:
        """Keep ``messages`` (a second end is dropped), and settle the wait they answer."""
        with self._lock:
            now = self.elapsed()
            for message in messages:
                if message.event == "ended" and self._ended is not None:
                    continue
                entry = Entry(now, message)
                self._entries.append(entry)
                if message.event == "ended":
                    self._ended = entry
            settled = self._settle()
        if settled is not None:
            settled.settled.resolve()

    def wait(self, condition: Condition) -> Wait:
        """Begin waiting for the next message that meets ``condition``; ``conclude`` the
        wait once its ``settled`` resolves or the waiter's time is up."""
        with self._lock:
            if self._wait is not None:
                raise WrongState(
                    f"wait_for: a wait for {self._wait.condition} is under way; "
                    "wait for one thing at a time."
                )
            wait = Wait(condition, self._clock(), self._cursor)
            self._wait = wait
            settled = self._settle()
        if settled is not None:
            settled.settled.resolve()
        return wait

    def conclude(self, wait: Wait) -> Message:
        """The wait's message; ``ConversationEnded`` when the end came first; ``WaitTimeout``
        (and the wait given up) when nothing settled it yet."""
        with self._lock:
            if self._wait is wait:
                self._wait = None
                waited = self._clock() - wait.began
                nearest = wait.condition.nearest(self._entries[wait.first :])
                raise WaitTimeout(wait.condition, waited, nearest)
        outcome = wait.outcome
        if isinstance(outcome, ConversationEnded):
            raise outcome
        assert outcome is not None, "a wait that is not under way was settled"
        return outcome

    def drop(self, wait: Wait) -> None:
        """Forget ``wait``: its waiter went away (an asyncio task cancelled)."""
        with self._lock:
            if self._wait is wait:
                self._wait = None

    def _settle(self) -> Wait | None:
        """Settle the wait under way if a message (or the end) answers it now; the wait
        to tell, if so. Call with the lock held."""
        wait = self._wait
        if wait is None:
            return None
        condition = wait.condition
        if condition.event == "ended" and self._ended is not None:
            wait.outcome, self._cursor = self._ended.message, len(self._entries)
        else:
            for index in range(self._cursor, len(self._entries)):
                if condition.test(self._entries[index].message):
                    wait.outcome, self._cursor = self._entries[index].message, index + 1
                    break
            else:
                if self._ended is None:
                    return None
                waited = self._clock() - wait.began
                nearest = condition.nearest(self._entries[wait.first :])
                wait.outcome = ConversationEnded(condition, waited, nearest)
                self._cursor = len(self._entries)
        self._wait = None
        return wait
