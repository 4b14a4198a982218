"""``Emulator.platform``: the emulated org's OAuth clients and conversations, from Python.

Every method runs its work on the emulator's loop and returns when it is done, so it
may be called from any thread.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from .clients import OAuthClient
from .server import PlatformServer

__all__ = ["PlatformControls"]

T = TypeVar("T")
Runner = Callable[[Coroutine[Any, Any, Any]], Any]


class PlatformControls:
    """The Python face of one emulator's platform API."""

    def __init__(self, server: PlatformServer, run: Runner, base_url: Callable[[], str]) -> None:
        self.server = server
        self._run = run
        self._base_url = base_url

    def __repr__(self) -> str:
        return f"<PlatformControls {len(self.server.clients)} OAuth client(s)>"

    def _call(self, work: Callable[[], T]) -> T:
        async def on_loop() -> T:
            return work()

        result: T = self._run(on_loop())
        return result

    def config(self, client_id: str | None = None) -> dict[str, str]:
        """A target's ``platform`` section that uses this emulator's platform API, with the
        credentials of ``client_id`` (by default the first client: the default test
        client unless the emulator was given others)."""
        clients = self.server.clients
        client = clients[client_id] if client_id is not None else next(iter(clients.values()))
        return {
            "apiBaseUrl": self._base_url(),
            "clientId": client.client_id,
            "clientSecret": client.client_secret,
        }

    def add_client(self, client: OAuthClient) -> None:
        """One more OAuth client (a test's own, with fewer permissions, say); one of the
        same id is replaced, and the tokens it had grant nothing from then on."""
        self._call(lambda: self.server.add_client(client))

    def open_conversations(self) -> list[tuple[str, str]]:
        """Every conversation still open on any API, as (channel, id), channel one of
        ``"messaging"``, ``"webchat"``, ``"gms"``: Web Messaging conversations that have
        begun and have not been disconnected (by the platform, an agent, the flow) or
        cleared, guest chats and GMS chats that have not ended."""
        return self._call(self.server.open_conversations)

    def expire_tokens(self) -> int:
        """Every access token issued so far expires now (a client must get a new one);
        how many there were."""
        return self._call(self.server.tokens.expire_all)
