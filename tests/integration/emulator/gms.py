"""A GMS chat client made of requests calls only (no cxbus code), for the emulator's tests."""

from __future__ import annotations

from typing import Any

import requests

from cxbus_emulator import Emulator

Body = dict[str, Any]


def request_chat(
    emulator: Emulator, fields: dict[str, str] | None = None, **kwargs: Any
) -> requests.Response:
    """POST a request chat form to the service URL (with the Widgets' trailing slash)."""
    kwargs.setdefault("headers", {"apikey": emulator.gms.apikey})
    given = {"nickname": "Ada"} if fields is None else fields
    return requests.post(emulator.gms.data_url + "/", data=given, timeout=5, **kwargs)


class GmsChat:
    """One chat on the emulator's GMS service: its keys, and calls that send them."""

    def __init__(self, emulator: Emulator, nickname: str = "Ada") -> None:
        self.emulator = emulator
        started = request_chat(emulator, {"nickname": nickname})
        started.raise_for_status()
        self.started: Body = started.json()
        self.id: str = self.started["chatId"]
        self.keys = {
            "secureKey": self.started["secureKey"],
            "userId": self.started["userId"],
            "alias": self.started["alias"],
        }

    @property
    def url(self) -> str:
        return f"{self.emulator.gms.data_url}/{self.id}"

    def post(self, operation: str, **fields: Any) -> requests.Response:
        """A form-encoded call of ``operation`` with the keys and ``fields``."""
        return requests.post(
            f"{self.url}/{operation}",
            data={**self.keys, **fields},
            headers={"apikey": self.emulator.gms.apikey},
            timeout=5,
        )

    def call(self, operation: str, **fields: Any) -> Body:
        """``post``, expecting HTTP 200; the reply's JSON."""
        answer = self.post(operation, **fields)
        assert answer.status_code == 200, answer.text
        body: Body = answer.json()
        return body

    def refresh(self, position: int = 1) -> Body:
        return self.call("refresh", transcriptPosition=position)

    def transcript(self) -> list[Body]:
        messages: list[Body] = self.refresh(1)["messages"]
        return messages

    def upload(
        self, name: str, content: bytes, content_type: str = "text/plain"
    ) -> requests.Response:
        return requests.post(
            f"{self.url}/file",
            data=self.keys,
            files={"file": (name, content, content_type)},
            headers={"apikey": self.emulator.gms.apikey},
            timeout=5,
        )

    def close(self) -> None:
        """Disconnect, whatever state the chat is in (its idle timer stops)."""
        self.post("disconnect")


def kinds(messages: list[Body]) -> list[tuple[str, str]]:
    """(type, from.type) of each message."""
    return [(m["type"], m["from"]["type"]) for m in messages]
