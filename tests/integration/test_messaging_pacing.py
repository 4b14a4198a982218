"""MessagingService paces itself under the emulator's limits: the Join and the guest's
typing count toward the message rate, as the service counts every onMessage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cxbus_emulator import Emulator
from cxbus_messaging.testing import messaging_on

pytestmark = pytest.mark.integration


@pytest.fixture
def deployment(emulator: Emulator) -> Iterator[Emulator]:
    yield emulator
    emulator.messaging.clear_faults()


def test_a_burst_after_the_join_and_typing_is_paced_and_none_is_refused(
    deployment: Emulator, tmp_path: Path
) -> None:
    # The limits page (developer.genesys.cloud/organization/organization/limits): web
    # messaging messages per session per second; every onMessage counts, the Join and
    # a typing event too (the emulator counts them as the service does).
    deployment.messaging.set_deployment(auto_start=True)
    deployment.messaging.set_limits(messages_per_second=3)
    texts = [f"burst {n}" for n in range(8)]
    with messaging_on(deployment, tmp_path / "a.json", messagesPerSecond=3) as chat:
        chat("startConversation")
        chat("sendTyping")
        sends = [chat.bus.command("MessagingService.sendMessage", {"message": t}) for t in texts]
        for send in sends:
            send.result(timeout=30)  # each resolves on its echo: the server took it
        assert chat.data("error") == []
        inbound = deployment.messaging.describe(chat.session_id)["messages"]
    assert [m.get("text") for m in inbound if m.get("text")] == texts
