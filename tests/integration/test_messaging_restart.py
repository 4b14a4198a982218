"""A restarted program resumes its Web Messaging conversation: a second process, one file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cxbus import Bus, CommandRejected
from cxbus_emulator import Emulator
from cxbus_messaging import FileSessionStore
from cxbus_messaging.testing import messaging_on

pytestmark = pytest.mark.integration

# The first program: it says something, and ends with its conversation open.
FIRST_PROGRAM = """
import json, sys, threading
from cxbus import Bus

echoed = threading.Event()
with Bus(config={"messaging": json.loads(sys.argv[1])}) as bus:
    me = bus.register_plugin("Me")
    me.subscribe(
        "MessagingService.messagesReceived",
        lambda e: e.data["messages"][0].get("text") == "before the restart" and echoed.set(),
    )
    bus.command("MessagingService.sendMessage", {"message": "before the restart"}).result(10)
    assert echoed.wait(10), "no echo"
"""


def test_a_second_process_resumes_the_conversation_with_its_history(
    emulator: Emulator, tmp_path: Path
) -> None:
    session_file = tmp_path / "session.json"
    config = {**emulator.messaging_config(), "sessionFile": str(session_file)}
    subprocess.run(
        [sys.executable, "-c", FIRST_PROGRAM, json.dumps(config)],
        check=True,
        timeout=60,
        capture_output=True,
    )
    stored = FileSessionStore(session_file).load()
    assert stored is not None and session_file.stat().st_mode & 0o777 == 0o600
    session_id = emulator.messaging.session_id(stored.token)
    emulator.messaging.agent_send(session_id, "while it was away")
    with messaging_on(emulator, session_file) as resumed:
        restored = resumed.wait("restored")
        assert [m["text"] for m in restored["messages"]] == [
            "while it was away",
            "before the restart",
        ]
        assert resumed.names()[:2] == ["ready", "restoring"]
        assert resumed.data("started") == [{**resumed.data("started")[0], "newSession": False}]
        assert resumed.session_id == session_id
        resumed.agent_send("welcome back")
        assert resumed.texts() == ["welcome back"]
        assert resumed.rejection("startConversation") == "There is already an active conversation"


def test_a_session_file_is_claimed_by_one_bus_at_a_time(emulator: Emulator, tmp_path: Path) -> None:
    config = {**emulator.messaging_config(), "sessionFile": str(tmp_path / "session.json")}
    with Bus(config={"messaging": config}) as first, Bus(config={"messaging": config}) as second:
        first.load_plugin("MessagingService").result(timeout=10)
        with pytest.raises(CommandRejected, match="in use by another bus or process"):
            second.load_plugin("MessagingService").result(timeout=10)
