"""``await deferred``: a Deferred's outcome handed to the asyncio loop that awaits it.

Imported by ``Deferred.__await__`` on first use, so that only code that awaits pays
for importing asyncio. The deferred may be settled in any thread: in the loop's own
thread the outcome is set on the future at once, from another it is handed over with
``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from asyncio.events import _get_running_loop
from typing import Any

from cxbus.deferred import RESOLVED, Deferred, rejection

__all__ = ["future_of"]


def future_of(deferred: Deferred) -> asyncio.Future[Any]:
    """A future of the running loop, done when ``deferred`` settles."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    deliver = functools.partial(_deliver, loop, future, deferred)
    deferred._listen((deliver, deliver, None))
    return future


def _deliver(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], deferred: Deferred, _: Any
) -> None:
    if _get_running_loop() is loop:
        _set_outcome(future, deferred)
        return
    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is left to tell
        loop.call_soon_threadsafe(_set_outcome, future, deferred)


def _set_outcome(future: asyncio.Future[Any], deferred: Deferred) -> None:
    if future.done():  # the awaiting task was cancelled
        return
    if deferred._state is RESOLVED:
        future.set_result(deferred._value)
    else:
        future.set_exception(rejection(deferred._value))
