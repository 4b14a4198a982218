"""Where a signed-in guest's credentials come from: the configuration, a callable, or a plugin.

An authenticated deployment's conversation starts with the brand's login: its
authorization code (or id token), exchanged for a JWT. ``sign_in_source`` turns the
``messaging`` section's choice into one callable that gives fresh ``Credentials``
each time it is called (a code is good once, so a second sign-in asks again):

- ``authCode`` with ``redirectUri`` (and ``codeVerifier``), or ``idToken`` with
  ``nonce``, given directly: the same each time;
- ``authProvider``, a callable: called, and its answer read;
- ``authProvider``, a plugin's name (the Messenger's ``AuthProvider`` plugin is the
  model): its ``getAuthCode`` command is run on the bus, and its resolution read
  (``{authCode, redirectUri, codeVerifier?}`` or ``{idToken, nonce}``).

The source runs on the conversation's I/O lane (``transport_calls``), where it may
block; a plugin's command is waited for ``timeout`` seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cxbus import Bus

from .guest_api import Credentials, credentials_from

__all__ = ["CredentialsSource", "SignInRefused", "sign_in_source"]

CredentialsSource = Callable[[], Credentials]


class SignInRefused(Exception):
    """The credentials could not be had: one sentence, no secret in it."""


def sign_in_source(
    bus: Bus, given: Credentials | None, provider: Any, timeout: float
) -> CredentialsSource | None:
    """The callable that gives the guest's credentials; ``None`` for a guest deployment."""
    if given is not None:
        return lambda: given
    if callable(provider):
        return lambda: _read(_called(provider), "messaging.authProvider")
    if isinstance(provider, str):
        return lambda: _read(_commanded(bus, provider, timeout), f"{provider}.getAuthCode")
    return None


def _called(provider: Callable[[], Any]) -> Any:
    try:
        return provider()
    except Exception as error:  # a provider's own failure, whatever it is
        raise SignInRefused(
            f"messaging.authProvider failed ({type(error).__name__}): no sign-in."
        ) from None


def _commanded(bus: Bus, plugin: str, timeout: float) -> Any:
    try:
        return bus.command(f"{plugin}.getAuthCode").result(timeout=timeout)
    except Exception as error:  # rejected, missing or out of time: the sentence says which
        raise SignInRefused(
            f"{plugin}.getAuthCode did not give an authorization code ({type(error).__name__})."
        ) from None


def _read(value: Any, what: str) -> Credentials:
    try:
        return credentials_from(value, what)
    except ValueError as error:
        raise SignInRefused(str(error)) from None
