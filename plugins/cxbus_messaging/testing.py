"""pytest fixtures for testing against MessagingService: the pytest plugin ``cxbus_messaging``.

``messaging``: a bus with MessagingService on the local emulator's Web Messaging API
(real sockets on loopback, no demo bot: the test plays the agent), ready, no
conversation yet, as a ``MessagingDriver`` that runs commands and records events::

    def test_my_plugin_answers_the_bot(messaging):
        messaging("startConversation")
        messaging.agent_send("How can I help?")
        assert messaging.names()[-1] == "messagesReceived"

Each ``agent_...`` method returns once MessagingService has published what follows
from it, so a test needs no waiting of its own. The marker ``messaging_config`` adds
options to its ``messaging`` section::

    @pytest.mark.messaging_config(reconnectInterval=0.1)
    def test_reconnects_quickly(messaging): ...

The emulator is one per test session (``messaging_emulator``), its faults cleared
after each test; it needs the ``cxbus[emulator]`` extra. The plugin is on wherever
cxbus is installed; ``pytest -p no:cxbus_messaging`` turns it off.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cxbus import Bus, Deferred
from cxbus.extras import requiring
from cxbus.plugin_driver import TIMEOUT, PluginDriver

from .service import SERVICE, MessagingService
from .session_store import FileSessionStore, StoredSession

if TYPE_CHECKING:
    from cxbus_emulator import Emulator

__all__ = [
    "MessagingDriver",
    "WatchedStore",
    "messaging",
    "messaging_emulator",
    "messaging_on",
    "messaging_on_emulator",
]


class WatchedStore:
    """The service's session store for a test: a session file (so that another bus or
    process can resume from it), and a condition to wait on until it holds a session."""

    def __init__(self, path: Path) -> None:
        self.file = FileSessionStore(path)
        self._changed = threading.Condition()

    def __repr__(self) -> str:
        return f"WatchedStore({str(self.file.path)!r})"

    def load(self) -> StoredSession | None:
        return self.file.load()

    def save(self, stored: StoredSession) -> None:
        with self._changed:
            self.file.save(stored)
            self._changed.notify_all()

    def clear(self) -> None:
        with self._changed:
            self.file.clear()
            self._changed.notify_all()

    def token(self, timeout: float = TIMEOUT) -> str:
        """The session token, once the service has kept one."""
        with self._changed:
            stored = self._changed.wait_for(self.file.load, timeout)
        if stored is None:
            raise AssertionError("MessagingService keeps no session: start a conversation first")
        return stored.token


class MessagingDriver(PluginDriver):
    """Runs MessagingService commands with a timeout and records its events in order
    (a ``cxbus.plugin_driver.PluginDriver``); plays the agent on ``emulator``.

    ``store`` is where the service keeps its session token: the driver reads it to find
    the conversation on the emulator.
    """

    def __init__(self, bus: Bus, emulator: Emulator, store: WatchedStore) -> None:
        super().__init__(bus, SERVICE, settled=lambda: self._service_settled())
        self.emulator = emulator
        self.store = store

    def _service_settled(self) -> Deferred | None:
        service = MessagingService.of(self.bus)
        return service.settled() if service is not None else None

    @property
    def session_file(self) -> Path:
        """The file the session token is kept in."""
        return self.store.file.path

    @property
    def session_id(self) -> str:
        """The emulator's id of the conversation the service is in."""
        return str(self.emulator.messaging.session_id(self.store.token()))

    def received(self, message_id: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Wait for the message ``message_id`` in ``messagesReceived``; its body."""
        data = self.wait(
            "messagesReceived",
            lambda d: any(m.get("id") == message_id for m in d["messages"]),
            timeout,
        )
        body: dict[str, Any] = data["messages"][0]
        return body

    def texts(self) -> list[str]:
        """The texts of the messages received so far (both directions), in order."""
        return [
            message.get("text") or ""
            for data in self.data("messagesReceived")
            for message in data["messages"]
            if message.get("type") in ("Text", "Structured")
        ]

    # The agent's side -------------------------------------------------------------------

    def agent_send(self, text: str, sender: str | None = None) -> dict[str, Any]:
        """The bot (or a human agent named ``sender``) sends ``text``; its body, once received."""
        return self.received(self.emulator.messaging.agent_send(self.session_id, text, sender))

    def agent_send_quick_replies(
        self, text: str, choices: tuple[str, ...] = ("Red", "Green", "Blue")
    ) -> dict[str, Any]:
        messaging = self.emulator.messaging
        return self.received(messaging.agent_send_quick_replies(self.session_id, text, choices))

    def agent_send_card(self, text: str | None = None) -> dict[str, Any]:
        return self.received(self.emulator.messaging.agent_send_card(self.session_id, text))

    def agent_send_file(self, name: str, data: bytes, mime: str) -> str:
        """The agent sends a file; its attachment id, once the message is received."""
        messaging = self.emulator.messaging
        attachment_id = messaging.agent_send_file(self.session_id, name, data, mime)
        self.wait(
            "messagesReceived",
            lambda d: any(
                (c.get("attachment") or {}).get("id") == attachment_id
                for m in d["messages"]
                for c in m.get("content") or []
            ),
        )
        return str(attachment_id)

    def agent_typing(self, duration_ms: int = 5000) -> None:
        """The agent types; returns once ``typingReceived`` is published."""
        count = len(self.data("typingReceived"))
        self.emulator.messaging.agent_typing(self.session_id, duration_ms)
        self.wait("typingReceived", lambda d: len(self.data("typingReceived")) > count)

    def agent_disconnect(self, read_only: bool | None = None) -> dict[str, Any]:
        """The agent disconnects; ``conversationDisconnected``'s data, once published."""
        message_id = self.emulator.messaging.agent_disconnect(self.session_id, read_only)
        return self.wait(  # type: ignore[no-any-return]
            "conversationDisconnected", lambda d: d["message"]["id"] == message_id
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "messaging_config(**options): options added to the messaging section of the "
        "cxbus_messaging `messaging` fixture (the emulator, a session file of the test's own)",
    )


@pytest.fixture(scope="session")
def messaging_emulator() -> Iterator[Emulator]:
    """The emulator the ``messaging`` fixture talks to: one per session, no demo agent.
    Without the ``cxbus[emulator]`` extra, the test errors with one line saying so."""
    try:
        with requiring("cxbus[emulator]", "the messaging fixture"):
            from cxbus_emulator import Emulator
    except ModuleNotFoundError as missing:
        raise pytest.fail.Exception(str(missing), pytrace=False) from None

    with Emulator(demo_agent=False) as running:
        yield running


@contextlib.contextmanager
def messaging_on(
    emulator: Emulator, session_file: Path, **options: Any
) -> Iterator[MessagingDriver]:
    """A bus with MessagingService on ``emulator``, loaded, as a driver; closed after.

    Its section is the emulator's (``deploymentId``, ``baseURL``) and ``options``; its
    session is kept in ``session_file`` (through a ``WatchedStore``).
    """
    store = WatchedStore(session_file)
    config = {**emulator.messaging_config(), "sessionStore": store, **options}
    with Bus(config={"messaging": config}) as bus:
        driver = MessagingDriver(bus, emulator, store)
        bus.load_plugin(SERVICE).result(timeout=TIMEOUT)
        driver.settle()
        yield driver


@pytest.fixture
def messaging(
    request: pytest.FixtureRequest, tmp_path: Path, messaging_emulator: Emulator
) -> Iterator[MessagingDriver]:
    """MessagingService on the emulator, ready, with no conversation yet (``messaging_on``
    with a session file in the test's ``tmp_path`` and the options of the test's
    ``messaging_config`` marker); events recorded from ``ready`` on."""
    marker = request.node.get_closest_marker("messaging_config")
    try:
        with messaging_on(
            messaging_emulator,
            tmp_path / "messaging-session.json",
            **(marker.kwargs if marker else {}),
        ) as driver:
            yield driver
    finally:
        messaging_emulator.messaging.clear_faults()


@pytest.fixture
def messaging_on_emulator(
    request: pytest.FixtureRequest, emulator: Emulator, tmp_path: Path
) -> Iterator[MessagingDriver]:
    """MessagingService on the cxbus_emulator plugin's ``emulator`` (its demo bot, or the
    bot of the test's ``emulator_flow``), ready, no conversation yet (with the options of
    the test's ``messaging_config`` marker)."""
    marker = request.node.get_closest_marker("messaging_config")
    options = marker.kwargs if marker else {}
    with messaging_on(emulator, tmp_path / "messaging-session.json", **options) as driver:
        yield driver
