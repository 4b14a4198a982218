"""The Web Messaging guest API of the emulator (the Genesys Messenger's channel).

It serves, beside the guest chat API and on the same port:

- the guest WebSocket ``ws://HOST:PORT/v1?deploymentId=ID`` (``application`` and
  any ``Origin`` accepted) with the actions ``configureSession`` (``startNew``,
  resuming a known token), ``configureAuthenticatedSession``, ``getConfiguration``,
  ``onMessage`` (Text, Structured and Event content, custom attributes), ``echo``,
  ``getJwt``, ``closeSession``, ``onAttachment``, ``getAttachment``,
  ``deleteAttachment``, Presence ``Join``/``Disconnect``/``Clear`` and ``Typing``;
- ``GET /api/v2/webmessaging/messages`` (history, ``bearer`` JWT from ``getJwt``);
- the token endpoints ``/api/v2/webdeployments/token/{oauthcodegrantjwtexchange,
  refresh,revoke}`` of authenticated deployments (``token_api``), behind an identity
  provider of its own (``identity``, ``idp_api``: users, codes, id tokens, a sign-in
  page);
- ``GET /webdeployments/v1/deployments/ID/config.json``;
- the presigned upload (``PUT``) and download URLs, under ``/emulator/messaging/``;
- the limits of Genesys Cloud's limits page (``settings.Limits``): text length,
  custom attributes, messages per second, requests per connection, configures,
  history calls and health checks per minute, connections per minute per
  deployment, 3 connections per session, and the session's duration;
- a demo bot (``agent.DemoBot``), or a flow file's bot (``flow_bot``) that hands
  conversations over to it, and the controls and fault switches of ``control_api``
  (HTTP) and ``controls`` (``Emulator.messaging``).

What no official client, model or Genesys page settles, the emulator decides as
follows. These are **ours**, not Genesys's; a client must not depend on them:

1. Rates: 5 messages per second per session (the limits page; the developer forum
   announced 2 in Dec 2023), and every ``onMessage`` counts, events too (the forum's
   wording). A refused request is a ``TooManyRequestsErrorMessage`` with
   ``errorCode`` 4029 (429 for ``configureSession``, as captured) and the texts
   "Message rate too high for this session", "Request rate too high for this
   connection", "Health check rate too high for this connection", "ConfigureSession
   rate too high for this session". A WebSocket past the deployment's connections a
   minute is refused on the upgrade: 429 with ``Retry-After``.
2. The echo of a guest's message (or event) is a ``"message"`` that carries the
   request's ``tracingId``, and ``metadata.correlationId`` is that tracingId (a
   server UUID without one); no other ack follows. Every answer and error frame
   carries the ``tracingId`` of its request when it had one.
3. ``ConnectionClosedEvent`` has ``reason`` (never ``reasonCode``): ``signedIn`` (the
   user signed in elsewhere, or the ``signed_in_elsewhere`` control), or none (a
   fourth connection closed the oldest; a Clear; ``closeSession``; a ``startNew``
   that replaced the session).
4. Receipts (``type`` ``Receipt``) only when the agent's side sends one
   (``send_receipt``): no public source shows where the service sends them to web
   guests. The guest's Typing is not echoed and gets no answer.
5. Any ``Origin`` is accepted unless ``Deployment.allowed_origins`` is set (then
   another origin gets 403 on the upgrade and on history). An unknown
   ``deploymentId`` gets 403 on the upgrade; a missing one 400.
6. ``SessionExpiredEvent`` comes as ``"message"``; then the sockets close. Texts:
   4006 "Session expired", 4007 "Session not found: send configureSession first"
   (an action before ``configureSession`` on that socket). ``expirationDate`` is in
   epoch seconds (a number in ``SessionResponse``, a string in the echo's metadata).
   ``autoStarted`` is true when a Join started the conversation.
7. ``getJwt`` tokens live 60 s. History is newest first; its entries carry the
   metadata their messages have.
8. ``resumeToken`` and ``disconnectCustomer`` are not served ("Unknown action").
   ``getConfiguration`` is answered on any socket, with or without a session.
9. ``fileMd5`` is optional, and so is ``attachmentId`` (the server then makes one).
   Download URLs live 600 s. Uploads go to the emulator itself; the PUT must carry
   the ``x-amz-tagging`` header it was given, and a body of another size than
   declared is an ``UploadFailureEvent`` (4003). ``GenerateUrlError`` is a
   ``"message"`` with code 200 (as the mobile tests show).
10. Custom attributes ride on Text and Structured messages and on the Join, inside
    ``message.channel`` or beside it at the request's top level; they are counted
    as the UTF-8 bytes of keys and values, and kept by the server (merged). No idle
    socket timeout.
11. ``startNew`` makes a new session only from a read-only one; on an active
    session it resumes it. A guest's Presence Disconnect is echoed and kept; it
    changes nothing else. An empty file is refused with 4102.
12. A read-only session refuses Typing, Join and ``onAttachment`` with 409 too, but
    takes a Clear. An agent's message keeps the session alive, as a guest's does.
13. Shapes where captures differ: a bot's text has no ``channel.from`` (as the
    mobile fixture), a Disconnect event has ``from`` and an empty ``to`` (as the
    live capture), a human agent's text names ``from.nickname``, a ``SignIn`` names
    the user's ``firstName`` and ``lastName``. Within a session, each kept message
    is at least 1 ms after the one before, so ``channel.time`` alone orders it. The
    echo of a health check carries ``durationSeconds`` and ``expirationDate`` in its
    metadata.
14. Other answers: a request that is not a JSON object is 400 "Request failed."; a
    missing ``action``, ``token`` or ``message`` is 4020; an unknown action or
    message type 400; a failure of the emulator's own 5000 "Request failed.". The
    history's ``pageSize`` goes up to 100; its 429 says ``Retry-After``. The PUT to
    an upload URL answers 200 before the service checks the file (the check's
    result is the event that follows); a download URL past its time answers 403.
15. Authentication: a deployment with ``auth_enabled`` takes the token endpoints and
    ``configureAuthenticatedSession``; without it both are 403. A code, id token or
    refresh token that is not good is 400 (``invalid_grant``); a bad JWT is 401 ("User
    is unauthorized" on the socket). ``SessionResponse`` says ``authenticated``
    (not in the Java SDK's model). A signed-in user's conversation follows the user:
    a sign-in elsewhere moves it to the new token (the old sockets get
    ``ConnectionClosedEvent`` ``signedIn``), and after a logout the next sign-in
    resumes it. A step-up is 403 unless ``allow_session_upgrade``; a guest configure
    of a deployment that ``auth_required`` is 403 "Session authentication failed";
    a guest configure of a signed-in token is 4017. Codes live 300 s; id tokens an
    hour.
"""

from .controls import MessagingControls
from .identity import IdentityError, User
from .server import MessagingServer
from .settings import Deployment, Limits

__all__ = ["Deployment", "IdentityError", "Limits", "MessagingControls", "MessagingServer", "User"]
