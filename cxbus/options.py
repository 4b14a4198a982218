"""A plugin's configuration section, read once into attrs classes: one sentence per bad option.

A plugin declares its section as attrs classes whose fields say which option they
read and what it must be::

    @attrs.frozen
    class GreeterConfig:
        greeting: str = option("greeting", TEXT, is_text, default="hello")
        timeout: float = option("timeout", SECONDS, is_seconds, default=10.0)

    config = build(GreeterConfig, {"greeting": "bonjour"}, "greeter")

``build`` checks every option and raises ``ConfigError`` naming the first bad one
(``greeter.timeout must be a finite number of seconds above 0; got -1.``). Options
the classes do not know are ignored (``unknown_option`` names them for a stricter
caller). An option set to ``null`` (``None``) takes its default, as if it were left
out; a required option cannot be null. Nested objects of options are ``section``
fields.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

from cxbus.errors import PluginError

__all__ = [
    "SECONDS",
    "TEXT",
    "ConfigError",
    "as_tuple",
    "build",
    "is_file",
    "is_int_in",
    "is_seconds",
    "is_text",
    "is_url",
    "option",
    "section",
    "unknown_option",
]

T = TypeVar("T")

SECONDS = "a finite number of seconds above 0"
TEXT = "a non-empty string"


class ConfigError(PluginError):
    """An option of a plugin's section is missing or not what it should be.

    ``option`` is its path, such as ``"webchat.transport.interactionData.routing.priority"``.
    The value given is shown, unless it is ``secret`` (a field with ``repr=False``, such
    as a deployment key): then only its type is.
    """

    def __init__(
        self, option: str, expected: str, got: Any = attrs.NOTHING, secret: bool = False
    ) -> None:
        shown = "it is missing" if got is attrs.NOTHING else f"got {_describe(got, secret)}"
        super().__init__(f"{option} must be {expected}; {shown}.")
        self.option = option


def _describe(value: Any, secret: bool) -> str:
    text = repr(value)
    return text if len(text) <= 60 and not secret else f"a {type(value).__name__}"


class _Invalid(Exception):
    """Raised by an option's check, with what the option should have been."""

    def __init__(self, option: str, expected: str, got: Any, secret: bool) -> None:
        super().__init__(expected)
        self.option = option
        self.expected = expected
        self.got = got
        self.secret = secret


def option(name: str, expected: str, test: Callable[[Any], bool], **kwargs: Any) -> Any:
    """An attrs field read from option ``name``, that must pass ``test`` when given."""

    def validate(instance: Any, attribute: Any, value: Any) -> None:
        if value is not None and not test(value):
            raise _Invalid(name, expected, value, secret=not attribute.repr)

    return attrs.field(
        metadata={"option": name, "expected": expected},
        validator=validate,
        kw_only=True,
        **kwargs,
    )


def section(name: str, cls: type[Any], **kwargs: Any) -> Any:
    """An attrs field read from the nested object of options ``name``."""
    return attrs.field(
        metadata={"option": name, "expected": "an object of options", "section": cls},
        kw_only=True,
        **kwargs,
    )


def build(cls: type[T], options: Any, path: str) -> T:
    """Read ``options`` (the section at ``path``) into ``cls``; ``ConfigError`` if bad."""
    if not isinstance(options, Mapping):
        raise ConfigError(path, "an object of options", options)
    values: dict[str, Any] = {}
    for field in attrs.fields(cls):  # type: ignore[arg-type]
        name, expected = field.metadata["option"], field.metadata["expected"]
        if name not in options:
            if field.default is attrs.NOTHING:
                raise ConfigError(f"{path}.{name}", expected)
            continue
        nested = field.metadata.get("section")
        value = options[name]
        if value is None:
            if field.default is attrs.NOTHING:
                raise ConfigError(f"{path}.{name}", expected, None)
            continue  # null: the default
        values[field.name] = build(nested, value, f"{path}.{name}") if nested else value
    try:
        return cls(**values)
    except _Invalid as invalid:
        raise ConfigError(
            f"{path}.{invalid.option}", invalid.expected, invalid.got, invalid.secret
        ) from None


def unknown_option(
    options: Mapping[str, Any], cls: type[Any], path: str, plugin: str
) -> str | None:
    """A sentence naming the first option of ``options`` that ``cls`` does not know."""
    # The options are the fields' metadata, nested sections included, so an option
    # added to a class is known here at once.
    fields = {field.metadata["option"]: field for field in attrs.fields(cls)}
    for key, value in options.items():
        field = fields.get(key)
        if field is None:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f"; did you mean {close[0]}?" if close else f" (known: {', '.join(fields)})"
            return f"{path}.{key} is not an option of {plugin}{hint}"
        nested = field.metadata.get("section")
        if nested is not None and isinstance(value, Mapping):
            found = unknown_option(value, nested, f"{path}.{key}", plugin)
            if found is not None:
                return found
    return None


# Checks ------------------------------------------------------------------------------


def is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def is_url(value: Any) -> bool:
    """An http(s) URL with a host."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_int_in(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def is_seconds(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def is_file(value: Any) -> bool:
    return is_text(value) and os.path.isfile(value)


def as_tuple(value: Any) -> Any:
    """A list becomes a tuple; anything else is left for the validator to refuse."""
    return tuple(value) if isinstance(value, list) else value
