"""The GMS polling schedule, rule by rule, on a clock the tests move by hand."""

from __future__ import annotations

import itertools

import pytest

from cxbus_webchat.polling import (
    PollEvent,
    PollInFlight,
    PollingOptions,
    PollResult,
    PollSchedule,
)

NEWS, QUIET, BUSY = PollResult.NEWS, PollResult.QUIET, PollResult.BUSY
UNREACHABLE, REFUSED = PollResult.UNREACHABLE, PollResult.REFUSED
WENT_OFFLINE, BACK_ONLINE = PollEvent.WENT_OFFLINE, PollEvent.BACK_ONLINE
DISCONNECTED, RECONNECTED = PollEvent.DISCONNECTED, PollEvent.RECONNECTED


class Clock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def schedule(clock: Clock) -> PollSchedule:
    """The Widgets' defaults: 0.5 s growing by 1.2 times to 3 s, five exceptions allowed."""
    polling = PollSchedule(PollingOptions(), clock)
    polling.start()
    return polling


def poll(schedule: PollSchedule, result: PollResult) -> tuple[PollEvent, ...]:
    schedule.begin()
    return schedule.finish(result)


# Timing -------------------------------------------------------------------------------


def test_nothing_is_due_before_polling_starts(clock: Clock) -> None:
    schedule = PollSchedule(PollingOptions(), clock)
    assert schedule.next_poll_at() is None and not schedule.due()


def test_the_first_refresh_is_due_as_polling_starts(schedule: PollSchedule, clock: Clock) -> None:
    assert schedule.due() and schedule.next_poll_at() == clock.now


def test_the_interval_starts_at_the_minimum_and_grows_after_each_quiet_poll_to_the_maximum(
    schedule: PollSchedule,
) -> None:
    intervals = []
    for _ in range(12):
        poll(schedule, QUIET)
        intervals.append(round(schedule.interval, 4))
    assert intervals[:4] == [0.6, 0.72, 0.864, 1.0368]
    assert intervals[-3:] == [3.0, 3.0, 3.0]
    assert all(a <= b for a, b in itertools.pairwise(intervals))


def test_the_next_refresh_is_due_one_interval_after_the_last_one_began(
    schedule: PollSchedule, clock: Clock
) -> None:
    schedule.begin()
    began = clock.now
    clock.advance(0.2)
    schedule.finish(QUIET)
    assert schedule.next_poll_at() == pytest.approx(began + 0.6)
    clock.advance(0.39)
    assert not schedule.due()
    clock.advance(0.01)
    assert schedule.due()


def test_a_refresh_slower_than_the_interval_makes_the_next_one_due_as_it_ends(
    schedule: PollSchedule, clock: Clock
) -> None:
    schedule.begin()
    clock.advance(5)
    schedule.finish(QUIET)
    assert schedule.due()


def test_a_send_sets_the_interval_back_to_the_minimum(schedule: PollSchedule, clock: Clock) -> None:
    for _ in range(10):
        poll(schedule, QUIET)
    assert schedule.interval == 3.0
    schedule.sent()
    assert schedule.interval == 0.5
    assert schedule.next_poll_at() == pytest.approx(clock.now + 0.5)


def test_a_poll_with_news_sets_the_interval_back_to_the_minimum(schedule: PollSchedule) -> None:
    for _ in range(5):
        poll(schedule, QUIET)
    poll(schedule, NEWS)
    assert schedule.interval == 0.5


@pytest.mark.parametrize("result", [BUSY, UNREACHABLE, REFUSED])
def test_a_failed_poll_grows_the_interval_as_a_quiet_one(
    schedule: PollSchedule, result: PollResult
) -> None:
    poll(schedule, result)
    assert schedule.interval == pytest.approx(0.6)


def test_without_dynamic_polling_the_interval_is_poll_rate_throughout(clock: Clock) -> None:
    schedule = PollSchedule(PollingOptions(dynamic=False, fixed_interval=2.0), clock)
    schedule.start()
    for result in (QUIET, NEWS, BUSY, QUIET):
        poll(schedule, result)
        assert schedule.interval == 2.0
    schedule.sent()
    assert schedule.interval == 2.0


def test_only_one_refresh_is_in_flight_at_a_time(schedule: PollSchedule) -> None:
    schedule.begin()
    assert schedule.next_poll_at() is None and not schedule.due()
    with pytest.raises(PollInFlight, match="^previous poll has not finished$"):
        schedule.begin()
    schedule.finish(QUIET)
    schedule.begin()


def test_finish_without_begin_is_a_mistake(schedule: PollSchedule) -> None:
    with pytest.raises(RuntimeError, match="no refresh is in flight"):
        schedule.finish(QUIET)


def test_stop_and_start_say_whether_they_changed_anything(schedule: PollSchedule) -> None:
    assert schedule.start() is False
    assert schedule.stop() is True and schedule.stop() is False
    assert schedule.next_poll_at() is None
    assert schedule.start() is True and schedule.due()


def test_a_refresh_in_flight_may_finish_after_polling_stopped(schedule: PollSchedule) -> None:
    schedule.begin()
    schedule.stop()
    assert schedule.finish(QUIET) == ()
    assert not schedule.due()


def test_starting_again_starts_from_the_minimum(schedule: PollSchedule) -> None:
    for _ in range(5):
        poll(schedule, QUIET)
    schedule.stop()
    schedule.start()
    assert schedule.interval == 0.5 and schedule.due()


def test_the_poll_command_may_refresh_while_polling_is_stopped(clock: Clock) -> None:
    schedule = PollSchedule(PollingOptions(), clock)
    assert poll(schedule, QUIET) == ()


# Poll exceptions ----------------------------------------------------------------------


def test_busy_refreshes_up_to_the_limit_publish_nothing(schedule: PollSchedule) -> None:
    for count in range(1, 6):
        assert poll(schedule, BUSY) == ()
        assert schedule.exceptions == count


def test_one_busy_refresh_over_the_limit_publishes_went_offline_and_the_count_restarts(
    schedule: PollSchedule,
) -> None:
    for _ in range(5):
        poll(schedule, BUSY)
    assert poll(schedule, BUSY) == (WENT_OFFLINE,)
    assert schedule.exceptions == 0 and schedule.offline


def test_polling_goes_on_offline_and_went_offline_comes_again_after_as_many(
    schedule: PollSchedule,
) -> None:
    events = [poll(schedule, BUSY) for _ in range(12)]
    assert [n for n, e in enumerate(events, 1) if e] == [6, 12]
    assert schedule.running and schedule.next_poll_at() is not None


def test_a_good_refresh_after_going_offline_publishes_back_online_and_reconnected(
    schedule: PollSchedule,
) -> None:
    for _ in range(6):
        poll(schedule, BUSY)
    assert poll(schedule, QUIET) == (BACK_ONLINE, RECONNECTED)
    assert not schedule.offline and schedule.exceptions == 0
    assert poll(schedule, QUIET) == ()


def test_a_good_refresh_sets_the_count_to_zero(schedule: PollSchedule) -> None:
    for _ in range(5):
        poll(schedule, BUSY)
    assert poll(schedule, NEWS) == ()
    assert schedule.exceptions == 0
    for _ in range(5):
        assert poll(schedule, BUSY) == ()


def test_back_online_follows_only_an_offline_event(schedule: PollSchedule) -> None:
    poll(schedule, BUSY)
    assert poll(schedule, QUIET) == ()


def test_a_limit_of_zero_goes_offline_at_the_first_busy_refresh(clock: Clock) -> None:
    schedule = PollSchedule(PollingOptions(exception_limit=0), clock)
    assert poll(schedule, BUSY) == (WENT_OFFLINE,)


@pytest.mark.parametrize("result", [UNREACHABLE, REFUSED])
def test_only_busy_refreshes_count_as_exceptions(
    schedule: PollSchedule, result: PollResult
) -> None:
    for _ in range(10):
        poll(schedule, result)
    assert schedule.exceptions == 0 and not schedule.offline


def test_reset_poll_exceptions_sets_the_count_to_zero_and_publishes_nothing(
    schedule: PollSchedule,
) -> None:
    for _ in range(4):
        poll(schedule, BUSY)
    schedule.reset_exceptions()
    assert schedule.exceptions == 0
    for _ in range(5):
        assert poll(schedule, BUSY) == ()


def test_reset_poll_exceptions_forgets_the_offline_event(schedule: PollSchedule) -> None:
    for _ in range(6):
        poll(schedule, BUSY)
    schedule.reset_exceptions()
    assert poll(schedule, QUIET) == ()


def test_a_restore_found_offline_is_back_online_at_the_first_good_refresh(
    schedule: PollSchedule,
) -> None:
    schedule.mark_offline()
    assert poll(schedule, QUIET) == (BACK_ONLINE, RECONNECTED)


# Reaching the server ------------------------------------------------------------------


def test_an_unanswered_refresh_publishes_disconnected_once_per_outage(
    schedule: PollSchedule,
) -> None:
    assert poll(schedule, UNREACHABLE) == (DISCONNECTED,)
    assert poll(schedule, UNREACHABLE) == ()
    assert schedule.call_unreachable() == ()


@pytest.mark.parametrize("result", [NEWS, QUIET])
def test_the_next_good_refresh_publishes_reconnected(
    schedule: PollSchedule, result: PollResult
) -> None:
    poll(schedule, UNREACHABLE)
    assert poll(schedule, result) == (RECONNECTED,)
    assert poll(schedule, UNREACHABLE) == (DISCONNECTED,)


def test_a_busy_refresh_ends_an_outage_and_still_counts(schedule: PollSchedule) -> None:
    poll(schedule, UNREACHABLE)
    assert poll(schedule, BUSY) == (RECONNECTED,)
    assert schedule.exceptions == 1


def test_an_http_error_does_not_end_an_outage(schedule: PollSchedule) -> None:
    poll(schedule, UNREACHABLE)
    assert poll(schedule, REFUSED) == ()
    assert schedule.unreachable


def test_any_other_call_starts_and_ends_an_outage_too(schedule: PollSchedule) -> None:
    assert schedule.call_unreachable() == (DISCONNECTED,)
    assert poll(schedule, UNREACHABLE) == ()
    assert schedule.call_answered() == (RECONNECTED,)
    assert schedule.call_answered() == ()


def test_recovering_from_an_outage_and_going_offline_at_once_publishes_reconnected_once(
    schedule: PollSchedule,
) -> None:
    for _ in range(6):
        poll(schedule, BUSY)
    poll(schedule, UNREACHABLE)
    assert poll(schedule, QUIET) == (BACK_ONLINE, RECONNECTED)


# Options ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_interval": 0}, "min_interval must be a number of seconds above 0; got 0."),
        ({"max_interval": 0.2}, "max_interval must be at least min_interval (0.5); got 0.2."),
        ({"multiplier": 1}, "multiplier must be a number above 1; got 1."),
        ({"exception_limit": -1}, "exception_limit must be a whole number from 0; got -1."),
        ({"exception_limit": True}, "exception_limit must be a whole number from 0; got True."),
    ],
)
def test_a_bad_option_is_one_sentence_naming_it(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        PollingOptions(**options)  # type: ignore[arg-type]
    assert str(raised.value) == message


def test_the_repr_says_where_polling_stands(schedule: PollSchedule) -> None:
    poll(schedule, BUSY)
    assert repr(schedule) == ("<PollSchedule running interval=0.600s in_flight=False exceptions=1>")
