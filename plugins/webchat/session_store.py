"""Where a chat's session data lives between processes, so ``restore`` can resume it.

The default is a JSON file readable by its owner only (mode 0600): the data holds
the chat's JWT. Any object with ``load``, ``save`` and ``clear`` may stand in for it
(``webchat.sessionStore``), such as a keyring or a database row.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from .transport import SessionData

__all__ = ["DEFAULT_SESSION_FILE", "FileSessionStore", "SessionStore", "StoredSession"]

log = logging.getLogger("cxbus.webchat.session_store")

DEFAULT_SESSION_FILE = Path("~/.cxbus/webchat-session.json")


@attrs.frozen
class StoredSession:
    """A chat to pick up again: its session data, its filters, when it started (ms since
    the epoch, for getStats) and when it was saved."""

    session: SessionData
    filters: tuple[tuple[str, int], ...] = ()
    """(pattern, flags) pairs: ``re.compile(pattern, flags)`` gives each filter back."""
    started_at: int | None = None
    saved_at: float = attrs.field(factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {
            "session": attrs.asdict(self.session),
            "filters": [list(source) for source in self.filters],
            "startedAt": self.started_at,
            "savedAt": self.saved_at,
        }

    @classmethod
    def from_json(cls, data: Any) -> StoredSession:
        """Read what ``to_json`` wrote; ``ValueError`` if it is not that."""
        try:
            return cls(
                session=SessionData(**data["session"]),
                filters=tuple((str(p), int(f)) for p, f in data.get("filters", ())),
                started_at=data.get("startedAt"),
                saved_at=float(data["savedAt"]),
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a stored chat session ({error})") from None


@runtime_checkable
class SessionStore(Protocol):
    """Keeps at most one stored session."""

    def load(self) -> StoredSession | None:
        """The stored session, or ``None``."""

    def save(self, stored: StoredSession) -> None:
        """Keep ``stored``, replacing what was kept."""

    def clear(self) -> None:
        """Forget the stored session."""


class FileSessionStore:
    """A session store in one JSON file, created with mode 0600."""

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_SESSION_FILE) -> None:
        self.path = Path(path).expanduser()

    def __repr__(self) -> str:
        return f"FileSessionStore({str(self.path)!r})"

    def load(self) -> StoredSession | None:
        try:
            return StoredSession.from_json(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("ignoring unreadable session file %s: %s", self.path, error)
            return None

    def save(self, stored: StoredSession) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed over, so a crash never leaves half a file;
        # created 0600 because the data holds the chat's JWT.
        partial = self.path.with_name(self.path.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(stored.to_json(), file)
        os.replace(partial, self.path)

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
