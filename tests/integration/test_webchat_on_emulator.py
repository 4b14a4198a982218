"""WebChatService on the real purecloud-v2-sockets transport, against the emulator over sockets."""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxbus import Bus, CommandRejected
from cxbus_emulator import Emulator
from cxbus_webchat.testing import ChatDriver
from cxbus_webchat.transports import attached_chat, event_stream


def config_for(emulator: Emulator, tmp_path: Path) -> dict[str, Any]:
    return {
        **emulator.webchat_config(),
        "sessionFile": str(tmp_path / "session.json"),
        "agentTypingTimeout": 0.3,
    }


@pytest.fixture
def chat(emulator: Emulator, tmp_path: Path) -> Iterator[ChatDriver]:
    """A chat started as Ada on the emulator, with agent Alex joined."""
    with Bus(config={"webchat": config_for(emulator, tmp_path)}) as bus:
        driver = ChatDriver(bus)
        driver("startChat", {"nickname": "Ada"})
        driver.wait("clientConnected")
        emulator.agent_join(conversation_of(driver), "Alex")
        driver.wait("agentConnected")
        yield driver


def conversation_of(chat: ChatDriver) -> str:
    return str(chat("getSessionData")["conversationId"])


def said(chat: ChatDriver, text: str) -> Any:
    """Wait until ``text`` is received in a messageReceived."""
    return chat.wait("messageReceived", lambda d: any(m["text"] == text for m in d["messages"]))


def assert_transcript_complete(chat: ChatDriver, texts: list[str]) -> None:
    """Every text once, in order, and no message id twice."""
    messages = chat("getTranscript")["messages"]
    assert [m["text"] for m in messages if m["type"] == "Message"] == texts
    ids = [m["original"].get("id") for m in messages if m["type"] == "Message"]
    assert len(ids) == len(set(ids))


def test_a_whole_chat_over_the_network(emulator: Emulator, chat: ChatDriver) -> None:
    """Typing, messages both ways, a hidden message, agent leaves, end: events and transcript."""
    # The guest stays alone once the agent leaves, to end the chat itself.
    emulator.configure(agent_leave_ends_chat=False)
    cid = conversation_of(chat)
    emulator.agent_typing(cid)
    chat.wait("agentTypingStarted")
    emulator.agent_send(cid, "Hi Ada, how can I help?")
    said(chat, "Hi Ada, how can I help?")
    chat.wait("agentTypingStopped")
    chat("sendMessage", {"message": "My invoice is wrong."})
    said(chat, "My invoice is wrong.")
    chat("sendFilteredMessage", {"message": "account 991-22", "regex": r"account \d+"})
    emulator.agent_send(cid, "Fixed.")
    said(chat, "Fixed.")
    assert [m.body for m in emulator.conversation(cid).messages][-2:] == [
        "account 991-22",
        "Fixed.",
    ]
    emulator.agent_leave(cid)
    left = chat.wait("agentDisconnected")
    assert left["numAgentsConnected"] == 0
    chat("endChat")
    chat.wait("ended")
    assert_transcript_complete(chat, ["Hi Ada, how can I help?", "My invoice is wrong.", "Fixed."])
    assert [a["name"] for a in chat("getAgents")] == ["Alex"]
    assert emulator.conversation(cid).guest.state == "DISCONNECTED"


def test_agent_typing_times_out_without_a_message(emulator: Emulator, chat: ChatDriver) -> None:
    """agentTypingTimeout when the agent types and sends nothing."""
    emulator.agent_typing(conversation_of(chat))
    chat.wait("agentTypingTimeout")


@pytest.mark.parametrize("how", ["drop", "socket_closing"])
def test_a_lost_stream_reconnects_and_nothing_is_lost_or_doubled(
    emulator: Emulator, chat: ChatDriver, how: str
) -> None:
    """disconnected, reconnected, then what was missed: each message once, in order."""
    cid = conversation_of(chat)
    emulator.agent_send(cid, "before")
    said(chat, "before")
    with stream_held_down(emulator):
        if how == "drop":
            emulator.drop_sockets(cid)
        else:
            emulator.close_with_notice(cid)
        chat.wait("disconnected")
        emulator.agent_send(cid, "while away 1")
        chat("sendMessage", {"message": "while away 2"})  # the guest talks on, over REST
    chat.wait("reconnected")
    said(chat, "while away 2")
    emulator.agent_send(cid, "after")
    said(chat, "after")
    names = chat.names()
    assert names.index("disconnected") < names.index("reconnected")
    assert_transcript_complete(chat, ["before", "while away 1", "while away 2", "after"])


@contextlib.contextmanager
def stream_held_down(emulator: Emulator) -> Iterator[None]:
    """Refuse every reattach of an event stream until the block ends."""
    emulator.fail_next("/v1/token/*", status=503, count=10_000)
    try:
        yield
    finally:
        emulator.clear_faults("/v1/token/*")


def test_a_stalled_stream_handshake_is_given_up_and_tried_again(
    emulator: Emulator, chat: ChatDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reattach whose handshake hangs is abandoned after HANDSHAKE_TIMEOUT; the next works."""
    monkeypatch.setattr(event_stream, "HANDSHAKE_TIMEOUT", 0.3)
    emulator.delay("/v1/token/*", 4.0)
    emulator.drop_sockets(conversation_of(chat))
    chat.wait("reconnected", timeout=3)  # not after the 4 s the stalled handshake would take


def test_an_agent_who_left_while_the_stream_was_down_is_reported(
    emulator: Emulator, chat: ChatDriver
) -> None:
    """Members are caught up too: the agent who left meanwhile is agentDisconnected."""
    # The guest stays alone once the agent leaves, so the chat lives on.
    emulator.configure(agent_leave_ends_chat=False)
    cid = conversation_of(chat)
    with stream_held_down(emulator):
        emulator.drop_sockets(cid)
        chat.wait("disconnected")
        emulator.agent_leave(cid)
    chat.wait("reconnected")
    assert chat.wait("agentDisconnected")["numAgentsConnected"] == 0
    assert [agent["connected"] for agent in chat("getAgents")] == [False]


def test_an_agent_who_joined_and_wrote_while_the_stream_was_down_joins_first(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The catch-up reports an agent who joined meanwhile before the messages they sent."""
    with Bus(config={"webchat": config_for(emulator, tmp_path)}) as bus:
        chat = ChatDriver(bus)
        chat("startChat", {"nickname": "Ada"})
        chat.wait("clientConnected")
        cid = conversation_of(chat)
        with stream_held_down(emulator):
            emulator.drop_sockets(cid)
            chat.wait("disconnected")
            emulator.agent_join(cid, "Sam")
            emulator.agent_send(cid, "Sam here")
        said(chat, "Sam here")
        names = chat.names()
        assert names[names.index("reconnected") :] == [
            "reconnected",
            "messageReceived",  # Sam joined the chat
            "agentConnected",
            "messageReceived",  # Sam here
        ]
        assert [agent["name"] for agent in chat("getAgents")] == ["Sam"]


def test_a_failed_catch_up_is_tried_again(
    emulator: Emulator, chat: ChatDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When fetching the missed messages fails, the catch-up runs again later: none lost."""
    monkeypatch.setattr(attached_chat, "CATCH_UP_RETRY", 0.1)
    cid = conversation_of(chat)
    with stream_held_down(emulator):
        emulator.drop_sockets(cid)
        chat.wait("disconnected")
        emulator.agent_send(cid, "while away")
        emulator.fail_next("*/messages", status=400)  # not retried: the catch-up fails at once
    chat.wait("reconnected")
    said(chat, "while away")
    emulator.agent_send(cid, "after")
    said(chat, "after")
    assert_transcript_complete(chat, ["while away", "after"])


@pytest.mark.parametrize(("status", "retry_after"), [(429, 1), (503, None)])
def test_refused_calls_are_retried(
    emulator: Emulator, chat: ChatDriver, status: int, retry_after: int | None
) -> None:
    """429 (after Retry-After) and 5xx are retried; the message is sent once."""
    emulator.fail_next("*/messages", status=status, retry_after=retry_after)
    chat("sendMessage", {"message": "persistent"})
    said(chat, "persistent")
    assert_transcript_complete(chat, ["persistent"])
    cid = conversation_of(chat)
    posted = emulator.conversation(cid).messages
    assert [m.body for m in posted if m.body_type == "standard"] == ["persistent"]


def test_a_retry_after_too_long_to_wait_fails_the_call_with_the_answer(
    emulator: Emulator, chat: ChatDriver
) -> None:
    """A 429 asking for an hour is not waited for: the command rejects with the 429."""
    emulator.fail_next("*/messages", status=429, retry_after=3600)
    assert chat.rejection("sendMessage", {"message": "later"})["status"] == 429


def test_a_500_fails_a_posted_message_at_once_but_a_read_is_retried(
    emulator: Emulator, chat: ChatDriver, tmp_path: Path
) -> None:
    """A 500 may come after the server posted the message: no retry, so never twice."""
    emulator.fail_next("*/messages", status=500)
    assert chat.rejection("sendMessage", {"message": "once"})["status"] == 500
    path = tmp_path / "note.txt"
    path.write_bytes(b"note")
    file_id = chat("sendFile", {"files": path})["fileId"]
    emulator.fail_next(f"/emulator/uploads/*/{file_id}", status=500)
    assert chat("downloadFile", {"fileId": file_id}) == b"note"


def test_a_slow_server_is_waited_for(emulator: Emulator, chat: ChatDriver) -> None:
    """A delayed answer still resolves the command."""
    emulator.delay("*/messages", 0.3)
    chat("sendMessage", {"message": "slowly"})
    said(chat, "slowly")


def test_a_4xx_rejects_with_the_error_body(emulator: Emulator, chat: ChatDriver) -> None:
    """A 4xx is not retried: the command rejects with the server's ErrorBody; error is published."""
    emulator.fail_next("*/messages", status=400)
    reason = chat.rejection("sendMessage", {"message": "refused"})
    assert reason["status"] == 400 and reason["message"] == "Injected by the emulator."
    assert str(reason) == "Injected by the emulator (400 emulator.fault)."
    chat.wait("error")


@pytest.mark.parametrize(
    ("option", "check"),
    [
        ("deploymentKey", "check webchat.transport.deploymentKey, the deployment's key."),
        ("orgGuid", "check webchat.transport.orgGuid, the id of the deployment's organization."),
    ],
)
def test_a_wrong_deployment_says_what_to_check(
    emulator: Emulator, tmp_path: Path, option: str, check: str
) -> None:
    """startChat with a wrong deployment key or organization: the server's ErrorBody, whose
    line (str) names the field, and the option to check (it was the dict's repr)."""
    config = config_for(emulator, tmp_path)
    config["transport"][option] = "0f0b1bbb-0000-0000-0000-000000000000"
    with Bus(config={"webchat": config}) as bus, pytest.raises(CommandRejected) as refused:
        bus.command("WebChatService.startChat", {"nickname": "Ada"}).result(timeout=10)
    reason = refused.value.reason
    assert reason["status"] == 400 and reason["code"] == "bad.request"
    line = str(refused.value)
    assert "\n" not in line and line.endswith(f"(400 bad.request): {check}"), line
    assert "0f0b1bbb" not in line  # the key is a secret: never in a message


def test_a_file_goes_up_as_a_media_request_and_comes_back_down(
    emulator: Emulator, chat: ChatDriver, tmp_path: Path
) -> None:
    """sendFile uploads the file, the chat holds it as a media request, downloadFile fetches it."""
    path = tmp_path / "receipt.pdf"
    path.write_bytes(b"%PDF-1.4 receipt")
    sent = chat("sendFile", {"files": path})
    assert sent == {
        "fileId": sent["fileId"],
        "name": "receipt.pdf",
        "contentType": "application/pdf",
        "size": 16,
    }
    [upload] = emulator.conversation(conversation_of(chat)).uploads.values()
    assert (upload.id, upload.name, upload.content_type) == (
        sent["fileId"],
        "receipt.pdf",
        "application/pdf",
    )
    assert chat("downloadFile", {"fileId": sent["fileId"]}) == b"%PDF-1.4 receipt"


def test_an_empty_file_comes_back_empty(chat: ChatDriver, tmp_path: Path) -> None:
    """downloadFile of an empty file gives b"", not nothing."""
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    file_id = chat("sendFile", {"files": path})["fileId"]
    assert chat("downloadFile", {"fileId": file_id}) == b""


def test_a_file_of_a_refused_type_rejects_with_the_error_body(
    chat: ChatDriver, tmp_path: Path
) -> None:
    """The page's invalid-type row: the server's ErrorBody, not retried."""
    path = tmp_path / "tool.exe"
    path.write_bytes(b"MZ")
    assert chat.rejection("sendFile", {"files": path})["status"] == 415


def test_a_file_over_the_server_s_limit_rejects_with_the_error_body(tmp_path: Path) -> None:
    """The page's size row: the server's 413 ErrorBody."""
    with (
        Emulator(demo_agent=False, max_upload_bytes=1024) as small,
        Bus(config={"webchat": config_for(small, tmp_path)}) as bus,
    ):
        chat = ChatDriver(bus)
        chat("startChat", {"nickname": "Ada"})
        path = tmp_path / "big.txt"
        path.write_bytes(b"x" * 1025)
        assert chat.rejection("sendFile", {"files": path})["status"] == 413


def test_a_file_over_the_transport_s_limit_is_refused_before_it_is_read_whole(
    chat: ChatDriver, tmp_path: Path
) -> None:
    """A file larger than the transport uploads is refused without sending a byte."""
    path = tmp_path / "huge.txt"
    path.write_bytes(b"x" * (10 * 2**20 + 1))
    assert chat.rejection("sendFile", {"files": path}) == (
        "sendFile sends files of up to 10485760 bytes; 'huge.txt' is larger."
    )


def test_uploads_beyond_the_chat_s_limit_reject(chat: ChatDriver, tmp_path: Path) -> None:
    """The page's "number of uploads is exceeded" row: the eleventh file is refused."""
    path = tmp_path / "note.txt"
    path.write_bytes(b"note")
    for _ in range(10):
        chat("sendFile", {"files": path})
    reason = chat.rejection("sendFile", {"files": path})
    assert (reason["status"], reason["code"]) == (403, "file.upload.limit")


def test_a_server_without_uploads_rejects_with_the_page_s_sentence(
    emulator: Emulator, chat: ChatDriver, tmp_path: Path
) -> None:
    """Where the upload path is not found (Genesys Cloud), sendFile says the transport has none."""
    path = tmp_path / "note.txt"
    path.write_bytes(b"note")
    emulator.fail_next("/emulator/uploads/*", status=404)
    assert chat.rejection("sendFile", {"files": path}) == (
        "This transport doesn't support file uploads."
    )


def test_a_malformed_frame_is_skipped(emulator: Emulator, chat: ChatDriver) -> None:
    """A frame that is not JSON is logged and skipped; the stream goes on."""
    cid = conversation_of(chat)
    emulator.send_malformed_frame(cid)
    emulator.agent_send(cid, "still flowing")
    said(chat, "still flowing")
    assert "disconnected" not in chat.names()


def test_a_chat_ended_by_the_other_side_ends(
    emulator: Emulator, chat: ChatDriver, tmp_path: Path
) -> None:
    """When the guest is disconnected by the other side, ended; no session data is left."""
    emulator.end_conversation(conversation_of(chat))
    chat.wait("ended")
    assert chat("verifySession") == {"sessionActive": False}
    chat.bus.close()  # returns once the chat's store work is done
    assert not (tmp_path / "session.json").exists()


def test_a_conversation_gone_while_disconnected_ends_on_reattach(
    emulator: Emulator, chat: ChatDriver, tmp_path: Path
) -> None:
    """A stream that cannot be reattached because the chat is over ends the chat."""
    cid = conversation_of(chat)
    emulator.fail_next("/v1/token/*", status=503, count=1)
    emulator.drop_sockets(cid)
    emulator.end_conversation(cid)
    chat.wait("ended")
    chat.bus.close()  # returns once the chat's store work is done
    assert not (tmp_path / "session.json").exists()


def test_no_secret_or_message_text_is_logged_at_info(
    emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """At INFO and above: no JWT, no deployment key, no message text; debug masks the JWT."""
    config = {"webchat": config_for(emulator, tmp_path)}
    with caplog.at_level(logging.DEBUG, logger="cxbus"), Bus(config=config) as bus:
        driver = ChatDriver(bus)
        driver("startChat", {"nickname": "Ada"})
        cid = conversation_of(driver)
        emulator.drop_sockets(cid)
        driver.wait("reconnected")
        driver("sendMessage", {"message": "my secret plan"})
        jwt = json.loads((tmp_path / "session.json").read_text())["session"]["jwt"]
        driver("endChat")
    assert jwt not in caplog.text
    assert emulator.deployment_key not in caplog.text
    loud = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "my secret plan" not in loud


RESTART = textwrap.dedent(
    """
    import json, sys
    from cxbus import Bus, CommandRejected
    from cxbus_webchat.testing import ChatDriver

    config = json.loads(sys.argv[1])
    with Bus(config={"webchat": config}) as bus:
        chat = ChatDriver(bus)
        if sys.argv[2] == "start":
            chat("startChat", {"nickname": "Ada"})
            chat.wait("clientConnected")
            chat("sendMessage", {"message": "first process"})
            chat.wait("messageReceived")
            print(chat("getSessionData")["conversationId"], flush=True)
            # The process exits here without endChat: the chat goes on without it.
        else:
            bus.load_plugin("WebChatService").result(timeout=10)
            chat.wait("restored", timeout=10)
            restored = [m["text"] for d in chat.data("messageReceived") for m in d["messages"]
                        if d["restoring"] and m["type"] == "Message"]
            chat("sendMessage", {"message": "second process"})
            chat.wait("messageReceived", lambda d: not d["restoring"])
            print(json.dumps(restored), flush=True)
            chat("endChat")
    """
)


def test_a_chat_started_in_one_process_is_restored_in_another(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A real second process restores the chat, gets what it missed, and goes on."""
    config = json.dumps(config_for(emulator, tmp_path))
    first = subprocess.run(
        [sys.executable, "-c", RESTART, config, "start"], capture_output=True, text=True, timeout=60
    )
    assert first.returncode == 0, first.stderr
    cid = first.stdout.strip()
    emulator.agent_join(cid, "Alex")
    emulator.agent_send(cid, "sent while no process was there")
    second = subprocess.run(
        [sys.executable, "-c", RESTART, config, "restore"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == ["first process", "sent while no process was there"]
    said = [m.body for m in emulator.conversation(cid).messages if m.body_type == "standard"]
    assert said[-1] == "second process"


def test_messages_keep_the_server_s_order_while_a_catch_up_is_owed(
    emulator: Emulator, chat: ChatDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message that arrives live while the catch-up keeps failing waits for the ones
    before it: the transcript reads 1, 2, 3 as the server has them, never 1, 3, 2."""
    monkeypatch.setattr(attached_chat, "CATCH_UP_RETRY", 0.1)
    cid = conversation_of(chat)
    emulator.agent_send(cid, "1")
    said(chat, "1")
    with stream_held_down(emulator):
        emulator.drop_sockets(cid)
        chat.wait("disconnected")
        emulator.agent_send(cid, "2")
        emulator.fail_next("*/messages", status=400, count=10_000)  # the catch-up keeps failing
    chat.wait("reconnected")
    emulator.agent_send(cid, "3")  # live, while the catch-up is owed
    chat.forget_events()
    emulator.drop_sockets(cid)  # its drop comes after 3 on the socket: once it is out,
    chat.wait("disconnected")  # 3 has been handled, and must not have been shown yet
    assert not [m for d in chat.data("messageReceived") for m in d["messages"]]
    emulator.clear_faults("*/messages")
    said(chat, "3")
    assert_transcript_complete(chat, ["1", "2", "3"])


@pytest.fixture
def vanished(tmp_path: Path) -> Iterator[tuple[Bus, ChatDriver, str]]:
    """A chat started on a server that then stopped (a 2 s timeout); the sentence that
    says the server could not be reached."""
    with Emulator(demo_agent=False) as vanishing:
        config = {
            **config_for(vanishing, tmp_path),
            "transport": {**vanishing.webchat_config()["transport"], "timeout": 2.0},
        }
        with Bus(config={"webchat": config}) as bus:
            chat = ChatDriver(bus)
            chat("startChat", {"nickname": "Ada"})
            vanishing.stop()
            yield bus, chat, f"The chat server at {vanishing.data_url} could not be reached."


def test_a_chat_whose_server_vanished_ends_here_and_says_the_server_was_not_told(
    vanished: tuple[Bus, ChatDriver, str],
) -> None:
    """The guest can always end their chat; every failure is one sentence."""
    bus, chat, unreachable = vanished
    sending = bus.command("WebChatService.sendMessage", {"message": "anyone?"})
    with pytest.raises(CommandRejected) as refused:  # after its retries, ~8 s
        sending.result(timeout=30)
    assert refused.value.reason == unreachable
    assert chat.rejection("endChat") == (
        f"The chat has ended here, but the chat server could not be told: {unreachable}"
    )
    chat.wait("ended")
    assert chat("verifySession") == {"sessionActive": False}


def test_endchat_on_a_vanished_server_does_not_wait_behind_the_calls_under_way(
    vanished: tuple[Bus, ChatDriver, str],
) -> None:
    """A send still retrying against a dead server does not hold the guest's leaving."""
    bus, _, _ = vanished
    settled: list[str] = []
    sending = bus.command("WebChatService.sendMessage", {"message": "anyone?"})
    sending.always(lambda _: settled.append("sendMessage"))
    ending = bus.command("WebChatService.endChat")
    ending.always(lambda _: settled.append("endChat"))
    for answer in (ending, sending):
        with pytest.raises(CommandRejected):
            answer.result(timeout=30)
    assert settled == ["endChat", "sendMessage"]
