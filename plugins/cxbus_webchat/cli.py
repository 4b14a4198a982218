"""``cxbus chat``: the terminal chat, offered through ``cxbus.subcommands``.

It holds a conversation on either channel of Genesys Cloud: Web Messaging (the
Messenger's, ``cxbus_messaging.terminal``) or the guest chat of the web chat widget
(``cxbus_webchat.terminal``). Imported for every ``cxbus`` run to build its parser:
the terminal chats, the emulator and the network libraries are imported only when
a chat runs.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping

from cxbus.cli import Subcommand, SubcommandError, require_extra

__all__ = ["chat"]

CHAT_EXTRA = "cxbus[chat]"
CHANNELS = ("messaging", "webchat")

DESCRIPTION = """\
Chat with an agent in the terminal, as a guest of Genesys Cloud: over Web Messaging
(--channel messaging, the Messenger's channel: pick it on Genesys Cloud today) or over
the guest chat API of the web chat widget (--channel webchat, deprecated by Genesys).

With no deployment configured (no --config, no flag, no GENESYS_* variable), it
starts the embedded emulator, a local Genesys Cloud, and chats with its demo agent
(the web chat's, unless --channel messaging): nothing to set up. That demo chat ends
with the command. --gms chats with the emulator's GMS chat service instead (Genesys
Engage / Multicloud CX, polled), and a --config with a top-level dataURL and no
transport section chats with a real GMS.
"""

EPILOG = """\
The channel is --channel, else the one whose options are given. Its deployment comes
from flags, else the environment, else --config:
  messaging: --deployment-id   GENESYS_DEPLOYMENT_ID   deploymentId
             --region          GENESYS_REGION          domain (eu-west-1, mypurecloud.ie)
  webchat:   --data-url        GENESYS_DATA_URL        transport.dataURL
             --deployment-key  GENESYS_DEPLOYMENT_KEY  transport.deploymentKey
             --org-guid        GENESYS_ORG_GUID        transport.orgGuid
             --queue           GENESYS_QUEUE           (its routing.targetAddress)
--config FILE is a JSON object shaped like the messaging section ({"deploymentId",
"domain"}), or like _genesys.widgets.webchat (with no transport section: GMS, as
{"dataURL": "https://host/genesys/2/chat/customer-support", "apikey": "..."}); an
option the service does not know is an error.

In the chat: type a message and Enter; /help lists the commands. Web Messaging: a
number picks a quick reply or a card's button; /quit, Ctrl-D or Ctrl-C leaves the
conversation open, and cxbus chat started again resumes it. Web chat: /end (or
Ctrl-D) ends the chat; Ctrl-C leaves it open on Genesys Cloud: run cxbus chat again
within restoreTimeout (60 s unless configured) and /restore picks it up.
"""


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.add_argument(
        "--channel",
        choices=CHANNELS,
        help="messaging (Web Messaging) or webchat (guest chat); by default the one "
        "whose options are given, else webchat",
    )
    parser.add_argument(
        "--config", metavar="FILE", help="a JSON file shaped like the channel's section"
    )
    messaging = parser.add_argument_group("Web Messaging (--channel messaging)")
    messaging.add_argument(
        "--deployment-id",
        metavar="ID",
        help="the Messenger deployment's id (GENESYS_DEPLOYMENT_ID)",
    )
    messaging.add_argument(
        "--region",
        metavar="REGION",
        help="the region, e.g. eu-west-1 or mypurecloud.ie (GENESYS_REGION)",
    )
    webchat = parser.add_argument_group("web chat (--channel webchat)")
    webchat.add_argument(
        "--data-url",
        metavar="URL",
        help="Genesys Cloud API base, e.g. https://api.mypurecloud.com (GENESYS_DATA_URL)",
    )
    webchat.add_argument(
        "--deployment-key", metavar="KEY", help="the widget deployment key (GENESYS_DEPLOYMENT_KEY)"
    )
    webchat.add_argument("--org-guid", metavar="ID", help="the organization id (GENESYS_ORG_GUID)")
    webchat.add_argument(
        "--queue", metavar="NAME", help="the queue to route the chat to (GENESYS_QUEUE)"
    )
    webchat.add_argument(
        "--gms",
        action="store_true",
        help="chat through the embedded emulator's GMS chat service (Genesys Engage), polled",
    )
    parser.add_argument(
        "--name",
        default=os.environ.get("USER") or "Guest",
        help="your nickname in a web chat (default: $USER, else Guest)",
    )


def _channel(
    args: argparse.Namespace,
    messaging_flags: Mapping[str, str | None],
    webchat_flags: Mapping[str, str | None],
) -> str:
    """The channel asked for, else the one whose options are given, else webchat."""
    if args.channel is not None:
        return str(args.channel)
    from cxbus_messaging.chat_options import MESSAGING_OPTIONS

    from .chat_options import DEPLOYMENT_OPTIONS

    messaging = any(
        messaging_flags.get(o.flag) or os.environ.get(o.environment) for o in MESSAGING_OPTIONS
    )
    webchat = any(
        webchat_flags.get(o.flag) or os.environ.get(o.environment) for o in DEPLOYMENT_OPTIONS
    )
    if messaging and webchat:
        raise SubcommandError(
            "options of both channels are given: choose one with --channel messaging or webchat"
        )
    if messaging or (not webchat and args.config and _names_a_deployment_id(args.config)):
        return "messaging"
    return "webchat"


def _names_a_deployment_id(config_file: str) -> bool:
    """Whether a --config file looks like a messaging section (its errors come later)."""
    try:
        with open(config_file, encoding="utf-8") as file:
            content = json.load(file)
    except (OSError, ValueError):
        return False
    return isinstance(content, dict) and "deploymentId" in content


def _run(args: argparse.Namespace) -> int:
    from cxbus.cli.options import OptionError

    messaging_flags = {"--deployment-id": args.deployment_id, "--region": args.region}
    webchat_flags = {
        "--data-url": args.data_url,
        "--deployment-key": args.deployment_key,
        "--org-guid": args.org_guid,
        "--queue": args.queue,
    }
    channel = _channel(args, messaging_flags, webchat_flags)
    if args.gms and (channel == "messaging" or args.config or any(webchat_flags.values())):
        raise SubcommandError(
            "--gms chats with the embedded emulator's GMS: give it without --config, "
            "a deployment or --channel messaging"
        )
    try:
        if channel == "messaging":
            from cxbus_messaging.chat_options import messaging_section

            section = messaging_section(messaging_flags, os.environ, args.config)
        else:
            from .chat_options import webchat_section

            section = webchat_section(webchat_flags, os.environ, args.config)
    except OptionError as error:
        raise SubcommandError(str(error)) from None
    require_extra(CHAT_EXTRA, "prompt_toolkit")
    if section is None:  # the demo runs on the embedded emulator
        require_extra(CHAT_EXTRA, "aiohttp", "jwt")
    if channel == "messaging":
        from cxbus_messaging.terminal import run as run_messaging

        return int(run_messaging(section))

    from .terminal import run

    return run(section, args.name, gms=args.gms)


chat = Subcommand(help="chat with an agent in the terminal", run=_run, arguments=_arguments)
