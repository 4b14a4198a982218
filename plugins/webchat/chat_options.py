"""The ``webchat`` section for ``cxbus chat``, from flags, environment variables and a file.

Precedence: a flag beats its ``GENESYS_...`` environment variable, which beats the
JSON file given with ``--config`` (a file in the shape of
``_genesys.widgets.webchat``). With no file, flag or variable, ``cxbus chat`` runs
on the embedded emulator instead.

The file is WebChatService's section only: an option WebChatService does not know
(a misspelling, or a WebChat widget's UI option) is an error here, where the
service itself would ignore it, and so is a file that configures no deployment.
The flags name a Genesys Cloud deployment (``purecloud-v2-sockets``); a file
names its own ``transport.type``, or none (what WebChatService then makes of the
section is its own to say).
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from .config import ConfigError, WebChatConfig, parse_config
from .transport import transport_class

__all__ = ["DEPLOYMENT_OPTIONS", "ChatOptionError", "unknown_option", "webchat_section"]


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
    """The webchat section to chat with, or ``None`` when nothing is configured (the demo).

    ``flags`` maps each flag of ``DEPLOYMENT_OPTIONS`` (``"--queue"``) to its value
    or ``None``. Raises ``ChatOptionError`` naming the first unknown, missing or bad option.
    """
    given = {
        option: value
        for option in DEPLOYMENT_OPTIONS
        if (value := flags.get(option.flag) or environment.get(option.environment))
    }
    if config_file is None and not given:
        return None
    section = _read_file(config_file) if config_file else {}
    unknown = unknown_option(section)
    if unknown is not None:
        raise ChatOptionError(f"--config {config_file}: {unknown}")
    for option, value in given.items():
        _put(section, option.path, value)
    if given:  # the flags and variables name a Genesys Cloud deployment
        section["transport"].setdefault("type", "purecloud-v2-sockets")
        routing = _get(section, ("transport", "interactionData", "routing"))
        if isinstance(routing, dict):
            routing.setdefault("targetType", "QUEUE")
    if _get(section, ("transport", "type")) == "purecloud-v2-sockets":
        for option in DEPLOYMENT_OPTIONS:
            if not _get(section, option.path):
                raise ChatOptionError(
                    f"missing {option.flag} (or {option.environment}, "
                    f"or {'.'.join(option.path)} in --config)"
                )
    where = f"--config {config_file}: " if config_file and not given else ""
    try:
        config = parse_config(section)
        transport_class(config.transport.type)
    except ConfigError as error:
        raise ChatOptionError(f"{where}{error}") from None
    except KeyError as error:
        raise ChatOptionError(f"{where}webchat.{error.args[0]}") from None
    return section


def unknown_option(section: Mapping[str, Any]) -> str | None:
    """A sentence naming the first option of ``section`` that WebChatService does not know."""
    return _unknown_in(section, WebChatConfig, "webchat")


def _unknown_in(options: Mapping[str, Any], cls: type[Any], path: str) -> str | None:
    # The options are the attrs fields' metadata of config.py's classes, nested
    # sections included, so an option added there is known here at once.
    fields = {field.metadata["option"]: field for field in attrs.fields(cls)}
    for key, value in options.items():
        field = fields.get(key)
        if field is None:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f"; did you mean {close[0]}?" if close else f" (known: {', '.join(fields)})"
            return f"{path}.{key} is not an option of WebChatService{hint}"
        section = field.metadata.get("section")
        if section is not None and isinstance(value, Mapping):
            found = _unknown_in(value, section, f"{path}.{key}")
            if found is not None:
                return found
    return None


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
