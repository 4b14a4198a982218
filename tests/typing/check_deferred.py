"""What a type checker makes of a Deferred: checked by mypy in CI (never run).

Each ``assert_type`` fails mypy when the type a user's editor would show changes.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any

from typing_extensions import assert_type

from cxbus import Bus, Deferred, Plugin


def results(bus: Bus, plugin: Plugin, answer: Deferred[int]) -> None:
    assert_type(answer.result(), int)
    assert_type(answer.done(lambda value: print(value + 1)), Deferred[int])
    assert_type(answer.fail(print), Deferred[int])
    assert_type(answer.always(print), Deferred[int])
    assert_type(bus.command("Greeter.hello"), Deferred[Any])
    assert_type(plugin.command("Greeter.hello"), Deferred[Any])
    assert_type(bus.load_plugin("Greeter"), Deferred[Plugin])
    assert_type(plugin.ready(), Deferred[Plugin])
    untyped = Deferred()
    assert_type(untyped, Deferred[Any])
    bare: Deferred = answer
    assert_type(bare, Deferred[Any])


async def awaited(answer: Deferred[int]) -> None:
    assert_type(await answer, int)


def chains(answer: Deferred[int], text: Deferred[str]) -> None:
    future: concurrent.futures.Future[bytes] = concurrent.futures.Future()

    def later(value: int) -> Deferred[str]:  # adopted: the chain gives its value
        return text

    def elsewhere(value: int) -> concurrent.futures.Future[bytes]:
        return future

    assert_type(answer.then(str), Deferred[str])
    assert_type(answer.then(lambda value: value * 2.5), Deferred[float])
    assert_type(answer.then(later), Deferred[str])
    assert_type(answer.then(elsewhere), Deferred[bytes])
    assert_type(answer.then(None, lambda reason: 0), Deferred[int])
    assert_type(answer.then(str).then(len), Deferred[int])


def settles(answer: Deferred[int], nothing: Deferred[None]) -> None:
    answer.resolve(1)
    answer.resolve(Deferred[int]())
    nothing.resolve()
    answer.resolve("one")  # type: ignore[arg-type]
    answer.resolve()  # type: ignore[call-arg]
