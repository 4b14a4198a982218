"""What the terminal chat writes: failures in words, and the transcript with the files sent.

Pure functions of what WebChatService answers, so they are tested without a terminal.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from .transport import ErrorBody

__all__ = ["describe", "epoch", "with_files"]


def describe(reason: Any) -> str:
    """One line for a rejection reason: a sentence, an error body or an exception."""
    if isinstance(reason, ErrorBody):  # its own line says what to do, when it is known
        return str(reason)
    if isinstance(reason, Mapping):
        return str(reason.get("message") or reason.get("reason") or reason)
    return str(reason)


def epoch(timestamp: Any) -> float:
    """Seconds since the epoch from an ISO-8601 string or a number; now when unknown."""
    when = _epoch_or_none(timestamp)
    return time.time() if when is None else when


def _epoch_or_none(timestamp: Any) -> float | None:
    if isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool):
        return timestamp / 1000 if timestamp > 1e11 else float(timestamp)
    if isinstance(timestamp, str):
        try:
            return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def with_files(
    messages: Iterable[Mapping[str, Any]], files_sent: Iterable[tuple[int, str]], nickname: str
) -> Iterator[tuple[str, str]]:
    """(sender, text) for each line of the transcript, with each file sent in its place.

    ``files_sent`` holds (how many lines the transcript had when the file was sent, its
    name): a file goes after that many lines, so the order needs no clock.
    """
    pending = sorted(files_sent)
    for count, message in enumerate(messages):
        while pending and pending[0][0] <= count:
            yield nickname, f"[file] {pending.pop(0)[1]}"
        yield str(message.get("from", {}).get("name") or "?"), str(message.get("text", ""))
    for _, name in pending:
        yield nickname, f"[file] {name}"
