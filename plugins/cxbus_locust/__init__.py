"""Locust users that chat through cxbus: load tests of a contact centre's chat flows.

    pip install "cxbus[locust]"

``WebChatUser`` is a guest of a web chat (WebChatService), ``MessagingUser`` one of a
Web Messaging conversation (MessagingService). Each Locust user has a bus of its own,
with its chat plugin configured from the class's ``config`` (the chat is kept in
memory), starts a chat in ``on_start`` and ends it in ``on_stop`` (within
``stop_timeout``, even when the server is gone).
Every command the user runs is reported to Locust's statistics under its name
(``WebChatService.sendMessage``), timed from dispatch to answer, through the bus's
instrumentation signals, so nothing is timed twice; ``wait_for`` times an event
that follows the user's last command (the agent's reply to a message, say) as a
statistic of its own, from the command's dispatch to the event's publication, and
reports a failure when it does not come in time::

    class Guest(WebChatUser):
        config = {...}  # a webchat section, e.g. the emulator's webchat_config()
        wait_time = between(20, 40)

        @task
        def ask(self) -> None:
            self.command("sendMessage", {"message": "Where is my order?"})
            self.wait_for("messageReceived", from_agent, name="agent reply")

``ScenarioUser`` plays scenario files instead (``cxbus_locust.scenario_user``): each
reply a statistic of the request type ``expect``, each unmet one a failure.

Under Locust the threads of cxbus (its loop, pools and WebSocket reader) are gevent
greenlets: Locust patches the standard library before cxbus starts them.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from cxbus import Bus, CommandCall, CommandRejected, Event, signals
from cxbus.extras import requiring

with requiring("cxbus[locust]", "cxbus_locust"):
    from locust import User

from .scenario_user import ScenarioUser

__all__ = ["ChatUser", "MessagingUser", "ScenarioUser", "WebChatUser", "from_agent"]

DEFAULT_TIMEOUT = 30.0
# The events a user keeps since its last command, for wait_for: the newest this many.
KEPT_EVENTS = 256


def from_agent(data: Any) -> bool:
    """Whether a WebChatService ``messageReceived`` or a MessagingService
    ``messagesReceived`` carries a message from an agent (or a bot)."""
    messages = data.get("messages", []) if isinstance(data, Mapping) else []
    return any(_is_agents(m) for m in messages if isinstance(m, Mapping))


def _is_agents(message: Mapping[str, Any]) -> bool:
    if "direction" in message:  # Web Messaging: the agent's side is Outbound
        return message["direction"] == "Outbound" and message.get("type") != "Event"
    sender = message.get("from")
    return isinstance(sender, Mapping) and sender.get("type") == "Agent"


def _ignore(reason: Any) -> None:
    pass


class ChatUser(User):
    """A Locust user with a bus and a chat plugin of its own (see the module docstring).

    A subclass names the plugin (``service``), its configuration ``section``, the
    commands that start and end a chat and the start's options; a test sets
    ``config``.
    """

    abstract = True
    service: ClassVar[str]
    section: ClassVar[str]
    start_command: ClassVar[str]
    end_command: ClassVar[str]
    start_options: ClassVar[Mapping[str, Any]] = {}
    config: ClassVar[Mapping[str, Any]] = {}
    command_timeout: ClassVar[float] = DEFAULT_TIMEOUT
    stop_timeout: ClassVar[float] = 10.0

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.bus = Bus(config={self.section: self.section_config()})
        # The service's events since the last command (wait_for looks there), and when
        # that command was dispatched.
        self._events: collections.deque[Event] = collections.deque(maxlen=KEPT_EVENTS)
        self._since = time.time()
        self._arrived = threading.Condition()
        self.bus.register_plugin("LocustUser").subscribe(f"{self.service}.*", self._record)
        signals.command_settled.connect(self._settled, sender=self.bus)

    def section_config(self) -> dict[str, Any]:
        """The plugin's section for this user's bus: ``config``."""
        return dict(self.config)

    # Locust's lifecycle -----------------------------------------------------------------

    def on_start(self) -> None:
        self.command(self.start_command, dict(self.start_options))

    def on_stop(self) -> None:
        try:
            self.command(self.end_command, timeout=self.stop_timeout)
        except (CommandRejected, TimeoutError):
            pass  # reported already; the chat ends here either way
        finally:
            signals.command_settled.disconnect(self._settled, sender=self.bus)
            self.bus.close()

    # What a task does -------------------------------------------------------------------

    def command(self, name: str, data: Any = None, timeout: float | None = None) -> Any:
        """Run ``<service>.<name>`` (or a full ``"Ns.command"``) and return its value;
        ``CommandRejected`` or ``TimeoutError`` when it fails (reported either way)."""
        full_name = name if "." in name else f"{self.service}.{name}"
        with self._arrived:  # what a wait_for after this command looks for comes from now on
            self._events.clear()
            self._since = started = time.time()
        deferred = self.bus.command(full_name, data)
        # Its rejection is reported through command_settled, even one that comes after
        # the wait below gave up: not an unhandled rejection for the log.
        deferred.fail(_ignore)
        try:
            return deferred.result(timeout=timeout or self.command_timeout)
        except TimeoutError as late:
            self._report("command", full_name, started, late)
            raise

    def wait_for(
        self,
        event: str,
        where: Callable[[Any], bool] = lambda data: True,
        *,
        name: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Any:
        """The data of the first ``<service>.<event>`` since the user's last command whose
        data fits ``where`` (one that came while the command ran counts), waiting for it
        up to ``timeout`` seconds. Reported under ``name`` (the event's name by default),
        timed from the command's dispatch to the event's publication; a failure
        (``TimeoutError``) when it does not come in time."""
        full_name = f"{self.service}.{event}"

        def found() -> Event | None:
            return next((e for e in self._events if e.name == full_name and where(e.data)), None)

        with self._arrived:
            since = self._since
            match = self._arrived.wait_for(found, timeout)
        label = name or full_name
        if match is None:
            late = TimeoutError(f"no {full_name} within {timeout:g} s")
            self._report("event", label, since, late)
            raise late
        self._report("event", label, since, None, ended=match.time)
        return match.data

    # Reporting ------------------------------------------------------------------------------

    def _record(self, event: Event) -> None:
        with self._arrived:
            self._events.append(event)
            self._arrived.notify_all()

    def _settled(self, bus: Bus, *, call: CommandCall, state: str, value: Any) -> None:
        if call.commander is not None:
            return  # a plugin's own command, not the user's
        failure = CommandRejected(value) if state == "rejected" else None
        self._report("command", call.command, call.time, failure)

    def _report(
        self,
        kind: str,
        name: str,
        started: float,
        exception: BaseException | None,
        ended: float | None = None,
    ) -> None:
        self.environment.events.request.fire(
            request_type=kind,
            name=name,
            response_time=((ended or time.time()) - started) * 1000,
            response_length=0,
            exception=exception,
            context={},
        )


class WebChatUser(ChatUser):
    """A guest chatting through WebChatService; ``config`` is its ``webchat`` section."""

    abstract = True
    service = "WebChatService"
    section = "webchat"
    start_command = "startChat"
    end_command = "endChat"
    start_options: ClassVar[Mapping[str, Any]] = {"nickname": "Locust"}


class MessagingUser(ChatUser):
    """A guest of a Web Messaging conversation through MessagingService; ``config`` is its
    ``messaging`` section. Its agent's messages come in ``messagesReceived``.

    ``on_stop`` clears the conversation (``clearConversation``: it ends on the server, as
    the Messenger's "clear" does); where the deployment does not allow that, set
    ``end_command = "clearSession"``, which only forgets it here.

    On an authenticated deployment, ``auth_provider`` signs each user in: a function
    called for each sign-in that returns ``{"authCode", "redirectUri"}`` (or
    ``{"idToken", "nonce"}``): the section's ``authProvider``. Each Locust user should
    sign in as a user of its own: signing in as one taken already moves that user's
    conversation away from the other Locust user (``connectionClosed``).
    """

    abstract = True
    service = "MessagingService"
    section = "messaging"
    start_command = "startConversation"
    end_command = "clearConversation"
    auth_provider: ClassVar[Callable[[], Mapping[str, str]] | None] = None

    def section_config(self) -> dict[str, Any]:
        """``config``, with ``auth_provider`` as its ``authProvider`` when set."""
        section = super().section_config()
        provider = type(self).auth_provider
        if provider is not None:
            section["authProvider"] = provider
        return section
