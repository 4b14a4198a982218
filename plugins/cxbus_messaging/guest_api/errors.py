"""The two ways the guest API can fail a client: a frame it cannot read, a REST call refused."""

from __future__ import annotations

__all__ = ["ProtocolError", "RestError"]


class ProtocolError(ValueError):
    """The server sent something this client cannot read (not JSON, a required field missing).

    The message names the frame and the field; it never quotes a token.
    """


class RestError(Exception):
    """A REST call of the guest API failed: the server's status (0: no answer) and why.

    ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one (a 429).
    """

    def __init__(self, message: str, status: int = 0, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
