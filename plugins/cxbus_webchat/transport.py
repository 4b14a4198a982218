"""What WebChatService asks of a transport, and what a transport reports back.

A transport speaks one chat protocol (``transport.type`` in the configuration):
``purecloud-v2-sockets`` is Genesys Cloud's guest chat (REST and a WebSocket event
stream); ``fake`` is the in-process stand-in that tests script through the bus;
``gms`` (no ``transport`` section: GMS mode) is the GMS Chat API v2, which has no
stream: WebChatService polls it (``refresh``, on the timers of its state machine).

Its methods block until the server has answered and raise ``TransportError`` when
it did not agree; WebChatService calls them one at a time, in order, on the chat's
I/O lane (see ``cxbus.runtime.threads``), never on the thread that runs the chat. What
arrives from the server unasked (messages, typing, members coming and going, the
connection dropping and coming back) goes to the ``Listener`` given to ``start``
or ``resume``, from whatever thread the transport reads on: the listener only
hands it to the chat, tagged with the chat it belongs to (an update of a chat
that has ended is dropped); its ``settled()`` resolves once the service has handled
what was handed so far and its subscribers have heard what follows (the fake
transport waits on it; a real one need not).
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import attrs

from .polling import PollResult

if TYPE_CHECKING:
    from cxbus import Bus, Deferred

__all__ = [
    "ENDED_ON_RESTORE",
    "GONE",
    "NO_FILES",
    "NO_POLLING",
    "ChatEnded",
    "ChatMessage",
    "Connection",
    "ErrorBody",
    "Listener",
    "Member",
    "Refreshed",
    "SessionData",
    "StartRequest",
    "Transport",
    "TransportError",
    "TransportUpdate",
    "Typing",
    "register_transport",
    "transport_class",
]


# The page's sentence for sendFile where there is no upload: WebChatService rejects
# with it for a transport without files, a transport when its server has none.
NO_FILES = "This transport doesn't support file uploads."
# The page's sentence for the polling commands on a transport that does not poll.
NO_POLLING = "This transport doesn't support polling."
# HTTP statuses that say the conversation is over (or its token no longer valid).
GONE = frozenset({401, 403, 404, 410})
# The status a polling transport's restore refuses with when the server says the chat
# is over: WebChatService then publishes restoreTimeout, as the widgets' GMS module
# does, rather than restoreFailed.
ENDED_ON_RESTORE = 410


class ErrorBody(dict[str, Any]):
    """A server's error body, as a command rejects with it.

    A dict of the server's fields as they came (``message``, ``code``, ``status``,
    ``details``...), for a program to read; its ``str()`` is one line for a person:
    what the server said, its status and code, and what to do when that is known
    (``advice``)::

        The field deploymentId must name an active deployment (400 bad.request): check
        webchat.transport.deploymentKey, the deployment's key.
    """

    def __init__(self, body: Mapping[str, Any], advice: str | None = None) -> None:
        super().__init__(body)
        self.advice = advice

    def __str__(self) -> str:
        message = str(self.get("message") or "The chat server refused the call").rstrip(". ")
        status = " ".join(str(self[key]) for key in ("status", "code") if self.get(key))
        said = f"{message} ({status})" if status else message
        return f"{said}: {self.advice}." if self.advice else f"{said}."


class TransportError(Exception):
    """The server (or the way to it) refused a call.

    ``reason`` is what WebChatService rejects the command with: the server's error
    body (an ``ErrorBody``) when there was one, else a sentence. ``status`` is the HTTP
    status, ``None`` when the server was not reached.
    """

    def __init__(self, reason: Any, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@attrs.frozen
class Member:
    """A participant of the conversation, as the server describes it."""

    id: str
    role: str
    """``"CUSTOMER"``, ``"AGENT"``, ``"ACD"``, ``"WORKFLOW"``, ..."""
    state: str
    """``"ALERTING"``, ``"CONNECTED"`` or ``"DISCONNECTED"``."""
    display_name: str | None = None
    time: str | None = None
    """When the state was reported (ISO-8601), when known."""


@attrs.frozen
class ChatMessage:
    """One message of the conversation, with its sender resolved."""

    id: str
    sender: Member
    body: str
    body_type: str
    """``"standard"``, ``"notice"``, ``"member-join"`` or ``"member-leave"``."""
    timestamp: str
    """ISO-8601, as the server sent it."""
    original: Mapping[str, Any] = attrs.field(factory=dict, eq=False)
    """The server's own representation, untouched."""


@attrs.frozen
class Typing:
    """A member is typing (``started``), or says it stopped (GMS's ``TypingStopped``)."""

    sender: Member
    timestamp: str
    started: bool = True


@attrs.frozen
class Connection:
    """The event stream dropped (``connected=False``) or came back (``True``).

    After reporting a reconnection the transport reports the messages it missed
    as ordinary ``ChatMessage`` updates (the service drops any it has seen).
    """

    connected: bool
    reason: str | None = None


@attrs.frozen
class ChatEnded:
    """The server says the conversation is over for the guest (it refused the stream or
    a call as for a conversation that is gone): the chat ends, whatever else was said."""

    reason: str | None = None


TransportUpdate = ChatMessage | Typing | Member | Connection | ChatEnded


class Listener(Protocol):
    """Where a transport hands what the server reports unasked (see the module docstring)."""

    def __call__(self, update: TransportUpdate, /) -> None:
        """Hand ``update`` to the chat (any thread)."""

    def settled(self) -> Deferred:
        """Resolves once the updates handed so far are handled and their subscribers
        have heard what follows (the fake transport waits on it; a real one need not)."""


@attrs.frozen
class Refreshed:
    """What one refresh (a poll) of a polling transport found.

    ``result`` is how it ended, for the chat's ``PollSchedule``; ``updates`` what is
    new in the transcript, in order (a ``ChatEnded`` last when the reply said
    ``chatEnded``); ``reply`` the server's reply with its secrets masked (what the
    ``poll`` command answers); ``error`` what the ``error`` event carries when the
    server refused (``None``: nothing to tell); ``position`` where the next refresh
    reads from.
    """

    result: PollResult
    updates: tuple[TransportUpdate, ...] = ()
    reply: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    error: Any = None
    status: int | None = None
    position: int | None = None
    idle_countdown: int | None = None
    """Seconds until the chat closes for inactivity, while an idle alert runs."""


@attrs.frozen
class StartRequest:
    """What the guest tells the server when a chat starts (the page's startChat options)."""

    nickname: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    email: str | None = None
    subject: str | None = None
    user_data: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class SessionData:
    """What it takes to pick a chat up again, in this process or another.

    Kept in the session store; ``jwt`` and ``event_stream_uri`` (which carries the
    JWT on Genesys Cloud) are secrets and never reach a log line or a repr.

    On GMS: ``conversation_id`` is the chat id, ``member_id`` the ``userId``, ``jwt``
    the secure key (the chat's secret), ``event_stream_uri`` empty (no stream),
    ``alias`` the chat's alias and ``last_message_id`` the transcript position the
    next refresh reads from.
    """

    conversation_id: str
    member_id: str
    jwt: str = attrs.field(repr=False)
    event_stream_uri: str = attrs.field(repr=False)
    last_message_id: str | None = None
    alias: str | None = None


class Transport(abc.ABC):
    """One protocol, one chat at a time; made when WebChatService is configured.

    The ``supports_*`` flags say what the protocol can do; WebChatService rejects
    the other commands with the Genesys page's sentences.

    ``options`` is the validated ``transport`` section of the configuration; ``bus``
    the bus WebChatService is on (the fake transport registers its plugin there).
    """

    type: ClassVar[str]
    supports_custom_notice: ClassVar[bool] = True
    supports_user_data_update: ClassVar[bool] = False
    supports_files: ClassVar[bool] = True
    supports_polling: ClassVar[bool] = False
    """Whether the chat is polled (``refresh``) rather than streamed."""
    max_upload_bytes: ClassVar[int] = 10 * 2**20
    """The largest file ``sendFile`` reads and uploads."""
    max_message_length: ClassVar[int | None] = None
    """The most characters a message may have (``None``: no limit the client knows)."""

    def __init__(self, options: Any, bus: Bus) -> None:
        self.options = options
        self.bus = bus

    @abc.abstractmethod
    def start(self, request: StartRequest, listener: Listener) -> SessionData:
        """Create the conversation and attach its event stream."""

    @abc.abstractmethod
    def resume(self, session: SessionData, listener: Listener) -> bool | None:
        """Attach to an existing conversation (a restore); raise if it is gone.

        ``True`` says the server is offline for now (GMS's ``statusCode`` 1: the chat
        goes on, and is restored offline)."""

    @abc.abstractmethod
    def send_message(self, text: str, body_type: str = "standard") -> ChatMessage:
        """Send a message as the guest; ``body_type`` ``"notice"`` for a custom notice."""

    @abc.abstractmethod
    def send_typing(self) -> None:
        """Tell the agent the guest is typing."""

    @abc.abstractmethod
    def update_user_data(self, user_data: Mapping[str, Any]) -> Any:
        """Update the chat's user data on the server, if the protocol can."""

    @abc.abstractmethod
    def history(self, after: str | None = None, limit: int = 100) -> list[ChatMessage]:
        """Messages in order, after the message id ``after`` (all when ``None``)."""

    @abc.abstractmethod
    def members(self) -> list[Member]:
        """Everyone in the conversation, with roles and names."""

    @abc.abstractmethod
    def send_file(self, name: str, content: bytes, content_type: str) -> Any:
        """Upload a file to the agent; the answer is the server's."""

    @abc.abstractmethod
    def download_file(self, file_id: str) -> bytes:
        """The bytes of a file shared in the chat."""

    @abc.abstractmethod
    def leave(self) -> None:
        """Leave the conversation (ends the chat for the guest)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the chat's connections (its stream); no call to the server."""

    def stop_typing(self) -> None:
        """Tell the agent the guest stopped typing (its countdown ended), if the protocol
        says so (GMS's ``stopTyping``); the others say nothing."""
        return None

    def refresh(self) -> Refreshed:
        """Poll the server once (a transport that ``supports_polling``); never raises
        for what the server answered: the answer says it."""
        raise TransportError(NO_POLLING)


_registry: dict[str, type[Transport]] = {}

# The built-in transports, "module:class", imported when their type is first used:
# purecloud-v2-sockets brings requests and websocket-client, which a chat on the
# fake transport never needs. Importing the module registers the class.
_BUILT_IN = {
    "fake": ".transports.fake:FakeTransport",
    "purecloud-v2-sockets": ".transports.purecloud_v2_sockets:PureCloudV2Sockets",
}


def register_transport(transport: type[Transport]) -> type[Transport]:
    """Make ``transport`` the one for its ``type``; usable as a class decorator."""
    _registry[transport.type] = transport
    return transport


def transport_class(type_name: str) -> type[Transport]:
    """The transport registered for ``type_name``; ``KeyError`` names the known ones.

    A built-in transport's module is imported here, the first time its type is asked for.
    """
    if type_name not in _registry and type_name in _BUILT_IN:
        module, _, name = _BUILT_IN[type_name].partition(":")
        register_transport(getattr(importlib.import_module(module, __package__), name))
    try:
        return _registry[type_name]
    except KeyError:
        known = ", ".join(sorted({*_registry, *_BUILT_IN}))
        raise KeyError(
            f"transport.type {type_name!r} is not a known transport (known: {known})."
        ) from None
