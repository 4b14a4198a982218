"""What each call the conversation machine asks for does with the socket and the REST API.

``performer(socket, rest, deployment_id, sign_in)`` makes the ``perform`` of the
conversation's ``MachineRunner``: it runs on the conversation's I/O lane, may block on
the network or on a file, and returns the value the machine gets back in
``CallSucceeded``; except ``Send``, which only queues requests for the socket and runs
on the loop thread (a call ``on_loop``). A refusal (the socket not opened, a REST call
refused, a file that cannot be read or written) raises ``CallRefused`` with one
sentence, which the machine gets as ``CallFailed``.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cxbus.runtime.machine_runner import CallRefused, Report
from cxbus.runtime.regular_files import FileProblem, FileTooLarge, read_regular_file

from . import calls
from .guest_api import DeploymentNotFound, GuestRestApi, ProtocolError, RestError
from .guest_socket import GuestSocket, SocketRefused
from .sign_in import CredentialsSource, SignInRefused

__all__ = ["performer"]


def performer(
    socket: GuestSocket,
    rest: GuestRestApi,
    deployment_id: str,
    sign_in: CredentialsSource | None = None,
) -> Callable[[calls.Action, Report], Any]:
    """How the conversation's calls are made with ``socket`` and ``rest``, for the
    deployment ``deployment_id`` (whose ``config.json`` ``LoadDeployment`` reads);
    ``sign_in`` gives a signed-in guest's credentials (``None``: a guest deployment)."""

    def perform(action: calls.Action, report: Report) -> Any:
        try:
            if isinstance(action, (calls.SignInCall, calls.RefreshJwt, calls.RevokeJwt)):
                return _authenticate(rest, deployment_id, sign_in, action)
            return _perform(socket, rest, deployment_id, action, report)
        except SignInRefused as refused:
            raise CallRefused(str(refused), from_server=False) from None
        except SocketRefused as refused:
            raise CallRefused(str(refused), refused.status) from None
        except DeploymentNotFound as missing:  # as is: the machine words it with its options
            raise CallRefused(missing, missing.status) from None
        except RestError as error:
            raise CallRefused(str(error), error.status or None) from None
        except ProtocolError as error:
            raise CallRefused(str(error)) from None
        except FileTooLarge as problem:
            raise CallRefused(problem, from_server=False) from None
        except FileProblem as problem:
            raise CallRefused(str(problem), from_server=False) from None

    return perform


def _perform(
    socket: GuestSocket,
    rest: GuestRestApi,
    deployment_id: str,
    action: calls.Action,
    report: Report,
) -> Any:
    if isinstance(action, calls.Send):
        return socket.send(action.generation, action.requests)
    if isinstance(action, calls.Connect):
        socket.connect(action.token, action.configure, action.generation, report)
        return None
    if isinstance(action, calls.Disconnect):
        socket.close(action.generation)
        return None
    if isinstance(action, calls.FetchPage):
        return rest.history(action.jwt, action.page_number, action.page_size)
    if isinstance(action, calls.LoadDeployment):
        return rest.deployment_config(deployment_id)
    if isinstance(action, calls.ReadFile):
        return _read(action), mimetypes.guess_type(action.name)[0] or "application/octet-stream"
    if isinstance(action, calls.Upload):
        rest.upload(action.url, action.headers, action.data, action.name)
        return None
    assert isinstance(action, calls.Download), "the sign-in's calls are _authenticate's"
    return _download(rest, action)


def _authenticate(
    rest: GuestRestApi,
    deployment_id: str,
    sign_in: CredentialsSource | None,
    action: calls.SignInCall | calls.RefreshJwt | calls.RevokeJwt,
) -> Any:
    if isinstance(action, calls.RevokeJwt):
        rest.revoke(action.tokens)
        return None
    if isinstance(action, calls.RefreshJwt) and action.tokens.refresh_token is not None:
        return rest.refresh(action.tokens)
    if isinstance(action, calls.SignInCall) and action.credentials is not None:
        return rest.exchange(deployment_id, action.credentials)
    # An id token's JWT has no refresh token: the guest signs in again.
    if sign_in is None:
        raise SignInRefused("No sign-in is configured (messaging.authCode or authProvider).")
    return rest.exchange(deployment_id, sign_in())


def _read(action: calls.ReadFile) -> bytes:
    source = action.source
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) > action.limit:
            raise FileTooLarge(
                f"requestUpload sends files of up to {action.limit} bytes; "
                f"{action.name!r} is larger."
            )
        return bytes(source)
    return read_regular_file(source, action.name, action.limit, "requestUpload")


def _download(rest: GuestRestApi, action: calls.Download) -> bytes | str:
    content = rest.download(action.url)
    path: Path | None = action.path
    if path is None:
        return content
    try:
        path.write_bytes(content)
    except OSError as error:
        raise FileProblem(
            f"downloadFile could not write {str(path)!r}: {error.strerror}."
        ) from None
    return str(path)
