"""Deferred: settle once, callbacks in order, Promises/A+ chaining, blocking and await."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxbus import Bus, CommandRejected, Deferred


def test_a_deferred_starts_pending() -> None:
    """A new deferred is pending."""
    assert Deferred().state == "pending"


def test_resolve_runs_done_callbacks_in_order_with_the_value() -> None:
    """done callbacks run in the order added, each with the value."""
    seen: list[Any] = []
    deferred = (
        Deferred().done(lambda v: seen.append(("a", v))).done(lambda v: seen.append(("b", v)))
    )
    deferred.resolve(42)
    assert seen == [("a", 42), ("b", 42)]
    assert deferred.state == "resolved"


def test_reject_runs_fail_callbacks_and_not_done_callbacks() -> None:
    """fail callbacks get the reason; done callbacks stay silent."""
    seen: list[Any] = []
    Deferred().done(seen.append).fail(lambda r: seen.append(("fail", r))).reject("no")
    assert seen == [("fail", "no")]


def test_always_runs_on_either_outcome() -> None:
    """always runs for a resolution and for a rejection."""
    seen: list[Any] = []
    Deferred().always(seen.append).resolve(1)
    Deferred().always(seen.append).reject(2)
    assert seen == [1, 2]


def test_only_the_first_settlement_counts() -> None:
    """Settling twice keeps the first outcome and runs callbacks once."""
    seen: list[Any] = []
    deferred = Deferred().done(seen.append).fail(seen.append)
    deferred.resolve(1)
    deferred.resolve(2)
    deferred.reject(3)
    assert seen == [1]
    assert deferred.result() == 1


def test_a_callback_added_after_settling_runs_at_once() -> None:
    """A callback added to a settled deferred runs immediately in the caller's thread."""
    deferred = Deferred()
    deferred.resolve("late")
    seen: list[Any] = []
    deferred.done(seen.append)
    assert seen == ["late"]


def test_a_raising_callback_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One callback raising does not stop the next or reach the settler."""
    seen: list[Any] = []

    def broken(_: Any) -> None:
        raise RuntimeError("boom")

    deferred = Deferred().done(broken).done(seen.append)
    deferred.resolve(1)
    assert seen == [1]
    assert "boom" in caplog.text


def test_a_callback_that_calls_sys_exit_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SystemExit from a callback is logged like any error; the settling thread lives on."""
    seen: list[Any] = []
    deferred = Deferred().done(lambda _: sys.exit("callback quit")).done(seen.append)
    deferred.resolve(1)
    deferred.done(lambda _: sys.exit("late callback quit"))  # runs at once: settled
    assert seen == [1]
    assert "callback quit" in caplog.text and "late callback quit" in caplog.text


def test_then_turns_sys_exit_into_the_reason() -> None:
    """SystemExit in a then callback rejects the chain with it, like any other error."""
    source = Deferred()
    chained = source.then(lambda _: sys.exit(2))
    source.resolve(1)
    with pytest.raises(CommandRejected) as raised:
        chained.result(timeout=1)
    assert isinstance(raised.value.reason, SystemExit)


def test_a_keyboard_interrupt_in_a_callback_reaches_the_settler() -> None:
    """Ctrl-C in a callback is not swallowed."""

    def interrupted(_: Any) -> None:
        raise KeyboardInterrupt

    deferred = Deferred().done(interrupted)
    with pytest.raises(KeyboardInterrupt):
        deferred.resolve(1)


def test_then_maps_the_value() -> None:
    """then's return value resolves the chained deferred."""
    assert Deferred().then(lambda v: v + 1).state == "pending"
    deferred = Deferred()
    chained = deferred.then(lambda v: v + 1)
    deferred.resolve(1)
    assert chained.result() == 2


def test_then_adopts_a_returned_deferred() -> None:
    """A deferred returned from then is adopted: the chain waits for it."""
    inner = Deferred()
    chained = Deferred()
    outer = chained.then(lambda _: inner)
    chained.resolve(None)
    assert outer.state == "pending"
    inner.resolve("inner")
    assert outer.result() == "inner"


def test_then_adopts_a_returned_future() -> None:
    """A concurrent.futures.Future returned from then is adopted."""
    future: concurrent.futures.Future[str] = concurrent.futures.Future()
    source = Deferred()
    chained = source.then(lambda _: future)
    source.resolve(None)
    future.set_result("from future")
    assert chained.result(timeout=1) == "from future"


def test_a_failed_future_rejects_with_its_exception() -> None:
    """An adopted future that fails rejects with its exception."""
    future: concurrent.futures.Future[str] = concurrent.futures.Future()
    deferred = Deferred()
    deferred.resolve(future)
    error = ValueError("bad")
    future.set_exception(error)
    reasons: list[Any] = []
    deferred.fail(reasons.append)
    assert reasons == [error]


def test_then_turns_command_rejected_into_its_reason() -> None:
    """Raising CommandRejected in then rejects the chain with the bare reason."""

    def veto(_: Any) -> None:
        raise CommandRejected("not now")

    source = Deferred()
    chained = source.then(veto)
    reasons: list[Any] = []
    chained.fail(reasons.append)
    source.resolve(1)
    assert reasons == ["not now"]


def test_then_turns_other_exceptions_into_the_reason() -> None:
    """Any other exception in then rejects the chain with the exception itself."""
    source = Deferred()
    chained = source.then(lambda _: 1 / 0)
    source.resolve(1)
    with pytest.raises(CommandRejected) as raised:
        chained.result()
    assert isinstance(raised.value.reason, ZeroDivisionError)
    assert raised.value.__cause__ is raised.value.reason


def test_then_without_a_handler_passes_the_outcome_on() -> None:
    """A missing then handler passes the value or the reason through unchanged."""
    resolved, rejected = Deferred(), Deferred()
    passed_value = resolved.then(None, lambda r: "recovered")
    passed_reason = rejected.then(lambda v: "mapped")
    resolved.resolve("value")
    rejected.reject("reason")
    assert passed_value.result() == "value"
    with pytest.raises(CommandRejected, match="reason"):
        passed_reason.result()


def test_on_rejected_can_recover() -> None:
    """A then rejection handler's return value resolves the chain."""
    source = Deferred()
    chained = source.then(None, lambda reason: f"recovered from {reason}")
    source.reject("outage")
    assert chained.result() == "recovered from outage"


def test_resolving_with_itself_rejects_with_type_error() -> None:
    """A deferred resolved with itself rejects with TypeError (Promises/A+ 2.3.1)."""
    deferred = Deferred()
    deferred.resolve(deferred)
    with pytest.raises(CommandRejected) as raised:
        deferred.result()
    assert isinstance(raised.value.reason, TypeError)


def test_resolved_with_a_pending_deferred_it_is_locked_in() -> None:
    """Once adopting, later resolve/reject calls are ignored (Promises/A+ 2.3.2)."""
    adopted, deferred = Deferred(), Deferred()
    deferred.resolve(adopted)
    deferred.reject("too late")
    deferred.resolve("also too late")
    assert deferred.state == "pending"
    adopted.resolve(7)
    assert deferred.result(timeout=1) == 7


def test_a_chain_of_thousands_of_thens_settles() -> None:
    """However many thens hang on a pending deferred, settling it reaches the end."""
    root = Deferred()
    end = root
    for _ in range(5000):
        end = end.then(lambda v: v + 1)
    root.resolve(0)
    assert end.result(timeout=5) == 5000


def test_a_chain_whose_middle_deferred_got_a_second_listener_runs_every_listener_in_order() -> None:
    """Listeners added after a then wait for everything that then settles, as nested calls."""
    seen: list[Any] = []
    root = Deferred()
    middle = root.then(lambda v: v + 1)
    end = middle.then(lambda v: v * 10)
    end.done(lambda v: seen.append(("end", v)))
    middle.done(lambda v: seen.append(("middle", v)))
    middle.then(lambda v: -v).done(lambda v: seen.append(("branch", v)))
    root.done(lambda v: seen.append(("root", v)))
    root.resolve(1)
    assert seen == [("end", 20), ("middle", 2), ("branch", -2), ("root", 1)]


def test_thousands_of_nested_adoptions_settle() -> None:
    """A deferred adopting one that adopts another, thousands deep, settles with the last."""
    chain = [Deferred() for _ in range(3000)]
    for outer, inner in itertools.pairwise(chain):
        outer.resolve(inner)
    chain[-1].resolve("deep")
    assert chain[0].result(timeout=5) == "deep"


def deep_in_a_chain(callback: Callable[[], Any], depth: int) -> Any:
    """Run ``callback`` in a done callback at the end of ``depth`` chained thens."""
    root = Deferred()
    end = root
    for _ in range(depth):
        end = end.then(lambda v: v)
    outcome: list[Any] = []
    end.done(lambda _: outcome.append(callback()))
    root.resolve(None)
    return outcome[0]


def test_result_in_a_callback_deep_in_a_chain_does_not_wait_on_itself() -> None:
    """A chain settled and waited on inside a long chain's callback still gives its value."""

    def inner() -> Any:
        source = Deferred()
        doubled = source.then(lambda v: v * 2)
        source.resolve(21)
        return doubled.result(timeout=1)

    for depth in range(0, 120, 7):
        assert deep_in_a_chain(inner, depth) == 42


def test_a_rejection_handled_deep_in_a_chain_is_not_reported(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """A command rejected at once and then handled is not logged, however deep the callback."""

    def refuse(call: Any) -> None:
        raise CommandRejected("no")

    bus.register_plugin("Refuser").register_command("refuse", refuse)
    seen: list[Any] = []
    for depth in range(0, 120, 7):
        deep_in_a_chain(lambda: bus.command("Refuser.refuse").fail(seen.append), depth)
    assert seen == ["no"] * 18
    assert "Unhandled rejection" not in caplog.text


def test_a_future_that_cannot_be_adopted_rejects() -> None:
    """Resolving with a future whose loop is closed rejects with the error, not raises."""
    loop = asyncio.new_event_loop()
    future = loop.create_future()
    future.set_result(1)
    loop.close()
    deferred = Deferred()
    deferred.resolve(future)
    assert deferred.state == "rejected"


def test_result_blocks_until_another_thread_resolves() -> None:
    """result() waits for a resolution from another thread."""
    deferred = Deferred()
    threading.Thread(target=deferred.resolve, args=("from thread",)).start()
    assert deferred.result(timeout=5) == "from thread"


def test_result_times_out() -> None:
    """result(timeout) raises TimeoutError when nothing settles in time."""
    with pytest.raises(TimeoutError):
        Deferred().result(timeout=0.01)


def test_a_result_that_timed_out_no_longer_counts_as_handling(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After result(timeout) gives up, a rejection nobody else handles is still logged."""
    deferred = Deferred()
    with pytest.raises(TimeoutError):
        deferred.result(timeout=0.01)
    deferred.reject("later")
    assert "Unhandled rejection: 'later'" in caplog.text


class SettlesWhenCompared:
    """A callback whose == settles a deferred: user code the lock must never run."""

    def __call__(self, _: Any) -> None:
        pass

    def __eq__(self, other: object) -> bool:
        Deferred().resolve("compared")
        return self is other

    __hash__ = object.__hash__


def test_a_result_that_times_out_runs_no_user_code_under_the_lock() -> None:
    """Giving up a wait never compares other listeners with ==, which may run user code."""
    deferred = Deferred().done(SettlesWhenCompared())
    gave_up = threading.Event()

    def wait_briefly() -> None:
        with pytest.raises(TimeoutError):
            deferred.result(timeout=0.01)
        gave_up.set()

    waiter = threading.Thread(target=wait_briefly, daemon=True)
    waiter.start()
    assert gave_up.wait(5), "result() deadlocked giving up its wait"


def test_result_raises_command_rejected_with_the_reason() -> None:
    """result() of a rejected deferred raises CommandRejected carrying the reason."""
    deferred = Deferred()
    deferred.reject({"status": 400})
    with pytest.raises(CommandRejected) as raised:
        deferred.result()
    assert raised.value.reason == {"status": 400}


def test_await_returns_the_value_set_from_another_thread() -> None:
    """await gives the value, even when another thread resolves it."""

    async def main() -> Any:
        deferred = Deferred()
        threading.Thread(target=deferred.resolve, args=("awaited",)).start()
        return await asyncio.wait_for(deferred, timeout=5)

    assert asyncio.run(main()) == "awaited"


def test_await_raises_command_rejected() -> None:
    """await of a rejected deferred raises CommandRejected with the reason."""

    async def main() -> None:
        deferred = Deferred()
        deferred.reject("nope")
        await deferred

    with pytest.raises(CommandRejected, match="nope"):
        asyncio.run(main())


def test_an_unhandled_rejection_is_logged_when_it_happens(caplog: pytest.LogCaptureFixture) -> None:
    """A rejection with nobody listening is logged at once, as a warning."""
    with caplog.at_level(logging.WARNING, logger="cxbus.deferred"):
        Deferred().reject("nobody listens")
    assert "Unhandled rejection: 'nobody listens'" in caplog.text


def test_a_handled_rejection_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A rejection that a fail callback handles is not reported."""
    with caplog.at_level(logging.WARNING, logger="cxbus.deferred"):
        Deferred().fail(lambda _: None).reject("handled")
    assert caplog.text == ""


def test_an_unhandled_rejection_log_masks_secrets(caplog: pytest.LogCaptureFixture) -> None:
    """The unhandled-rejection warning never shows a JWT."""
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    with caplog.at_level(logging.WARNING, logger="cxbus.deferred"):
        Deferred().reject({"jwt": jwt, "message": f"bad token {jwt}"})
    assert jwt not in caplog.text
    assert "***" in caplog.text


# Property: the order of settling and attaching never changes what callbacks see.

Step = st.one_of(
    st.tuples(st.just("done")),
    st.tuples(st.just("fail")),
    st.tuples(st.just("always")),
    st.tuples(st.just("then"), st.integers(-3, 3)),
    st.tuples(st.just("then_raise"), st.text(max_size=3)),
    st.tuples(st.just("then_recover")),
    st.tuples(st.just("then_adopt")),
)


def _settled(value: Any) -> Deferred:
    deferred = Deferred()
    deferred.resolve(("adopted", value))
    return deferred


def _run(steps: list[tuple[Any, ...]], outcome: tuple[str, Any], settle_first: bool) -> list[Any]:
    """Apply ``steps`` to a chain, settling the root before or after; return what was seen."""
    seen: list[Any] = []
    root = Deferred()
    if settle_first:
        getattr(root, outcome[0])(outcome[1])
    current = root
    for step in steps:
        kind = step[0]
        if kind == "done":
            current.done(lambda v: seen.append(("done", v)))
        elif kind == "fail":
            current.fail(lambda r: seen.append(("fail", r)))
        elif kind == "always":
            current.always(lambda x: seen.append(("always", x)))
        elif kind == "then":
            current = current.then(lambda v, n=step[1]: (v, n))
        elif kind == "then_raise":

            def raise_(_: Any, reason: str = step[1]) -> None:
                raise CommandRejected(reason)

            current = current.then(raise_)
        elif kind == "then_adopt":
            current = current.then(_settled)
        else:
            current = current.then(None, lambda r: ("recovered", r))
    if not settle_first:
        getattr(root, outcome[0])(outcome[1])
    current.always(lambda x: seen.append(("end", current.state, x)))
    return seen


@given(
    steps=st.lists(Step, max_size=8),
    outcome=st.tuples(st.sampled_from(["resolve", "reject"]), st.integers()),
)
def test_chains_see_the_same_whether_settled_before_or_after(
    steps: list[tuple[Any, ...]], outcome: tuple[str, Any]
) -> None:
    """Any sequence of then/done/fail/always gives the same results settled first or last."""
    assert _run(steps, outcome, settle_first=True) == _run(steps, outcome, settle_first=False)
