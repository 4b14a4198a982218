"""WebChatService's configuration: the ``webchat`` section, validated once into attrs classes.

The section has the shape of ``window._genesys.widgets.webchat`` (camelCase option
names, as on the Genesys page). ``parse_config(section)`` checks every option
before any network call and raises ``ConfigError`` naming the first bad one with
what was expected. Options this service does not know are ignored: the WebChat
widget shares the section for its UI options.

Two modes, as the widgets have them (Genesys Widgets' ``webchatservice.min.js``; the
docs' WebChatService page, "GMS mode"): with a
``transport`` section, its ``type`` names the transport (``purecloud-v2-sockets``,
``fake``); with none, the chat goes through the GMS Chat API v2 (Genesys Engage /
Multicloud CX) and its options sit in the section itself (``GmsOptions``:
``dataURL``, ``apikey``, ``ajaxTimeout``, ``pollExceptionLimit``, the poll rates,
``restoreTimeout``), with the widgets' GMS module's names, defaults and units:
times in milliseconds. (So ``restoreTimeout`` is in milliseconds in GMS mode, as
the widgets' GMS module reads it, and in seconds with a ``transport``: ours, as
the page says "60 seconds".)

An option set to ``null`` (``None``) takes its default, as if it were left out (ours:
configurations built from templates carry nulls); a required option cannot be null.
Numbers must be finite.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

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
)
from cxbus.options import as_tuple as _as_tuple
from cxbus.options import option as _option
from cxbus.options import section as _section

from .polling import PollingOptions

__all__ = [
    "ConfigError",
    "GmsOptions",
    "InteractionData",
    "Routing",
    "TransportOptions",
    "WebChatConfig",
    "parse_config",
    "parse_gms",
    "restore_seconds",
]

MILLISECONDS = "a finite number of milliseconds above 0"
WHOLE = "a whole number from 0"


@attrs.frozen
class Routing:
    """``transport.interactionData.routing``: where the chat is routed."""

    target_type: str | None = _option("targetType", TEXT, is_text, default=None)
    target_address: str | None = _option("targetAddress", TEXT, is_text, default=None)
    priority: int | None = _option(
        "priority", "an integer from 0 to 10", is_int_in(0, 10), default=None
    )
    skills: tuple[str, ...] = _option(
        "skills",
        "a list of strings",
        lambda v: isinstance(v, tuple) and all(isinstance(s, str) for s in v),
        default=(),
        converter=_as_tuple,
    )
    language: str | None = _option("language", TEXT, is_text, default=None)


@attrs.frozen
class InteractionData:
    """``transport.interactionData``."""

    routing: Routing | None = _section("routing", Routing, default=None)


@attrs.frozen
class TransportOptions:
    """``transport``: which chat service to talk to, and how."""

    type: str = _option("type", TEXT, is_text)
    data_url: str | None = _option(
        "dataURL", "an http(s) URL such as 'https://api.mypurecloud.com'", is_url, default=None
    )
    deployment_key: str | None = _option("deploymentKey", TEXT, is_text, default=None, repr=False)
    org_guid: str | None = _option("orgGuid", TEXT, is_text, default=None)
    pagination: bool = _option(
        "pagination", "true or false", lambda v: isinstance(v, bool), default=True
    )
    max_message_page_size: int = _option(
        "maxMessagePageSize", "an integer from 1 to 100", is_int_in(1, 100), default=100
    )
    interaction_data: InteractionData = _section(
        "interactionData", InteractionData, factory=InteractionData
    )
    timeout: float = _option("timeout", SECONDS, is_seconds, default=10.0)
    """Ours: seconds a REST call may take."""
    ca_bundle: str | None = _option(
        "caBundle", "the path of an existing CA bundle file", is_file, default=None
    )
    """Ours: a CA bundle to verify the server with, on REST and on the event stream,
    instead of the system's; it wins over ``REQUESTS_CA_BUNDLE`` and ``CURL_CA_BUNDLE``."""


@attrs.frozen
class WebChatConfig:
    """The ``webchat`` section."""

    transport: TransportOptions | None = _section("transport", TransportOptions, default=None)
    """``None``: GMS mode, whose options are ``WebChatConfig.gms``."""
    user_data: Mapping[str, Any] = _option(
        "userData",
        "an object of key/value pairs",
        lambda v: isinstance(v, Mapping) and all(isinstance(k, str) for k in v),
        factory=dict,
    )
    restore_timeout: float = _option("restoreTimeout", SECONDS, is_seconds, default=60.0)
    """Ours: how long the guest may be away and the stored chat still be restored (60 s)."""
    auto_restore: bool = _option(
        "autoRestore", "true or false", lambda v: isinstance(v, bool), default=True
    )
    """Ours: restore a stored chat once configured, as the widgets do on a page load.
    When false, no restore happens by itself and any plugin may command ``restore``."""
    session_file: str | None = _option("sessionFile", "a file path", is_text, default=None)
    """Ours: a file that keeps the chat between processes, so a restarted program can
    restore it (mode 0600, claimed by one bus at a time). With neither this nor
    ``sessionStore``, the chat is kept in this bus's memory only."""
    session_store: Any = _option(
        "sessionStore",
        "an object with load(), save(stored) and clear()",
        lambda v: all(callable(getattr(v, m, None)) for m in ("load", "save", "clear")),
        default=None,
    )
    """Ours: a session store object (a keyring, a database row) instead of a file."""
    agent_typing_timeout: float = _option("agentTypingTimeout", SECONDS, is_seconds, default=10.0)
    """Ours: after this long with no message, an agent's typing times out."""
    client_typing_timeout: float = _option("clientTypingTimeout", SECONDS, is_seconds, default=5.0)
    """Ours: the countdown after the guest's last keystroke before typing stops."""


def _is_milliseconds(value: Any) -> bool:
    return is_seconds(value)  # the same test: finite and above 0; only the unit differs


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _above_one(value: Any) -> bool:
    return is_seconds(value) and value > 1


@attrs.frozen
class GmsOptions:
    """GMS mode's options, read from the ``webchat`` section itself (no ``transport``).

    Names, defaults and units are the widgets' GMS module's (``webchatservicelegacy.mod.js``,
    and Genesys's page *WebChatService Configuration*): times in milliseconds.
    ``caBundle`` is ours.
    """

    data_url: str = _option(
        "dataURL",
        "the GMS chat service's http(s) URL, service name included, such as "
        "'http://host:8080/genesys/2/chat/customer-support' (or give a transport section "
        "with its type for another chat service)",
        is_url,
    )
    apikey: str | None = _option("apikey", TEXT, is_text, default=None, repr=False)
    """Sent as the ``apikey`` header of every call (an API gateway's key: a secret)."""
    endpoint: str | None = _option("endpoint", TEXT, is_text, default=None)
    enable_url_trailing_slash: bool = _option(
        "enableUrlTrailingSlash", "true or false", lambda v: isinstance(v, bool), default=True
    )
    ajax_timeout: float = _option("ajaxTimeout", MILLISECONDS, _is_milliseconds, default=3000)
    file_upload_timeout: float = _option(
        "fileUploadTimeout",
        "a finite number of milliseconds from 0 (0: none)",
        lambda v: v == 0 or _is_milliseconds(v),
        default=0,
    )
    poll_exception_limit: int = _option("pollExceptionLimit", WHOLE, _is_whole, default=5)
    poll_rate: float = _option("pollRate", MILLISECONDS, _is_milliseconds, default=3000)
    """The interval when ``dynamicPolling`` is off."""
    poll_rate_min: float = _option("pollRateMin", MILLISECONDS, _is_milliseconds, default=500)
    poll_rate_max: float = _option("pollRateMax", MILLISECONDS, _is_milliseconds, default=3000)
    poll_rate_mult: float = _option(
        "pollRateMult", "a finite number above 1", _above_one, default=1.2
    )
    dynamic_polling: bool = _option(
        "dynamicPolling", "true or false", lambda v: isinstance(v, bool), default=True
    )
    restore_timeout: float = _option(
        "restoreTimeout", MILLISECONDS, _is_milliseconds, default=60000
    )
    max_message_length: int | None = _option(
        "maxMessageLength", "a whole number above 0", lambda v: _is_whole(v) and v > 0, default=None
    )
    ca_bundle: str | None = _option(
        "caBundle", "the path of an existing CA bundle file", is_file, default=None
    )
    """Ours: a CA bundle to verify the server with, instead of the system's."""

    @property
    def restore_seconds(self) -> float:
        return self.restore_timeout / 1000

    def polling(self) -> PollingOptions:
        """The poll schedule's options, in seconds."""
        return PollingOptions(
            min_interval=self.poll_rate_min / 1000,
            max_interval=self.poll_rate_max / 1000,
            multiplier=self.poll_rate_mult,
            fixed_interval=self.poll_rate / 1000,
            dynamic=self.dynamic_polling,
            exception_limit=self.poll_exception_limit,
        )


def parse_config(section: Any, path: str = "webchat") -> WebChatConfig:
    """Validate the ``webchat`` section into a ``WebChatConfig``; raise ``ConfigError``.

    With no ``transport`` (or a null one) the section is in GMS mode: ``parse_gms``
    reads its GMS options.
    """
    return build(WebChatConfig, section, path)


def parse_gms(section: Any, path: str = "webchat") -> GmsOptions | None:
    """GMS mode's options of the ``webchat`` section; ``None`` when it has a ``transport``."""
    if isinstance(section, Mapping) and section.get("transport") is not None:
        return None
    options = build(GmsOptions, section, path)
    if options.poll_rate_max < options.poll_rate_min:
        raise ConfigError(
            f"{path}.pollRateMax",
            f"at least pollRateMin ({options.poll_rate_min:g} ms)",
            options.poll_rate_max,
        )
    return options


def restore_seconds(config: WebChatConfig, gms: GmsOptions | None) -> float:
    """How long a stored chat may be restored, in seconds, in either mode."""
    return gms.restore_seconds if gms is not None else config.restore_timeout
