"""``JsonObject``: one object of a server frame, read field by field, tolerantly.

Genesys adds fields and sends some as strings that the model calls numbers
(``expirationDate`` in an echo's metadata). So: unknown fields are ignored; an
optional field that is missing or of another type reads as ``None`` (or empty);
integers and booleans are also read from their string forms. A *required* field
that is missing or unreadable raises ``ProtocolError`` naming where it is.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ProtocolError

__all__ = ["JsonObject", "whole_number"]

_WHOLE = re.compile(r"-?[0-9]+")


def whole_number(text: str) -> int | None:
    """``text`` as a whole number when it is one in ASCII digits (``"²"`` is not)."""
    stripped = text.strip()
    return int(stripped) if _WHOLE.fullmatch(stripped) else None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


class JsonObject:
    """The JSON object ``value``, found at ``where`` (``"SessionResponse body"``)."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise ProtocolError(f"{where} must be a JSON object, not {_kind(value)}.")
        self.value: dict[str, Any] = value
        self.where = where

    def _missing(self, key: str, expected: str) -> ProtocolError:
        found = self.value.get(key)
        what = "is missing" if found is None else f"is {_kind(found)}"
        return ProtocolError(f"{self.where}: {key} {what}; expected {expected}.")

    def text(self, key: str) -> str | None:
        value = self.value.get(key)
        return value if isinstance(value, str) else None

    def required_text(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise self._missing(key, "a string")
        return value

    def integer(self, key: str) -> int | None:
        value = self.value.get(key)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            return whole_number(value)
        return None

    def required_integer(self, key: str) -> int:
        value = self.integer(key)
        if value is None:
            raise self._missing(key, "a whole number")
        return value

    def flag(self, key: str) -> bool | None:
        value = self.value.get(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return None

    def required_flag(self, key: str) -> bool:
        value = self.flag(key)
        if value is None:
            raise self._missing(key, "true or false")
        return value

    def object(self, key: str) -> JsonObject | None:
        value = self.value.get(key)
        return JsonObject(value, f"{self.where}.{key}") if isinstance(value, dict) else None

    def objects(self, key: str) -> list[JsonObject]:
        """The objects of the list ``key``; entries that are not objects are skipped."""
        value = self.value.get(key)
        if not isinstance(value, list):
            return []
        return [
            JsonObject(item, f"{self.where}.{key}[{index}]")
            for index, item in enumerate(value)
            if isinstance(item, dict)
        ]

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.value.get(key)
        if not isinstance(value, list):
            return ()
        return tuple(item for item in value if isinstance(item, str))

    def strings(self, key: str) -> dict[str, str]:
        """The string map ``key`` (metadata): values that are not strings are skipped."""
        value = self.value.get(key)
        if not isinstance(value, dict):
            return {}
        return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
