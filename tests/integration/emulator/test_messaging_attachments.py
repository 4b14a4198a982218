"""Web Messaging files on the emulator: presigned upload, the message that carries it, download."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from cxbus_emulator import Emulator

from .messenger import Frame, Messenger, of_class, outbound

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56


def ask_upload(messenger: Messenger, **overrides: Any) -> Frame:
    fields = {
        "attachmentId": str(uuid.uuid4()),
        "fileName": "photo.png",
        "fileType": "image/png",
        "fileSize": len(PNG),
        "errorsAsJson": True,
    }
    return messenger.request("onAttachment", **{**fields, **overrides})


def upload(messenger: Messenger, data: bytes = PNG) -> tuple[str, Frame]:
    """The whole upload: onAttachment, the PUT, and the event that follows; its id and event."""
    presigned = ask_upload(messenger, fileSize=len(data))
    body = presigned["body"]
    answer = requests.put(
        body["url"], data=data, headers={"Content-Type": "image/png", **body["headers"]}, timeout=5
    )
    assert answer.status_code == 200
    event = messenger.frame(lambda f: f["class"] in ("UploadSuccessEvent", "UploadFailureEvent"))
    return body["attachmentId"], event


def test_on_attachment_answers_a_presigned_upload_url(
    emulator: Emulator, messenger: Messenger
) -> None:
    presigned = ask_upload(messenger)
    assert presigned["type"] == "response" and presigned["class"] == "PresignedUrlResponse"
    body = presigned["body"]
    assert set(body) == {"attachmentId", "headers", "url"}
    assert body["url"].startswith(emulator.data_url + "/emulator/messaging/uploads/")
    assert body["headers"] == {"x-amz-tagging": "origin=cxbus-emulator"}


def test_an_upload_is_confirmed_then_carried_by_a_message_and_downloadable(
    emulator: Emulator, messenger: Messenger
) -> None:
    attachment_id, event = upload(messenger)
    assert event["class"] == "UploadSuccessEvent" and event["type"] == "message"
    assert event["body"]["attachmentId"] == attachment_id
    assert requests.get(event["body"]["downloadUrl"], timeout=5).content == PNG
    echo = messenger.say(
        "my photo",
        content=[{"contentType": "Attachment", "attachment": {"id": attachment_id}}],
    )
    attachment = echo["body"]["content"][0]["attachment"]
    assert echo["body"]["type"] == "Text"
    assert {k: attachment[k] for k in ("id", "filename", "fileSize", "mediaType", "mime")} == {
        "id": attachment_id,
        "filename": "photo.png",
        "fileSize": len(PNG),
        "mediaType": "Image",
        "mime": "image/png",
    }
    download = requests.get(attachment["url"], timeout=5)
    assert download.content == PNG and download.headers["Content-Type"] == "image/png"
    state = emulator.messaging.describe(messenger.session_id)["attachments"]
    assert state == {attachment_id: "sent"}


def test_get_attachment_answers_a_fresh_download_url_with_the_file_s_facts(
    messenger: Messenger,
) -> None:
    attachment_id, _ = upload(messenger)
    answer = messenger.request("getAttachment", attachmentId=attachment_id)
    assert answer["class"] == "PresignedUrlResponse"
    body = answer["body"]
    assert body["headers"] == {} and body["fileSize"] == len(PNG)
    assert (body["fileName"], body["fileType"]) == ("photo.png", "image/png")
    assert requests.get(body["url"], timeout=5).content == PNG


def test_delete_attachment_removes_an_unsent_upload(messenger: Messenger) -> None:
    attachment_id, _ = upload(messenger)
    deleted = messenger.request("deleteAttachment", attachmentId=attachment_id)
    assert deleted["class"] == "AttachmentDeletedResponse"
    assert deleted["body"] == {"attachmentId": attachment_id}
    gone = messenger.request("getAttachment", attachmentId=attachment_id)
    assert gone["class"] == "string" and gone["code"] == 4009
    unsent = messenger.say(
        "x", content=[{"contentType": "Attachment", "attachment": {"id": attachment_id}}]
    )
    assert unsent["code"] == 4009


def test_a_sent_attachment_cannot_be_deleted(messenger: Messenger) -> None:
    attachment_id, _ = upload(messenger)
    messenger.say(
        "sent", content=[{"contentType": "Attachment", "attachment": {"id": attachment_id}}]
    )
    refused = messenger.request("deleteAttachment", attachmentId=attachment_id)
    assert refused["class"] == "string" and refused["code"] == 400


def test_a_file_not_uploaded_yet_cannot_be_sent_or_fetched(messenger: Messenger) -> None:
    attachment_id = ask_upload(messenger)["body"]["attachmentId"]
    refused = messenger.say(
        "early", content=[{"contentType": "Attachment", "attachment": {"id": attachment_id}}]
    )
    assert refused["code"] == 4010
    assert messenger.request("getAttachment", attachmentId=attachment_id)["code"] == 4010


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"fileType": "image/tiff", "fileName": "scan.tiff"}, 4001),
        ({"fileName": "setup.exe", "fileType": "image/png"}, 4001),
        ({"fileSize": 10240 * 1024 + 1}, 4002),
        ({"fileName": " "}, 4004),
        ({"fileName": "x" * 252 + ".png"}, 4005),
        ({"fileSize": 0}, 4102),
    ],
)
def test_on_attachment_refuses_what_the_deployment_does_not_take(
    messenger: Messenger, overrides: dict[str, Any], code: int
) -> None:
    """GenerateUrlError (a message, code 200, as the mobile tests show) with the error code."""
    refused = ask_upload(messenger, **overrides)
    assert refused["type"] == "message" and refused["class"] == "GenerateUrlError"
    assert refused["code"] == 200 and refused["body"]["errorCode"] == code
    assert refused["body"]["errorMessage"]


def test_uploads_off_in_the_deployment_are_refused_with_4000(
    emulator: Emulator, messenger: Messenger
) -> None:
    emulator.messaging.set_deployment(uploads=False)
    assert ask_upload(messenger)["body"]["errorCode"] == 4000
    assert messenger.configure()["body"]["allowedMedia"] == {}


def test_a_wildcard_file_type_takes_any_type_of_its_kind(
    emulator: Emulator, messenger: Messenger
) -> None:
    emulator.messaging.set_deployment(file_types=("image/*",))
    assert ask_upload(messenger, fileType="image/webp")["class"] == "PresignedUrlResponse"
    assert ask_upload(messenger, fileType="video/mp4")["class"] == "GenerateUrlError"


def test_an_upload_of_another_size_than_declared_fails(messenger: Messenger) -> None:
    attachment_id, event = upload(messenger, data=b"short")
    presigned = ask_upload(messenger, attachmentId=attachment_id, fileSize=len(PNG) + 1)
    requests.put(
        presigned["body"]["url"], data=PNG, headers=presigned["body"]["headers"], timeout=5
    )
    failed = messenger.frame(of_class("UploadFailureEvent"))
    assert failed["body"]["attachmentId"] == attachment_id and failed["body"]["errorCode"] == 4003
    assert set(failed["body"]) == {"attachmentId", "errorCode", "errorMessage", "timestamp"}
    assert event["class"] == "UploadSuccessEvent"  # the first, honest one


def test_the_upload_url_wants_its_signature_and_headers(messenger: Messenger) -> None:
    body = ask_upload(messenger)["body"]
    assert requests.put(body["url"], data=PNG, timeout=5).status_code == 403
    tampered = body["url"].replace("signature=", "signature=0")
    assert requests.put(tampered, data=PNG, headers=body["headers"], timeout=5).status_code == 403


def test_a_download_url_wants_its_signature(messenger: Messenger) -> None:
    _, event = upload(messenger)
    url = event["body"]["downloadUrl"]
    assert requests.get(url.replace("expires=", "expires=9"), timeout=5).status_code == 403


def test_an_attachment_id_of_another_session_is_refused(
    emulator: Emulator, messenger: Messenger
) -> None:
    attachment_id, _ = upload(messenger)
    other = Messenger(emulator)
    assert ask_upload(other, attachmentId=attachment_id)["code"] == 400
    other.close()


def test_the_agent_sends_a_file_the_guest_can_fetch(
    emulator: Emulator, messenger: Messenger
) -> None:
    attachment_id = emulator.messaging.agent_send_file(
        messenger.session_id, "terms.pdf", b"%PDF-1.4 terms", "application/pdf"
    )
    message = messenger.frame(outbound("Text"))
    attachment = message["body"]["content"][0]["attachment"]
    assert attachment["id"] == attachment_id and attachment["mediaType"] == "File"
    assert requests.get(attachment["url"], timeout=5).content == b"%PDF-1.4 terms"
    fresh = messenger.request("getAttachment", attachmentId=attachment_id)
    assert requests.get(fresh["body"]["url"], timeout=5).content == b"%PDF-1.4 terms"
