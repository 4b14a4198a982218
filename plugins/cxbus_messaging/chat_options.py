"""The ``messaging`` section for ``cxbus chat --channel messaging``, from flags, environment
variables and a file.

Precedence: a flag beats its ``GENESYS_...`` environment variable, which beats the JSON
file given with ``--config`` (a file shaped like the ``messaging`` section:
``{"deploymentId": ..., "domain": ...}``). With no file, flag or variable, ``cxbus
chat`` runs on the embedded emulator instead. An option MessagingService does not know
is an error here (the service itself would ignore it). ``--region`` takes a region's
name (``eu-west-1``) or its domain (``mypurecloud.ie``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from cxbus.cli.options import OptionError, put_option, read_config_file
from cxbus.options import unknown_option

from .config import ConfigError, MessagingConfig, parse_config
from .guest_api import region_domain

__all__ = ["MESSAGING_OPTIONS", "SHAPE", "SIGN_IN_OPTIONS", "messaging_section"]

SHAPE = "the messaging section, {deploymentId, domain}"


@attrs.frozen
class _Option:
    flag: str
    environment: str
    option: str


MESSAGING_OPTIONS = (
    _Option("--deployment-id", "GENESYS_DEPLOYMENT_ID", "deploymentId"),
    _Option("--region", "GENESYS_REGION", "domain"),
)
SIGN_IN_OPTIONS = (
    _Option("--auth-code", "GENESYS_AUTH_CODE", "authCode"),
    _Option("--redirect-uri", "GENESYS_REDIRECT_URI", "redirectUri"),
)
"""An authenticated deployment's sign-in: optional, and only with a deployment."""


def given(flags: Mapping[str, str | None], environment: Mapping[str, str]) -> dict[str, str]:
    """The options the flags and variables give, by option name."""
    found: dict[str, str] = {}
    for option in (*MESSAGING_OPTIONS, *SIGN_IN_OPTIONS):
        value = flags.get(option.flag) or environment.get(option.environment)
        if value:
            found[option.option] = region_domain(value) if option.option == "domain" else value
    return found


def messaging_section(
    flags: Mapping[str, str | None],
    environment: Mapping[str, str],
    config_file: str | None,
) -> dict[str, Any] | None:
    """The messaging section to talk to, or ``None`` when nothing is configured (the demo).

    ``flags`` maps each flag of ``MESSAGING_OPTIONS`` to its value or ``None``. Raises
    ``OptionError`` naming the first unknown, missing or bad option.
    """
    options = given(flags, environment)
    if config_file is None and not options:
        return None
    section = read_config_file(config_file, SHAPE) if config_file else {}
    unknown = unknown_option(section, MessagingConfig, "messaging", "MessagingService")
    if unknown is not None:
        raise OptionError(f"--config {config_file}: {unknown}")
    for name, value in options.items():
        put_option(section, (name,), value)
    if "baseURL" not in section:
        for option in MESSAGING_OPTIONS:
            if not section.get(option.option):
                raise OptionError(
                    f"missing {option.flag} (or {option.environment}, "
                    f"or {option.option} in --config)"
                )
    where = f"--config {config_file}: " if config_file and not options else ""
    try:
        parse_config(section)
    except ConfigError as error:
        raise OptionError(f"{where}{error}") from None
    return section
