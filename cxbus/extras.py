"""The one line that names the extra to install when a module it brings is missing.

A part of cxbus that needs an extra imports what it needs inside ``requiring``::

    with requiring("cxbus[locust]", "cxbus_locust"):
        from locust import User

Without the extra, the import fails as ``ModuleNotFoundError`` still (so ``except
ImportError`` goes on working), with the message the ``cxbus`` command gives for a
subcommand: ``cxbus_locust: locust is not installed; the extra cxbus[locust] brings it:
pip install 'cxbus[locust]'``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["missing_extra", "requiring"]


def missing_extra(module: str, extra: str) -> str:
    """The sentence saying that ``module`` is missing and ``extra`` brings it."""
    return f"{module} is not installed; the extra {extra} brings it: pip install '{extra}'"


@contextlib.contextmanager
def requiring(extra: str, what: str) -> Iterator[None]:
    """Imports in this block come with ``extra``; ``what`` (the module or fixture that
    needs them) is named when one is missing. A missing module of cxbus's own is a bug,
    not a missing extra: it goes through as it is."""
    try:
        yield
    except ModuleNotFoundError as missing:
        name = missing.name or ""
        top = name.partition(".")[0]
        if not top or top == "cxbus" or top.startswith("cxbus_"):
            raise
        raise ModuleNotFoundError(f"{what}: {missing_extra(top, extra)}", name=name) from None
