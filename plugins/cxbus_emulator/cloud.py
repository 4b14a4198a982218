"""What the emulated Genesys Cloud APIs share: how Genesys writes times and REST errors."""

from __future__ import annotations

import time
import uuid
from typing import Any

__all__ = ["error_body", "int_query", "iso_time", "now"]


def iso_time(seconds: float) -> str:
    """``seconds`` since the epoch as Genesys writes a time: ISO-8601, milliseconds, UTC."""
    whole, millis = divmod(round(seconds * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def now() -> str:
    """The current time as Genesys writes it."""
    return iso_time(time.time())


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """A Platform API ErrorBody, naming the field at fault when there is one."""
    body: dict[str, Any] = {
        "message": message,
        "code": code,
        "status": status,
        "contextId": str(uuid.uuid4()),
        "messageWithParams": message,
        "messageParams": {},
        "details": [{"errorCode": code, "fieldName": field}] if field else [],
        "errors": [],
    }
    return body


def int_query(raw: str | None, default: int, low: int, high: int) -> int:
    """A whole-number query parameter from ``low`` to ``high`` (absent or empty: ``default``);
    ``ValueError`` saying what was expected otherwise."""
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValueError(f"must be a whole number from {low} to {high}")
    return value
