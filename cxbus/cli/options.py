"""A subcommand's configuration section from flags, ``GENESYS_*`` variables and a JSON file.

The pieces the chat plugins' ``cxbus chat`` options share: a ``--config`` file read as
one JSON object, and options put into (or read from) a nested section by their path.
Every mistake is an ``OptionError`` whose message is one line naming it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["OptionError", "get_option", "put_option", "read_config_file"]


class OptionError(Exception):
    """A flag, environment variable or config file of a subcommand is missing or wrong."""


def read_config_file(path: str, shape: str) -> dict[str, Any]:
    """The JSON object in ``path`` (``shape`` says what it should look like, for the error)."""
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise OptionError(f"--config {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise OptionError(f"--config {path}: not JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(content, dict):
        raise OptionError(f"--config {path}: expected an object shaped like {shape}")
    return copy.deepcopy(content)


def get_option(section: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The option at ``path`` in ``section``, or ``None``."""
    value: Any = section
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def put_option(section: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    """Set the option at ``path``, making the objects on the way."""
    for depth, key in enumerate(path[:-1], start=1):
        section = section.setdefault(key, {})
        if not isinstance(section, dict):
            raise OptionError(f"{'.'.join(path[:depth])} in --config must be an object")
    section[path[-1]] = value
