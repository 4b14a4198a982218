"""Idle control: an ``IdleAlert`` after the client has been quiet a while, then ``IdleClose``.

Chat Server closes chats whose customer stops answering; how it words the warning
is the Widgets' (``IdleAlert`` with ``next-idle-timer-type`` and
``next-idle-timer-secs``, then ``IdleClose``). When the clock starts and what
restarts it is ours: it starts when the chat is requested, and every event the
client adds to the transcript (a message, a notice, a file, a URL, a new
nickname; not typing) starts it again.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from .chats import Chat

__all__ = ["IdleServer", "IdleWatch"]


class IdleServer(Protocol):
    """What the idle timers do to a chat of their GMS server (a ``GmsServer``)."""

    def system_says(self, chat: Chat, kind: str, **fields: Any) -> None: ...

    def end_chat(self, chat: Chat) -> None: ...


class IdleWatch:
    """One idle timer per live chat, on the server's loop.

    ``alert_after`` seconds of client silence post an ``IdleAlert`` from the
    system; ``close_after`` seconds later, an ``IdleClose`` ends the chat.
    ``alert_after=None`` turns idle control off (for chats restarted from then on).
    """

    def __init__(self, alert_after: float | None, close_after: float) -> None:
        self.alert_after = alert_after
        self.close_after = close_after
        self._timers: dict[str, asyncio.Task[None]] = {}

    def restart(self, server: IdleServer, chat: Chat) -> None:
        """The client did something: the chat's idle clock starts again."""
        self.stop(chat)
        if self.alert_after is not None and not chat.ended:
            chat.idle_alert_at = asyncio.get_running_loop().time() + self.alert_after
            self._timers[chat.id] = asyncio.ensure_future(self._run(server, chat, self.alert_after))

    def stop(self, chat: Chat) -> None:
        timer = self._timers.pop(chat.id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        chat.idle_alert_at = chat.idle_close_at = None

    def stop_all(self) -> list[asyncio.Task[None]]:
        """Forget every timer; the caller cancels them (and waits for them)."""
        timers = list(self._timers.values())
        self._timers.clear()
        return timers

    async def _run(self, server: IdleServer, chat: Chat, alert_after: float) -> None:
        close_after = self.close_after
        await asyncio.sleep(alert_after)
        chat.idle_alert_at = None
        chat.idle_close_at = asyncio.get_running_loop().time() + close_after
        server.system_says(
            chat,
            "IdleAlert",
            user_data={
                "next-idle-timer-type": "CLOSE",
                "next-idle-timer-secs": str(round(close_after)),
            },
        )
        await asyncio.sleep(close_after)
        self._timers.pop(chat.id, None)
        chat.idle_close_at = None
        server.system_says(chat, "IdleClose")
        server.end_chat(chat)
