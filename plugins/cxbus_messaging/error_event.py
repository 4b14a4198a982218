"""The data of MessagingService's ``error`` event: the server's frame, or a failure of our own.

As the JavaScript SDK publishes it: the frame as the server sent it, with the
``errorKey`` its code has (``docs/messaging.md``, Events).
"""

from __future__ import annotations

from typing import Any

from .guest_api import Frame

__all__ = ["ERROR_KEYS", "error_data"]

# The JavaScript SDK's errorKey for each error code.
ERROR_KEYS = {
    4000: "FileUploadUnavailable",
    4001: "fileTypeInvalid",
    4002: "fileTooLarge",
    4003: "fileContentInvalid",
    4004: "fileNameInvalid",
    4005: "fileNameTooLong",
    4011: "messageLengthExceeded",
    4102: "fileSizeZero",
}


def error_data(frame: Frame | dict[str, Any]) -> dict[str, Any]:
    """``error``'s ``error``: the server's frame, or a failure of our own shaped like a
    ``string`` frame (``code`` 0 when no server answered); ``errorKey`` when known."""
    if isinstance(frame, Frame):
        data = dict(frame.raw)
    else:
        data = {"type": "response", "class": "string", **frame}
    body = data.get("body")
    code = body.get("errorCode") if isinstance(body, dict) else None
    key = ERROR_KEYS.get(data.get("code")) or ERROR_KEYS.get(code)  # type: ignore[arg-type]
    if key is not None:
        data["errorKey"] = key
    return data
