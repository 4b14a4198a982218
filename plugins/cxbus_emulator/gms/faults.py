"""The GMS fault switches: besides an HTTP status or a delay, what GMS itself can answer.

- ``busy``: a 200 whose ``statusCode`` is 1 (the chat goes on; the Widgets count
  such refresh replies as poll exceptions), the call not carried out.
- ``cut``: no HTTP answer at all: the connection is closed as the request
  arrives, as when a proxy or the network drops it (the browser's status 0).
- ``ended``: the chat is closed on the server as the call arrives, with no
  ``ParticipantLeft``; the call is then answered as on any ended chat.

``status`` answers with that HTTP status and a plain-text body (no ``errors``),
as a proxy in front of GMS would.
"""

from __future__ import annotations

import attrs

from ..faults import Fault

__all__ = ["ANSWERS", "GmsFault"]

ANSWERS = ("busy", "cut", "ended")


@attrs.define
class GmsFault(Fault):
    """A ``Fault`` that may also answer as GMS does (one of ``ANSWERS``)."""

    answer: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.in_(ANSWERS))
    )
