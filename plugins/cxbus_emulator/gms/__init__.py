"""The GMS Chat API v2 of the emulator (Genesys Engage / Multicloud CX chat through GMS).

It serves one chat service, ``POST /genesys/2/chat/{service}`` (``customer-support``
unless told otherwise), as GMS's page *Chat API Version 2* and the Genesys Widgets'
GMS module use it, with a demo agent (``agent``), idle timers (``idle``), file limits
(``files``), fault switches (``faults``), a flow file's bot (``flow_bot``) and the
controls under ``/emulator/gms/`` (``Emulator.gms``, a ``GmsControls``, from Python).
Its calls and controls, and the choices that are its own: docs/emulator.md, "GMS" and
"Genesys's and ours".
"""

from .chats import Chat, FileLimits, TranscriptMessage
from .control import GmsControls
from .server import API_ROOT, GmsServer

__all__ = ["API_ROOT", "Chat", "FileLimits", "GmsControls", "GmsServer", "TranscriptMessage"]
