"""Fault switches: answer the next calls of a path with an error, or late.

Patterns are ``fnmatch`` patterns over the request path, such as
``"*/messages"`` or ``"/api/v2/webchat/guest/conversations"``.
"""

from __future__ import annotations

import fnmatch
import threading

import attrs

__all__ = ["Fault", "Faults"]


@attrs.define
class Fault:
    """Answer ``count`` calls matching ``pattern`` with ``status`` (after ``delay`` s)."""

    pattern: str
    count: int
    status: int | None = None
    retry_after: int | None = None
    delay: float = 0.0


class Faults:
    """The armed switches; each fires for as many calls as it was armed for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[Fault] = []

    def arm(self, fault: Fault) -> None:
        with self._lock:
            self._armed.append(fault)

    def take(self, path: str) -> Fault | None:
        """The first armed fault matching ``path``, counted down; ``None`` for none."""
        with self._lock:
            for fault in self._armed:
                if fnmatch.fnmatchcase(path, fault.pattern):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._armed.remove(fault)
                    return fault
        return None

    def clear(self, pattern: str | None = None) -> None:
        """Disarm every switch, or those armed for ``pattern``."""
        with self._lock:
            self._armed = [f for f in self._armed if pattern is not None and f.pattern != pattern]
