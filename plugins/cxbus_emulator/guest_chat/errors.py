"""Refusals: an ``ApiError`` becomes the HTTP status and the ErrorBody it carries."""

from __future__ import annotations

from typing import Any

from .. import cloud

__all__ = ["ApiError", "bad_request", "error_body", "not_active", "not_found"]


def error_body(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An ErrorBody, naming the field at fault when there is one, with its ``params``."""
    body = cloud.error_body(status, code, message, field)
    body["messageParams"] = params or {}
    return body


class ApiError(Exception):
    """Answer the request with ``status`` and an ErrorBody."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(status, code, message, field, params)


def bad_request(field: str, expected: str) -> ApiError:
    return ApiError(400, "bad.request", f"The field {field} {expected}.", field)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not.found", message)


def not_active() -> ApiError:
    """Genesys' answer to a post or typing in a chat not attached yet (as real clients
    capture it)."""
    return ApiError(
        400,
        "chat.error.conversation.state",
        "Conversation State",
        params={"message": "The conversation is not active"},
    )
