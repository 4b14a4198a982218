"""The polling of a chat on a polling transport (GMS): when to refresh, and what it found.

Part of ``machine.ChatMachine`` (kept apart to keep each module to one idea): it
runs inside ``ChatMachine.handle``, on the chat's thread. Each chat that starts or
is restored gets a ``polling.PollSchedule`` on the machine's monotonic clock; the
next refresh is a ``SetTimer("poll")`` of the shared loop, and a refresh is an
``actions.Refresh`` call (on the chat's second lane, beside its other calls), one in
flight at a time. The page's commands
(``reference/gms-chat-api.md`` §4.1, §4.2):

- ``startPoll`` / ``stopPoll``: start or stop the schedule, publishing
  ``pollingStarted`` / ``pollingStopped`` (the widgets' GMS module's events); a chat
  that starts or is restored starts polling, and one that ends stops.
- ``poll`` (private): one refresh now; it answers with the server's reply, and
  rejects "previous poll has not finished" while one is in flight.
- ``resetPollExceptions``: the count of poll exceptions to 0 and the offline mark
  forgotten, publishing nothing; it always resolves.

As the widgets' GMS module does, ``startPoll`` publishes only when polling was
stopped, and ``stopPoll`` while not polling rejects "Not currently polling. Ignoring
command.". Ours: ``stopPoll`` resolves once no refresh is under way (one in flight
is let finish, so that nothing polls after it resolves); with no chat, ``poll``,
``startPoll`` and ``stopPoll`` reject with the page's "No active chat session.".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from cxbus.runtime.machine_runner import CancelTimer, SetTimer

from . import actions, inputs
from .chat_commands import NO_ACTIVE_SESSION
from .polling import PollEvent, PollInFlight, PollResult, PollSchedule
from .transport import ChatMessage, Refreshed, TransportUpdate

if TYPE_CHECKING:
    from .chat_states import Pending
    from .machine import ChatMachine

__all__ = ["ChatPolling"]

TIMER = "poll"
NOT_REACHED = "The chat server could not be reached."
# The widgets' GMS module's sentence, word for word.
NOT_POLLING = "Not currently polling. Ignoring command."


class ChatPolling:
    """The machine's polling (see the module docstring)."""

    def __init__(self, machine: ChatMachine) -> None:
        self._machine = machine
        self.schedule: PollSchedule | None = None
        self._generation = 0
        """The chat the schedule polls."""
        self._stopping: list[int] = []
        """Tickets of stopPoll commands waiting for the refresh in flight."""

    @property
    def _on(self) -> bool:
        return self.schedule is not None and self._machine.chat_is_on

    def begin_chat(self) -> None:
        """A chat started or was restored: a schedule of its own, running."""
        machine = self._machine
        options = machine.settings.polling
        if options is None:
            return
        self.schedule = PollSchedule(options, machine.monotonic)
        self._generation = machine.generation
        self._start()

    def stop(self) -> None:
        """stopPoll, or the chat ended: polling stops."""
        schedule = self.schedule
        if schedule is not None and schedule.stop():
            self._machine.emit(CancelTimer(TIMER))
            self._machine.publish("pollingStopped")

    def _no_refresh_under_way(self) -> None:
        stopping, self._stopping = self._stopping, []
        for ticket in stopping:
            self._machine.answer(ticket)

    def _start(self) -> None:
        assert self.schedule is not None
        if self.schedule.start():
            self._machine.publish("pollingStarted")
        self._arm()

    def _arm(self) -> None:
        """Set the timer for the next refresh, if one is due some day."""
        schedule = self.schedule
        due_at = schedule.next_poll_at() if schedule is not None and self._on else None
        if due_at is None:
            return
        self._machine.emit(SetTimer(TIMER, max(0.0, due_at - self._machine.monotonic())))

    def timer_fired(self) -> None:
        schedule = self.schedule
        if schedule is None or not self._on:
            return
        if schedule.due():
            self._refresh(None)
        else:
            self._arm()

    def _refresh(self, ticket: int | None) -> None:
        assert self.schedule is not None
        self.schedule.begin()
        self._machine.call(actions.Refresh(), ticket)

    # Commands ---------------------------------------------------------------------------

    def command(self, command: inputs.Polling) -> None:
        machine, schedule = self._machine, self.schedule
        if command.what == "resetPollExceptions":
            if schedule is not None:
                schedule.reset_exceptions()
            machine.answer(command.ticket)
            return
        if schedule is None or not self._on:
            machine.refuse(command.ticket, NO_ACTIVE_SESSION)
        elif command.what == "poll":
            try:
                self._refresh(command.ticket)
            except PollInFlight as in_flight:
                machine.refuse(command.ticket, str(in_flight))
        elif command.what == "startPoll":
            self._start()
            machine.answer(command.ticket)
        elif not schedule.running:
            machine.refuse(command.ticket, NOT_POLLING)
        else:
            self.stop()
            if schedule.in_flight:
                self._stopping.append(command.ticket)
            else:
                machine.answer(command.ticket)

    # Outcomes ---------------------------------------------------------------------------

    def refreshed(self, pending: Pending, refreshed: Refreshed) -> None:
        """A refresh came back: its events, its news, the next one."""
        machine, schedule = self._machine, self.schedule
        self._no_refresh_under_way()
        if schedule is None or pending.generation != self._generation or not schedule.in_flight:
            return  # a refresh of a chat that has ended
        self._publish(schedule.finish(refreshed.result))
        if refreshed.error is not None and refreshed.result is not PollResult.UNREACHABLE:
            machine.publish("error", refreshed.error)  # unreachable: disconnected says it
        if refreshed.position is not None:
            self._note_position(refreshed.position)
        if refreshed.status == 200:
            machine.record.idle_countdown = refreshed.idle_countdown
        self._take(refreshed.updates)
        if pending.ticket is not None:
            if refreshed.reply:  # the server's reply, whatever it said
                machine.answer(pending.ticket, dict(refreshed.reply))
            else:
                machine.refuse(pending.ticket, refreshed.error or NOT_REACHED)
        machine.save(renew=True)  # the widgets' ping: restoreTimeout counts from the last poll
        self._arm()

    def _take(self, updates: tuple[TransportUpdate, ...]) -> None:
        """What a refresh found, in order: its messages in one messageReceived."""
        machine = self._machine
        messages: list[ChatMessage] = []
        for update in [*updates, None]:
            if isinstance(update, ChatMessage):
                messages.append(update)
                continue
            if messages and machine.chat_is_on:
                machine.updates.messages(messages, restoring=False)
            messages = []
            if update is not None and machine.chat_is_on:
                machine.updates.handle(update)

    def _note_position(self, position: int) -> None:
        """Where the next refresh reads from, kept with the session in the store."""
        record = self._machine.record
        session = record.session
        if session is not None and session.last_message_id != str(position):
            record.session = attrs.evolve(session, last_message_id=str(position))

    def refresh_failed(self, pending: Pending) -> None:
        """A refresh that raised (it should not): it counts as refused, polling goes on."""
        schedule = self.schedule
        self._no_refresh_under_way()
        if schedule is None or pending.generation != self._generation or not schedule.in_flight:
            return
        self._publish(schedule.finish(PollResult.REFUSED))
        self._arm()

    def call_done(self, answered: bool) -> None:
        """Another call of the chat got an HTTP answer (or none): back, or away?"""
        schedule = self.schedule
        if schedule is None or not self._on:
            return
        self._publish(schedule.call_answered() if answered else schedule.call_unreachable())

    def sent(self, action: actions.Action) -> None:
        """A message or a file went out: the agent may answer soon, poll sooner."""
        schedule = self.schedule
        if schedule is None or not self._on:
            return
        if isinstance(action, (actions.SendText, actions.Upload)):
            schedule.sent()
            if not schedule.in_flight:
                self._arm()

    def restored_offline(self) -> None:
        """The restore's reply said statusCode 1: the next good refresh is back online."""
        if self.schedule is not None:
            self.schedule.mark_offline()
            self._machine.publish("restoredOffline")

    def _publish(self, events: tuple[PollEvent, ...]) -> None:
        for event in events:
            self._machine.publish(event.value)
