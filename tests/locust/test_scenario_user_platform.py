"""ScenarioUser with a ``platform`` section, under Locust against an emulator whose flow
sets participant data and whose deployment does not let the guest clear: the data is
asserted, and every conversation is disconnected through the platform afterwards."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from cxbus_emulator import Emulator

from .test_chat_users import run_locust

ORDER_STATUS = Path(__file__).resolve().parents[2] / "docs" / "examples" / "order-status.yaml"
LOCUSTFILE = textwrap.dedent(
    """
    import json
    from pathlib import Path

    from locust import constant

    from cxbus_locust import ScenarioUser

    class Customer(ScenarioUser):
        scenarios = ["order.scenario.yaml"]
        config = json.loads(Path("messaging.json").read_text())
        platform = json.loads(Path("platform.json").read_text())
        wait_time = constant(0.1)
    """
)
ORDER = """\
name: order status
steps:
  - say: Track my order
  - expect: {contains: order number}
  - say: "12345"
  - expect: {participant_data: {intent: order-status, order_number: "12345"}}
"""


@pytest.mark.integration
@pytest.mark.slow
def test_participant_data_is_asserted_and_every_conversation_disconnected(
    tmp_path: Path,
) -> None:
    (tmp_path / "order.scenario.yaml").write_text(ORDER)
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    with Emulator(flow=ORDER_STATUS, agent_join_delay=0.05, agent_typing_delay=0.02) as emulator:
        emulator.messaging.disable_clear()  # the guest cannot end its conversation itself
        (tmp_path / "messaging.json").write_text(json.dumps(emulator.messaging_config()))
        (tmp_path / "platform.json").write_text(json.dumps(emulator.platform_config()))
        stats = run_locust(tmp_path, users=3, seconds=4)
        left_open = emulator.open_conversations()
        played = len(emulator.messaging.sessions())
    assert stats["order status"]["num_requests"] > 0
    assert stats["order status"]["num_failures"] == 0
    assert played >= stats["order status"]["num_requests"]
    assert left_open == {"webchat": 0, "gms": 0, "messaging": 0}
