"""The web chat's channel of ``cxbus chat`` (``--channel webchat``), offered through
``cxbus.chat_channels``: its options, its section (``chat_options``) and its terminal
chat (``terminal``, imported only when the chat runs).

It is the default channel. With nothing configured it chats with the embedded
emulator's demo agent, over the guest chat API or, with ``--gms``, over GMS.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

from cxbus.cli.chat import ChatChannel, Options
from cxbus.cli.options import OptionError

from .chat_options import DEPLOYMENT_OPTIONS, webchat_section

__all__ = ["channel"]

DESCRIPTION = """\
webchat: the guest chat API of the web chat widget (deprecated by Genesys). With no
deployment configured (no --config, no flag, no GENESYS_* variable), it starts the
embedded emulator, a local Genesys Cloud, and chats with its demo agent: nothing to
set up. That demo chat ends with the command. --gms chats with the emulator's GMS
chat service instead (Genesys Engage / Multicloud CX, polled), and a --config with a
top-level dataURL and no transport section chats with a real GMS.
"""

EPILOG = """\
webchat:   --data-url        GENESYS_DATA_URL        transport.dataURL
           --deployment-key  GENESYS_DEPLOYMENT_KEY  transport.deploymentKey
           --org-guid        GENESYS_ORG_GUID        transport.orgGuid
           --queue           GENESYS_QUEUE           (its routing.targetAddress)
  --config is shaped like _genesys.widgets.webchat (with no transport section: GMS,
  as {"dataURL": "https://host/genesys/2/chat/customer-support", "apikey": "..."}).
  /end (or Ctrl-D) ends the chat; Ctrl-C leaves it open on Genesys Cloud: run cxbus
  chat again within restoreTimeout (60 s unless configured) and /restore picks it up.
"""

GMS_ALONE = (
    "--gms chats with the embedded emulator's GMS: give it without --config, "
    "a deployment or --channel messaging"
)


def _arguments(options: Options) -> None:
    options.add_argument(
        "--data-url",
        metavar="URL",
        help="Genesys Cloud API base, e.g. https://api.mypurecloud.com (GENESYS_DATA_URL)",
    )
    options.add_argument(
        "--deployment-key", metavar="KEY", help="the widget deployment key (GENESYS_DEPLOYMENT_KEY)"
    )
    options.add_argument("--org-guid", metavar="ID", help="the organization id (GENESYS_ORG_GUID)")
    options.add_argument(
        "--queue", metavar="NAME", help="the queue to route the chat to (GENESYS_QUEUE)"
    )
    options.add_argument(
        "--gms",
        action="store_true",
        help="chat through the embedded emulator's GMS chat service (Genesys Engage), polled",
    )
    options.add_argument(
        "--name",
        default=os.environ.get("USER") or "Guest",
        help="your nickname in a web chat (default: $USER, else Guest)",
    )


def _flags(args: argparse.Namespace) -> dict[str, str | None]:
    """The deployment's flags as given: ``{"--queue": "Support", ...}``."""
    return {o.flag: getattr(args, o.flag[2:].replace("-", "_")) for o in DEPLOYMENT_OPTIONS}


def _given(args: argparse.Namespace, environ: Mapping[str, str]) -> bool:
    flags = _flags(args)
    return any(flags[o.flag] or environ.get(o.environment) for o in DEPLOYMENT_OPTIONS)


def _check(args: argparse.Namespace, chosen: bool) -> None:
    if args.gms and (not chosen or args.config or any(_flags(args).values())):
        raise OptionError(GMS_ALONE)


def _section(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, Any] | None:
    return webchat_section(_flags(args), environ, args.config)


def _run(section: dict[str, Any] | None, args: argparse.Namespace) -> int:
    from .terminal import run

    return run(section, args.name, gms=args.gms)


channel = ChatChannel(
    title="web chat",
    description=DESCRIPTION,
    epilog=EPILOG,
    arguments=_arguments,
    given=_given,
    section=_section,
    run=_run,
    check=_check,
    default=True,
)
