"""The emulator's load for benchmarks: every chat's agent sends numbered, time-stamped
messages at a steady pace, on the guest chat API and on Web Messaging."""

from __future__ import annotations

import time

import requests

from cxbus_emulator import Emulator

from .messenger import Messenger, outbound


def test_the_bot_sends_every_open_web_messaging_session_numbered_stamped_messages() -> None:
    with Emulator() as emulator:
        guests = [Messenger(emulator), Messenger(emulator)]
        answer = requests.post(
            f"{emulator.data_url}/emulator/messaging/load",
            json={"interval": 0.25, "duration": 0.75},
            timeout=5,
        )
        assert answer.json() == {"sessions": 2, "messagesPerSession": 3}
        for guest in guests:
            texts = [guest.frame(outbound())["body"]["text"] for _ in range(3)]
            numbers = [int(text.split()[0]) for text in texts]
            stamps = [float(text.split()[1]) for text in texts]
            assert numbers == [0, 1, 2]
            assert all(stamp <= time.time() for stamp in stamps)
            guest.close()


def test_a_load_that_is_not_a_number_of_seconds_is_refused_naming_the_field() -> None:
    with Emulator() as emulator:
        for path in ("/emulator/load", "/emulator/messaging/load"):
            answer = requests.post(
                emulator.data_url + path, json={"interval": 1, "duration": "long"}, timeout=5
            )
            assert answer.status_code == 400
            assert "duration" in answer.json()["message"]
