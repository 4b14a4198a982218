"""The guest chat API of the emulator (Genesys Cloud web chat, ``purecloud-v2-sockets``).

It speaks the guest chat API (``/api/v2/webchat/guest/...``: create, members,
messages with ``after``/``before``/``maxResults`` paging, typing, leave, media
requests), signs and checks the guests' JWTs, and streams the event frames
(message, typing-indicator, member-change, heartbeat, pong, socket_closing) at the
``eventStreamUri`` it hands out (``ws://HOST:PORT/stream/channels/ID``). A chat is
routed once its stream is attached; then the demo agent joins, greets, and answers.

Its own paths, which Genesys does not have, all start with ``/emulator/``:

- ``POST /emulator/uploads/{conversationId}`` (Bearer JWT, the file's bytes with its
  ``Content-Type`` and an ``X-File-Name`` header): a file for the agent, kept as an
  accepted media request; 415 for a type outside png, jpeg, gif, pdf and plain text,
  413 above the size limit. ``GET /emulator/uploads/{conversationId}/{mediaRequestId}``
  gives the bytes back.
- Control, for tests and demos: ``POST /emulator/conversations/{id}/agent/join``
  (``{"name"}``), ``.../agent/typing``, ``.../agent/send`` (``{"text"}``),
  ``.../agent/leave``, ``.../agent/end`` (ends the chat), ``.../malformed-frame``;
  ``POST /emulator/sockets/drop`` and
  ``/emulator/sockets/close-notice`` (``{"conversationId"}`` or all);
  ``POST /emulator/faults`` (``{"path", "status", "count", "retryAfter", "delay"}``);
  ``GET /emulator/conversations/{id}``.

From Python, ``cxbus_emulator.Emulator`` runs it on a thread and offers the same controls.
"""

from .server import ChatServer
from .settings import Settings

__all__ = ["ChatServer", "Settings"]
