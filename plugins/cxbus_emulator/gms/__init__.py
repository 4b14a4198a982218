"""The GMS Chat API v2 of the emulator (Genesys Engage / Multicloud CX chat through GMS).

It serves one chat service, ``POST /genesys/2/chat/{service}`` (``customer-support``
unless told otherwise), as ``reference/gms-chat-api.md`` describes it:

- Request chat at the service URL (with or without a trailing ``/``): ``nickname``,
  or ``firstName`` and ``lastName`` (codes 161, 102, 103), ``emailAddress`` (364),
  ``subject``, ``userData[key]``. The reply carries ``chatId``, ``userId``,
  ``alias``, ``secureKey`` and the transcript from position 1.
- ``/{chatId}/send`` (``message``, ``messageType``, ``eventAttributes``; code 204
  past ``max_message_length``), ``startTyping``/``stopTyping`` (``message``: the
  preview), ``refresh``, ``disconnect``, ``customNotice``, ``updateData``
  (``userData[key]``), ``pushUrl``, ``updateNickname``; ``/{chatId}/file/limits``,
  ``/{chatId}/file`` (multipart ``file``), ``/{chatId}/file/{fileId}/download`` and
  ``.../delete``: see ``files`` for limits and codes 201, 202, 203.
- Every call is a POST, form-encoded or multipart, with ``secureKey`` (required)
  and ``userId``, ``alias`` (accepted, not checked), and the ``apikey`` header
  (``x-api-key`` also does), except downloads: the Widgets download through an
  HTML form, which cannot send a header.
- Replies are the envelope ``chatId``, ``statusCode``, ``chatEnded``, ``alias``,
  ``userId``, ``secureKey``, ``nextPosition``, plus ``messages`` when the call gave
  a ``transcriptPosition`` (a refresh without one reads from 1). Positions: every
  event gets the next index from 1; position 0 reads nothing, ``n`` reads the
  events whose index is at least ``n``; ``nextPosition`` is the index the next
  event will get. ``idleTimerExpire`` (seconds) is added while an idle alert runs.
- The demo agent (``agent``) and idle control (``idle``) write to the same transcript.

Ours, where the reference does not know (a client must tolerate the other answer):

- Every reply repeats the keys, ``secureKey`` included, and carries ``chatEnded``
  and ``nextPosition`` (the official request-chat example has neither: a client
  must default the position to 1 and read a missing ``chatEnded`` on restore as
  ended, as the Widgets do).
- Refusals: a wrong ``apikey`` or ``secureKey`` is HTTP 401 (a real proxy or GMS
  may answer otherwise); an unknown service is 404 with code 306; an unknown chat
  is 404 with ``statusCode`` 2 and an ``errors`` entry without a code; bad input
  with no known code (a missing ``secureKey``, ``message`` or ``file``, a bad
  ``transcriptPosition``, ``pushUrl`` or ``eventAttributes``, an unknown file, no
  download attempts left) is HTTP 400 with ``statusCode`` 1 and an ``errors`` entry
  that has ``advice`` and no ``code``. A client must not assume every entry has a
  code. Refusals with a known code are HTTP 400 with ``statusCode`` 1.
- A chat that has ended still answers ``refresh`` and ``disconnect`` (``statusCode``
  0, ``chatEnded`` true); anything else is a 200 with ``statusCode`` 2.
- The agent leaving does not end the chat; the agent's side ending it
  (``end_chat``, the demo agent after a goodbye, idle close) does, the agent
  leaving first. Typing, from either side, is in the transcript with an index.
- Idle alerts come from ``{"nickname": "system", "participantId": 0, "type":
  "External"}``; ``IdleClose`` ends the chat with no ``ParticipantLeft``.
- ``file/limits`` is POST only; its Notice has no index and is not in the transcript.
  A file id is 16 hex digits; ``FileUploaded`` carries ``file-id``, ``file-name``,
  ``file-size``, ``file-type`` and ``file-description`` when given; deleting a file
  gives nothing back (``delete-file`` is ``odd``); downloads count per chat.

Its own paths, for tests and demos, start with ``/emulator/gms/``:
``GET /emulator/gms/chats/{chatId}``; ``POST .../chats/{chatId}/agent/join``
(``{"name", "type"}``), ``.../agent/typing`` (``{"typing"}``), ``.../agent/send``
(``{"text"}``), ``.../agent/leave``, ``.../agent/end``; ``POST /emulator/gms/faults``
(``{"path", "count", "status", "delay", "answer"}``, ``answer`` one of ``busy``,
``cut``, ``ended``: see ``faults``), ``/emulator/gms/faults/clear`` (``{"path"}``);
``POST /emulator/gms/idle`` (``{"alertAfter", "closeAfter"}``, seconds, ``alertAfter``
null for none); ``POST /emulator/gms/file-limits`` (Chat Server's option names).

From Python, ``Emulator.gms`` (a ``GmsControls``) offers the same controls.

With a flow file, ``flow_bot`` joins every chat as a bot participant instead of the
demo agent, and leaves it to the demo agent when it hands it over; what it sets is
``participantData`` in ``GET /emulator/gms/chats/{chatId}`` (apart from ``userData``).
"""

from .chats import Chat, FileLimits, TranscriptMessage
from .control import GmsControls
from .server import API_ROOT, GmsServer

__all__ = ["API_ROOT", "Chat", "FileLimits", "GmsControls", "GmsServer", "TranscriptMessage"]
