"""The Genesys Cloud platform API of the emulator: what a tester calls besides the guest's API.

A guest cannot see its Web Messaging conversation's id, cannot read the participant
data its flow set, and cannot disconnect it. A tester with an OAuth client (client
credentials) can, through the platform API; the emulator serves the calls it needs on
its one port, beside the guest APIs (``api`` lists them with their sources):

- ``POST /oauth/token``: access tokens for the emulator's OAuth clients
  (``OAuthClient``; ``DEFAULT_CLIENT`` unless the emulator is given others);
- ``GET /api/v2/conversations/messages/{messageId}/details``: the conversation of a
  Web Messaging message (how a tester finds its conversation's id);
- ``GET /api/v2/conversations/{conversationId}``: a conversation and its
  participants' ``attributes``, where the flow-file bot's ``set`` appears;
- ``PATCH /api/v2/conversations/messages/{conversationId}`` and
  ``.../chats/{conversationId}``: disconnect a Web Messaging conversation or a guest
  chat.

Web Messaging conversations and guest chats are the platform's; GMS chats are not (GMS
is Genesys Engage's, which has no such API; a GMS client ends its chat itself).
``Emulator.platform`` (``controls``) adds clients, expires tokens and names the
conversations still open on every API (``Emulator.open_conversations`` counts them);
``/emulator/platform`` (``control_api``) expires tokens over HTTP.
"""

from .clients import DEFAULT_CLIENT, PERMISSIONS, OAuthClient
from .controls import PlatformControls
from .server import PlatformServer

__all__ = ["DEFAULT_CLIENT", "PERMISSIONS", "OAuthClient", "PlatformControls", "PlatformServer"]
