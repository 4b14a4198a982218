"""``await deferred``: a Deferred's outcome handed to the asyncio loop that awaits it.

Imported by ``Deferred.__await__`` on first use, so that only code that awaits pays
for importing asyncio. The deferred may be settled in any thread: in the loop's own
thread the outcome is set on the future at once, from another it is handed over with
``call_soon_threadsafe``. The deferred hands over two of its methods, not itself:
this module sits below ``cxbus.deferred``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from asyncio.events import _get_running_loop
from collections.abc import Callable
from typing import Any, TypeVar

from cxbus.errors import CommandRejected

__all__ = ["future_of"]

T = TypeVar("T")


def future_of(
    when_settled: Callable[[Callable[[Any], None]], object], outcome: Callable[[], T]
) -> asyncio.Future[T]:
    """A future of the running loop, done when a deferred settles.

    ``when_settled(callback)`` calls ``callback`` once the deferred is settled (its
    ``always``); ``outcome()`` then returns its value or raises its rejection (its
    ``result``).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    when_settled(functools.partial(_deliver, loop, future, outcome))
    return future


def _deliver(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[T], outcome: Callable[[], T], _: Any
) -> None:
    if _get_running_loop() is loop:
        _set_outcome(future, outcome)
        return
    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is left to tell
        loop.call_soon_threadsafe(_set_outcome, future, outcome)


def _set_outcome(future: asyncio.Future[T], outcome: Callable[[], T]) -> None:
    if future.done():  # the awaiting task was cancelled
        return
    try:
        value = outcome()
    except CommandRejected as rejection:
        future.set_exception(rejection)
    else:
        future.set_result(value)
