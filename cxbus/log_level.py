"""``CXBUS_LOG_LEVEL``: cxbus's log on stderr for a program that does not configure one.

A program that uses cxbus gets its log without a line of its own: with
``CXBUS_LOG_LEVEL=DEBUG`` (or ``INFO``, ``WARNING``, ``ERROR``, ``CRITICAL``, or a
number) in the environment, ``import cxbus`` sets the ``cxbus`` logger to that level and
gives it a handler that writes to stderr, secrets masked as in every cxbus log line.
Those lines go to stderr only, not to the handlers a program configures itself (they
would come twice): to route cxbus's log with yours, leave the variable unset and set
the ``cxbus`` logger's level. Unset or empty, nothing is configured. The ``cxbus``
command's ``--debug`` does the same for one run.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Mapping

__all__ = ["FORMAT", "VARIABLE", "configure_from_environment"]

VARIABLE = "CXBUS_LOG_LEVEL"
FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` as it is when a record comes: a program (a terminal chat,
    a test's capture) may swap it for a while."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_from_environment(environ: Mapping[str, str] = os.environ) -> None:
    """Configure the ``cxbus`` logger from ``CXBUS_LOG_LEVEL``, if it is set (once: a
    second call changes the level and adds no second handler). A value that is not a
    level is ignored with a warning naming it."""
    value = environ.get(VARIABLE, "").strip()
    if not value:
        return
    if value.isdigit():
        level = int(value)
    elif value.upper() in LEVELS:
        level = getattr(logging, value.upper())
    else:
        warnings.warn(
            f"{VARIABLE}={value!r} is not a log level: expected one of {', '.join(LEVELS)} "
            "or a number; cxbus's log is left as it is.",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    logger = logging.getLogger("cxbus")
    logger.setLevel(level)
    logger.propagate = False
    if not any(isinstance(handler, _Stderr) for handler in logger.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
