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

from collections.abc import Mapping
from typing import Any

import attrs

from cxbus.cli.options import OptionError as ChatOptionError
from cxbus.cli.options import get_option, put_option, read_config_file
from cxbus.options import unknown_option as find_unknown

from .config import ConfigError, GmsOptions, WebChatConfig, parse_config, parse_gms
from .transport import transport_class

__all__ = ["DEPLOYMENT_OPTIONS", "ChatOptionError", "unknown_option", "webchat_section"]


SHAPE = "_genesys.widgets.webchat"


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
    section = read_config_file(config_file, SHAPE) if config_file else {}
    unknown = unknown_option(section)
    if unknown is not None:
        raise ChatOptionError(f"--config {config_file}: {unknown}")
    for option, value in given.items():
        put_option(section, option.path, value)
    if given:  # the flags and variables name a Genesys Cloud deployment
        section["transport"].setdefault("type", "purecloud-v2-sockets")
        routing = get_option(section, ("transport", "interactionData", "routing"))
        if isinstance(routing, dict):
            routing.setdefault("targetType", "QUEUE")
    if get_option(section, ("transport", "type")) == "purecloud-v2-sockets":
        for option in DEPLOYMENT_OPTIONS:
            if not get_option(section, option.path):
                raise ChatOptionError(
                    f"missing {option.flag} (or {option.environment}, "
                    f"or {'.'.join(option.path)} in --config)"
                )
    where = f"--config {config_file}: " if config_file and not given else ""
    try:
        config = parse_config(section)
        if config.transport is None:
            parse_gms(section)  # GMS mode: dataURL and its options in the section itself
        else:
            transport_class(config.transport.type)
    except ConfigError as error:
        raise ChatOptionError(f"{where}{error}") from None
    except KeyError as error:
        raise ChatOptionError(f"{where}webchat.{error.args[0]}") from None
    return section


def unknown_option(section: Mapping[str, Any]) -> str | None:
    """A sentence naming the first option of ``section`` that WebChatService does not know.

    With no ``transport``, the section is in GMS mode: its GMS options are known too."""
    if section.get("transport") is None:
        found = find_unknown(section, GmsOptions, "webchat", "WebChatService")
        if found is None:
            return None
        rest = {key: value for key, value in section.items() if key not in _GMS_NAMES}
        return find_unknown(rest, WebChatConfig, "webchat", "WebChatService")
    return find_unknown(section, WebChatConfig, "webchat", "WebChatService")


_GMS_NAMES = frozenset(field.metadata["option"] for field in attrs.fields(GmsOptions))
