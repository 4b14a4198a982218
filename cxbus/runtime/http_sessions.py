"""The process's HTTP sessions: one ``requests.Session`` per server and retry policy.

Every chat of a process calls its server through the same session, so the chats share
its pool of keep-alive connections: starting a chat costs no TCP (or TLS) handshake
and no socket of its own, and thousands of chats hold one small pool per server rather
than a session each (a session is a few hundred objects that the garbage collector
walks on every full collection).

A shared session carries nothing from one chat to another: it keeps no cookies, and
whatever belongs to a chat (its token, its key) goes with each request. It does not
read the environment on every call either: the proxies for a server are read once,
when its session is made, and the CA bundle is given with each request as ``verify``
(``ca_bundle_from_environment()`` when the configuration names none), so that a
configured bundle is never overridden by the environment's.

Sessions live as long as the process; their connection pools are thread-safe, and a
pool keeps as many connections as the I/O lanes can have calls under way.
"""

from __future__ import annotations

import http.cookiejar
import os
import threading
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from cxbus.runtime.threads import IO_THREADS

__all__ = ["ca_bundle_from_environment", "shared_session"]

_sessions: dict[tuple[str, Retry], requests.Session] = {}
_lock = threading.Lock()


def shared_session(url: str, retry: Retry) -> requests.Session:
    """The process's session for the server of ``url`` (its scheme, host and port),
    whose calls are retried as ``retry`` says (a module's constant: sessions are told
    apart by the retry object itself)."""
    parts = urlsplit(url)
    key = (f"{parts.scheme}://{parts.netloc}", retry)
    session = _sessions.get(key)
    if session is None:
        with _lock:
            session = _sessions.get(key)
            if session is None:
                session = _sessions[key] = _session(key[0], retry)
    return session


def ca_bundle_from_environment() -> str | None:
    """The bundle ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` names, as requests reads them."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def _session(origin: str, retry: Retry) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # read here once, not on every call (and no ~/.netrc)
    session.proxies = requests.utils.get_environ_proxies(origin)
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=IO_THREADS, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
