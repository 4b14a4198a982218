"""``AsyncConversation``: ``Conversation`` for asyncio code, which never blocks its loop.

::

    async with AsyncConversation("messaging", emulator.messaging_config()) as chat:
        await chat.say("hello")
        reply = await chat.wait_for(contains="You said")

What would block (making the bus and loading the channel's service, closing it) runs
on a worker thread (``asyncio.to_thread``); everything else awaits the service's
deferreds. Many conversations run at once in one loop with ``asyncio.gather``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cxbus import CommandRejected, Deferred

from .core import BaseConversation, condition, unwrapped
from .message import Message

__all__ = ["AsyncConversation"]


class AsyncConversation(BaseConversation):
    """A conversation on ``channel``, for asyncio code: the arguments and the methods of
    ``Conversation``, awaited. ``async with`` starts it (unless started) and always ends it.
    """

    async def __aenter__(self) -> AsyncConversation:
        if self.state == "new":
            await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.end()

    async def start(self) -> AsyncConversation:
        """As ``Conversation.start``."""
        core = self._core
        timeout = core.options.timeout
        loaded = await asyncio.to_thread(core.open)
        try:
            await self._outcome("start", loaded, timeout)
            await self._outcome("start", core.start(), timeout)
        except BaseException:
            await self.end()
            raise
        return self

    async def say(self, text: str, *, timeout: float | None = None) -> None:
        """As ``Conversation.say``."""
        await self._outcome("say", self._core.say(text), self._timeout(timeout))

    async def choose(self, label: str, *, timeout: float | None = None) -> None:
        """As ``Conversation.choose``."""
        await self._outcome("choose", self._core.choose(label), self._timeout(timeout))

    async def send_file(
        self, path: str | Path, text: str = "", *, timeout: float | None = None
    ) -> None:
        """As ``Conversation.send_file``."""
        await self._outcome("send_file", self._core.send_file(path, text), self._timeout(timeout))

    async def wait_for(
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
        """As ``Conversation.wait_for``."""
        return await self._wait(
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

    async def wait_for_joined(
        self, *, sender: str | Sequence[str] = "agent", timeout: float | None = None
    ) -> Message:
        """As ``Conversation.wait_for_joined``."""
        return await self._wait("wait_for_joined", timeout, event="joined", sender=sender)

    async def wait_for_left(
        self, *, sender: str | Sequence[str] = "agent", timeout: float | None = None
    ) -> Message:
        """As ``Conversation.wait_for_left``."""
        return await self._wait("wait_for_left", timeout, event="left", sender=sender)

    async def wait_for_end(self, *, timeout: float | None = None) -> Message:
        """As ``Conversation.wait_for_end``."""
        return await self._wait("wait_for_end", timeout, event="ended")

    async def end(self) -> None:
        """As ``Conversation.end``."""
        core = self._core
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(_awaited(core.end()), core.options.timeout)
        await asyncio.to_thread(core.close)

    async def _wait(self, operation: str, timeout: float | None, **criteria: Any) -> Message:
        wanted = condition(operation, **criteria)
        seconds = self._timeout(timeout)
        inbox = self._core.inbox
        wait = self._core.wait(operation, wanted)
        try:
            await asyncio.wait_for(_awaited(wait.settled), seconds)
        except asyncio.TimeoutError:
            pass
        except BaseException:  # cancelled: nobody waits any more
            inbox.drop(wait)
            raise
        return inbox.conclude(wait)

    async def _outcome(self, operation: str, deferred: Deferred, timeout: float) -> Any:
        try:
            return await asyncio.wait_for(_awaited(deferred), timeout)
        except asyncio.TimeoutError:
            raise self._core.no_answer(operation, timeout) from None
        except CommandRejected as rejected:
            raise unwrapped(operation, rejected) from None


async def _awaited(deferred: Deferred) -> Any:
    """``await deferred`` as a coroutine, which ``asyncio.wait_for`` takes."""
    return await deferred
