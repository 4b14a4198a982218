"""A plugin's state machine, run on the shared loop thread, and what it may ask for.

A plugin that holds state (a chat) keeps it in a *machine*: an object whose
``handle(input)`` takes what happened and returns the *effects* to carry out, in
order, with no threads, no I/O and no clock of its own, so its tests drive it step by
step. ``MachineRunner`` runs it:

- on the loop thread (``cxbus.runtime.threads``) runs ``machine.handle`` and the carrying out
  of its effects. Every input reaches the machine there: commands (from any thread,
  through ``command``), the outcomes of its calls, updates from the network, timers.
  The machine is touched by one thread, in the order things happened: no lock.
- on the plugin's I/O lane (``cxbus-io`` pool) run the calls (``Call``: the plugin's
  ``perform(action, report)`` makes them, blocking as it likes), one at a time in the
  order asked; the loop never waits on the network. An urgent call runs on a second
  lane, not behind the others; the store's saves and clears on a third, in order, so
  that neither waits behind a server that hangs.
- on the events lane (``cxbus-delivery`` pool) the events are published: subscribers'
  code runs there, in order, and a slow one delays the plugin's later events only.
- on the answers lane (``cxbus-answers`` pool) commands' deferreds settle, in the
  order the machine answered them: commanders' callbacks run there. Subscribers never
  run on that pool, so a slow subscriber delays no command, of its own chat or of
  another (a thread blocked in ``result()`` or ``await`` waits for the answer only).

A command's deferred may settle before the events the command caused have reached
every subscriber; ``settled()`` waits for them. The answers of a step that saved or
cleared the store wait for that store work, so a resolved command's state is stored.
Updates that ``report`` hands in carry the *generation* of the call that was given
``report``: the machine tells an update of an ended conversation by it.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

import attrs

from cxbus.bus import Plugin
from cxbus.deferred import Deferred
from cxbus.errors import PluginError
from cxbus.runtime.threads import Lane, Timer, runtime

__all__ = [
    "Answer",
    "Call",
    "CallFailed",
    "CallRefused",
    "CallSucceeded",
    "CancelTimer",
    "Close",
    "Effect",
    "Forget",
    "Machine",
    "MachineRunner",
    "Publish",
    "Refuse",
    "Report",
    "Save",
    "SetTimer",
    "Store",
    "StoreFailed",
    "TimerFired",
    "Updated",
]

log = logging.getLogger("cxbus.runtime.machine_runner")

A = TypeVar("A")
# How long closing the bus waits for the calls under way and the last save.
CLOSE_TIMEOUT = 10.0

# Effects: what a machine asks for ---------------------------------------------------


@attrs.frozen
class Publish:
    """Publish ``<Plugin>.<name>`` with ``data``; ``retain``: republish it, for later
    subscribers too (as ``ready`` is)."""

    name: str
    data: Any = None
    retain: bool = False


@attrs.frozen
class Answer:
    """Resolve the command of ``ticket`` with ``value``."""

    ticket: int
    value: Any = None


@attrs.frozen
class Refuse:
    """Reject the command of ``ticket`` with ``reason``."""

    ticket: int
    reason: Any


@attrs.frozen
class Call(Generic[A]):
    """Carry out ``action`` off the loop, for the conversation of ``generation``; its
    outcome comes back as ``CallSucceeded`` or ``CallFailed`` with the same ``id``.

    ``urgent``: run it on a lane of its own rather than behind the calls under way, for
    a call that must end in time even when the server hangs (the guest leaving).
    ``on_loop``: an action that never blocks (a request queued for a socket the loop
    reads): carried out on the loop thread at once, with no hand-over to a lane; its
    outcome comes back after the step's other effects."""

    id: int
    generation: int
    action: A
    urgent: bool = False
    on_loop: bool = False


@attrs.frozen
class Save:
    """Keep ``stored`` in the store."""

    stored: Any


@attrs.frozen
class Forget:
    """Clear the store."""


@attrs.frozen
class SetTimer:
    """Fire ``TimerFired(name)`` in ``seconds``, replacing a timer of that name."""

    name: str
    seconds: float


@attrs.frozen
class CancelTimer:
    name: str


Effect = Publish | Answer | Refuse | Call[Any] | Save | Forget | SetTimer | CancelTimer

# Inputs the runner hands the machine (besides the plugin's commands) ----------------


@attrs.frozen
class CallSucceeded:
    call: int
    value: Any


@attrs.frozen
class CallFailed:
    call: int
    reason: Any
    """What the command rejects with: the server's error body, or a sentence."""
    status: int | None = None
    """The HTTP status, when a server answered."""
    from_server: bool = True
    """False when the call failed before reaching the server (a file not readable)."""


@attrs.frozen
class StoreFailed:
    """The store could not save or clear; ``sentence`` says why."""

    sentence: str


@attrs.frozen
class Updated:
    """What the network reported unasked, for the conversation of ``generation``."""

    generation: int
    update: Any


@attrs.frozen
class TimerFired:
    name: str


@attrs.frozen
class Close:
    """The bus is closing: stop, and keep what should survive."""


class CallRefused(Exception):
    """Raised by ``perform`` for a call that did not succeed (see ``CallFailed``)."""

    def __init__(self, reason: Any, status: int | None = None, from_server: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.from_server = from_server


class Machine(Protocol):
    def handle(self, happened: Any) -> list[Effect]:
        """Take in what happened; return what to do about it, in order."""


class Store(Protocol):
    def save(self, stored: Any) -> None: ...

    def clear(self) -> None: ...


class Report(Protocol):
    """How the network's updates for one call's conversation reach the machine."""

    def __call__(self, update: Any, /) -> None:
        """Hand ``update`` to the machine (any thread): on the loop thread with no job
        waiting, the machine takes it at once; else it is given to the loop, behind the
        jobs given before it."""

    def settled(self) -> Deferred:
        """Resolves once the updates handed so far are handled and the events they
        caused have reached their subscribers."""


@attrs.frozen
class _Reporter:
    """The ``Report`` given to a call of ``generation``."""

    runner: MachineRunner[Any]
    generation: int

    def __call__(self, update: Any, /) -> None:
        self.runner._report(self.generation, update)

    def settled(self) -> Deferred:
        return self.runner.settled()


class MachineRunner(Generic[A]):
    """Runs ``machine`` for ``plugin`` (see the module docstring).

    ``perform(action, report)`` carries out a ``Call``'s action on the I/O lane and
    returns its value, or raises ``CallRefused``; ``report`` is how the network's
    updates for that call's conversation reach the machine. ``store`` takes the
    ``Save`` and ``Forget`` effects. ``stopped`` is the sentence a command gets once
    the runner is closed, and ``on_closed`` runs on the store's lane once the calls
    under way and the last save are done.
    """

    def __init__(
        self,
        machine: Machine,
        perform: Callable[[A, Report], Any],
        store: Store,
        plugin: Plugin,
        stopped: str,
        on_closed: Callable[[], object] = lambda: None,
    ) -> None:
        shared = runtime()
        self._loop = shared.loop
        self._io = Lane(shared.io)
        self._events = Lane(shared.delivery)
        self._answers = Lane(shared.answers)
        self._machine = machine
        self._perform = perform
        self._store = store
        self._plugin = plugin
        self._stopped = stopped
        self._on_closed = on_closed
        self._tickets: dict[int, Deferred] = {}  # the loop thread's
        self._timers: dict[str, Timer] = {}  # the loop thread's
        self._ticket_ids = itertools.count(1)
        self._stepping = False  # the loop thread's: the machine is in a step
        self._closing = threading.Lock()
        self._closed = False

    @functools.cached_property
    def _urgent(self) -> Lane:
        """The lane of urgent calls: made on first use, as few chats make one."""
        return Lane(runtime().io)

    @functools.cached_property
    def _store_lane(self) -> Lane:
        """The lane of the store's saves and clears, made on first use."""
        return Lane(runtime().io)

    # Any thread --------------------------------------------------------------------------

    def command(self, make: Callable[[int], Any]) -> Deferred:
        """Hand the command ``make(ticket)`` to the machine; its answer, later, for the
        command's handler to return to the bus."""
        answer = Deferred()
        # The bus's deferred adopts it and reports a rejection nobody handles; this one
        # may be rejected (on the answers lane) before the handler has even returned it,
        # with no listener yet: it reports nothing itself.
        answer._report_unhandled = False
        with self._closing:
            if self._closed:
                answer.reject(self._stopped)
                return answer
            ticket = next(self._ticket_ids)
        command = make(ticket)
        self._loop.call(functools.partial(self._take, ticket, answer, command))
        return answer

    def settled(self) -> Deferred:
        """Resolves once what was handed to the machine so far has been handled and the
        events it caused have reached their subscribers (calls under way may go on)."""
        settled = Deferred()
        deliver = functools.partial(self._events.submit, functools.partial(settled.resolve, None))
        self._loop.call(deliver)  # behind the inputs given so far: their events come first
        return settled

    def close(self) -> None:
        """Stop: the machine is told ``Close``; wait (bounded) for its calls and last save."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
        finished = threading.Event()

        def close_on_loop() -> None:
            self._step(Close())
            # Behind the calls under way: their outcomes reach the loop first, and what
            # the machine makes of them (a last save) is done before on_closed.
            self._io.submit(functools.partial(self._loop.call, after_the_calls))

        def after_the_calls() -> None:
            for name in list(self._timers):  # a closed machine waits for nothing
                self._cancel_timer(name)
            self._store_lane.submit(self._on_closed)
            self._store_lane.submit(finished.set)

        self._loop.call(close_on_loop)
        if self._loop.in_loop():
            return  # closed from the loop itself: it cannot wait for itself
        if not finished.wait(CLOSE_TIMEOUT):
            log.warning("%s's calls did not finish within %g s", self._plugin.name, CLOSE_TIMEOUT)
        self._loop.call(self._refuse_the_rest)

    def _report(self, generation: int, update: Any) -> None:
        if self._loop.in_loop() and not self._stepping and not self._loop.has_jobs():
            self._step(Updated(generation, update))  # nothing given before it waits
        else:
            self._loop.call(functools.partial(self._step, Updated(generation, update)))

    # The loop thread ----------------------------------------------------------------------

    def _take(self, ticket: int, answer: Deferred, command: Any) -> None:
        self._tickets[ticket] = answer
        self._step(command)

    def _fire(self, name: str) -> None:
        self._timers.pop(name, None)
        self._step(TimerFired(name))

    def _step(self, happened: Any) -> None:
        self._stepping = True
        try:
            effects = self._machine.handle(happened)
            # The step's events go to the events lane as one job, where its first one was.
            published = [effect for effect in effects if isinstance(effect, Publish)]
            stored = False
            for effect in effects:
                if isinstance(effect, Publish):
                    if published:
                        self._events.submit(functools.partial(self._publish, published))
                        published = []
                    continue
                stored = stored or isinstance(effect, (Save, Forget))
                self._carry_out(effect, stored)
        finally:
            self._stepping = False

    def _carry_out(self, effect: Effect, after_store: bool) -> None:
        """``after_store``: the step saved or cleared the store, and its answers wait for
        that (so a resolved command's state is stored)."""
        if isinstance(effect, Answer):
            self._settle(effect.ticket, "resolve", effect.value, after_store)
        elif isinstance(effect, Refuse):
            self._settle(effect.ticket, "reject", effect.reason, after_store)
        elif isinstance(effect, Call):
            if effect.on_loop:
                self._call(effect)
            else:
                lane = self._urgent if effect.urgent else self._io
                lane.submit(functools.partial(self._call, effect))
        elif isinstance(effect, Save):
            self._store_lane.submit(functools.partial(self._save, effect.stored))
        elif isinstance(effect, Forget):
            self._store_lane.submit(self._forget)
        elif isinstance(effect, SetTimer):
            self._cancel_timer(effect.name)
            self._timers[effect.name] = self._loop.call_later(
                effect.seconds, functools.partial(self._fire, effect.name)
            )
        elif isinstance(effect, CancelTimer):
            self._cancel_timer(effect.name)

    def _settle(self, ticket: int, how: str, value: object, after_store: bool) -> None:
        answer = self._tickets.pop(ticket, None)
        if answer is None:
            return
        settle = functools.partial(
            self._answers.submit, functools.partial(getattr(answer, how), value)
        )
        if after_store:
            self._store_lane.submit(settle)  # behind the store's work
        else:
            settle()

    def _cancel_timer(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def _refuse_the_rest(self) -> None:
        """Once closed: whatever is still unanswered never will be."""
        for ticket in list(self._tickets):
            self._settle(ticket, "reject", self._stopped, after_store=False)

    # The events lane ---------------------------------------------------------------------

    def _publish(self, published: list[Publish]) -> None:
        for effect in published:
            try:
                if effect.retain:
                    self._plugin.republish(effect.name, effect.data)
                else:
                    self._plugin.publish(effect.name, effect.data)
            except PluginError:  # the bus closed under the events still on their way
                log.debug(
                    "%s.%s is not published: the bus let the plugin go",
                    self._plugin.name,
                    effect.name,
                )

    # The I/O lane (and the loop thread, for a call on_loop) ------------------------------

    def _call(self, call: Call[A]) -> None:
        outcome: CallSucceeded | CallFailed
        try:
            value = self._perform(call.action, _Reporter(self, call.generation))
        except CallRefused as refused:
            outcome = CallFailed(call.id, refused.reason, refused.status, refused.from_server)
        except Exception as error:
            log.exception("%s's call %s failed", self._plugin.name, type(call.action).__name__)
            outcome = CallFailed(call.id, error, from_server=False)
        else:
            outcome = CallSucceeded(call.id, value)
        self._loop.call(functools.partial(self._step, outcome))

    def _save(self, stored: Any) -> None:
        try:
            self._store.save(stored)
        except Exception as error:
            self._store_failed("saved", error)

    def _forget(self) -> None:
        try:
            self._store.clear()
        except Exception as error:
            self._store_failed("cleared", error)

    def _store_failed(self, what: str, error: Exception) -> None:
        why = getattr(error, "strerror", None) or str(error) or type(error).__name__
        sentence = (
            f"The chat could not be {what} in its session store ({self._store!r}): {why}. "
            "The chat goes on, but a restarted program may not restore it."
        )
        self._loop.call(functools.partial(self._step, StoreFailed(sentence)))
