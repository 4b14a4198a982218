"""WebChatService in GMS mode (no transport section), polling the emulator's GMS Chat API
v2 over sockets: every command and event of the page as the widgets' GMS module has them."""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

import pytest

from cxbus import Bus, CommandRejected
from cxbus.runtime import threads as runtime_module
from cxbus_emulator import Emulator
from cxbus_emulator.gms import FileLimits
from cxbus_webchat.testing import ChatDriver

from .gms_chat import chat_id, gms_chat, message_texts, private, said

pytestmark = pytest.mark.integration


@pytest.fixture
def chat(emulator: Emulator, tmp_path: Path) -> ChatDriver:
    """A chat started as Ada, with agent Kate joined."""
    with gms_chat(emulator, tmp_path) as driver:
        driver("startChat", {"nickname": "Ada"})
        driver.wait("clientConnected")
        emulator.gms.agent_join(chat_id(driver), "Kate")
        driver.wait("agentConnected")
        yield driver


def test_a_whole_gms_chat_over_the_network(emulator: Emulator, tmp_path: Path) -> None:
    with gms_chat(emulator, tmp_path) as chat:
        session = chat("startChat", {"nickname": "Ada", "subject": "invoice"})
        assert set(session) == {"secureKey", "sessionID", "alias", "userId"}
        assert chat.data("started") == [session]
        chat.wait("pollingStarted")
        chat.wait("clientConnected")
        cid = chat_id(chat)
        server = emulator.gms.chat(cid)
        assert server.secure_key == session["secureKey"] and server.subject == "invoice"
        emulator.gms.agent_join(cid, "Kate")
        joined = chat.wait("agentConnected", timeout=10)
        assert joined["numAgentsConnected"] == 1 and joined["message"]["from"]["name"] == "Kate"
        emulator.gms.agent_typing(cid)
        chat.wait("agentTypingStarted", timeout=10)
        emulator.gms.agent_send(cid, "Hello, how can I help?")
        said(chat, "Hello, how can I help?")
        chat.wait("agentTypingStopped")
        reply = chat("sendMessage", {"message": "My invoice is wrong."})
        assert reply["statusCode"] == 0 and reply["secureKey"] == "***"
        said(chat, "My invoice is wrong.")
        emulator.gms.agent_leave(cid)
        assert chat.wait("agentDisconnected", timeout=10)["numAgentsConnected"] == 0
        chat("endChat")
        chat.wait("ended")
        names = chat.names()
        assert names.index("pollingStopped") < names.index("ended")
        assert names.index("clientDisconnected") < names.index("ended")
        assert message_texts(chat) == ["Hello, how can I help?", "My invoice is wrong."]
        assert [a["name"] for a in chat("getAgents")] == ["Kate"]
        assert server.ended
        assert chat("getSessionData") == {}


def test_a_supervisor_joining_and_leaving_is_told_as_a_supervisor(
    emulator: Emulator, chat: ChatDriver
) -> None:
    cid = chat_id(chat)
    emulator.gms.agent_leave(cid)
    chat.wait("agentDisconnected", timeout=10)
    emulator.gms.agent_join(cid, "Sam", kind="Supervisor")
    joined = chat.wait("supervisorConnected", timeout=10)
    assert joined["numAgentsConnected"] == 1
    assert joined["message"]["from"] == {"name": "Sam", "type": "Supervisor"}
    sam = next(agent for agent in chat("getAgents") if agent["name"] == "Sam")
    assert sam["supervisor"] is True and sam["connected"] is True
    emulator.gms.agent_leave(cid)
    assert chat.wait("supervisorDisconnected", timeout=10)["numAgentsConnected"] == 0


def test_messages_keep_their_gms_fields_and_the_page_shape(
    emulator: Emulator, chat: ChatDriver
) -> None:
    emulator.gms.agent_send(chat_id(chat), "fields")
    received = said(chat, "fields")
    assert set(received) == {
        "originalMessages",
        "messages",
        "restoring",
        "sessionData",
        "idleTimeCountDown",
    }
    assert received["restoring"] is False and received["idleTimeCountDown"] is None
    assert received["sessionData"]["sessionID"] == chat_id(chat)
    original = received["originalMessages"][0]
    assert original["type"] == "Message" and original["from"]["type"] == "Agent"
    assert received["messages"][0]["from"] == {"name": "Kate", "type": "Agent"}


def test_typing_custom_notice_and_user_data_reach_the_server(
    emulator: Emulator, chat: ChatDriver
) -> None:
    server = emulator.gms.chat(chat_id(chat))
    chat("sendTyping")
    chat.wait("clientTypingStarted")
    chat("sendCustomNotice", {"message": "screen shared"})
    assert chat("updateUserData", {"plan": "gold"})["statusCode"] == 0
    kinds = [(m.type, m.text) for m in server.transcript]
    assert ("TypingStarted", None) in kinds and ("CustomNotice", "screen shared") in kinds
    assert server.user_data["plan"] == "gold"


def test_user_data_before_a_chat_is_merged_and_sent_at_the_start(
    emulator: Emulator, tmp_path: Path
) -> None:
    with gms_chat(emulator, tmp_path, userData={"customerId": "59606"}) as chat:
        assert chat("updateUserData", {"plan": "gold"}) == {"customerId": "59606", "plan": "gold"}
        chat("startChat", {"nickname": "Ada", "userData": {"topic": "billing"}})
        server = emulator.gms.chat(chat_id(chat))
        assert server.user_data == {"customerId": "59606", "plan": "gold", "topic": "billing"}


def test_a_refused_start_names_the_missing_field(emulator: Emulator, tmp_path: Path) -> None:
    with gms_chat(emulator, tmp_path) as chat:
        reason = chat.rejection("startChat", {})
        assert "needs a nickname, or a first and a last name (code 161" in reason
        assert chat("verifySession") == {"sessionActive": False}


# Polling commands -----------------------------------------------------------------------


def test_stop_and_start_poll_publish_what_the_widgets_publish(
    emulator: Emulator, chat: ChatDriver
) -> None:
    chat.forget_events()
    chat("stopPoll")  # resolves once no refresh is under way
    assert chat.rejection("stopPoll") == "Not currently polling. Ignoring command."
    assert chat.names() == ["pollingStopped"]
    emulator.gms.agent_send(chat_id(chat), "while not polling")
    chat("startPoll")
    said(chat, "while not polling")
    assert chat.names()[:2] == ["pollingStopped", "pollingStarted"]


def test_poll_answers_with_the_reply_and_refuses_while_one_is_in_flight(
    emulator: Emulator, chat: ChatDriver
) -> None:
    chat("stopPoll")
    emulator.gms.agent_send(chat_id(chat), "polled")
    reply = private(chat, "poll").result(timeout=10)
    assert reply["statusCode"] == 0 and reply["secureKey"] == "***"
    said(chat, "polled")
    emulator.gms.delay("*/refresh", 1.0)
    first = private(chat, "poll")
    with pytest.raises(CommandRejected) as refused:
        private(chat, "poll").result(timeout=10)
    assert refused.value.reason == "previous poll has not finished"
    assert first.result(timeout=10)["statusCode"] == 0


def test_a_send_does_not_wait_for_a_slow_poll(emulator: Emulator, chat: ChatDriver) -> None:
    chat("stopPoll")
    emulator.gms.delay("*/refresh", 3.0)
    slow = private(chat, "poll")
    chat("sendMessage", {"message": "not held up"})
    assert slow.state == "pending"
    assert slow.result(timeout=10)["statusCode"] == 0


def test_poll_is_private(chat: ChatDriver) -> None:
    assert chat.rejection("poll") == (
        "Access Denied to private command. Only WebChatService is allowed to invoke this command."
    )


def test_polling_commands_with_no_chat(emulator: Emulator, tmp_path: Path) -> None:
    with gms_chat(emulator, tmp_path) as chat:
        assert chat.rejection("startPoll") == "No active chat session."
        assert chat.rejection("stopPoll") == "No active chat session."
        assert chat("resetPollExceptions") is None


def test_polling_commands_on_genesys_cloud_still_reject(emulator: Emulator, tmp_path: Path) -> None:
    with Bus(config={"webchat": emulator.webchat_config()}) as bus:
        chat = ChatDriver(bus)
        for command in ("startPoll", "stopPoll"):
            assert chat.rejection(command) == "This transport doesn't support polling."
        assert chat.rejection("resetPollExceptions") == (
            "This transport doesn't support resetPollExceptions command."
        )
        with pytest.raises(CommandRejected, match="This transport doesn't support polling."):
            private(chat, "poll").result(timeout=10)


# Files --------------------------------------------------------------------------------------


def test_a_file_is_sent_shown_and_downloaded(
    emulator: Emulator, chat: ChatDriver, tmp_path: Path
) -> None:
    source = tmp_path / "invoice.pdf"
    source.write_bytes(b"%PDF-1.4 invoice")
    reply = chat("sendFile", {"files": str(source)})
    file_id = reply["userData"]["file-id"]
    shown = chat.wait(
        "messageReceived",
        lambda d: any(m["type"] == "FileUploaded" for m in d["messages"]),
        timeout=10,
    )
    uploaded = next(m for m in shown["originalMessages"] if m["type"] == "FileUploaded")
    assert uploaded["userData"]["file-name"] == "invoice.pdf"
    assert chat("downloadFile", {"fileId": file_id}) == b"%PDF-1.4 invoice"
    target = tmp_path / "copy.pdf"
    assert chat("downloadFile", {"fileId": file_id, "path": str(target)}) == str(target)
    assert target.read_bytes() == b"%PDF-1.4 invoice"


@pytest.mark.parametrize(
    ("limits", "name", "size", "sentence"),
    [
        (FileLimits(), "tool.exe", 10, "The file sent is an invalid type."),
        (FileLimits(upload_max_files=0), "a.txt", 10, "The number of uploads is exceeded."),
        (FileLimits(upload_max_total_size=5), "a.txt", 10, "The file size exceeds the limit."),
    ],
    ids=["type", "count", "size"],
)
def test_a_refused_file_rejects_with_the_pages_row(
    emulator: Emulator,
    tmp_path: Path,
    limits: FileLimits,
    name: str,
    size: int,
    sentence: str,
) -> None:
    emulator.gms.set_file_limits(limits)
    try:
        with gms_chat(emulator, tmp_path) as chat:
            chat("startChat", {"nickname": "Ada"})
            source = tmp_path / name
            source.write_bytes(b"x" * size)
            reason = chat.rejection("sendFile", {"files": str(source)})
            assert reason["message"] == sentence and reason["filename"] == name
            assert reason["response"]["statusCode"] == 1
    finally:
        emulator.gms.set_file_limits(FileLimits())


def test_an_upload_cut_off_is_the_unknown_error_row(
    emulator: Emulator, chat: ChatDriver, tmp_path: Path
) -> None:
    emulator.gms.cut_connection("*/file")
    source = tmp_path / "a.txt"
    source.write_bytes(b"text")
    reason = chat.rejection("sendFile", {"files": str(source)})
    assert reason == {
        "message": "The file size is too large or an unknown error occurs.",
        "filename": "a.txt",
        "errorReason": "FileUploadError",
    }


def test_the_typing_countdown_tells_the_server_typing_stopped(
    emulator: Emulator, tmp_path: Path
) -> None:
    with gms_chat(emulator, tmp_path, clientTypingTimeout=0.05) as chat:
        chat("startChat", {"nickname": "Ada"})
        chat("sendTyping")
        chat.wait("clientTypingStopped")
        emulator.gms.wait_for(chat_id(chat), lambda c: c.transcript[-1].type == "TypingStopped")


def test_an_idle_alert_carries_the_countdown_and_idle_close_ends_the_chat(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.gms.set_idle(alert_after=0.05, close_after=0.5)
    try:
        with gms_chat(emulator, tmp_path) as chat:
            chat("startChat", {"nickname": "Ada"})
            alert = chat.wait(
                "messageReceived",
                lambda d: any(m["type"] == "IdleAlert" for m in d["messages"]),
                timeout=10,
            )
            assert isinstance(alert["idleTimeCountDown"], int)
            chat.wait("ended", timeout=10)
            types = [m["type"] for m in chat("getTranscript")["messages"]]
            assert types.index("IdleAlert") < types.index("IdleClose")
    finally:
        emulator.gms.set_idle(alert_after=300.0, close_after=60.0)


def test_many_chats_poll_on_the_shared_threads_only(emulator: Emulator, tmp_path: Path) -> None:
    """No thread per chat: 30 chats polling add no thread outside the shared loop and pools."""
    shared = ("cxbus-loop", "cxbus-io", "cxbus-delivery", "cxbus-answers")

    def others() -> set[int | None]:
        return {t.ident for t in threading.enumerate() if not t.name.startswith(shared)}

    before = others()
    with contextlib.ExitStack() as stack:
        chats = []
        for number in range(30):
            chat = stack.enter_context(gms_chat(emulator, tmp_path / str(number)))
            chat("startChat", {"nickname": f"Guest {number}"})
            chats.append(chat)
        for chat in chats:
            emulator.gms.agent_join(chat_id(chat), "Kate")
        for chat in chats:
            chat.wait("agentConnected", timeout=20)
        assert others() == before
        assert len([t for t in threading.enumerate() if t.name.startswith(shared)]) <= (
            1 + runtime_module.IO_THREADS + 2 * runtime_module.USER_THREADS_MOST
        )


def test_a_closed_port_refuses_the_start_in_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    section = {
        "dataURL": f"http://127.0.0.1:{port}/genesys/2/chat/customer-support",
        "sessionFile": str(tmp_path / "session.json"),
    }
    with Bus(config={"webchat": section}) as bus:
        chat = ChatDriver(bus)
        reason = chat.rejection("startChat", {"nickname": "Ada"})
        assert reason.startswith("The chat server could not be reached for requestChat")
        assert chat("verifySession") == {"sessionActive": False}
