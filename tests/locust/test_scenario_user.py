"""Locust, headless, plays scenario files with ScenarioUser against the emulator (under
gevent, as Locust runs them): each reply is an ``expect`` statistic, each unmet one a
failure, each play a ``scenario`` statistic, the files played by their weights, and every
conversation ended on the emulator afterwards."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from cxbus_emulator import Emulator

from .test_chat_users import run_locust

LOCUSTFILE = textwrap.dedent(
    """
    import json
    from pathlib import Path

    from locust import constant

    from cxbus_locust import ScenarioUser

    class Customer(ScenarioUser):
        scenarios = {"colours.scenario.yaml": 3, "order.scenario.yaml": 1}
        config = json.loads(Path("messaging.json").read_text())
        wait_time = constant(0.1)
    """
)

COLOURS = """\
name: colours
steps:
  - say: options
  - expect: {quick_replies: [Red, Green, Blue]}
  - choose: Green
  - expect: {equals: You chose Green.}
"""

ORDER = """\
name: order status
steps:
  - say: Where is my order?
  - expect: {contains: order number, within: 0.3}
"""


@pytest.mark.integration
@pytest.mark.slow
def test_each_reply_is_a_statistic_and_each_unmet_one_a_failure(tmp_path: Path) -> None:
    (tmp_path / "colours.scenario.yaml").write_text(COLOURS)
    (tmp_path / "order.scenario.yaml").write_text(ORDER)
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    with Emulator(agent_join_delay=0.05, agent_typing_delay=0.02) as emulator:
        (tmp_path / "messaging.json").write_text(json.dumps(emulator.messaging_config()))
        stats = run_locust(tmp_path, users=4, seconds=6, failing=True)
        left_open = emulator.open_conversations()
    offered = stats["colours #2 expect: {quick_replies: [Red, Green, Blue]}"]
    chosen = stats["colours #4 expect: {equals: You chose Green.}"]
    unmet = stats["order status #2 expect: {contains: order number, within: 0.3}"]
    assert offered["method"] == "expect" and offered["num_failures"] == 0
    assert offered["num_requests"] > 0 and offered["total_response_time"] > 0
    assert chosen["num_requests"] > 0 and chosen["num_failures"] == 0
    assert unmet["num_requests"] == unmet["num_failures"] > 0
    assert stats["colours"]["method"] == "scenario" and stats["colours"]["num_failures"] == 0
    assert stats["order status"]["num_failures"] == stats["order status"]["num_requests"]
    # Weighted 3 to 1: colours is played more often.
    assert stats["colours"]["num_requests"] > stats["order status"]["num_requests"]
    assert left_open == {"webchat": 0, "gms": 0, "messaging": 0}
