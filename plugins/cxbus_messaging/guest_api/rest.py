"""The guest API over HTTP: history, ``config.json``, and the files of the presigned URLs.

The calls go through the process's shared sessions (``cxbus.runtime.http_sessions``: one
pool of keep-alive connections per server for every conversation, no cookies); every
call has a timeout and verifies TLS (against ``ca_bundle`` when given, else the bundle
``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` names). The calls are reads and
idempotent PUTs, so urllib3's ``Retry`` repeats them on a failed connection and on
500, 502, 503 and 504, with capped exponential backoff. A 429 is not waited for here:
it fails with ``RestError.retry_after`` so the caller, which knows the session's
limits, decides when to call again. Blocking: call it from a worker thread, never
from the thread that reads the socket.
"""

from __future__ import annotations

import concurrent.futures
import logging
import mimetypes
import re
import threading
import urllib.parse
from collections.abc import Callable, Hashable
from typing import Any

import attrs
import requests
from urllib3.util.retry import Retry

from cxbus.runtime.http_sessions import ca_bundle_from_environment, shared_session

from .deployment import DeploymentConfig, parse_deployment_config
from .endpoints import Endpoints
from .errors import DeploymentNotFound, ProtocolError, RestError
from .json_object import JsonObject
from .messages import StructuredMessage, parse_message

__all__ = ["RETRY", "GuestRestApi", "HistoryPage", "parse_history_page"]

log = logging.getLogger("cxbus.messaging.rest")

_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")

RETRY = Retry(
    total=3,
    connect=3,
    read=0,
    status=3,
    status_forcelist=(500, 502, 503, 504),
    allowed_methods=frozenset({"GET", "PUT"}),
    backoff_factor=0.25,
    backoff_max=4.0,
    raise_on_status=False,
    respect_retry_after_header=False,
)


@attrs.frozen
class HistoryPage:
    """One page of the history, newest message first (as the service sends it)."""

    messages: tuple[StructuredMessage, ...]
    page_number: int
    page_size: int
    total: int | None = None
    page_count: int | None = None

    @property
    def last(self) -> bool:
        """No older page follows."""
        if self.page_count is not None:
            return self.page_number >= self.page_count
        return len(self.messages) < self.page_size


def parse_history_page(value: Any, page_number: int = 1, page_size: int = 25) -> HistoryPage:
    """Read a history answer (``page_number`` and ``page_size`` asked, for when it omits them)."""
    page = JsonObject(value, "The history answer")
    return HistoryPage(
        messages=tuple(
            parse_message(entity.value, entity.where) for entity in page.objects("entities")
        ),
        page_number=page.integer("pageNumber") or page_number,
        page_size=page.integer("pageSize") or page_size,
        total=page.integer("total"),
        page_count=page.integer("pageCount"),
    )


class SharedReads:
    """Reads of one resource that overlap share one request: the first caller makes it,
    the others wait for its outcome (its value, or what it raised). A read that starts
    after it ended asks the server again: nothing is kept beyond the overlap, so a
    change the server makes is seen by the next read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._under_way: dict[Hashable, concurrent.futures.Future[Any]] = {}

    def read(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """``make()``, or the outcome of the one under way for ``key``."""
        with self._lock:
            shared = self._under_way.get(key)
            leading = shared is None
            if shared is None:
                shared = self._under_way[key] = concurrent.futures.Future()
        if not leading:
            return shared.result()
        try:
            value = make()
        except BaseException as error:
            shared.set_exception(error)
            raise
        finally:
            with self._lock:
                del self._under_way[key]
        shared.set_result(value)
        return value


# Thousands of conversations started at once read their deployment's config.json once.
_config_reads = SharedReads()


class GuestRestApi:
    """The HTTP calls of one guest of the deployment at ``endpoints``."""

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        timeout: float = 10.0,
        ca_bundle: str | None = None,
        retry: Retry = RETRY,
    ) -> None:
        self.endpoints = endpoints
        self.timeout = timeout
        self.retry = retry
        self.verify = ca_bundle or ca_bundle_from_environment() or True

    def _call(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        session = shared_session(url, self.retry)
        try:
            answer = session.request(
                method, url, timeout=self.timeout, verify=self.verify, **kwargs
            )
        except requests.RequestException as error:
            # Only the kind of failure: requests' own text quotes the URL, and a
            # presigned URL's query is as good as a key.
            raise RestError(
                f"{what}: the server could not be reached ({type(error).__name__})."
            ) from None
        log.debug("%s %s -> %s", method, what, answer.status_code)
        if answer.status_code >= 400:
            retry_after = answer.headers.get("Retry-After", "")
            raise RestError(
                f"{what}: the server answered {answer.status_code} {answer.reason}.",
                answer.status_code,
                float(retry_after) if _SECONDS.fullmatch(retry_after.strip()) else None,
            )
        return answer

    @staticmethod
    def _json(answer: requests.Response, what: str) -> Any:
        try:
            return answer.json()
        except ValueError:
            raise ProtocolError(f"{what}: the answer is not JSON.") from None

    def history(self, jwt: str, page_number: int = 1, page_size: int = 25) -> HistoryPage:
        """One page of the session's messages; ``jwt`` from ``getJwt``, still valid."""
        what = "The message history"
        answer = self._call(
            "GET",
            self.endpoints.history_url,
            what,
            params={"pageNumber": page_number, "pageSize": page_size},
            headers={"Authorization": f"bearer {jwt}", "Origin": self.endpoints.origin},
        )
        return parse_history_page(self._json(answer, what), page_number, page_size)

    def deployment_config(self, deployment_id: str) -> DeploymentConfig:
        """The deployment's ``config.json`` (public: no token). The conversations of the
        process that ask for it at the same time share one request (``SharedReads``).
        ``DeploymentNotFound`` when the server has no such deployment."""
        url = self.endpoints.config_url(deployment_id)

        def read() -> DeploymentConfig:
            what = "The deployment configuration"
            try:
                answer = self._call("GET", url, what)
            except RestError as refused:
                # The CDN answers a missing file with 404, or 403 where listing is denied.
                if refused.status in (403, 404):
                    where = urllib.parse.urlsplit(url).netloc
                    raise DeploymentNotFound(where, refused.status) from None
                raise
            return parse_deployment_config(self._json(answer, what))

        result: DeploymentConfig = _config_reads.read((url, self.verify), read)
        return result

    def upload(self, url: str, headers: dict[str, str], data: bytes, file_name: str) -> None:
        """PUT a file to the presigned ``url`` with every header it came with.

        ``Content-Type`` follows the file name, as the official clients set it.
        """
        content_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        self._call(
            "PUT",
            url,
            f"The upload of {file_name}",
            data=data,
            headers={"Content-Type": content_type, **headers},
        )

    def download(self, url: str) -> bytes:
        """The bytes behind a download URL (it expires: ask ``getAttachment`` for a fresh one)."""
        return self._call("GET", url, "The download").content
