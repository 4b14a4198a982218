"""The ``webchat`` section for ``cxbus chat``, from flags, environment variables and a file.

Precedence: a flag beats its ``GENESYS_...`` environment variable, which beats the
JSON file given with ``--config`` (a file in the shape of
``_genesys.widgets.webchat``). With no deployment named anywhere, ``cxbus chat``
runs on the embedded emulator instead.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from .config import ConfigError, parse_config

__all__ = ["DEPLOYMENT_OPTIONS", "ChatOptionError", "webchat_section"]


class ChatOptionError(Exception):
    """A flag, environment variable or config file of ``cxbus chat`` is missing or wrong."""


@attrs.frozen
class _Option:
    flag: str
    environment: str
    path: tuple[str, ...]
    """Where it goes in the webchat section."""


DEPLOYMENT_OPTIONS = (
    _Option("--data-url", "GENESYS_DATA_URL", ("transport", "dataURL")),
    _Option("--deployment-key", "GENESYS_DEPLOYMENT_KEY", ("transport", "deploymentKey")),
    _Option("--org-guid", "GENESYS_ORG_GUID", ("transport", "orgGuid")),
    _Option(
        "--queue",
        "GENESYS_QUEUE",
        ("transport", "interactionData", "routing", "targetAddress"),
    ),
)


def webchat_section(
    flags: Mapping[str, str | None],
    environment: Mapping[str, str],
    config_file: str | None,
) -> dict[str, Any] | None:
    """The webchat section to chat with, or ``None`` when no deployment is configured.

    ``flags`` maps each flag of ``DEPLOYMENT_OPTIONS`` (``"--queue"``) to its value
    or ``None``. Raises ``ChatOptionError`` naming the first missing or bad option.
    """
    section = _read_file(config_file) if config_file else {}
    for option in DEPLOYMENT_OPTIONS:
        value = flags.get(option.flag) or environment.get(option.environment)
        if value:
            _put(section, option.path, value)
    if not any(_get(section, option.path) for option in DEPLOYMENT_OPTIONS):
        return None
    transport = section.setdefault("transport", {})
    if isinstance(transport, dict):
        transport.setdefault("type", "purecloud-v2-sockets")
        routing = transport.setdefault("interactionData", {}).setdefault("routing", {})
        if isinstance(routing, dict):
            routing.setdefault("targetType", "QUEUE")
    for option in DEPLOYMENT_OPTIONS:
        if not _get(section, option.path):
            raise ChatOptionError(
                f"missing {option.flag} (or {option.environment}, "
                f"or {'.'.join(option.path)} in --config)"
            )
    try:
        parse_config(section)
    except ConfigError as error:
        raise ChatOptionError(str(error)) from None
    return section


def _read_file(path: str) -> dict[str, Any]:
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ChatOptionError(f"--config {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ChatOptionError(
            f"--config {path}: not JSON ({error.msg}, line {error.lineno})"
        ) from None
    if not isinstance(content, dict):
        raise ChatOptionError(
            f"--config {path}: expected an object shaped like _genesys.widgets.webchat"
        )
    return copy.deepcopy(content)


def _get(section: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = section
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _put(section: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    for depth, key in enumerate(path[:-1], start=1):
        section = section.setdefault(key, {})
        if not isinstance(section, dict):
            raise ChatOptionError(f"{'.'.join(path[:depth])} in --config must be an object")
    section[path[-1]] = value
