"""Web Messaging's channel of ``cxbus chat`` (``--channel messaging``), offered through
``cxbus.chat_channels``: its options, its section (``chat_options``) and its terminal
chat (``terminal``, imported only when the chat runs).

With nothing configured it talks with the embedded emulator's demo bot.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from cxbus.cli.chat import ChatChannel, Options

from .chat_options import MESSAGING_OPTIONS, messaging_section

__all__ = ["channel"]

DESCRIPTION = """\
messaging: Web Messaging, the Messenger's channel: pick it on Genesys Cloud today.
With no deployment configured, it talks with the demo bot of the embedded emulator.
"""

EPILOG = """\
messaging: --deployment-id   GENESYS_DEPLOYMENT_ID   deploymentId
           --region          GENESYS_REGION          domain (eu-west-1, mypurecloud.ie)
  --config is shaped like the messaging section ({"deploymentId", "domain"}). A
  number picks a quick reply or a card's button; /quit, Ctrl-D or Ctrl-C leaves the
  conversation open, and cxbus chat started again resumes it.
"""


def _arguments(options: Options) -> None:
    options.add_argument(
        "--deployment-id",
        metavar="ID",
        help="the Messenger deployment's id (GENESYS_DEPLOYMENT_ID)",
    )
    options.add_argument(
        "--region",
        metavar="REGION",
        help="the region, e.g. eu-west-1 or mypurecloud.ie (GENESYS_REGION)",
    )


def _flags(args: argparse.Namespace) -> dict[str, str | None]:
    """The flags as given: ``{"--region": "eu-west-1", ...}``."""
    return {"--deployment-id": args.deployment_id, "--region": args.region}


def _given(args: argparse.Namespace, environ: Mapping[str, str]) -> bool:
    flags = _flags(args)
    return any(flags.get(o.flag) or environ.get(o.environment) for o in MESSAGING_OPTIONS)


def _fits(config: Mapping[str, Any]) -> bool:
    """A --config object that names a deploymentId is a messaging section."""
    return "deploymentId" in config


def _section(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, Any] | None:
    return messaging_section(_flags(args), environ, args.config)


def _run(section: dict[str, Any] | None, args: argparse.Namespace) -> int:
    from .terminal import run

    return run(section)


channel = ChatChannel(
    title="Web Messaging",
    description=DESCRIPTION,
    epilog=EPILOG,
    arguments=_arguments,
    given=_given,
    section=_section,
    run=_run,
    fits=_fits,
)
