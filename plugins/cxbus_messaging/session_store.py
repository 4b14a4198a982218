"""Where MessagingService keeps its session token, so that a restart resumes the conversation.

What is kept is small: the session token (a secret: whoever has it can read and write
the conversation), the deployment it belongs to, and when it was saved; for a
signed-in guest, the JWT and its refresh token too (secrets as well). The server
keeps the rest, history included. A bus keeps it in memory unless given
``messaging.sessionFile`` (a ``FileSessionStore``: a file of mode 0600, claimed by one
bus at a time, written atomically) or ``messaging.sessionStore`` (any object with
``load``, ``save`` and ``clear``); the mechanics are ``cxbus.runtime.session_store``'s.

A stored session is checked as a whole when read (``StoredSession.from_json``): one that
is not what ``to_json`` wrote raises ``ValueError`` naming what is wrong (never the token).
"""

from __future__ import annotations

import os
import time
from typing import Any

import attrs

from cxbus.runtime import session_store
from cxbus.runtime.session_store import SessionStore, SessionStoreError, finite_seconds

__all__ = [
    "FileSessionStore",
    "MemorySessionStore",
    "SessionStore",
    "SessionStoreError",
    "StoredSession",
]


@attrs.frozen
class StoredSession:
    """A conversation to resume: its session token, its deployment, when it was saved;
    a signed-in guest's ``jwt`` and ``refresh_token``."""

    token: str = attrs.field(repr=False)
    deployment_id: str
    saved_at: float = attrs.field(factory=time.time, validator=finite_seconds)
    jwt: str | None = attrs.field(default=None, repr=False, kw_only=True)
    refresh_token: str | None = attrs.field(default=None, repr=False, kw_only=True)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "token": self.token,
            "deploymentId": self.deployment_id,
            "savedAt": self.saved_at,
        }
        if self.jwt is not None:
            data["jwt"] = self.jwt
        if self.refresh_token is not None:
            data["refreshToken"] = self.refresh_token
        return data

    @classmethod
    def from_json(cls, data: Any) -> StoredSession:
        """Read what ``to_json`` wrote; ``ValueError`` naming what is wrong if it is not."""
        if not isinstance(data, dict):
            raise ValueError("not a stored messaging session (not a JSON object)")
        for name in ("token", "deploymentId"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise ValueError(f"not a stored messaging session ({name} is not a string)")
        saved_at = data.get("savedAt")
        if isinstance(saved_at, bool) or not isinstance(saved_at, (int, float)):
            raise ValueError("not a stored messaging session (savedAt is not a number)")
        for name in ("jwt", "refreshToken"):
            if name in data and (not isinstance(data[name], str) or not data[name]):
                raise ValueError(f"not a stored messaging session ({name} is not a string)")
        return cls(
            data["token"],
            data["deploymentId"],
            float(saved_at),
            jwt=data.get("jwt"),
            refresh_token=data.get("refreshToken"),
        )


class MemorySessionStore(session_store.MemorySessionStore[StoredSession]):
    """The default: the session is kept in this object only, for the life of the bus."""


class FileSessionStore(session_store.FileSessionStore[StoredSession]):
    """The session in one JSON file (mode 0600), claimed by one bus at a time."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, StoredSession.from_json, StoredSession.to_json)
