"""ChatRunner: one chat's state machine run on the loop thread, its effects carried out.

Which thread runs what (the threads are ``cxbus.runtime``'s, shared by every chat):

- the loop thread (``cxbus-loop``) runs ``ChatMachine.handle`` and ``_carry_out``.
  Every input reaches the machine there: commands (from any thread, through
  ``command``), the outcomes of its calls, transport updates and timers. So the
  machine is touched by one thread, in the order things happened, and needs no lock.
- the chat's I/O lane (``cxbus-io`` pool) makes the transport calls and the session
  store's saves, one at a time in the order asked: messages go out in the order they
  were commanded, and the loop never waits on the network.
- the chat's events lane (``cxbus-delivery`` pool) publishes: subscribers' code runs
  there, in order. A slow subscriber delays the chat's later events, never a command.
- the chat's answers lane (``cxbus-delivery`` pool) settles the commands' deferreds:
  commanders' callbacks run there.

A command's deferred may settle before the events the command caused have reached
every subscriber; ``settled()`` waits for them.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Callable

from cxbus import Deferred, Plugin
from cxbus.runtime import Lane, Timer, runtime

from . import effects, inputs
from .machine import STOPPED, ChatMachine
from .session_store import SessionStore, StoredSession
from .transport import Listener, Transport, TransportError, TransportUpdate
from .transport_calls import FileProblem, perform

__all__ = ["ChatRunner"]

log = logging.getLogger("cxbus.webchat")

# How long closing the bus waits for the chat's calls and its last save.
CLOSE_TIMEOUT = 10.0


class ChatRunner:
    """Runs ``machine`` for ``plugin`` with ``transport`` and ``store``.

    ``on_closed`` runs on the I/O lane once the chat has closed (its transport closed,
    its last save made): the place to release what the chat held.
    """

    def __init__(
        self,
        machine: ChatMachine,
        transport: Transport,
        store: SessionStore,
        plugin: Plugin,
        on_closed: Callable[[], object] = lambda: None,
    ) -> None:
        shared = runtime()
        self._loop = shared.loop
        self._io = Lane(shared.io)
        self._events = Lane(shared.delivery)
        self._answers = Lane(shared.delivery)
        self._machine = machine
        self._transport = transport
        self._store = store
        self._plugin = plugin
        self._on_closed = on_closed
        self._tickets: dict[int, Deferred] = {}  # the loop thread's
        self._timers: dict[str, Timer] = {}  # the loop thread's
        self._ticket_ids = itertools.count(1)
        self._closing = threading.Lock()
        self._closed = False

    # Any thread --------------------------------------------------------------------------

    def command(self, make: Callable[[int], inputs.Command]) -> Deferred:
        """Hand the command ``make(ticket)`` to the machine; its answer, later."""
        answer = Deferred()
        with self._closing:
            if self._closed:
                answer.reject(STOPPED)
                return answer
            ticket = next(self._ticket_ids)
        command = make(ticket)
        self._loop.call(functools.partial(self._take, ticket, answer, command))
        return answer

    def settled(self) -> Deferred:
        """Resolves once what was handed to the chat so far has been handled and the
        events it caused have reached their subscribers (calls under way may go on)."""
        settled = Deferred()
        deliver = functools.partial(self._events.submit, functools.partial(settled.resolve, None))
        self._loop.call(deliver)  # behind the inputs given so far: their events come first
        return settled

    def close(self) -> None:
        """Stop the chat, keeping it restorable; wait (bounded) for its calls and last save."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
        finished = threading.Event()

        def close_on_loop() -> None:
            self._step(inputs.Close())
            self._io.submit(self._on_closed)
            self._io.submit(finished.set)

        self._loop.call(close_on_loop)
        if self._loop.in_loop():
            return  # closed from the chat's own thread: it cannot wait for itself
        if not finished.wait(CLOSE_TIMEOUT):
            log.warning("WebChatService's calls did not finish within %g s", CLOSE_TIMEOUT)
        self._loop.call(self._refuse_the_rest)

    def _listener(self, generation: int) -> Listener:
        """The transport's listener for the chat of ``generation``."""

        def report(update: TransportUpdate) -> Deferred:
            handled = Deferred()
            self._loop.call(functools.partial(self._updated, generation, update, handled))
            return handled

        return report

    # The loop thread ----------------------------------------------------------------------

    def _take(self, ticket: int, answer: Deferred, command: inputs.Command) -> None:
        self._tickets[ticket] = answer
        self._step(command)

    def _updated(self, generation: int, update: TransportUpdate, handled: Deferred) -> None:
        self._step(inputs.Updated(generation, update))
        self._events.submit(functools.partial(handled.resolve, None))  # once its events are out

    def _fire(self, name: str) -> None:
        self._timers.pop(name, None)
        self._step(inputs.TimerFired(name))

    def _step(self, happened: inputs.Input) -> None:
        stored = False
        for effect in self._machine.handle(happened):
            stored = stored or isinstance(effect, (effects.Save, effects.Forget))
            self._carry_out(effect, stored)

    def _carry_out(self, effect: effects.Effect, after_store: bool = False) -> None:
        """``after_store``: the step saved or cleared the store, and its answers wait for
        that (so a resolved startChat is stored, a resolved endChat is cleared)."""
        if isinstance(effect, effects.Publish):
            self._events.submit(functools.partial(self._plugin.publish, effect.name, effect.data))
        elif isinstance(effect, effects.Answer):
            self._settle(effect.ticket, "resolve", effect.value, after_store)
        elif isinstance(effect, effects.Refuse):
            self._settle(effect.ticket, "reject", effect.reason, after_store)
        elif isinstance(effect, effects.Call):
            self._io.submit(functools.partial(self._perform, effect))
        elif isinstance(effect, effects.Save):
            self._io.submit(functools.partial(self._save, effect.stored))
        elif isinstance(effect, effects.Forget):
            self._io.submit(self._forget)
        elif isinstance(effect, effects.SetTimer):
            self._cancel_timer(effect.name)
            self._timers[effect.name] = self._loop.call_later(
                effect.seconds, functools.partial(self._fire, effect.name)
            )
        elif isinstance(effect, effects.CancelTimer):
            self._cancel_timer(effect.name)

    def _settle(self, ticket: int, how: str, value: object, after_store: bool = False) -> None:
        answer = self._tickets.pop(ticket, None)
        if answer is None:
            return
        settle = functools.partial(
            self._answers.submit, functools.partial(getattr(answer, how), value)
        )
        if after_store:
            self._io.submit(settle)  # behind the store's work, on the I/O lane
        else:
            settle()

    def _cancel_timer(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def _refuse_the_rest(self) -> None:
        """Once closed: whatever is still unanswered never will be."""
        for ticket in list(self._tickets):
            self._settle(ticket, "reject", STOPPED)

    # The I/O lane --------------------------------------------------------------------------

    def _perform(self, call: effects.Call) -> None:
        outcome: inputs.Input
        try:
            value = perform(self._transport, call.action, self._listener(call.generation))
        except TransportError as error:
            outcome = inputs.CallFailed(call.id, error.reason, error.status)
        except FileProblem as problem:
            outcome = inputs.CallFailed(call.id, str(problem), from_server=False)
        except Exception as error:
            log.exception("WebChatService's call %s failed", type(call.action).__name__)
            outcome = inputs.CallFailed(call.id, error, from_server=False)
        else:
            outcome = inputs.CallSucceeded(call.id, value)
        self._loop.call(functools.partial(self._step, outcome))

    def _save(self, stored: StoredSession) -> None:
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
        self._loop.call(functools.partial(self._step, inputs.StoreFailed(sentence)))
