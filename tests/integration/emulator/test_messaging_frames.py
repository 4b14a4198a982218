"""Web Messaging frames as the official clients' fixtures and models show them.

Each test names where its fact comes from: the Messenger transport SDK
(github.com/MyPureCloud/genesys-messenger-transport-mobile-sdk), the Java SDK
(github.com/MyPureCloud/web-messaging-sdk-java, its ``build/docs`` models), or a
capture of the live service.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from cxbus_emulator import Emulator

from .messenger import Messenger, of_class, outbound, traced

JOIN = {"eventType": "Presence", "presence": {"type": "Join"}}
PNG = b"\x89PNG\r\n\x1a\n"


def join(guest: Messenger, attributes: dict[str, str] | None = None) -> str:
    """Send the Messenger's autoStart Join, with custom attributes as its request carries them."""
    message: dict[str, object] = {"type": "Event", "events": [JOIN]}
    if attributes is not None:
        message["channel"] = {"metadata": {"customAttributes": attributes}}
    return guest.send("onMessage", message=message)


def history(emulator: Emulator, guest: Messenger) -> list[dict[str, object]]:
    jwt = guest.request("getJwt")["body"]["jwt"]
    answer = requests.get(
        f"{emulator.data_url}/api/v2/webmessaging/messages",
        headers={"Authorization": f"bearer {jwt}"},
        timeout=5,
    )
    entities: list[dict[str, object]] = answer.json()["entities"]
    return entities


def test_the_echo_of_a_guest_s_message_carries_its_correlation_id(messenger: Messenger) -> None:
    # Source: genesys-web-messaging-tester (ovotech), src/testFixtures/webMessagePayloads.ts,
    # "payloads taken from real interactions": the Inbound echo has metadata.correlationId.
    tracing_id = str(uuid.uuid4())
    echo = messenger.request(
        "onMessage", tracingId=tracing_id, message={"type": "Text", "text": "hello"}
    )
    assert echo["tracingId"] == tracing_id
    assert echo["body"]["metadata"] == {"correlationId": tracing_id}


def test_the_echo_of_a_join_carries_a_correlation_id_too(messenger: Messenger) -> None:
    # Source: transport SDK, androidUnitTest/.../util/Response.kt, structuredMessageWithEvents:
    # an Event StructuredMessage with metadata {"correlationId": ...}.
    tracing_id = join(messenger)
    echo = messenger.frame(traced(tracing_id))
    assert echo["body"]["events"] == [JOIN]
    assert echo["body"]["metadata"]["correlationId"] == tracing_id


def test_a_join_s_custom_attributes_are_kept_on_the_conversation(
    emulator: Emulator, messenger: Messenger
) -> None:
    # Source: transport SDK, commonMain/.../shyrka/send/AutoStartRequest.kt: the Join the
    # Messenger sends on autoStart carries the custom attributes in message.channel.
    attributes = {"account": "A-17", "tier": "gold"}
    messenger.frame(traced(join(messenger, attributes)))
    seen = emulator.messaging.describe(messenger.session_id)
    assert seen["customAttributes"] == attributes
    # The agent's side sees them on the Join itself.
    assert seen["messages"][0]["channel"]["metadata"] == {"customAttributes": attributes}
    # Over HTTP, too.
    answer = requests.get(
        f"{emulator.data_url}/emulator/messaging/sessions/{messenger.session_id}", timeout=5
    ).json()
    assert answer["customAttributes"] == attributes


def test_a_join_with_custom_attributes_over_the_limit_is_refused_with_4013(
    messenger: Messenger,
) -> None:
    # Source: transport SDK, androidUnitTest/.../util/Response.kt, customAttributeSizeTooLarge.
    refused = messenger.frame(traced(join(messenger, {"big": "x" * 2048})))
    assert refused["class"] == "string" and refused["code"] == 4013
    assert refused["body"] == "Custom Attributes in channel metadata is larger than 2048 bytes"


def test_on_attachment_without_an_id_starts_an_upload_with_an_id_of_the_server_s(
    messenger: Messenger,
) -> None:
    # Source: Java SDK, WebMessagingClient.attachment(fileName, fileSize, fileType) sends no
    # attachmentId, and swagger.json's GenerateUploadUrlRequest does not require one.
    answer = messenger.request("onAttachment", fileName="a.png", fileType="image/png", fileSize=8)
    assert answer["class"] == "PresignedUrlResponse"
    attachment_id = answer["body"]["attachmentId"]
    assert uuid.UUID(attachment_id)
    requests.put(answer["body"]["url"], data=PNG, headers=answer["body"]["headers"], timeout=5)
    uploaded = messenger.frame(of_class("UploadSuccessEvent"))
    assert uploaded["body"]["attachmentId"] == attachment_id
    sent = messenger.say(
        "", content=[{"contentType": "Attachment", "attachment": {"id": attachment_id}}]
    )
    assert sent["body"]["content"][0]["attachment"]["id"] == attachment_id


def test_get_configuration_answers_what_the_deployment_takes(emulator: Emulator) -> None:
    # Source: Java SDK, WebMessagingClient.getSupportedContentConfiguration and
    # build/docs/GetConfigurationResponse.md (allowedMedia, blockedExtensions,
    # maxCustomDataBytes, messageRoutingEnabled, sessionDurationSeconds).
    guest = Messenger(emulator, configure=False)
    answer = guest.request("getConfiguration", deploymentId=emulator.messaging.deployment_id)
    assert answer["type"] == "response" and answer["class"] == "GetConfigurationResponse"
    body = answer["body"]
    assert {"type": "image/png"} in body["allowedMedia"]["inbound"]["fileTypes"]
    assert body["allowedMedia"]["inbound"]["maxFileSizeKB"] == 10240
    assert ".exe" in body["blockedExtensions"]
    assert body["maxCustomDataBytes"] == 2048
    assert body["messageRoutingEnabled"] is True
    assert body["sessionDurationSeconds"] == 72 * 3600
    # The deployment changes: so does the answer (its model requires allowedMedia.inbound).
    emulator.messaging.set_deployment(uploads=False)
    answer = guest.request("getConfiguration", deploymentId=emulator.messaging.deployment_id)
    assert answer["body"]["allowedMedia"] == {"inbound": {"fileTypes": [], "maxFileSizeKB": 0}}
    guest.close()


def test_get_configuration_of_another_deployment_is_refused(emulator: Emulator) -> None:
    guest = Messenger(emulator, configure=False)
    answer = guest.request("getConfiguration", deploymentId="another")
    assert answer["class"] == "string" and answer["code"] == 400
    guest.close()


def test_a_receipt_names_the_message_it_is_about(emulator: Emulator, messenger: Messenger) -> None:
    # Source: Java SDK, build/docs/WebMessagingMessage.md: type Receipt, its status, reasons
    # when Failed, and "message receipts will have the same ID as the message they reference";
    # build/docs/Reason.md for the reasons' codes.
    said = messenger.say("did you read this?")["body"]["id"]
    emulator.messaging.send_receipt(messenger.session_id, said, "Read")
    receipt = messenger.frame(lambda f: f["body"].get("type") == "Receipt")["body"]
    assert receipt["id"] == said and receipt["status"] == "Read"
    reasons = [{"code": "RateLimited", "message": "Too many messages"}]
    emulator.messaging.send_receipt(messenger.session_id, said, "Failed", reasons)
    failed = messenger.frame(lambda f: f["body"].get("type") == "Receipt")["body"]
    assert failed["status"] == "Failed" and failed["reasons"] == reasons


def test_the_session_response_says_whether_a_join_started_the_conversation(
    emulator: Emulator,
) -> None:
    # Source: Java SDK, build/docs/SessionResponse.md: autoStarted.
    joined = Messenger(emulator)
    assert joined.session is not None and joined.session["body"]["autoStarted"] is False
    joined.frame(traced(join(joined)))
    again = Messenger(emulator, joined.token)
    assert again.session is not None and again.session["body"]["autoStarted"] is True
    said = Messenger(emulator)
    said.say("no Join here")
    resumed = Messenger(emulator, said.token)
    assert resumed.session is not None and resumed.session["body"]["autoStarted"] is False
    for guest in (joined, again, said, resumed):
        guest.close()


def test_history_entries_carry_their_metadata(emulator: Emulator, messenger: Messenger) -> None:
    # Source: Java SDK, build/docs/WebMessagingMessageEntityList.md: entities are
    # WebMessagingMessage, which has metadata.
    echo = messenger.say("remember me")
    emulator.messaging.agent_send(messenger.session_id, "I do")
    messenger.frame(outbound("Text"))
    entities = history(emulator, messenger)
    mine = next(e for e in entities if e["id"] == echo["body"]["id"])
    assert mine["metadata"] == {"correlationId": echo["tracingId"]}
    agent = next(e for e in entities if e["direction"] == "Outbound")
    assert isinstance(agent["metadata"], dict) and "correlationId" in agent["metadata"]


def test_a_failure_of_the_server_s_own_is_5000_and_the_socket_lives_on(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Source: transport SDK, androidUnitTest/.../util/Response.kt unknownErrorEvent (code 5000,
    # "Request failed.") and core/ErrorCode.kt UnexpectedError.
    guest = Messenger(emulator, configure=False)

    def broken(session: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(emulator.messaging_server, "count_configure", broken)
    failed = guest.configure()
    assert (failed["class"], failed["code"], failed["body"]) == ("string", 5000, "Request failed.")
    monkeypatch.undo()
    assert guest.configure()["class"] == "SessionResponse"
    guest.close()
