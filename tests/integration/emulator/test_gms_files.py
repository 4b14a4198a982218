"""File transfer on the GMS emulator: limits, upload, download and delete, with their codes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from cxbus_emulator import Emulator
from cxbus_emulator.gms import FileLimits

from .gms import GmsChat

pytestmark = pytest.mark.integration


@pytest.fixture
def limits(emulator: Emulator) -> Iterator[None]:
    """Put the default limits back after the test."""
    yield
    emulator.gms.set_file_limits(FileLimits())


def test_file_limits_are_the_file_client_cfg_get_notice(gms_chat: GmsChat) -> None:
    """Chat Server's documented defaults, as strings, with what the chat has spent."""
    body = gms_chat.call("file/limits")
    (notice,) = body["messages"]
    assert notice["type"] == "Notice" and notice["text"] == "file-client-cfg-get"
    assert notice["from"]["type"] == "Client" and "index" not in notice
    assert notice["userData"] == {
        "upload-max-files": "3",
        "upload-max-file-size": "2097152",
        "upload-max-total-size": "5242880",
        "upload-need-agent": "false",
        "upload-file-types": "jpeg:jpg:png:gif:pdf:txt",
        "download-attempts": "10",
        "delete-file": "odd",
        "used-upload-max-files": "0",
        "used-upload-max-total-size": "0",
        "used-download-attempts": "0",
    }
    assert [m["type"] for m in gms_chat.transcript()] == ["ParticipantJoined"]


def test_file_limits_take_the_multipart_form_the_widgets_send(gms_chat: GmsChat) -> None:
    answer = requests.post(
        f"{gms_chat.url}/file/limits",
        files={name: (None, value) for name, value in gms_chat.keys.items()},
        headers={"apikey": gms_chat.emulator.gms.apikey or ""},
        timeout=5,
    )
    assert answer.json()["messages"][0]["text"] == "file-client-cfg-get"


def test_an_upload_answers_its_file_id_and_is_in_the_transcript(gms_chat: GmsChat) -> None:
    answer = gms_chat.upload("notes.txt", b"hello", "text/plain")
    assert answer.status_code == 200
    body = answer.json()
    assert body["statusCode"] == 0 and body["chatEnded"] is False
    file_id = body["userData"]["file-id"]
    uploaded = gms_chat.transcript()[-1]
    assert uploaded["type"] == "FileUploaded" and uploaded["from"]["type"] == "Client"
    assert uploaded["userData"] == {
        "file-id": file_id,
        "file-name": "notes.txt",
        "file-size": "5",
        "file-type": "text/plain",
    }


def test_an_upload_keeps_the_file_description(gms_chat: GmsChat) -> None:
    answer = requests.post(
        f"{gms_chat.url}/file",
        data={**gms_chat.keys, "userData[file-description]": "my receipt"},
        files={"file": ("receipt.pdf", b"%PDF-1.4", "application/pdf")},
        headers={"apikey": gms_chat.emulator.gms.apikey or ""},
        timeout=5,
    )
    assert answer.status_code == 200
    assert gms_chat.transcript()[-1]["userData"]["file-description"] == "my receipt"


def test_the_limits_count_what_was_uploaded(gms_chat: GmsChat) -> None:
    gms_chat.upload("a.txt", b"12345")
    gms_chat.upload("b.txt", b"123")
    spent = gms_chat.call("file/limits")["messages"][0]["userData"]
    assert spent["used-upload-max-files"] == "2" and spent["used-upload-max-total-size"] == "8"


def test_a_file_of_a_type_not_allowed_is_code_203_without_advice(gms_chat: GmsChat) -> None:
    for name in ("run.exe", "no-extension"):
        answer = gms_chat.upload(name, b"MZ", "application/octet-stream")
        assert answer.status_code == 400
        body = answer.json()
        assert body["statusCode"] == 1 and body["errors"] == [{"code": 203}]


def test_the_type_is_the_extension_in_any_case(gms_chat: GmsChat) -> None:
    assert gms_chat.upload("PHOTO.JPG", b"\xff\xd8", "image/jpeg").status_code == 200


def test_one_file_past_the_most_files_is_code_201_with_the_most_as_advice(
    gms_chat: GmsChat,
) -> None:
    for n in range(3):
        assert gms_chat.upload(f"{n}.txt", b"x").status_code == 200
    answer = gms_chat.upload("3.txt", b"x")
    assert answer.status_code == 400 and answer.json()["errors"] == [{"code": 201, "advice": "3"}]


def test_a_file_past_the_file_size_limit_is_code_202_with_that_limit_as_advice(
    emulator: Emulator, gms_chat: GmsChat, limits: None
) -> None:
    emulator.gms.set_file_limits(FileLimits(upload_max_file_size=10))
    assert gms_chat.upload("ok.txt", b"x" * 10).status_code == 200
    answer = gms_chat.upload("big.txt", b"x" * 11)
    assert answer.status_code == 400 and answer.json()["errors"] == [{"code": 202, "advice": "10"}]


def test_files_past_the_total_size_limit_are_code_202_with_the_total_as_advice(
    emulator: Emulator, gms_chat: GmsChat, limits: None
) -> None:
    emulator.gms.set_file_limits(FileLimits(upload_max_file_size=10, upload_max_total_size=15))
    assert gms_chat.upload("a.txt", b"x" * 10).status_code == 200
    answer = gms_chat.upload("b.txt", b"x" * 6)
    assert answer.status_code == 400 and answer.json()["errors"] == [{"code": 202, "advice": "15"}]


def test_a_refused_upload_spends_nothing(gms_chat: GmsChat) -> None:
    gms_chat.upload("run.exe", b"MZ")
    spent = gms_chat.call("file/limits")["messages"][0]["userData"]
    assert spent["used-upload-max-files"] == "0"
    assert [m["type"] for m in gms_chat.transcript()] == ["ParticipantJoined"]


def test_upload_need_agent_refuses_files_until_an_agent_joins(
    emulator: Emulator, gms_chat: GmsChat, limits: None
) -> None:
    emulator.gms.set_file_limits(FileLimits(upload_need_agent=True))
    refused = gms_chat.upload("a.txt", b"x")
    assert refused.status_code == 400 and "code" not in refused.json()["errors"][0]
    emulator.gms.agent_join(gms_chat.id)
    assert gms_chat.upload("a.txt", b"x").status_code == 200


def test_an_upload_needs_the_file_part(gms_chat: GmsChat) -> None:
    answer = gms_chat.post("file")
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"advice": "The multipart field file is required."}]


def test_a_download_gives_the_bytes_back_without_the_apikey(gms_chat: GmsChat) -> None:
    """The Widgets download through an HTML form, which sends no header."""
    file_id = gms_chat.upload("notes.txt", b"hello", "text/plain").json()["userData"]["file-id"]
    answer = requests.post(
        f"{gms_chat.url}/file/{file_id}/download",
        files={name: (None, value) for name, value in gms_chat.keys.items()},
        timeout=5,
    )
    assert answer.status_code == 200 and answer.content == b"hello"
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="notes.txt"'


def test_a_download_needs_the_secure_key(gms_chat: GmsChat) -> None:
    file_id = gms_chat.upload("notes.txt", b"hello").json()["userData"]["file-id"]
    answer = requests.post(f"{gms_chat.url}/file/{file_id}/download", timeout=5)
    assert answer.status_code == 400


def test_downloads_spend_the_download_attempts(
    emulator: Emulator, gms_chat: GmsChat, limits: None
) -> None:
    emulator.gms.set_file_limits(FileLimits(download_attempts=2))
    file_id = gms_chat.upload("notes.txt", b"hello").json()["userData"]["file-id"]
    for _ in range(2):
        assert gms_chat.post(f"file/{file_id}/download").status_code == 200
    refused = gms_chat.post(f"file/{file_id}/download")
    assert refused.status_code == 400 and refused.json()["errors"] == [{"advice": "2"}]
    spent = gms_chat.call("file/limits")["messages"][0]["userData"]
    assert spent["used-download-attempts"] == "2"


def test_an_unknown_file_is_refused(gms_chat: GmsChat) -> None:
    answer = gms_chat.post("file/0123456789abcdef/download")
    assert answer.status_code == 400
    assert answer.json()["errors"] == [
        {"advice": "There is no file 0123456789abcdef in this chat."}
    ]


def test_delete_removes_the_file_and_says_so_in_the_transcript(gms_chat: GmsChat) -> None:
    file_id = gms_chat.upload("notes.txt", b"hello").json()["userData"]["file-id"]
    body = gms_chat.call(f"file/{file_id}/delete")
    assert body["statusCode"] == 0
    deleted = gms_chat.transcript()[-1]
    assert deleted["type"] == "FileDeleted" and deleted["userData"] == {"file-id": file_id}
    assert gms_chat.post(f"file/{file_id}/download").status_code == 400
    assert gms_chat.post(f"file/{file_id}/delete").status_code == 400


def test_deleting_gives_no_upload_back(gms_chat: GmsChat) -> None:
    file_id = gms_chat.upload("notes.txt", b"hello").json()["userData"]["file-id"]
    gms_chat.call(f"file/{file_id}/delete")
    assert gms_chat.call("file/limits")["messages"][0]["userData"]["used-upload-max-files"] == "1"


def test_files_on_an_ended_chat(emulator: Emulator) -> None:
    """Limits and downloads still answer; uploads and deletes are statusCode 2."""
    chat = GmsChat(emulator)
    file_id = chat.upload("notes.txt", b"hello").json()["userData"]["file-id"]
    chat.call("disconnect")
    assert chat.call("file/limits")["chatEnded"] is True
    assert chat.post(f"file/{file_id}/download").content == b"hello"
    assert chat.upload("more.txt", b"x").json()["statusCode"] == 2
    assert chat.call(f"file/{file_id}/delete")["statusCode"] == 2
