"""MessagingService's configuration: the ``messaging`` section, validated once into attrs classes.

``parse_config(section)`` checks every option before any network call and raises
``ConfigError`` naming the first bad one with what was expected (the machinery is
``cxbus.options``, shared with WebChatService). Options it does not know are
ignored. Where the service is: a Genesys Cloud region's ``domain``, or a
``baseURL`` that serves the socket, the REST calls and ``config.json`` alike (the
emulator's); exactly one of them.

An authenticated deployment's sign-in: ``authCode`` (with ``redirectUri`` and
``codeVerifier``) or ``idToken`` (with ``nonce``), or ``authProvider`` (``sign_in``).

Ours, where the Messenger has no option: the session store (``sessionFile`` or
``sessionStore``), the reconnection's limits, the service's rate limits to pace
under, the health check's pace, timeouts, a CA bundle.
"""

from __future__ import annotations

from typing import Any

import attrs

from cxbus import __version__
from cxbus.options import (
    SECONDS,
    TEXT,
    ConfigError,
    build,
    is_file,
    is_int_in,
    is_seconds,
    is_text,
    is_url,
    option,
)

from .guest_api import Credentials, Endpoints

__all__ = ["ConfigError", "MessagingConfig", "parse_config"]

DOMAIN = "a Genesys Cloud region's domain such as 'mypurecloud.com' or 'euw2.pure.cloud'"


def _is_domain(value: Any) -> bool:
    return is_text(value) and not any(c in value for c in "/:@?# ")


def _is_provider(value: Any) -> bool:
    return callable(value) or is_text(value)


def _is_store(value: Any) -> bool:
    return all(callable(getattr(value, method, None)) for method in ("load", "save", "clear"))


@attrs.frozen
class MessagingConfig:
    """The ``messaging`` section."""

    deployment_id: str = option("deploymentId", TEXT, is_text)
    """The Messenger deployment's id (Admin > Message > Messenger Deployments)."""
    domain: str | None = option("domain", DOMAIN, _is_domain, default=None)
    """Where the deployment's region is, e.g. ``mypurecloud.ie``; or ``baseURL``."""
    base_url: str | None = option(
        "baseURL", "an http(s) URL such as 'http://127.0.0.1:8080'", is_url, default=None
    )
    """Ours: one base for the socket, REST and ``config.json`` (the emulator's)."""
    origin: str | None = option(
        "origin", "an http(s) URL such as 'https://example.com'", is_url, default=None
    )
    """The ``Origin`` header: one the deployment allows when it restricts domains."""
    application: str = option("application", TEXT, is_text, default=f"cxbus-{__version__}")
    """The ``application`` label of the socket's URL."""
    session_file: str | None = option("sessionFile", "a file path", is_text, default=None)
    """Ours: a file that keeps the session token between processes, so that a restarted
    program resumes the conversation (mode 0600, claimed by one bus at a time). With
    neither this nor ``sessionStore``, the conversation is kept in this bus's memory."""
    session_store: Any = option(
        "sessionStore", "an object with load(), save(stored) and clear()", _is_store, default=None
    )
    """Ours: a session store object (a keyring, a database row) instead of a file."""
    reconnect_timeout: float = option("reconnectTimeout", SECONDS, is_seconds, default=300.0)
    """How long a lost socket is tried again before ``error`` says it failed (300 s)."""
    reconnect_interval: float = option("reconnectInterval", SECONDS, is_seconds, default=5.0)
    """Ours: the wait between two attempts to reopen a lost socket (5 s, as Android's), and
    before a catch-up's failed history call is made again."""
    timeout: float = option("timeout", SECONDS, is_seconds, default=10.0)
    """Ours: how long opening the socket, an answer to a request, or a REST call may take."""
    send_timeout: float = option("sendTimeout", SECONDS, is_seconds, default=60.0)
    """Ours: how long ``sendMessage`` waits for the server's echo of the message before it
    rejects (60 s: a lost socket's detection, a few reconnection tries and the catch-up
    fit in it). The message is not withdrawn: if it reaches the server later, its echo
    comes in ``messagesReceived``."""
    health_check_interval: float = option("healthCheckInterval", SECONDS, is_seconds, default=31.0)
    """Ours: the echo health check's pace: the mobile client's 30 s, and a second to
    spare so that two a minute (the service's limit) are never exceeded."""
    messages_per_second: int = option(
        "messagesPerSecond", "an integer from 1 to 100", is_int_in(1, 100), default=5
    )
    """Ours: the service's message rate per session, which sends are paced under."""
    requests_per_minute: int = option(
        "requestsPerMinute", "an integer from 6 to 6000", is_int_in(6, 6000), default=60
    )
    """Ours: the service's request rate per connection, which requests are paced under."""
    history_page_size: int = option(
        "historyPageSize", "an integer from 1 to 100", is_int_in(1, 100), default=25
    )
    """Ours: messages per page of history (``restored``, ``fetchHistory``, catch-ups)."""
    ca_bundle: str | None = option(
        "caBundle", "the path of an existing CA bundle file", is_file, default=None
    )
    """Ours: a CA bundle to verify the server with (socket and REST), instead of the system's."""

    auth_code: str | None = option("authCode", TEXT, is_text, default=None, repr=False)
    """An authenticated deployment: the signed-in guest's authorization code, from the
    brand's login (good once: a second sign-in needs ``authProvider``)."""
    redirect_uri: str | None = option("redirectUri", TEXT, is_text, default=None)
    """The redirect URI ``authCode`` was issued for (required with it)."""
    code_verifier: str | None = option("codeVerifier", TEXT, is_text, default=None, repr=False)
    """The PKCE verifier of ``authCode``, when the login used PKCE."""
    id_token: str | None = option("idToken", TEXT, is_text, default=None, repr=False)
    """An authenticated deployment: the signed-in guest's OpenID Connect id token."""
    nonce: str | None = option("nonce", TEXT, is_text, default=None, repr=False)
    """The nonce ``idToken`` was issued with (required with it)."""
    auth_provider: Any = option(
        "authProvider",
        "a callable that returns {authCode, redirectUri, codeVerifier?} or {idToken, nonce}, "
        "or the name of a plugin with a getAuthCode command",
        _is_provider,
        default=None,
    )
    """An authenticated deployment: where each sign-in's code comes from (the Messenger's
    ``AuthProvider`` plugin is the model)."""

    @property
    def credentials(self) -> Credentials | None:
        """The credentials given directly (``authCode`` or ``idToken``), if any."""
        if self.auth_code is not None:
            return Credentials(
                auth_code=self.auth_code,
                redirect_uri=self.redirect_uri,
                code_verifier=self.code_verifier,
            )
        if self.id_token is not None:
            return Credentials(id_token=self.id_token, nonce=self.nonce)
        return None

    @property
    def authenticated(self) -> bool:
        """Whether conversations sign in (``configureAuthenticatedSession``)."""
        return self.credentials is not None or self.auth_provider is not None

    def endpoints(self) -> Endpoints:
        """Where the socket, the REST calls and ``config.json`` are."""
        if self.base_url is not None:
            return Endpoints.for_base_url(self.base_url, self.origin)
        assert self.domain is not None
        return Endpoints.for_domain(self.domain, self.origin)


def parse_config(section: Any, path: str = "messaging") -> MessagingConfig:
    """Validate the ``messaging`` section into a ``MessagingConfig``; raise ``ConfigError``."""
    config = build(MessagingConfig, section, path)
    if config.domain is None and config.base_url is None:
        raise ConfigError(f"{path}.domain", f"{DOMAIN} (or baseURL given instead)")
    if config.domain is not None and config.base_url is not None:
        raise ConfigError(f"{path}.baseURL", "left out when domain is given", config.base_url)
    _check_sign_in(config, path)
    return config


def _check_sign_in(config: MessagingConfig, path: str) -> None:
    """One way to sign in, with what it needs."""
    given = [
        (name, value)
        for name, value in (
            ("authCode", config.auth_code),
            ("idToken", config.id_token),
            ("authProvider", config.auth_provider),
        )
        if value is not None
    ]
    if len(given) > 1:
        (first, _), (second, value) = given[:2]
        raise ConfigError(f"{path}.{second}", f"left out when {first} is given", value, True)
    if config.auth_code is not None and config.redirect_uri is None:
        raise ConfigError(f"{path}.redirectUri", "the redirect URI authCode was issued for")
    if config.id_token is not None and config.nonce is None:
        raise ConfigError(f"{path}.nonce", "the nonce idToken was issued with")
    if config.code_verifier is not None and config.auth_code is None:
        raise ConfigError(
            f"{path}.codeVerifier", "given with authCode only", config.code_verifier, True
        )
