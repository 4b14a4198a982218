"""Suggestions for a misspelt name: the "did you mean ...?" that ends a rejection.

Used where a name is not found (a command of a plugin, a plugin to load), so that a
typo says what was probably meant. ``difflib`` is imported on first use: only a
rejection pays for it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["with_suggestion"]


def with_suggestion(sentence: str, name: str, known: Iterable[str]) -> str:
    """``sentence`` (which says ``name`` was not found, and has no full stop yet) ended
    with ``"; did you mean 'X'?"`` for the name in ``known`` closest to ``name``, or with
    a full stop when none is close. Case does not count: ``sendmessage`` finds
    ``sendMessage``."""
    import difflib

    choices = {choice.lower(): choice for choice in known}
    close = difflib.get_close_matches(name.lower(), choices, n=1)
    return f"{sentence}; did you mean {choices[close[0]]!r}?" if close else f"{sentence}."
