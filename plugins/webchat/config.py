"""WebChatService's configuration: the ``webchat`` section, validated once into attrs classes.

The section has the shape of ``window._genesys.widgets.webchat`` (camelCase option
names, as on the Genesys page). ``parse_config(section)`` checks every option
before any network call and raises ``ConfigError`` naming the first bad one with
what was expected. Options this service does not know are ignored: the WebChat
widget shares the section for its UI options.

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

__all__ = [
    "ConfigError",
    "InteractionData",
    "Routing",
    "TransportOptions",
    "WebChatConfig",
    "parse_config",
]


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

    transport: TransportOptions = _section("transport", TransportOptions)
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


def parse_config(section: Any, path: str = "webchat") -> WebChatConfig:
    """Validate the ``webchat`` section into a ``WebChatConfig``; raise ``ConfigError``."""
    return build(WebChatConfig, section, path)
