"""The Genesys Cloud guest chat REST API, through one ``requests.Session`` per chat.

Every call has a timeout and verifies TLS (against ``transport.caBundle`` when
given, else the bundle ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` names, which the
event stream uses too). Refused calls
are retried by urllib3's ``Retry``: 429 after its ``Retry-After``, 5xx and
connection failures with capped exponential backoff and jitter. A POST is retried
only where the server cannot have acted on it (429, 503, no connection): a 500, 502
or 504 may come after the message was posted, and posting it again would show it
twice. A read failure is not retried, for the same reason. A call made with
``retried=False`` is tried once, so it ends within the timeout (the guest leaving).

A refusal is a ``TransportError``: the server's ErrorBody when it sent one, else one
sentence (unreachable, no answer in time, refused with status N), never urllib3's
text. No URL in an error carries a token.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

import requests
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from cxbus.runtime.http_sessions import ca_bundle_from_environment, shared_session

from ..config import TransportOptions
from ..transport import ErrorBody, TransportError

__all__ = ["ONCE", "RETRY", "GuestChatApi", "GuestChatRetry"]

log = logging.getLogger("cxbus.webchat.rest")

PATH = "/api/v2/webchat/guest"


class GuestChatRetry(Retry):
    """urllib3's Retry, except that a POST retries only on statuses that say it was not
    carried out, and a ``Retry-After`` over ``RETRY_AFTER_MAX`` seconds is not waited
    for: the call fails with the server's answer instead of holding the chat's calls."""

    NOT_CARRIED_OUT = frozenset({429, 503})
    RETRY_AFTER_MAX = 30.0

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST" and status_code not in self.NOT_CARRIED_OUT:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> GuestChatRetry:
        if response is not None and (self.get_retry_after(response) or 0) > self.RETRY_AFTER_MAX:
            # With raise_on_status off, urllib3 hands this response back to requests.
            raise MaxRetryError(_pool, url, error)  # type: ignore[arg-type]
        return super().increment(method, url, response, error, _pool, _stacktrace)


# Seconds: the first retry waits about 0.25, each next one twice as long, up to 8.
RETRY = GuestChatRetry(
    total=5,
    connect=5,
    read=0,
    status=5,
    status_forcelist=(429, 500, 502, 503, 504),
    allowed_methods=None,  # every method; GuestChatRetry holds POSTs back
    backoff_factor=0.25,
    backoff_max=8.0,
    backoff_jitter=0.25,
    respect_retry_after_header=True,
    raise_on_status=False,
)


# A call made with retried=False is tried once.
ONCE = Retry(0, read=False)


class GuestChatApi:
    """REST calls of one guest; ``jwt`` is set once the conversation is created.

    The chats of a process share their HTTP connections (``cxbus.runtime.http_sessions``):
    starting a chat costs no TCP (or TLS) handshake of its own. Each request carries
    its chat's JWT; the shared sessions keep no cookies, so nothing of one chat reaches
    another.
    """

    def __init__(self, options: TransportOptions) -> None:
        if options.data_url is None:
            raise TransportError("webchat.transport.dataURL is required for this transport.")
        self.root = options.data_url.rstrip("/")
        self.timeout = options.timeout
        # Given with every request: a session's own verify loses to the environment's.
        # The shared sessions do not read the environment, so its bundle is read here.
        self.verify: str | None = options.ca_bundle or ca_bundle_from_environment()
        self.session = shared_session(self.root, RETRY)
        self.once = shared_session(self.root, ONCE)
        self.jwt: str | None = None

    def close(self) -> None:
        """Nothing of the chat's own to close: its connections are the server's pool's."""
        self.jwt = None

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call ``path`` (below /api/v2/webchat/guest); the JSON answer, or ``None``."""
        answer = self.request(method, PATH + path, **kwargs)
        if answer.status_code == 204 or not answer.content:
            return None
        try:
            return answer.json()
        except ValueError:
            raise TransportError(
                f"The chat server answered {method} {path} with something that is not JSON."
            ) from None

    def request(
        self, method: str, path: str, *, retried: bool = True, **kwargs: Any
    ) -> requests.Response:
        """Call ``path`` (below ``dataURL``); the answer, once it is not an error."""
        headers = kwargs.pop("headers", {})
        if self.jwt is not None:
            headers["Authorization"] = f"Bearer {self.jwt}"
        session = self.session if retried else self.once
        try:
            answer = session.request(
                method,
                self.root + path,
                headers=headers,
                timeout=self.timeout,
                verify=self.verify,
                **kwargs,
            )
        except requests.Timeout:
            raise TransportError(
                f"The chat server at {self.root} did not answer within {self.timeout:g} s."
            ) from None
        except requests.ConnectionError:
            raise TransportError(f"The chat server at {self.root} could not be reached.") from None
        except requests.RequestException as error:
            raise TransportError(
                f"The call to the chat server at {self.root} failed ({type(error).__name__})."
            ) from None
        log.debug("%s %s -> %s", method, path, answer.status_code)
        if answer.status_code >= 400:
            raise TransportError(_error_body(answer), answer.status_code)
        return answer


def _error_body(answer: requests.Response) -> ErrorBody:
    """The server's ErrorBody, or one saying only its status when it sent none."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "message" in body:
        return ErrorBody(body)
    return ErrorBody({"message": "The chat server refused the call", "status": answer.status_code})
