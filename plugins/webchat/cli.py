"""``cxbus chat``: WebChatService's subcommand, offered through ``cxbus.subcommands``.

Imported for every ``cxbus`` run to build its parser: the terminal chat, the
emulator and the network libraries are imported only when the chat runs.
"""

from __future__ import annotations

import argparse
import os

from cxbus.cli import Subcommand, SubcommandError, require_extra

__all__ = ["chat"]

CHAT_EXTRA = "cxbus[chat]"

DESCRIPTION = """\
Chat with an agent in the terminal, as a guest of a Genesys Cloud web chat.

With no deployment configured (no --config, no flag, no GENESYS_* variable), it
starts the embedded emulator, a local Genesys Cloud, and chats with its demo agent:
nothing to set up. That demo chat ends with the command.
"""

EPILOG = """\
The deployment comes from flags, else the environment, else --config:
  --data-url        GENESYS_DATA_URL        transport.dataURL
  --deployment-key  GENESYS_DEPLOYMENT_KEY  transport.deploymentKey
  --org-guid        GENESYS_ORG_GUID        transport.orgGuid
  --queue           GENESYS_QUEUE           transport.interactionData.routing.targetAddress
--config FILE is a JSON object shaped like _genesys.widgets.webchat; an option
WebChatService does not know is an error.

In the chat: type a message and Enter; /help lists the commands. /end (or Ctrl-D)
ends the chat. Ctrl-C leaves it open on Genesys Cloud: run cxbus chat again within
restoreTimeout (60 s unless configured) and /restore picks it up with its history.
"""


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.add_argument(
        "--config", metavar="FILE", help="a JSON file shaped like _genesys.widgets.webchat"
    )
    parser.add_argument(
        "--data-url",
        metavar="URL",
        help="Genesys Cloud API base, e.g. https://api.mypurecloud.com (GENESYS_DATA_URL)",
    )
    parser.add_argument(
        "--deployment-key", metavar="KEY", help="the widget deployment key (GENESYS_DEPLOYMENT_KEY)"
    )
    parser.add_argument("--org-guid", metavar="ID", help="the organization id (GENESYS_ORG_GUID)")
    parser.add_argument(
        "--queue", metavar="NAME", help="the queue to route the chat to (GENESYS_QUEUE)"
    )
    parser.add_argument(
        "--name",
        default=os.environ.get("USER") or "Guest",
        help="your nickname (default: $USER, else Guest)",
    )


def _run(args: argparse.Namespace) -> int:
    from .chat_options import ChatOptionError, webchat_section

    flags = {
        "--data-url": args.data_url,
        "--deployment-key": args.deployment_key,
        "--org-guid": args.org_guid,
        "--queue": args.queue,
    }
    try:
        section = webchat_section(flags, os.environ, args.config)
    except ChatOptionError as error:
        raise SubcommandError(str(error)) from None
    require_extra(CHAT_EXTRA, "prompt_toolkit")
    if section is None:  # the demo runs on the embedded emulator
        require_extra(CHAT_EXTRA, "aiohttp", "jwt")

    from .terminal import run

    return run(section, args.name)


chat = Subcommand(help="chat with an agent in the terminal", run=_run, arguments=_arguments)
