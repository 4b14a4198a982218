"""The guest chat API of the emulator (Genesys Cloud web chat, ``purecloud-v2-sockets``).

It serves the guest chat REST API (``/api/v2/webchat/guest/...``), signs and checks
the guests' JWTs, and streams event frames at the ``eventStreamUri`` it hands out,
``ws://HOST:PORT/v1/token/<jwt>``. It follows ``reference/guest-chat-api.md``;
where that page does not know, the emulator chooses, and says so below.

What Genesys does, with the reference's confidence where it gives one; the facts
without one come from its section "What real clients and captures add" (captured
frames, the Java SDK, real guest clients, Genesys forum threads):

- REST paths, bodies, answers and their fields: the official SDKs (high).
- A chat is routed only once its event stream is attached: the guest joins, then an
  ``ACD`` member is CONNECTED while the chat waits in queue; an agent is ALERTING
  before CONNECTED, and the ACD member leaves once the agent answers; a flow may add
  a ``WORKFLOW`` member (the ``workflow_member`` switch).
- Frames: message, typing-indicator, member-change (high); member-change bodies carry
  a ``timestamp`` (captured frames); a heartbeat about every 30 s and a pong for a
  ping (medium); ``v2.system.socket_closing`` with ``channelId``,
  ``systemTopicType``, ``correlationId``, ``reason``, ``message`` and ``data``, then
  about a minute to reconnect (medium).
- Joins and leaves come twice: a member-change frame and a message of body type
  member-join or member-leave whose sender is that member; history pages keep those
  messages.
- Posting before the stream is attached: 400 with ErrorBody
  ``chat.error.conversation.state`` ("The conversation is not active"); the emulator
  answers typing so too (ours).
- A message body has at most 4,000 characters (the Java SDK). ``targetType`` is
  taken in any case (real clients send "queue").
- ``eventStreamUri`` carries the JWT in its path; a reattach with an expired token is
  refused (401 or 403: the emulator answers 401).
- Media requests: ``types`` COBROWSE or SCREENSHARE, ``state`` PENDING, then
  ACCEPTED, DECLINED or ERRORED from the guest (the Java SDK's enums); an offer comes
  as a message of body type media-request.
- The agent's leaving ends the chat for the guest, whose own member-leave follows
  (low to medium).
- The guest's own DISCONNECTED while its socket is away is temporary: the chat stays
  until the guest reattaches or 15 minutes pass (medium).

What the emulator chooses (ours):

- A member-join or member-leave message has an empty body (a real client takes a
  member-join as such only when it has no body); the member-change comes first
  (``member_message_first`` turns that round). ACD and WORKFLOW members announce
  themselves the same way; the ACD member is named after the queue.
- An ALERTING agent who leaves (declines) sends no member-leave and ends nothing;
  only the last connected agent's leaving ends the chat.
- A guest away has no ``leaveDate``, may still post, and on its return gets one
  member-change CONNECTED (no second member-join).
- An ended chat answers posts with the same conversation-state ErrorBody, its event
  stream with 404, and the controls with 409.
- A body over 4,000 characters (counted as Python counts them) is 400 ``bad.request``
  naming ``body``. Token refusals are 401 ``bad.credentials``; a JWT lives as long as
  its chat unless ``token_lifetime`` says otherwise.
- The values of the socket-closing notice; a reattach closes a noticed socket at once.
- A media-request message's body is the media request's id.
- Files: ``POST /emulator/uploads/{conversationId}`` (Bearer JWT, the bytes with their
  ``Content-Type`` and an ``X-File-Name`` header) keeps a file with the chat; 415 for
  a type outside png, jpeg, gif, pdf and plain text, 413 above the size limit, 403
  past the count; ``GET /emulator/uploads/{conversationId}/{uploadId}`` gives it
  back. Uploads are not media requests.

Switches (``Settings``; ``Emulator(...)`` keywords, ``Emulator.configure``, or
``GET``/``PATCH /emulator/settings`` with camelCase names) default to the real
behaviour. The compatibility switches ``join_messages``, ``agent_leave_ends_chat`` and
``away_disconnects_guest``, off, bring back the emulator's first, simpler behaviour.

Controls, for tests and demos (all under ``/emulator/``, a prefix Genesys does not
use): ``POST /emulator/conversations/{id}/agent/{action}`` with action ``alert`` or
``join`` (``{"name"}``), ``typing``, ``send`` (``{"text"}``), ``media-request``
(``{"type"}``), ``leave``, ``end``; ``.../malformed-frame``; ``.../tokens/expire``;
``GET /emulator/conversations/{id}``; ``POST /emulator/sockets/drop`` and
``/emulator/sockets/close-notice`` (``{"conversationId"}`` or all);
``POST /emulator/faults`` (``{"path", "status", "count", "retryAfter", "delay"}``).
From Python, ``cxbus_emulator.Emulator`` runs it on a thread and offers the same.

With a flow file, ``flow_bot`` plays the chat's inbound flow (a ``WORKFLOW`` member)
instead of the demo agent, and queues the chat when it hands it over; what it sets
is ``participantData`` in ``GET /emulator/conversations/{id}``.
"""

from .server import ChatServer
from .settings import Settings

__all__ = ["ChatServer", "Settings"]
