"""The ways the guest API can fail a client: a frame it cannot read, a REST call refused
(among them, the deployment not found)."""

from __future__ import annotations

__all__ = ["DeploymentNotFound", "ProtocolError", "RestError"]


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


class DeploymentNotFound(RestError):
    """The server has no deployment with the id asked for: its ``config.json`` answered
    403 or 404. The id is wrong, or it is a deployment of another region. ``where`` is
    the server asked (``api-cdn.mypurecloud.ie``), for the message.
    """

    def __init__(self, where: str, status: int) -> None:
        super().__init__(
            f"no deployment with this deploymentId at {where} (its config.json answered {status})",
            status,
        )
        self.where = where
