"""Where a chat's session data is kept, so that ``restore`` can pick the chat up again.

A bus keeps its chat in memory (``MemorySessionStore``) unless it is given one of
(the mechanics are ``cxbus.runtime.session_store``'s, shared with MessagingService):

- ``webchat.sessionFile``: a ``FileSessionStore``, a JSON file readable by its owner
  only (the data holds the chat's JWT and stream address), claimed by one bus at a
  time and written atomically;
- ``webchat.sessionStore``: any object with ``load``, ``save`` and ``clear``, such as
  a keyring or a database row.

A stored session is checked as a whole when it is read (``StoredSession.from_json``):
one that is not what ``to_json`` wrote raises ``ValueError`` naming what is wrong.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any, Protocol, runtime_checkable

import attrs

from cxbus.runtime import session_store
from cxbus.runtime.session_store import SessionStoreError, finite_seconds

from .transport import SessionData

__all__ = [
    "FileSessionStore",
    "MemorySessionStore",
    "SessionStore",
    "SessionStoreError",
    "StoredSession",
]


def _compiles(instance: Any, attribute: Any, filters: tuple[tuple[str, int], ...]) -> None:
    for pattern, flags in filters:
        try:
            re.compile(pattern, flags)
        except (re.error, TypeError, ValueError) as error:
            raise ValueError(f"the stored filter {pattern!r} does not compile ({error})") from None


@attrs.frozen
class StoredSession:
    """A chat to pick up again: its session data, its filters, when it started (ms since
    the epoch, for getStats) and when it was saved (``time.time()``)."""

    session: SessionData
    filters: tuple[tuple[str, int], ...] = attrs.field(default=(), validator=_compiles)
    """(pattern, flags) pairs: ``re.compile(pattern, flags)`` gives each filter back."""
    started_at: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(int))
    )
    saved_at: float = attrs.field(factory=time.time, validator=finite_seconds)

    def to_json(self) -> dict[str, Any]:
        return {
            "session": attrs.asdict(self.session),
            "filters": [list(source) for source in self.filters],
            "startedAt": self.started_at,
            "savedAt": self.saved_at,
        }

    @classmethod
    def from_json(cls, data: Any) -> StoredSession:
        """Read what ``to_json`` wrote; ``ValueError`` naming what is wrong if it is not."""
        try:
            session = data["session"]
            fields = {name: session[name] for name in _SESSION_FIELDS if name in session}
            for name, value in fields.items():
                if not isinstance(value, str) and not (name in _OPTIONAL and value is None):
                    raise ValueError(f"session.{name} must be a string; got {value!r}")
            started_at = data.get("startedAt")
            if isinstance(started_at, bool):
                raise ValueError(f"startedAt must be a whole number; got {started_at!r}")
            saved_at = data["savedAt"]
            if isinstance(saved_at, bool) or not isinstance(saved_at, (int, float)):
                raise ValueError(f"savedAt must be a number; got {saved_at!r}")
            return cls(
                session=SessionData(**fields),
                filters=tuple((p, f) for p, f in _pairs(data.get("filters", []))),
                started_at=started_at,
                saved_at=float(saved_at),
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a stored chat session ({error!r} is missing or wrong)") from None


_SESSION_FIELDS = tuple(field.name for field in attrs.fields(SessionData))
_OPTIONAL = frozenset({"last_message_id", "alias"})


def _pairs(filters: Any) -> list[tuple[str, int]]:
    pairs = []
    for item in filters:
        pattern, flags = item
        if not isinstance(pattern, str) or isinstance(flags, bool) or not isinstance(flags, int):
            raise ValueError(f"a stored filter must be [pattern, flags]; got {item!r}")
        pairs.append((pattern, flags))
    return pairs


@runtime_checkable
class SessionStore(Protocol):
    """Keeps at most one stored session (``cxbus.runtime.session_store.SessionStore`` of
    ``StoredSession``)."""

    def load(self) -> StoredSession | None:
        """The stored session, or ``None``; ``ValueError`` if what is stored is not one."""

    def save(self, stored: StoredSession) -> None:
        """Keep ``stored``, replacing what was kept."""

    def clear(self) -> None:
        """Forget the stored session."""


class MemorySessionStore(session_store.MemorySessionStore[StoredSession]):
    """The default: the chat is kept in this object only, for the life of the bus."""


class FileSessionStore(session_store.FileSessionStore[StoredSession]):
    """A session store in one JSON file (mode 0600), claimed by one user at a time."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, StoredSession.from_json, StoredSession.to_json)
