"""The Web Messaging guest API of the emulator (the Genesys Messenger's channel).

It serves, beside the guest chat API and on the same port, the guest WebSocket
(``ws://HOST:PORT/v1?deploymentId=ID``), the history REST call, ``config.json``,
presigned uploads and downloads, the token endpoints of authenticated deployments
behind an identity provider of its own (``token_api``, ``identity``, ``idp_api``), the
limits of Genesys Cloud's limits page (``settings.Limits``), a demo bot (``agent``) or
a flow file's bot (``flow_bot``), and the controls and fault switches of
``control_api`` (HTTP) and ``controls`` (``Emulator.messaging``). What it serves, and
the choices that are its own, not Genesys's: docs/emulator.md, "Web Messaging" and
"Genesys's and ours".
"""

from .controls import MessagingControls
from .identity import IdentityError, User
from .server import MessagingServer
from .settings import Deployment, Limits

__all__ = ["Deployment", "IdentityError", "Limits", "MessagingControls", "MessagingServer", "User"]
