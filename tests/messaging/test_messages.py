"""Reading message bodies (the reference's §2.5): content, events, channel, tolerance."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from cxbus_messaging.guest_api import (
    Attachment,
    AvailableTime,
    ButtonResponse,
    Card,
    CardAction,
    Carousel,
    Channel,
    DatePicker,
    OtherContent,
    OtherEvent,
    Participant,
    Presence,
    ProtocolError,
    QuickReply,
    Reason,
    Typing,
    parse_history_page,
    parse_message,
)

EXAMPLES = json.loads(
    (Path(__file__).parents[1] / "data" / "web_messaging_examples.json").read_text()
)


def message(**fields: Any) -> dict[str, Any]:
    return {"id": "m1", "type": "Structured", "direction": "Outbound", **fields}


def test_the_reference_s_disconnect_capture_reads_as_a_read_only_presence_event() -> None:
    (example,) = [e for e in EXAMPLES["frames"] if e["situation"] == "disconnect_read_only"]
    body = parse_message(example["json"]["body"])
    assert body.presence == Presence("Disconnect") and body.typing is None
    assert body.read_only and body.originating_entity == "Bot"
    assert body.channel.sender == Participant("Robot Friend")
    assert body.channel.sender.display_name == "Robot Friend"
    assert body.channel.recipient == Participant()
    assert body.raw == example["json"]["body"]


@pytest.mark.parametrize("example", EXAMPLES["fragments"], ids=lambda e: e["situation"])
def test_the_reference_s_content_and_events_are_read(example: dict[str, Any]) -> None:
    if example["kind"] == "content":
        (content,) = parse_message(message(content=[example["json"]])).content
        quick = example["json"]["quickReply"]
        assert content == QuickReply(quick["text"], quick["payload"], quick["action"])
    else:
        (event,) = parse_message(message(type="Event", events=[example["json"]])).events
        assert event == Typing("On", 5000)


def test_every_modelled_content_kind_is_read() -> None:
    card = {
        "title": "T",
        "description": "D",
        "image": "http://i/x.png",
        "defaultAction": {"type": "Link", "text": "open", "url": "http://x"},
        "actions": [{"type": "Postback", "text": "Pick", "payload": "P"}, "junk"],
    }
    body = parse_message(
        message(
            content=[
                {
                    "contentType": "ButtonResponse",
                    "buttonResponse": {"text": "Red", "payload": "RED", "type": "QuickReply"},
                },
                {"contentType": "Card", "card": card},
                {"contentType": "Carousel", "carousel": {"cards": [card, card]}},
                {
                    "contentType": "DatePicker",
                    "datePicker": {
                        "title": "When?",
                        "dateMinimum": "2024-01-01",
                        "availableTimes": [{"dateTime": "2024-01-02T10:00:00Z", "duration": 1800}],
                    },
                },
                {
                    "contentType": "Attachment",
                    "attachment": {
                        "id": "a",
                        "url": "http://d",
                        "filename": "f.png",
                        "fileSize": 12,
                        "mediaType": "Image",
                        "mime": "image/png",
                    },
                },
                {"contentType": "ListPicker", "listPicker": {"sections": []}},
                {"contentType": "Hologram"},
                {"no": "type"},
                "not an object",
            ]
        )
    )
    expected_card = Card(
        "T",
        "D",
        "http://i/x.png",
        None,
        CardAction("Link", "open", "http://x"),
        (CardAction("Postback", "Pick", payload="P"),),
    )
    assert body.content == (
        ButtonResponse("Red", "RED", "QuickReply"),
        expected_card,
        Carousel((expected_card, expected_card)),
        DatePicker(
            "When?",
            date_minimum="2024-01-01",
            available_times=(AvailableTime("2024-01-02T10:00:00Z", 1800),),
        ),
        Attachment("a", "http://d", "f.png", 12, "Image", "image/png"),
        OtherContent("ListPicker"),
        OtherContent("Hologram"),
        OtherContent(None),
    )
    assert isinstance(body.content[5], OtherContent)
    assert body.content[5].fields == {"contentType": "ListPicker", "listPicker": {"sections": []}}


def test_events_read_typing_presence_and_keep_the_others() -> None:
    body = parse_message(
        message(
            type="Event",
            events=[
                {"eventType": "Typing", "typing": {"type": "On", "durationMs": 3000}},
                {"eventType": "Typing", "typing": {"type": "Off"}},
                {"eventType": "Presence", "presence": {"type": "Join"}},
                {"eventType": "CoBrowse", "coBrowse": {"type": "Offering"}},
                {"eventType": "Presence"},
            ],
        )
    )
    assert body.events[:3] == (Typing("On", 3000), Typing("Off"), Presence("Join"))
    assert body.events[3] == OtherEvent("CoBrowse")
    assert body.events[4] == OtherEvent("Presence")
    assert body.typing == Typing("On", 3000) and body.presence == Presence("Join")


def test_the_channel_reads_time_sender_and_custom_attributes() -> None:
    body = parse_message(
        message(
            channel={
                "time": "2022-08-22T19:24:26.704Z",
                "messageId": "mid",
                "type": "Private",
                "from": {"firstName": "Ada", "lastName": "Lovelace", "image": "http://a"},
                "metadata": {"customAttributes": {"plan": "gold", "n": 1}},
            }
        )
    )
    assert body.channel == Channel(
        "2022-08-22T19:24:26.704Z",
        "mid",
        "Private",
        Participant(None, "Ada", "Lovelace", "http://a"),
        None,
        {"plan": "gold"},
    )
    assert body.channel.sender is not None and body.channel.sender.display_name == "Ada Lovelace"
    assert body.channel.timestamp == datetime.datetime(
        2022, 8, 22, 19, 24, 26, 704000, tzinfo=datetime.timezone.utc
    )
    assert parse_message(message(channel={"time": "some_time"})).channel.timestamp is None
    assert parse_message(message()).channel == Channel()
    assert Participant().display_name is None


def test_receipts_read_status_and_reasons() -> None:
    body = parse_message(
        message(type="Receipt", status="Failed", reasons=[{"code": "x", "message": "no"}])
    )
    assert body.status == "Failed" and body.reasons == (Reason("x", "no"),)


def test_metadata_keeps_only_strings_and_read_only_is_a_string_flag() -> None:
    body = parse_message(message(metadata={"readOnly": "TRUE", "n": 1, "correlationId": "c"}))
    assert body.metadata == {"readOnly": "TRUE", "correlationId": "c"} and body.read_only
    assert not parse_message(message(metadata={"readOnly": "false"})).read_only


@pytest.mark.parametrize("missing", ["id", "type", "direction"])
def test_a_message_without_id_type_or_direction_is_a_protocol_error(missing: str) -> None:
    body = message()
    del body[missing]
    with pytest.raises(ProtocolError, match=f"{missing} is missing"):
        parse_message(body)


def test_the_reference_s_history_page_is_read() -> None:
    page = parse_history_page(json.loads(EXAMPLES["history"]["text"]))
    (entity,) = page.messages
    assert entity.text == "\U0001f92a" and entity.originating_entity == "Bot"
    assert entity.content == () and entity.channel.time == "2014-04-30T21:09:51.411Z"
    assert (page.page_number, page.page_size, page.total, page.page_count) == (1, 25, 3, 1)
    assert page.last


def test_a_history_page_without_counts_is_last_when_short() -> None:
    entity = message(type="Text", text="x")
    assert not parse_history_page({"entities": [entity, entity]}, 1, 2).last
    assert parse_history_page({"entities": [entity]}, 2, 2).last
    with pytest.raises(ProtocolError):
        parse_history_page({"entities": [{"id": "no type"}]})
