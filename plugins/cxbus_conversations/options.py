"""What a conversation is made with, checked once when it is made: ``Options``.

A channel by name and that channel's configuration section (the conversation makes a
bus of its own), or a bus the user configured already; the customer's nickname, the
custom attributes the conversation carries, and the default timeout of its waits and
commands. A bad value is one sentence naming the argument and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from cxbus import Bus

__all__ = ["CHANNELS", "Options"]

CHANNELS = ("messaging", "webchat", "gms")
"""Web Messaging (MessagingService); the guest chat API and GMS (WebChatService)."""


def _channel(instance: Any, attribute: attrs.Attribute[str], value: Any) -> None:
    if value not in CHANNELS:
        names = ", ".join(repr(name) for name in CHANNELS)
        raise ValueError(f"channel must be one of {names}; got {value!r}.")


def _nickname(instance: Any, attribute: attrs.Attribute[str], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"nickname must be a non-empty string; got {value!r}.")


def _attributes(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Mapping) or not all(
        isinstance(key, str) and isinstance(text, str) for key, text in value.items()
    ):
        raise ValueError(f"attributes must map strings to strings; got {value!r}.")


def _timeout(instance: Any, attribute: attrs.Attribute[float], value: Any) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"timeout must be a finite number of seconds above 0; got {value!r}.")


def _is_section(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, Mapping):
        raise ValueError(
            f"config must be the channel's configuration section (a dict); got {value!r}."
        )


def _is_bus(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, Bus):
        raise ValueError(f"bus must be a cxbus.Bus; got {value!r}.")


@attrs.frozen
class Options:
    """A conversation's channel, where it talks, and how (see the module docstring)."""

    channel: str = attrs.field(validator=_channel)
    config: Mapping[str, Any] | None = attrs.field(default=None, validator=_is_section, repr=False)
    bus: Bus | None = attrs.field(default=None, validator=_is_bus)
    nickname: str = attrs.field(default="Customer", validator=_nickname, repr=False)
    attributes: Mapping[str, str] = attrs.field(factory=dict, validator=_attributes, repr=False)
    timeout: float = attrs.field(default=10.0, validator=_timeout)

    def __attrs_post_init__(self) -> None:
        if (self.config is None) == (self.bus is None):
            raise ValueError(
                "Give the channel's configuration section (config) or a bus configured "
                "for it (bus): exactly one of them."
            )
        if self.config is None or self.channel == "messaging":
            return
        gms_mode = self.config.get("transport") is None
        if self.channel == "webchat" and gms_mode:
            raise ValueError(
                "channel 'webchat' takes a webchat section with a transport (the guest chat "
                "API); this one has none, which is GMS mode: use channel 'gms'."
            )
        if self.channel == "gms" and not gms_mode:
            raise ValueError(
                "channel 'gms' takes a webchat section in GMS mode (dataURL, no transport); "
                "this one has a transport: use channel 'webchat'."
            )

    @property
    def service(self) -> str:
        """The plugin that speaks the channel."""
        return "MessagingService" if self.channel == "messaging" else "WebChatService"

    @property
    def section(self) -> str:
        """The bus configuration's section the service reads."""
        return "messaging" if self.channel == "messaging" else "webchat"
