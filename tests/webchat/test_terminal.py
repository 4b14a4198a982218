"""The terminal chat's parts on the fake transport: what it shows, what it tells the agent."""

from __future__ import annotations

import copy
import io
import pickle
import time
from pathlib import Path

import pytest
from prompt_toolkit.buffer import Buffer

from cxbus_webchat.session_store import FileSessionStore, StoredSession
from cxbus_webchat.terminal import TerminalChat, TypingPreviewInput, _restorable
from cxbus_webchat.terminal_text import describe, with_files
from cxbus_webchat.testing import ChatDriver
from cxbus_webchat.transport import ErrorBody, SessionData


def terminal(webchat: ChatDriver, *, demo: bool = False) -> tuple[TerminalChat, io.StringIO]:
    output = io.StringIO()
    return TerminalChat(webchat.bus, "Ada", output, demo=demo, restore_timeout=60), output


def test_slash_commands_send_no_typing_notification(webchat: ChatDriver) -> None:
    """Typing /transcript tells the agent nothing; typing a message does."""
    webchat("startChat", {"nickname": "Ada"})
    buffer = Buffer()
    webchat("registerTypingPreviewInput", {"input": TypingPreviewInput(buffer)})
    for text in ["/", "/tr", "/transcript"]:
        buffer.text = text
    buffer.text = ""
    assert "clientTypingStarted" not in webchat.names()
    buffer.text = "h"
    webchat.wait("clientTypingStarted")


def test_a_file_sent_shows_in_the_transcript_in_its_place(
    webchat: ChatDriver, tmp_path: Path
) -> None:
    """/file then /transcript: the file is a line of the guest's, between the messages."""
    chat, output = terminal(webchat)
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF")
    chat.start(restorable=False)
    webchat("FakeTransport.agentJoin", {"name": "Alex"})
    webchat("FakeTransport.agentSend", {"text": "Send me the report"})
    chat.handle(f"/file {report}")
    webchat("FakeTransport.agentSend", {"text": "Got it"})
    chat.handle("/transcript")
    shown = output.getvalue().splitlines()
    assert f"* sent {report}" in shown
    transcript = shown[shown.index("  Alex: Send me the report") :]
    assert transcript == [
        "  Alex: Send me the report",
        "  Ada: [file] report.pdf",
        "  Alex: Got it",
    ]


def test_help_says_what_each_command_does(webchat: ChatDriver) -> None:
    """/help: a line per command with what it does, and what Ctrl-C does."""
    chat, output = terminal(webchat)
    chat.handle("/help")
    shown = output.getvalue()
    assert "  /transcript  show the chat so far, files sent included\n" in shown
    assert "  /file PATH   send a file to the agent\n" in shown
    assert "  /restore     pick up the chat that was left open last time\n" in shown
    assert "  /end         end the chat and quit (Ctrl-D too)\n" in shown
    assert "  Ctrl-C       quit, leaving the chat open for /restore (within 60 s)\n" in shown


def test_the_demo_offers_nothing_to_restore(webchat: ChatDriver) -> None:
    """In the demo, /help has no /restore, Ctrl-C ends the chat, and /restore says why not."""
    chat, output = terminal(webchat, demo=True)
    chat.handle("/help")
    assert "/restore" not in output.getvalue()
    ctrl_c = "  Ctrl-C       end the demo chat and quit (its emulator ends too)\n"
    assert ctrl_c in output.getvalue()
    chat.handle("/restore")
    assert "! the demo has nothing to restore" in output.getvalue()


@pytest.mark.parametrize(("age", "offered"), [(10, True), (3600, False)])
def test_restore_is_offered_only_for_a_chat_within_restore_timeout(
    tmp_path: Path, age: float, offered: bool
) -> None:
    """A stored chat older than restoreTimeout is not offered: a new chat starts instead."""
    path = tmp_path / "chat.json"
    session = SessionData("conversation", "member", "jwt", "ws://127.0.0.1:9/stream")
    FileSessionStore(path).save(StoredSession(session, saved_at=time.time() - age))
    assert _restorable(str(path), restore_timeout=60) is offered
    assert _restorable(str(tmp_path / "none.json"), 60) is False


@pytest.mark.parametrize(
    ("reason", "line"),
    [
        ({"message": "Queue not found", "status": 400}, "Queue not found"),
        ("There is no active chat session.", "There is no active chat session."),
        (
            ErrorBody({"message": "Bad key.", "status": 400, "code": "bad.request"}, "check it"),
            "Bad key (400 bad.request): check it.",
        ),
    ],
)
def test_a_failure_is_the_server_s_message_or_the_sentence(reason: object, line: str) -> None:
    """An error body is shown by its message; a sentence as it is."""
    assert describe(reason) == line


def test_files_go_after_as_many_lines_as_the_transcript_had_when_they_were_sent() -> None:
    """A file sent before any message comes first; one sent after the last comes last."""
    messages = [
        {"from": {"name": "Alex"}, "text": "Alex joined the chat"},
        {"from": {"name": "Alex"}, "text": "Hi"},
    ]
    files = [(2, "late.txt"), (0, "early.txt"), (1, "middle.txt")]
    assert list(with_files(messages, files, "Ada")) == [
        ("Ada", "[file] early.txt"),
        ("Alex", "Alex joined the chat"),
        ("Ada", "[file] middle.txt"),
        ("Alex", "Hi"),
        ("Ada", "[file] late.txt"),
    ]


def test_an_error_body_is_the_server_s_dict_and_one_line_for_people() -> None:
    """ErrorBody equals the server's dict, survives copying with its advice, and its str is
    the message, status and code, and the advice: one line."""
    server = {"message": "The field deploymentId must name an active deployment.", "status": 400}
    body = ErrorBody({**server, "code": "bad.request"}, "check webchat.transport.deploymentKey")
    assert body == {**server, "code": "bad.request"}
    assert copy.deepcopy(body).advice == pickle.loads(pickle.dumps(body)).advice == body.advice
    assert str(body) == (
        "The field deploymentId must name an active deployment (400 bad.request): "
        "check webchat.transport.deploymentKey."
    )
    assert str(ErrorBody({"status": 502})) == "The chat server refused the call (502)."
