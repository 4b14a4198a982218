"""``Conversation``: a customer's conversation that a test or a script drives, on any channel.

::

    with Conversation("messaging", emulator.messaging_config()) as chat:
        chat.say("options")
        chat.wait_for(quick_reply="Blue")
        chat.choose("Blue")
        assert chat.wait_for(contains="You chose").text == "You chose Blue."

Each method blocks the calling thread until it is done (or its timeout), and may be
called from any thread; ``AsyncConversation`` is the same for asyncio code.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cxbus import CommandRejected, Deferred

from .core import BaseConversation, condition, unwrapped
from .message import Message

__all__ = ["Conversation"]


class Conversation(BaseConversation):
    """A conversation on ``channel`` (``"messaging"``, ``"webchat"`` or ``"gms"``).

    ``config`` is that channel's configuration section (``messaging`` for Web
    Messaging, ``webchat`` for the guest chat API and GMS), for a bus of the
    conversation's own, closed when it ends; or ``bus`` is a bus configured already
    (the conversation leaves it open). ``nickname`` is the customer's name where the
    channel takes one (guest chat, GMS); ``attributes`` (strings to strings) ride with
    the conversation: Web Messaging's custom attributes, web chat's ``userData``.
    ``timeout`` is the default, in seconds, of every wait and command.

    ``with`` starts it (unless started) and always ends it.
    """

    def __enter__(self) -> Conversation:
        if self.state == "new":
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.end()

    def start(self) -> Conversation:
        """Start the conversation; returns once the channel has started it.

        ``WrongState`` when it was started before; ``ConversationError`` when the
        channel refused (the conversation has then ended).
        """
        core = self._core
        timeout = core.options.timeout
        loaded = core.open()
        try:
            self._outcome("start", loaded, timeout)
            self._outcome("start", core.start(), timeout)
        except BaseException:
            self.end()
            raise
        return self

    def say(self, text: str, *, timeout: float | None = None) -> None:
        """Send ``text``; returns once the channel took it."""
        self._outcome("say", self._core.say(text), self._timeout(timeout))

    def choose(self, label: str, *, timeout: float | None = None) -> None:
        """Choose the quick reply or card button labelled ``label``.

        On Web Messaging it answers the latest message that offered it, as a button's
        postback; ``NotOffered`` (listing what was offered) when none did. Guest chat and
        GMS carry no quick replies: there the label is sent as text.
        """
        self._outcome("choose", self._core.choose(label), self._timeout(timeout))

    def send_file(self, path: str | Path, text: str = "", *, timeout: float | None = None) -> None:
        """Send the file at ``path`` (with ``text``, where the channel sends one with it)."""
        self._outcome("send_file", self._core.send_file(path, text), self._timeout(timeout))

    def wait_for(
        self,
        *,
        contains: str | None = None,
        matches: str | re.Pattern[str] | None = None,
        equals: str | None = None,
        quick_reply: bool | str | Sequence[str] = False,
        button: bool | str | Sequence[str] = False,
        card: bool | str = False,
        attachment: bool | str = False,
        sender: str | Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> Message:
        """The next message from a bot or an agent (or from ``sender``) that meets every
        criterion given: its text ``contains`` a string, ``matches`` a regular expression
        (searched), ``equals`` a string (ignoring surrounding whitespace); it offers a
        ``quick_reply`` or ``button``, has a ``card`` or an ``attachment`` (``True`` for
        any, a string for the one labelled, titled or named so; a list of labels for
        exactly those quick replies or buttons, in that order, ``[]`` for none).

        "Next" is after the message the previous wait returned: a message that arrived
        before this call is found, and those passed over are consumed. ``WaitTimeout``
        when none came within ``timeout`` seconds; ``ConversationEnded`` when the
        conversation ended first. Both name the condition, the time waited and the
        nearest message.
        """
        return self._wait(
            "wait_for",
            timeout,
            contains=contains,
            matches=matches,
            equals=equals,
            quick_reply=quick_reply,
            button=button,
            card=card,
            attachment=attachment,
            sender=sender,
        )

    def wait_for_joined(
        self, *, sender: str | Sequence[str] = "agent", timeout: float | None = None
    ) -> Message:
        """The next agent (or ``sender``) joining, as ``wait_for`` waits."""
        return self._wait("wait_for_joined", timeout, event="joined", sender=sender)

    def wait_for_left(
        self, *, sender: str | Sequence[str] = "agent", timeout: float | None = None
    ) -> Message:
        """The next agent (or ``sender``) leaving, as ``wait_for`` waits."""
        return self._wait("wait_for_left", timeout, event="left", sender=sender)

    def wait_for_end(self, *, timeout: float | None = None) -> Message:
        """The conversation's end (at once if it has ended), whoever ended it."""
        return self._wait("wait_for_end", timeout, event="ended")

    def end(self) -> None:
        """End the conversation as far as the guest can, and close its bus. Always safe:
        a conversation that has ended (or never started) is left as it is."""
        core = self._core
        with contextlib.suppress(TimeoutError):
            core.end().result(core.options.timeout)
        core.close()

    def _wait(self, operation: str, timeout: float | None, **criteria: Any) -> Message:
        wanted = condition(operation, **criteria)
        seconds = self._timeout(timeout)
        inbox = self._core.inbox
        wait = self._core.wait(operation, wanted)
        try:
            wait.settled.result(seconds)
        except TimeoutError:
            pass
        except BaseException:  # interrupted: nobody waits any more
            inbox.drop(wait)
            raise
        return inbox.conclude(wait)

    def _outcome(self, operation: str, deferred: Deferred, timeout: float) -> Any:
        try:
            return deferred.result(timeout)
        except TimeoutError:
            raise self._core.no_answer(operation, timeout) from None
        except CommandRejected as rejected:
            raise unwrapped(operation, rejected) from None
