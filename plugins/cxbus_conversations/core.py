"""``ConversationCore``: what ``Conversation`` and ``AsyncConversation`` share.

Everything a conversation does is here, as operations that return a ``Deferred``
without blocking (the sync class waits on it with ``result()``, the async one awaits
it), and two that block, ``open`` (make the bus, load the channel's service) and
``close`` (close or leave the bus), which the async class runs on a worker thread.

Threads: the caller's thread runs the operations; the channel's service publishes
its events on its own thread, where the conversation's subscriber reads them into
messages and keeps them in the ``Inbox`` (which settles the wait they answer).
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cxbus import Bus, CommandRejected, Deferred, Event, Plugin

from .channels import Reader, channel_for
from .conditions import Condition
from .errors import ConversationError, WrongState, reason_text, refused
from .inbox import Inbox, Wait
from .message import Message
from .options import Options
from .states import Lifecycle, State
from .transcript import Transcript

__all__ = ["BaseConversation", "ConversationCore", "condition", "unwrapped"]

_numbers = itertools.count(1)


class ConversationCore:
    """One conversation on one channel (see the module docstring)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.lifecycle = Lifecycle()
        self.inbox = Inbox()
        self._channel = channel_for(options)
        self._bus: Bus | None = None
        self._plugin: Plugin | None = None
        self.conversation_id: str | None = None
        # end() may come from two threads at once (a runner interrupting a wait, and the
        # waiter's own end): the channel is ended once, both wait for that, and the bus
        # is taken, and closed, once.
        self._closing = threading.Lock()
        self._first_end = threading.Lock()
        self._ending: Deferred | None = None

    @property
    def transcript(self) -> Transcript:
        return self.inbox.transcript

    @property
    def state(self) -> State:
        return self.lifecycle.state

    def no_answer(self, operation: str, timeout: float) -> ConversationError:
        """The error of an operation whose service did not answer in time."""
        return ConversationError(
            f"{operation}: {self.options.service} did not answer within {timeout} s."
        )

    # Blocking: the async class runs these on a worker thread ----------------------------

    def open(self) -> Deferred:
        """Make the bus (or take the user's), subscribe, and load the channel's service;
        resolves once it is ready. Blocks while the service's module is imported."""
        self.lifecycle.begin()
        self.inbox.start()
        options = self.options
        bus = options.bus or Bus(config={options.section: dict(options.config or {})})
        self._bus = bus
        plugin = bus.register_plugin(f"Conversation{next(_numbers)}")
        self._plugin = plugin
        reader = self._channel.reader()
        for name in self._channel.events:
            plugin.subscribe(name, functools.partial(self._received, reader))
        return bus.load_plugin(options.service).then(None, self._not_started)

    def close(self) -> None:
        """Close the bus made for the conversation, or leave the user's; then it has ended."""
        with self._closing:
            bus, plugin = self._bus, self._plugin
            self._bus = self._plugin = None
        if bus is not None and self.options.bus is None:
            bus.close()
        elif bus is not None and plugin is not None:
            bus.unregister_plugin(plugin)
        self.lifecycle.move("closed")

    # Not blocking -----------------------------------------------------------------------

    def start(self) -> Deferred:
        """Start the conversation on the channel, once ``open``'s deferred resolved."""
        started = self._channel.start(self._active_plugin())
        return started.then(self._started, self._not_started)

    def say(self, text: str) -> Deferred:
        if not isinstance(text, str):
            raise TypeError(f"say: text must be a string; got {text!r}.")
        self.lifecycle.check("say", "send")
        said = self._channel.say(self._active_plugin(), text)
        return said.then(None, refused("say", self.options.service))

    def choose(self, label: str) -> Deferred:
        if not isinstance(label, str):
            raise TypeError(f"choose: label must be a string; got {label!r}.")
        self.lifecycle.check("choose", "send")
        received = self.inbox.transcript.messages
        chosen = self._channel.choose(self._active_plugin(), label, received)
        return chosen.then(None, refused("choose", self.options.service))

    def send_file(self, path: str | Path, text: str = "") -> Deferred:
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"send_file: {str(path)!r} is not a file that exists.")
        self.lifecycle.check("send_file", "send")
        sent = self._channel.send_file(self._active_plugin(), file.resolve(), text)
        return sent.then(self._file_sent, refused("send_file", self.options.service))

    def wait(self, operation: str, condition: Condition) -> Wait:
        """Begin a wait (``Inbox.wait``); ``inbox.conclude`` it."""
        self.lifecycle.check(operation, "wait")
        return self.inbox.wait(condition)

    def end(self) -> Deferred:
        """End what the guest can end on the channel; resolves when done, never rejects.
        Every call gets the first call's deferred, so that none closes the bus under an
        end still on its way. ``close`` follows, whatever the outcome."""
        with self._first_end:
            if self._ending is None:
                self._ending = self._end()
            return self._ending

    def _end(self) -> Deferred:
        before = self.lifecycle.move("end")
        plugin = self._plugin
        if plugin is None:
            done = Deferred()
            done.resolve()
            return done
        ending = self._channel.end(plugin, active=before in (State.STARTING, State.ACTIVE))
        return ending.always(lambda _: self.inbox.add([self._ended_here()]))

    # What happens on the service's thread -------------------------------------------------

    def _received(self, reader: Reader, event: Event) -> None:
        messages = reader.read(event)
        if any(message.event == "ended" for message in messages):
            self.lifecycle.move("ended")  # before a wait for the end is told of it
        self.inbox.add(messages)

    def _started(self, started: Any) -> None:
        self.conversation_id = self._channel.conversation_id(started)
        if self.lifecycle.move("started") is not State.STARTING:
            raise CommandRejected(WrongState("start: the conversation was ended while it started."))

    def _not_started(self, reason: Any) -> None:
        self.lifecycle.move("failed")
        refused("start", self.options.service)(reason)

    def _file_sent(self, told: Message | None) -> None:
        if told is not None:
            self.inbox.add([told])

    def _ended_here(self) -> Message:
        return Message(
            "system",
            text="The conversation was ended here.",
            event="ended",
            channel=self.options.channel,
        )

    def _active_plugin(self) -> Plugin:
        plugin = self._plugin
        if plugin is None:
            raise WrongState("the conversation has ended; a new Conversation starts a new one.")
        return plugin


class BaseConversation:
    """What ``Conversation`` and ``AsyncConversation`` have alike: how they are made and
    what they tell without waiting (see ``Conversation`` for the arguments)."""

    def __init__(
        self,
        channel: str,
        config: Mapping[str, Any] | None = None,
        *,
        bus: Bus | None = None,
        nickname: str = "Customer",
        attributes: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._core = ConversationCore(
            Options(
                channel,
                config,
                bus,
                nickname=nickname,
                attributes=attributes or {},
                timeout=timeout,
            )
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.channel} {self.state}>"

    @property
    def channel(self) -> str:
        """``"messaging"``, ``"webchat"`` or ``"gms"``."""
        return self._core.options.channel

    @property
    def state(self) -> str:
        """``"new"``, ``"starting"``, ``"active"``, ``"ending"`` or ``"ended"``."""
        return self._core.state.value

    @property
    def transcript(self) -> Transcript:
        """Every message so far with the time it arrived; ``str()`` prints it."""
        return self._core.transcript

    @property
    def conversation_id(self) -> str | None:
        """The conversation's id on the server, once started, where the guest is told it:
        the guest chat's ``conversationId``, the GMS ``chatId``. ``None`` on Web Messaging,
        whose guests are not told (``cxbus_conversations.platform`` finds it)."""
        return self._core.conversation_id

    @property
    def messages(self) -> tuple[Message, ...]:
        """Every message so far, in the order they arrived (the customer's own too)."""
        return self._core.transcript.messages

    def elapsed(self) -> float:
        """Seconds since the conversation started, by the clock of its transcript: what
        an entry's ``at`` is measured against (a reply's latency is its ``at`` less the
        ``elapsed()`` taken when the customer spoke)."""
        return self._core.inbox.elapsed()

    def _timeout(self, timeout: float | None) -> float:
        if timeout is None:
            return self._core.options.timeout
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"timeout must be a number of seconds above 0; got {timeout!r}.")
        return float(timeout)


def condition(operation: str, **criteria: Any) -> Condition:
    """The ``Condition`` of a wait, its bad criteria raised naming ``operation``."""
    try:
        return Condition(**criteria)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{operation}: {error}") from None


def unwrapped(operation: str, rejected: CommandRejected) -> ConversationError:
    """The ``ConversationError`` that a rejection of a conversation's deferred stands for."""
    reason = rejected.reason
    if isinstance(reason, ConversationError):
        return reason
    return ConversationError(f"{operation}: {reason_text(reason)}")
