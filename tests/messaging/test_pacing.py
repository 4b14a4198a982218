"""The pacer keeps requests under the service's rate limits: no thread, the clock given."""

from __future__ import annotations

from cxbus_messaging.guest_api import actions
from cxbus_messaging.pacing import Pacer

MESSAGE = actions.on_message("token", actions.text_message("hi"))
JWT = actions.get_jwt("token")


def send_burst(pacer: Pacer, count: int, request: object = MESSAGE) -> list[float]:
    """When each of ``count`` requests goes, sent as soon as the pacer allows."""
    now, times = 0.0, []
    for _ in range(count):
        now += pacer.wait(MESSAGE if request is MESSAGE else JWT, now)
        pacer.sent(MESSAGE if request is MESSAGE else JWT, now)
        times.append(now)
    return times


def most_in_any(times: list[float], seconds: float) -> int:
    return max(sum(1 for t in times if start <= t < start + seconds) for start in times)


def test_messages_go_at_most_four_in_any_second_under_the_five_a_second_limit() -> None:
    times = send_burst(Pacer.under(60, 5), 20)
    assert most_in_any(times, 1.0) <= 4
    assert times[:4] == [0.0] * 4  # a burst starts at once


def test_requests_go_at_most_54_in_any_minute_under_the_60_a_minute_limit() -> None:
    times = send_burst(Pacer.under(60, 100), 120, JWT)
    assert most_in_any(times, 60.0) <= 54
    assert most_in_any(times, 66.0) <= 54  # the window is counted 10 % longer


def test_a_429_pauses_every_request_for_its_retryafter() -> None:
    pacer = Pacer.under(60, 5)
    pacer.pause(3, now=10.0)
    assert pacer.wait(JWT, 10.0) == 3.0
    assert pacer.wait(MESSAGE, 12.0) == 1.0
    assert pacer.wait(JWT, 13.0) == 0.0


def test_a_new_connection_counts_requests_afresh_but_not_the_sessions_messages() -> None:
    pacer = Pacer.under(6, 2)
    for _ in range(5):
        pacer.sent(JWT, 0.0)
    pacer.sent(MESSAGE, 0.0)
    assert pacer.wait(JWT, 0.0) > 0 and pacer.wait(MESSAGE, 0.0) > 0
    pacer.new_connection()
    assert pacer.wait(JWT, 0.0) == 0.0
    assert pacer.wait(MESSAGE, 0.0) > 0
