"""Where a plugin keeps what must outlive its process: one stored value, in memory or a file.

A plugin that holds a conversation (WebChatService, MessagingService) keeps it in a
*session store*, so that a restarted program can pick the conversation up again:

- ``MemorySessionStore``: the default, in the plugin's object only, for the life of
  its bus; no state is shared between buses or processes.
- ``FileSessionStore``: a JSON file readable by its owner only (what it holds is a
  secret: a JWT, a session token). It is **claimed** by one store at a time with a
  lock file beside it (``<file>.lock``, through ``filelock``): a second bus or
  process gets a ``SessionStoreError`` naming the file, never the other's
  conversation. Saves go through a fresh temporary file in the same folder (created
  0600 with ``O_EXCL``, so no leftover or symlink is trusted), then replace the file.
- any object with ``load``, ``save`` and ``clear`` (``SessionStore``): a keyring, a
  database row.

Each plugin says what it stores: ``FileSessionStore`` is given how to turn its value
into JSON and back (``decode`` raises ``ValueError`` for what it cannot read).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import filelock

__all__ = [
    "FileSessionStore",
    "MemorySessionStore",
    "SessionStore",
    "SessionStoreError",
    "finite_seconds",
    "open_store",
]

T = TypeVar("T")


def finite_seconds(instance: Any, attribute: Any, value: float) -> None:
    """An attrs validator: a stored time (``savedAt``) is a finite number of seconds."""
    if not math.isfinite(value):
        raise ValueError(f"{attribute.name} must be a finite number of seconds; got {value!r}")


class SessionStoreError(Exception):
    """A session store cannot be used: the sentence names it and says why."""


class SessionStore(Protocol[T]):
    """Keeps at most one stored value."""

    def load(self) -> T | None:
        """The stored value, or ``None``; ``ValueError`` if what is stored is not one."""

    def save(self, stored: T) -> None:
        """Keep ``stored``, replacing what was kept."""

    def clear(self) -> None:
        """Forget the stored value."""


class MemorySessionStore(Generic[T]):
    """The default: the value is kept in this object only, for the life of the bus."""

    def __init__(self) -> None:
        self._stored: T | None = None

    def __repr__(self) -> str:
        return "MemorySessionStore()"

    def load(self) -> T | None:
        return self._stored

    def save(self, stored: T) -> None:
        self._stored = stored

    def clear(self) -> None:
        self._stored = None


class FileSessionStore(Generic[T]):
    """A session store in one JSON file (mode 0600), claimed by one user at a time.

    ``encode`` turns a value into JSON-able data; ``decode`` reads it back and raises
    ``ValueError`` naming what is wrong when the data is not what ``encode`` wrote.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        decode: Callable[[Any], T],
        encode: Callable[[T], Any],
    ) -> None:
        self.path = Path(path).expanduser()
        self._decode = decode
        self._encode = encode
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

    def load(self) -> T | None:
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
        return self._decode(data)

    def save(self, stored: T) -> None:
        # A fresh file in the same folder, made 0600 with O_EXCL by mkstemp, then renamed
        # over: a crash never leaves half a file, and no leftover or symlink is written to.
        descriptor, partial = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump(self._encode(stored), file)
            os.replace(partial, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _nothing_to_release() -> None:
    """How a store that was not claimed is released: one function for every chat."""


def open_store(
    given: SessionStore[T] | None,
    file_store: FileSessionStore[T] | None,
    memory: Callable[[], SessionStore[T]],
) -> tuple[SessionStore[T], Callable[[], object]]:
    """The store a configuration names, claimed, and how to release it.

    ``given`` (a store object) wins; else ``file_store``, claimed here (raising
    ``SessionStoreError`` when it cannot be); else a fresh ``memory()`` store.
    """
    if given is not None:
        return given, _nothing_to_release
    if file_store is None:
        return memory(), _nothing_to_release
    file_store.claim()
    return file_store, file_store.release
