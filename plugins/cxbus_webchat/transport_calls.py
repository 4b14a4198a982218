"""What each call the chat state machine asks for does with the transport.

``performer(transport)`` is the ``perform`` of the chat's ``MachineRunner``: it runs on
the chat's I/O lane (never on the loop thread), may block on the network or on a file,
and returns the value the machine gets back in ``CallSucceeded``. A refusal from the
server (``TransportError``) or a file that cannot be sent or written raises
``CallRefused``, which the machine gets as ``CallFailed``.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any

from cxbus.runtime.machine_runner import CallRefused
from cxbus.runtime.regular_files import FileProblem, read_regular_file

from . import actions
from .transport import ChatMessage, Listener, Transport, TransportError

__all__ = ["performer"]


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
        offline = bool(transport.resume(action.session, listener))
        return transport.members(), _history(transport, action), offline
    if isinstance(action, actions.Refresh):
        return transport.refresh()
    if isinstance(action, actions.SendText):
        return transport.send_message(action.text, action.body_type)
    if isinstance(action, actions.TellTyping):
        return transport.send_typing() if action.started else transport.stop_typing()
    if isinstance(action, actions.TellUserData):
        return transport.update_user_data(action.user_data)
    if isinstance(action, actions.Upload):
        content = read_regular_file(
            action.source, action.name, transport.max_upload_bytes, "sendFile"
        )
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
