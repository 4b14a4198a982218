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

import math
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

from cxbus import PluginError

__all__ = [
    "ConfigError",
    "InteractionData",
    "Routing",
    "TransportOptions",
    "WebChatConfig",
    "parse_config",
]

T = TypeVar("T")


class ConfigError(PluginError):
    """An option of the ``webchat`` section is missing or not what it should be.

    ``option`` is its path, such as ``"webchat.transport.interactionData.routing.priority"``.
    """

    def __init__(self, option: str, expected: str, got: Any = attrs.NOTHING) -> None:
        shown = "it is missing" if got is attrs.NOTHING else f"got {_describe(got)}"
        super().__init__(f"{option} must be {expected}; {shown}.")
        self.option = option


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


class _Invalid(Exception):
    """Raised by an option's check, with what the option should have been."""

    def __init__(self, option: str, expected: str, got: Any) -> None:
        super().__init__(expected)
        self.option = option
        self.expected = expected
        self.got = got


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_int_in(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _option(name: str, expected: str, test: Callable[[Any], bool], **kwargs: Any) -> Any:
    """An attrs field read from option ``name``, that must pass ``test`` when given."""

    def validate(instance: Any, attribute: Any, value: Any) -> None:
        if value is not None and not test(value):
            raise _Invalid(name, expected, value)

    return attrs.field(
        metadata={"option": name, "expected": expected},
        validator=validate,
        kw_only=True,
        **kwargs,
    )


def _section(name: str, cls: type[Any], **kwargs: Any) -> Any:
    """An attrs field read from the nested object of options ``name``."""
    return attrs.field(
        metadata={"option": name, "expected": "an object of options", "section": cls},
        kw_only=True,
        **kwargs,
    )


def _is_seconds(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _is_file(value: Any) -> bool:
    return _is_text(value) and os.path.isfile(value)


def _as_tuple(value: Any) -> Any:
    """A list becomes a tuple; anything else is left for the validator to refuse."""
    return tuple(value) if isinstance(value, list) else value


SECONDS = "a finite number of seconds above 0"


TEXT = "a non-empty string"


@attrs.frozen
class Routing:
    """``transport.interactionData.routing``: where the chat is routed."""

    target_type: str | None = _option("targetType", TEXT, _is_text, default=None)
    target_address: str | None = _option("targetAddress", TEXT, _is_text, default=None)
    priority: int | None = _option(
        "priority", "an integer from 0 to 10", _is_int_in(0, 10), default=None
    )
    skills: tuple[str, ...] = _option(
        "skills",
        "a list of strings",
        lambda v: isinstance(v, tuple) and all(isinstance(s, str) for s in v),
        default=(),
        converter=_as_tuple,
    )
    language: str | None = _option("language", TEXT, _is_text, default=None)


@attrs.frozen
class InteractionData:
    """``transport.interactionData``."""

    routing: Routing | None = _section("routing", Routing, default=None)


@attrs.frozen
class TransportOptions:
    """``transport``: which chat service to talk to, and how."""

    type: str = _option("type", TEXT, _is_text)
    data_url: str | None = _option(
        "dataURL", "an http(s) URL such as 'https://api.mypurecloud.com'", _is_url, default=None
    )
    deployment_key: str | None = _option("deploymentKey", TEXT, _is_text, default=None, repr=False)
    org_guid: str | None = _option("orgGuid", TEXT, _is_text, default=None)
    pagination: bool = _option(
        "pagination", "true or false", lambda v: isinstance(v, bool), default=True
    )
    max_message_page_size: int = _option(
        "maxMessagePageSize", "an integer from 1 to 100", _is_int_in(1, 100), default=100
    )
    interaction_data: InteractionData = _section(
        "interactionData", InteractionData, factory=InteractionData
    )
    timeout: float = _option("timeout", SECONDS, _is_seconds, default=10.0)
    """Ours: seconds a REST call may take."""
    ca_bundle: str | None = _option(
        "caBundle", "the path of an existing CA bundle file", _is_file, default=None
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
    restore_timeout: float = _option("restoreTimeout", SECONDS, _is_seconds, default=60.0)
    """Ours: how long the guest may be away and the stored chat still be restored (60 s)."""
    auto_restore: bool = _option(
        "autoRestore", "true or false", lambda v: isinstance(v, bool), default=True
    )
    """Ours: restore a stored chat once configured, as the widgets do on a page load.
    When false, no restore happens by itself and any plugin may command ``restore``."""
    session_file: str | None = _option("sessionFile", "a file path", _is_text, default=None)
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
    agent_typing_timeout: float = _option("agentTypingTimeout", SECONDS, _is_seconds, default=10.0)
    """Ours: after this long with no message, an agent's typing times out."""
    client_typing_timeout: float = _option("clientTypingTimeout", SECONDS, _is_seconds, default=5.0)
    """Ours: the countdown after the guest's last keystroke before typing stops."""


def parse_config(section: Any, path: str = "webchat") -> WebChatConfig:
    """Validate the ``webchat`` section into a ``WebChatConfig``; raise ``ConfigError``."""
    return _build(WebChatConfig, section, path)


def _build(cls: type[T], options: Any, path: str) -> T:
    if not isinstance(options, Mapping):
        raise ConfigError(path, "an object of options", options)
    values: dict[str, Any] = {}
    for field in attrs.fields(cls):  # type: ignore[arg-type]
        option, expected = field.metadata["option"], field.metadata["expected"]
        if option not in options:
            if field.default is attrs.NOTHING:
                raise ConfigError(f"{path}.{option}", expected)
            continue
        section = field.metadata.get("section")
        value = options[option]
        if value is None:
            if field.default is attrs.NOTHING:
                raise ConfigError(f"{path}.{option}", expected, None)
            continue  # null: the default
        values[field.name] = _build(section, value, f"{path}.{option}") if section else value
    try:
        return cls(**values)
    except _Invalid as invalid:
        raise ConfigError(f"{path}.{invalid.option}", invalid.expected, invalid.got) from None
