"""Where a chat's session data is kept, so that ``restore`` can pick the chat up again.

A bus keeps its chat in memory (``MemorySessionStore``) unless it is given one of:

- ``webchat.sessionFile``: a ``FileSessionStore``, a JSON file readable by its owner
  only (the data holds the chat's JWT and stream address). It is **claimed** by one
  bus at a time with a lock file beside it (``<file>.lock``, through ``filelock``):
  a second bus or process gets a ``SessionStoreError`` naming the file, never the
  other's chat. Saves go through a fresh temporary file in the same folder (created
  0600 with ``O_EXCL``, so no leftover or symlink is trusted), then replace the file.
- ``webchat.sessionStore``: any object with ``load``, ``save`` and ``clear``, such as
  a keyring or a database row.

A stored session is checked as a whole when it is read (``StoredSession.from_json``):
one that is not what ``to_json`` wrote raises ``ValueError`` naming what is wrong.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs
import filelock

from .transport import SessionData

__all__ = [
    "FileSessionStore",
    "MemorySessionStore",
    "SessionStore",
    "SessionStoreError",
    "StoredSession",
]


class SessionStoreError(Exception):
    """A session store cannot be used: the sentence names it and says why."""


def _compiles(instance: Any, attribute: Any, filters: tuple[tuple[str, int], ...]) -> None:
    for pattern, flags in filters:
        try:
            re.compile(pattern, flags)
        except (re.error, TypeError, ValueError) as error:
            raise ValueError(f"the stored filter {pattern!r} does not compile ({error})") from None


def _finite(instance: Any, attribute: Any, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{attribute.name} must be a finite number of seconds; got {value!r}")


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
    saved_at: float = attrs.field(factory=time.time, validator=_finite)

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
_OPTIONAL = frozenset({"last_message_id"})


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
    """Keeps at most one stored session."""

    def load(self) -> StoredSession | None:
        """The stored session, or ``None``; ``ValueError`` if what is stored is not one."""

    def save(self, stored: StoredSession) -> None:
        """Keep ``stored``, replacing what was kept."""

    def clear(self) -> None:
        """Forget the stored session."""


class MemorySessionStore:
    """The default: the chat is kept in this object only, for the life of the bus."""

    def __init__(self) -> None:
        self._stored: StoredSession | None = None

    def __repr__(self) -> str:
        return "MemorySessionStore()"

    def load(self) -> StoredSession | None:
        return self._stored

    def save(self, stored: StoredSession) -> None:
        self._stored = stored

    def clear(self) -> None:
        self._stored = None


class FileSessionStore:
    """A session store in one JSON file (mode 0600), claimed by one user at a time."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        # thread_local off: the bus that claims the file may release it from another thread.
        self._lock = filelock.FileLock(f"{self.path}.lock", thread_local=False)

    def __repr__(self) -> str:
        return f"FileSessionStore({str(self.path)!r})"

    def claim(self) -> None:
        """Take the file for this store alone until ``release()``; ``SessionStoreError``
        naming the file when it is taken already or cannot be used."""
        if self.path.is_dir():
            raise SessionStoreError(f"The session file {self.path} is a directory.")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire(timeout=0)
        except filelock.Timeout:
            raise SessionStoreError(
                f"The session file {self.path} is in use by another bus or process."
            ) from None
        except OSError as error:
            raise SessionStoreError(
                f"The session file {self.path} cannot be used: {error.strerror}."
            ) from None

    def release(self) -> None:
        """Let another bus or process claim the file."""
        self._lock.release()

    def load(self) -> StoredSession | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ValueError(f"the session file cannot be read ({error.strerror})") from None
        try:
            data = json.loads(text)
        except ValueError:
            raise ValueError("the session file is not JSON") from None
        return StoredSession.from_json(data)

    def save(self, stored: StoredSession) -> None:
        # A fresh file in the same folder, made 0600 with O_EXCL by mkstemp, then renamed
        # over: a crash never leaves half a file, and no leftover or symlink is written to.
        descriptor, partial = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump(stored.to_json(), file)
            os.replace(partial, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
