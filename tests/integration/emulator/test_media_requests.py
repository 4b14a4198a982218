"""Media requests: the agent's co-browse and screen-share offers, as Genesys has them."""

from __future__ import annotations

import pytest
import requests

from cxbus_emulator import Emulator

from .guest import Guest, of_type


@pytest.mark.parametrize("media_type", ["COBROWSE", "SCREENSHARE"])
def test_an_offer_is_a_media_request_message_and_a_pending_media_request(
    emulator: Emulator, guest: Guest, media_type: str
) -> None:
    """The agent's offer comes as a message of body type media-request (its body the
    request's id, our choice), and GET mediarequests has it PENDING with Genesys's enums."""
    agent_id = emulator.agent_join(guest.id, "Alex")
    request_id = emulator.agent_request_media(guest.id, media_type)
    offer = guest.frame(
        lambda f: of_type("message")(f) and f["eventBody"]["bodyType"] == "media-request"
    )["eventBody"]
    assert (offer["sender"]["id"], offer["body"]) == (agent_id, request_id)
    [listed] = guest.call("GET", "/mediarequests").json()["entities"]
    assert (listed["id"], listed["types"], listed["state"]) == (request_id, [media_type], "PENDING")
    assert listed["communicationId"] == guest.id and listed["securityKey"]
    assert guest.history()[-1]["bodyType"] == "media-request"


@pytest.mark.parametrize("answer", ["ACCEPTED", "DECLINED", "ERRORED"])
def test_the_guest_answers_an_offer(emulator: Emulator, guest: Guest, answer: str) -> None:
    """PATCH the media request with ACCEPTED, DECLINED or ERRORED; anything else is 400."""
    emulator.agent_join(guest.id, "Alex")
    request_id = emulator.agent_request_media(guest.id, "SCREENSHARE")
    patched = guest.call("PATCH", f"/mediarequests/{request_id}", json={"state": answer})
    assert patched.json()["state"] == answer
    assert guest.call("GET", f"/mediarequests/{request_id}").json()["state"] == answer
    refused = guest.call("PATCH", f"/mediarequests/{request_id}", json={"state": "PENDING"})
    assert refused.status_code == 400 and refused.json()["details"][0]["fieldName"] == "state"


def test_an_unknown_media_type_is_refused(emulator: Emulator, guest: Guest) -> None:
    """Only COBROWSE and SCREENSHARE exist; the HTTP control says so naming the field."""
    emulator.agent_join(guest.id, "Alex")
    refused = requests.post(
        f"{emulator.data_url}/emulator/conversations/{guest.id}/agent/media-request",
        json={"type": "VIDEO"},
        timeout=5,
    )
    assert refused.status_code == 400 and refused.json()["details"][0]["fieldName"] == "type"
    offered = requests.post(
        f"{emulator.data_url}/emulator/conversations/{guest.id}/agent/media-request",
        json={"type": "COBROWSE"},
        timeout=5,
    )
    assert offered.json()["types"] == ["COBROWSE"]
