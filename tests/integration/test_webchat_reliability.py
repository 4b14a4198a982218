"""What a reliability review of WebChatService found on the wire, each pinned over real
sockets against the emulator: certificates, restores that fail, frames that are bad."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxbus import Bus, CommandRejected
from cxbus_emulator import Emulator
from cxbus_webchat.testing import ChatDriver

from .conftest import TlsEmulator

pytestmark = pytest.mark.integration


def with_ca_bundle(emulator: Emulator, bundle: Path) -> dict[str, Any]:
    webchat = emulator.webchat_config()
    return {**webchat, "transport": {**webchat["transport"], "caBundle": str(bundle)}}


def test_cabundle_wins_over_the_environment_and_an_untrusted_server_gets_nothing(
    tls: TlsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, signer, stranger = tls.emulator, tls.signer, tls.stranger
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(signer))  # the environment trusts it...
    untrusted = with_ca_bundle(emulator, stranger)  # ...caBundle does not
    mark = emulator.requests_served()
    with (
        Bus(config={"webchat": untrusted}) as bus,
        pytest.raises(CommandRejected, match="could not be reached"),
    ):
        bus.command("WebChatService.startChat", {"nickname": "Ada"}).result(timeout=30)
    assert not [r for r in emulator.requests_seen(mark) if r[:2] == ("POST", CREATE)]


def test_cabundle_verifies_the_server_on_rest_and_on_the_stream(
    tls: TlsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, signer, stranger = tls.emulator, tls.signer, tls.stranger
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(stranger))  # the environment does not trust it
    with Bus(config={"webchat": with_ca_bundle(emulator, signer)}) as bus:
        chat = ChatDriver(bus)
        session = chat("startChat", {"nickname": "Ada"})
        chat.wait("clientConnected")
        assert emulator.sockets(session["conversationId"]) == 1


CREATE = "/api/v2/webchat/guest/conversations"


def test_a_failed_restore_leaves_no_stream_attached(emulator: Emulator, tmp_path: Path) -> None:
    config = {**emulator.webchat_config(), "sessionFile": str(tmp_path / "session.json")}
    with Bus(config={"webchat": config}) as first:
        cid = ChatDriver(first)("startChat", {"nickname": "Ada"})["conversationId"]
    assert emulator.wait_for_sockets(cid, 0)
    emulator.fail_next("*/messages", status=400, count=100)  # the history cannot be read
    with Bus(config={"webchat": {**config, "autoRestore": False}}) as second:
        chat = ChatDriver(second)
        with pytest.raises(CommandRejected):
            chat("restore")
        chat.wait("restoreFailed")
        assert emulator.wait_for_sockets(cid, 0)


@pytest.fixture
def chat(emulator: Emulator) -> Iterator[ChatDriver]:
    with Bus(config={"webchat": emulator.webchat_config()}) as bus:
        driver = ChatDriver(bus)
        driver("startChat", {"nickname": "Ada"})
        driver.wait("clientConnected")
        emulator.agent_join(str(driver("getSessionData")["conversationId"]), "Alex")
        driver.wait("agentConnected")
        yield driver


def message_frame(cid: str, body: dict[str, Any]) -> str:
    return json.dumps(
        {
            "topicName": f"v2.conversations.chats.{cid}.messages",
            "version": "2",
            "eventBody": body,
            "metadata": {"type": "message"},
        }
    )


def test_bad_frames_are_skipped_with_few_warnings_and_nothing_escapes(
    emulator: Emulator, chat: ChatDriver, caplog: pytest.LogCaptureFixture
) -> None:
    cid = str(chat("getSessionData")["conversationId"])
    bad: list[str | bytes] = [
        "{not json",
        "[" * 100_000,  # deeper than json can go
        b"\xff\xfe\xfd",  # a binary frame that is not UTF-8
        "[1, 2]",
        message_frame(cid, {"id": "m1", "sender": 5}),  # a frame of the wrong shape
    ]
    with caplog.at_level(logging.INFO, logger="cxbus"):
        for _ in range(40):
            for frame in bad:
                emulator.send_frame(cid, frame)
        emulator.agent_send(cid, "still flowing")
        chat.wait("messageReceived", lambda d: d["messages"][-1]["text"] == "still flowing")
    assert "disconnected" not in chat.names()
    records = [r for r in caplog.records if r.name.startswith("cxbus")]
    assert [r for r in records if r.levelno >= logging.ERROR] == []
    assert not any(r.exc_info for r in records)
    assert len([r for r in records if r.levelno == logging.WARNING]) <= 20  # of 200 bad frames


def test_the_environment_s_ca_bundle_verifies_the_server_when_cabundle_is_not_given(
    tls: TlsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, signer = tls.emulator, tls.signer
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(signer))
    with Bus(config={"webchat": emulator.webchat_config()}) as bus:
        chat = ChatDriver(bus)
        session = chat("startChat", {"nickname": "Ada"})
        chat.wait("clientConnected")
        assert emulator.sockets(session["conversationId"]) == 1


@pytest.mark.parametrize("sender", ["..", "."])
def test_a_sender_id_of_dots_is_a_bad_frame_and_no_request_climbs_a_level(
    emulator: Emulator, chat: ChatDriver, sender: str
) -> None:
    cid = str(chat("getSessionData")["conversationId"])
    mark = emulator.requests_served()
    emulator.send_frame(
        cid, message_frame(cid, {"id": "m2", "sender": {"id": sender}, "body": "x"})
    )
    emulator.agent_send(cid, "after")
    chat.wait("messageReceived", lambda d: d["messages"][-1]["text"] == "after")
    conversation = f"/api/v2/webchat/guest/conversations/{cid}"
    climbed = {
        conversation,
        conversation + "/",
        conversation + "/members",
        conversation + "/members/",
    }
    assert not [p for _, p, _ in emulator.requests_seen(mark) if p.split("?")[0] in climbed]
    assert "x" not in [m["text"] for m in chat("getTranscript")["messages"]]


def test_a_sender_id_from_a_frame_cannot_reach_another_path(
    emulator: Emulator, chat: ChatDriver
) -> None:
    cid = str(chat("getSessionData")["conversationId"])
    mark = emulator.requests_served()
    escape = f"../../../../../emulator/conversations/{cid}"
    emulator.send_frame(
        cid, message_frame(cid, {"id": "m2", "sender": {"id": escape}, "body": "x"})
    )
    emulator.agent_send(cid, "after")
    chat.wait("messageReceived", lambda d: d["messages"][-1]["text"] == "after")
    with_token = [path for _, path, token in emulator.requests_seen(mark) if token]
    assert all(path.startswith(("/api/v2/webchat/guest/", "/v1/token/")) for path in with_token)
    assert any("..%2F..%2F" in path for path in with_token)


def test_an_answer_to_creating_the_chat_without_its_fields_is_one_sentence(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.fail_next(CREATE, status=200)  # a 200 whose body is an ErrorBody
    with Bus(config={"webchat": emulator.webchat_config()}) as bus:
        chat = ChatDriver(bus)
        assert chat.rejection("startChat", {"nickname": "Ada"}) == (
            "The chat server's answer to creating the conversation lacks one of "
            "id, jwt, eventStreamUri and member.id."
        )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
