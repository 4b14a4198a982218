"""The errors of cxbus: one small hierarchy, every message a sentence a user can act on."""

from __future__ import annotations

from typing import Any

__all__ = ["CommandRejected", "CxbusError", "PluginError"]


class CxbusError(Exception):
    """Base class of every error cxbus raises."""


class PluginError(CxbusError):
    """A plugin could not be registered, found, loaded or configured as asked."""


class CommandRejected(CxbusError):
    """A command was rejected; ``reason`` is what the command rejected with.

    A handler raises it to reject its command with ``reason`` (a sentence, or any
    object such as a server's error body). ``Deferred.result()`` and ``await`` raise
    it when the deferred was rejected.
    """

    def __init__(self, reason: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return str(self.reason)
