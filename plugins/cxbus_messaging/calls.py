"""What the conversation machine asks of the transport: the actions of its ``Call`` effects.

``ConversationMachine.handle`` returns ``cxbus.runtime.machine_runner`` effects; a ``Call``
carries one of these, which ``transport_calls`` carries out on the conversation's I/O
lane (blocking as it likes). Its outcome comes back as ``CallSucceeded`` or
``CallFailed``. Sending over the socket only hands requests to the ``GuestSocket``,
whose answers come back later as updates (``inputs.Answered``).

A part of the machine that does not make calls itself (``files.GuestFiles``) says
what it wants done as ``Do`` (a call) and ``Ask`` (a request over the socket), each
with its purpose; the machine makes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import attrs

from .guest_api import Request
from .inputs import CallPurpose, RequestPurpose

__all__ = [
    "Action",
    "Ask",
    "Connect",
    "Disconnect",
    "Do",
    "Download",
    "FetchPage",
    "LoadDeployment",
    "ReadFile",
    "Send",
    "Upload",
    "sentence",
]


@attrs.frozen
class LoadDeployment:
    """Read the deployment's ``config.json``; succeeds with a ``DeploymentConfig``."""


@attrs.frozen
class Connect:
    """Open the socket of ``generation`` (closing the one before) and send ``configure``
    first on it; succeeds once the socket is open, with nothing. The session's answer
    comes as an update."""

    token: str = attrs.field(repr=False)
    configure: Request
    generation: int


@attrs.frozen
class Send:
    """Hand ``requests`` to the socket of ``generation``, in order; succeeds with
    whether that socket is still the one (if not, nothing was sent)."""

    requests: tuple[Request, ...]
    generation: int


@attrs.frozen
class Disconnect:
    """Close the socket of ``generation`` (a normal closure), if it is still the one in
    use; no update follows."""

    generation: int


@attrs.frozen
class FetchPage:
    """One page of the history; succeeds with a ``HistoryPage``."""

    jwt: str = attrs.field(repr=False)
    page_number: int
    page_size: int


@attrs.frozen
class ReadFile:
    """Read a file to upload (a regular file only, at most ``limit`` bytes); succeeds
    with its bytes and its MIME type (from its name)."""

    source: Path | BinaryIO | bytes
    name: str
    limit: int


@attrs.frozen
class Upload:
    """PUT the bytes to a presigned upload URL with every header it came with."""

    url: str = attrs.field(repr=False)
    headers: dict[str, str] = attrs.field(repr=False)
    data: bytes = attrs.field(repr=False)
    name: str


@attrs.frozen
class Download:
    """GET a download URL; succeeds with the bytes, or the path written."""

    url: str = attrs.field(repr=False)
    path: Path | None


def sentence(reason: object) -> str:
    """A failed call's reason as one sentence (ending with a full stop)."""
    text = str(reason)
    return text if text.endswith(".") else f"{text}."


Action = LoadDeployment | Connect | Send | Disconnect | FetchPage | ReadFile | Upload | Download


@attrs.frozen
class Do:
    """Make a call of ``action`` for ``purpose``."""

    action: Action
    purpose: CallPurpose


@attrs.frozen
class Ask:
    """Send ``request`` for ``purpose``: now if the conversation is on, else once it is."""

    request: Request
    purpose: RequestPurpose
