"""Every JSON example of the reference (§2.3-2.11), from both sides.

The client reads each server frame into its class (``tests/messaging`` checks the
fields); here the emulator, brought into the same situation, must send a frame of
the same shape: the same keys, with values of the same JSON types, except the
paths an example marks optional. And the emulator takes each request of §2.3 as
the reference writes it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from cxbus_emulator import Emulator
from cxbus_messaging.guest_api import parse_frame

from .messenger import Frame, Messenger, of_class, outbound, traced

EXAMPLES = json.loads(
    (Path(__file__).parents[2] / "data" / "web_messaging_examples.json").read_text()
)
HEALTH_CHECK = "SGVhbHRoQ2hlY2tNZXNzYWdlSWQ="
PNG = b"\x89PNG\r\n\x1a\n"


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", dict: "object", list: "array"}.get(type(value), "null")


def differences(
    reference: Any, emulated: Any, optional: set[str], extras: bool = False, path: str = ""
) -> list[str]:
    """How ``emulated`` differs in shape from ``reference``: keys, and JSON types of values."""
    if json_type(reference) != json_type(emulated):
        where = path or "the frame"
        return [f"{where}: {json_type(reference)} in the reference, {json_type(emulated)} here"]
    if isinstance(reference, dict):
        found = []
        for key in sorted(reference.keys() | emulated.keys()):
            where = f"{path}.{key}" if path else key
            if key not in emulated and where not in optional:
                found.append(f"{where} is missing")
            elif key not in reference and where not in optional and not extras:
                found.append(f"{where} is not in the reference")
            elif key in reference and key in emulated:
                found += differences(reference[key], emulated[key], optional, extras, where)
        return found
    if isinstance(reference, list) and reference and emulated:
        return differences(reference[0], emulated[0], optional, extras, f"{path}[]")
    return []


# Situations: each brings a fresh guest where the emulator sends the example's like. -----


def upload(guest: Messenger, size: int = len(PNG)) -> str:
    attachment_id = str(uuid.uuid4())
    body = guest.request(
        "onAttachment",
        attachmentId=attachment_id,
        fileName="photo.png",
        fileType="image/png",
        fileSize=size,
    )["body"]
    requests.put(body["url"], data=PNG, headers=body["headers"], timeout=5)
    return attachment_id


def clear(emulator: Emulator, guest: Messenger) -> Frame:
    guest.event({"eventType": "Presence", "presence": {"type": "Clear"}})
    return guest.frame(of_class("SessionClearedEvent"))


def configure_rate(emulator: Emulator, guest: Messenger) -> Frame:
    other = Messenger(emulator, guest.token)
    for socket in (guest, other):
        for _ in range(29):
            socket.configure()
    refused = other.configure()
    other.close()
    return refused


def read_only_send(emulator: Emulator, guest: Messenger) -> Frame:
    emulator.messaging.agent_disconnect(guest.session_id, read_only=True)
    return guest.say("anyone?")


def clear_disabled(emulator: Emulator, guest: Messenger) -> Frame:
    emulator.messaging.set_deployment(clear_enabled=False)
    return guest.frame(
        traced(guest.event({"eventType": "Presence", "presence": {"type": "Clear"}}))
    )


def typing_off(emulator: Emulator, guest: Messenger) -> Frame:
    emulator.messaging.set_deployment(show_user_typing=False)
    return guest.frame(traced(guest.event({"eventType": "Typing", "typing": {"type": "On"}})))


def message_rate(emulator: Emulator, guest: Messenger) -> Frame:
    for n in range(5):
        guest.say(f"burst {n}")
    return guest.say("one too many")


def delete_attachment(emulator: Emulator, guest: Messenger) -> Frame:
    attachment_id = upload(guest)
    guest.frame(of_class("UploadSuccessEvent"))
    return guest.request("deleteAttachment", attachmentId=attachment_id)


def file_type_refused(emulator: Emulator, guest: Messenger) -> Frame:
    return guest.request(
        "onAttachment", attachmentId="x", fileName="scan.tiff", fileType="image/tiff", fileSize=9
    )


def on_attachment(emulator: Emulator, guest: Messenger) -> Frame:
    return guest.request(
        "onAttachment",
        attachmentId=str(uuid.uuid4()),
        fileName="a.png",
        fileType="image/png",
        fileSize=9,
    )


def last_frame_on_close(control: Callable[[str], None]) -> Callable[[Emulator, Messenger], Frame]:
    def situation(emulator: Emulator, guest: Messenger) -> Frame:
        control(guest.session_id)
        return guest.closed()[-1]

    return situation


def agent(emulator: Emulator, guest: Messenger, kind: str, act: Callable[[str], Any]) -> Frame:
    act(guest.session_id)
    return guest.frame(outbound(kind))


SITUATIONS: dict[str, Callable[[Emulator, Messenger], Frame]] = {
    "configure_new": lambda e, g: Messenger(e).session or {},
    "guest_text": lambda e, g: g.say("Hello world!"),
    "health_check": lambda e, g: g.request(
        "echo", tracingId=HEALTH_CHECK, message={"text": "ping", "type": "Text"}
    ),
    "get_jwt": lambda e, g: g.request("getJwt"),
    "on_attachment": on_attachment,
    "upload": lambda e, g: (upload(g), g.frame(of_class("UploadSuccessEvent")))[1],
    "upload_of_another_size": lambda e, g: (upload(g, 99), g.frame(of_class("UploadFailureEvent")))[
        1
    ],
    "file_type_refused": file_type_refused,
    "delete_attachment": delete_attachment,
    "clear": clear,
    "signed_in_elsewhere": lambda e, g: last_frame_on_close(e.messaging.signed_in_elsewhere)(e, g),
    "log_out": lambda e, g: last_frame_on_close(e.messaging.log_out)(e, g),
    "expire": lambda e, g: last_frame_on_close(e.messaging.expire_session)(e, g),
    "message_rate": message_rate,
    "text_too_long": lambda e, g: g.say("a" * 5000),
    "configure_rate": configure_rate,
    "bot_text": lambda e, g: agent(e, g, "Text", lambda sid: e.messaging.agent_send(sid, "Hi")),
    "disconnect_read_only": lambda e, g: agent(
        e, g, "Event", lambda sid: e.messaging.agent_disconnect(sid, read_only=True)
    ),
    "send_read_only": read_only_send,
    "clear_disabled": clear_disabled,
    "typing_off": typing_off,
}


@pytest.fixture
def guest(frozen_clock: list[float], emulator: Emulator) -> Iterator[Messenger]:
    """A fresh guest, the server's clock stopped so that limits are reached by count alone."""
    fresh = Messenger(emulator)
    yield fresh
    fresh.close()


@pytest.mark.parametrize(
    "example", EXAMPLES["frames"], ids=lambda e: f"{e['section']}-{e['situation']}"
)
def test_the_emulator_sends_each_frame_in_the_reference_s_shape(
    emulator: Emulator, guest: Messenger, example: dict[str, Any]
) -> None:
    sent = SITUATIONS[example["situation"]](emulator, guest)
    optional = {"tracingId", *example["optional"]}
    assert differences(example["json"], sent, optional) == []
    assert sent["class"] == example["json"]["class"]
    assert type(parse_frame(json.dumps(sent)).body).__name__ == example["class"]


def test_the_emulator_s_content_and_events_have_the_reference_s_shape(
    emulator: Emulator, guest: Messenger
) -> None:
    emulator.messaging.agent_send_quick_replies(guest.session_id, "Pick one")
    emulator.messaging.agent_typing(guest.session_id)
    emulated = {
        "quick_replies": guest.frame(outbound("Structured"))["body"]["content"][0],
        "agent_typing": guest.frame(outbound("Event"))["body"]["events"][0],
    }
    for example in EXAMPLES["fragments"]:
        assert differences(example["json"], emulated[example["situation"]], set()) == []


def test_the_emulator_s_history_has_the_reference_s_shape(
    emulator: Emulator, guest: Messenger
) -> None:
    emulator.messaging.agent_send(guest.session_id, "\U0001f92a")
    jwt = guest.request("getJwt")["body"]["jwt"]
    page = requests.get(
        f"{emulator.data_url}/api/v2/webmessaging/messages",
        params={"pageNumber": 1, "pageSize": 25},
        headers={"Authorization": f"bearer {jwt}"},
        timeout=5,
    ).json()
    reference = json.loads(EXAMPLES["history"]["text"])
    # metadata: a field of the Java SDK's WebMessagingMessage, which the sample leaves out.
    assert differences(reference, page, {"entities[].metadata"}) == []
    assert page["entities"][0]["text"] == reference["entities"][0]["text"]


def test_the_emulator_s_config_json_has_every_field_of_the_reference_s_sample(
    emulator: Emulator,
) -> None:
    deployment = emulator.messaging.deployment_id
    config = requests.get(
        f"{emulator.data_url}/webdeployments/v1/deployments/{deployment}/config.json", timeout=5
    ).json()
    assert differences(EXAMPLES["config"]["json"], config, set(), extras=True) == []


# The requests of §2.3, as written there, to the emulator. -------------------------------

ANSWERS = {
    "configureSession": "SessionResponse",
    "configureAuthenticatedSession": "string",  # 403: auth is off on this deployment
    "echo": "StructuredMessage",
    "getJwt": "JwtResponse",
    "closeSession": "SessionResponse",
    "getAttachment": "PresignedUrlResponse",
    "deleteAttachment": "AttachmentDeletedResponse",
    "join": "StructuredMessage",
    "clear": "SessionClearedEvent",
}


@pytest.mark.parametrize("example", EXAMPLES["requests"], ids=lambda e: e["name"])
def test_the_emulator_takes_each_request_as_the_reference_writes_it(
    emulator: Emulator, example: dict[str, Any]
) -> None:
    name = example["name"]
    guest = Messenger(emulator, configure=name != "configureSession")
    request = json.loads(example["text"])
    # This guest's token, the emulator's deployment, a file of this session.
    request["token"] = guest.token
    if "deploymentId" in request:
        request["deploymentId"] = emulator.messaging.deployment_id
    if "attachmentId" in request:
        request["attachmentId"] = upload(guest)
    guest.socket.send(json.dumps(request))
    if name == "typing":
        assert guest.request("getJwt")["class"] == "JwtResponse"  # typing had no answer
        assert emulator.messaging.describe(guest.session_id)["guestTyping"] == 1
    else:
        answer = guest.frame(lambda f: f["class"] != "UploadSuccessEvent")
        assert answer["class"] == ANSWERS[name], answer
    guest.close()
