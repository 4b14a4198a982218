"""Warnings about bad frames from a server, rate-limited so that a bad server cannot
flood the log: at most ``limit`` lines a ``window``, and what was held back is counted
in the first line of the next window."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

__all__ = ["FrameWarnings"]


class FrameWarnings:
    """One stream's warnings about bad frames: used from one lane (or thread) at a time,
    so no lock. The count held back is told when the next window's first warning comes."""

    def __init__(
        self,
        logger: logging.Logger,
        limit: int = 10,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._limit = limit
        self._window = window
        self._clock = clock
        self._window_start = clock()
        self._told = 0
        self._held_back = 0

    def warn(self, message: str, *args: Any) -> None:
        """Log one warning line, unless this window's share is used up."""
        now = self._clock()
        if now - self._window_start >= self._window:
            if self._held_back:
                self._log.warning(
                    "%d more warnings about bad frames were held back", self._held_back
                )
            self._window_start, self._told, self._held_back = now, 0, 0
        if self._told < self._limit:
            self._told += 1
            self._log.warning(message, *args)
        else:
            self._held_back += 1
