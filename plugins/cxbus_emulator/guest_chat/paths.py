"""Where the guest chat API's parts are served: Genesys's paths and the emulator's uploads.

The server's fault switches hit these (never the controls, under ``/emulator``).
"""

from __future__ import annotations

__all__ = ["API", "STREAM_PATH", "UPLOADS"]

API = "/api/v2/webchat/guest"
STREAM_PATH = "/v1/token/"
UPLOADS = "/emulator/uploads"
