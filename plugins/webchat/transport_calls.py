"""What each call the chat state machine asks for does with the transport.

``performer(transport)`` is the ``perform`` of the chat's ``MachineRunner``: it runs on
the chat's I/O lane (never on the loop thread), may block on the network or on a file,
and returns the value the machine gets back in ``CallSucceeded``. A refusal from the
server (``TransportError``) or a file that cannot be sent or written raises
``CallRefused``, which the machine gets as ``CallFailed``.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from cxbus.machine_runner import CallRefused

from . import actions
from .transport import ChatMessage, Listener, Transport, TransportError

__all__ = ["performer"]


class FileProblem(Exception):
    """A file to send cannot be read, or a downloaded file cannot be written: a sentence."""


def performer(transport: Transport) -> Callable[[actions.Action, Listener], Any]:
    """How the chat's calls are made with ``transport``."""

    def perform_with(action: actions.Action, listener: Listener) -> Any:
        try:
            return perform(transport, action, listener)
        except TransportError as error:
            raise CallRefused(error.reason, error.status) from None
        except FileProblem as problem:
            raise CallRefused(str(problem), from_server=False) from None

    return perform_with


def perform(transport: Transport, action: actions.Action, listener: Listener) -> Any:
    """Carry out ``action`` with ``transport``; its value for the machine."""
    if isinstance(action, actions.Start):
        return transport.start(action.request, listener)
    if isinstance(action, actions.Resume):
        transport.resume(action.session, listener)
        return transport.members(), _history(transport, action)
    if isinstance(action, actions.SendText):
        return transport.send_message(action.text, action.body_type)
    if isinstance(action, actions.TellTyping):
        return transport.send_typing()
    if isinstance(action, actions.TellUserData):
        return transport.update_user_data(action.user_data)
    if isinstance(action, actions.Upload):
        content = _read(action.source, action.name, transport.max_upload_bytes)
        content_type = mimetypes.guess_type(action.name)[0] or "application/octet-stream"
        return transport.send_file(action.name, content, content_type)
    if isinstance(action, actions.Download):
        content = transport.download_file(action.file_id)
        if action.path is None:
            return content
        try:
            action.path.write_bytes(content)
        except OSError as error:
            raise FileProblem(
                f"downloadFile could not write {str(action.path)!r}: {error.strerror}."
            ) from None
        return str(action.path)
    if isinstance(action, actions.Leave):
        return transport.leave()
    return transport.close()


def _history(transport: Transport, action: actions.Resume) -> list[list[ChatMessage]]:
    """Every message so far, in pages of ``page_size``, or in one page when not paginated."""
    pages: list[list[ChatMessage]] = []
    after: str | None = None
    while True:
        page = transport.history(after=after, limit=action.page_size)
        if page:
            pages.append(page)
            after = page[-1].id
        if len(page) < action.page_size:
            break
    if not action.paginated:
        return [[message for page in pages for message in page]]
    return pages


def _read(source: Path | BinaryIO, name: str, limit: int) -> bytes:
    """The bytes to upload: a regular file only, and no more than ``limit`` of them."""
    if isinstance(source, Path):
        try:
            # Non-blocking, so that a FIFO is refused rather than waited on; checked
            # once opened, so that nothing can be swapped in between.
            descriptor = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as error:
            raise FileProblem(
                f"sendFile could not read {str(source)!r}: {error.strerror}."
            ) from None
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise FileProblem(f"sendFile can only send a regular file; {name!r} is not one.")
            content = file.read(limit + 1)
    else:
        fileno = getattr(source, "fileno", None)
        try:
            regular = stat.S_ISREG(os.fstat(fileno()).st_mode) if callable(fileno) else True
        except (OSError, ValueError):  # io.BytesIO and its kind have no descriptor
            regular = True
        if not regular:
            raise FileProblem(f"sendFile can only send a regular file; {name!r} is not one.")
        try:
            content = source.read(limit + 1)
        except (OSError, ValueError) as error:
            raise FileProblem(f"sendFile could not read {name!r}: {error}.") from None
        if not isinstance(content, bytes):
            raise FileProblem("sendFile needs a binary file object (opened with 'rb').")
    if len(content) > limit:
        raise FileProblem(f"sendFile sends files of up to {limit} bytes; {name!r} is larger.")
    return content
