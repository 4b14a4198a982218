"""The states of a conversation (``machine.ConversationMachine.state``), and the machine's settings.

Each state holds what is only true in it: the command waiting on the state's end,
the socket's generation, the catch-up under way. They are frozen: the machine's
table (``machine.TRANSITIONS``) makes the next one. What outlives states (the session
token, the messages seen, the files) is the ``record.ConversationRecord``.
"""

from __future__ import annotations

import attrs

from .catch_up import CatchUp
from .guest_api import Request
from .inputs import MessageFrame

__all__ = [
    "Active",
    "CatchingUp",
    "Closed",
    "Connecting",
    "Disabled",
    "Idle",
    "ReadOnly",
    "Reconnecting",
    "Resetting",
    "Settings",
    "State",
    "Unloaded",
]


@attrs.frozen
class Settings:
    """What the machine needs of the configuration."""

    deployment_id: str = "deployment"
    reconnect_timeout: float = 300.0
    reconnect_interval: float = 5.0
    history_page_size: int = 25
    max_upload_bytes: int = 10240 * 1024
    """When the session names no limit of its own."""


@attrs.frozen
class Unloaded:
    """The deployment's configuration is not read yet (``configure`` is under way)."""


@attrs.frozen
class Disabled:
    """The deployment has no conversations app: every command but ``configure`` is refused."""


@attrs.frozen
class Idle:
    """No conversation: none started yet, or it was cleared or could not go on."""


@attrs.frozen
class Connecting:
    """A socket is being opened and the session configured.

    ``ticket``: the command that resolves once the socket is open (``None`` once it
    did); ``join``: send the Join presence (startConversation with autoStart);
    ``restoring``: resuming a stored session (``restored`` follows).
    """

    generation: int
    ticket: int | None
    join: bool = False
    restoring: bool = False


@attrs.frozen
class Active:
    """The conversation takes messages."""

    generation: int


@attrs.frozen
class ReadOnly:
    """The agent's side disconnected it read-only: history stays readable, sends reject."""

    generation: int


@attrs.frozen
class Reconnecting:
    """The socket was lost; it is opened again every ``reconnect_interval`` seconds until
    ``reconnect_timeout``."""

    generation: int
    unfinished: tuple[Request, ...] = ()
    """What the lost socket left unanswered or unsent: settled by the catch-up."""


@attrs.frozen
class CatchingUp:
    """The session is back (or restored): history is read before live messages go on."""

    generation: int
    catch_up: CatchUp
    read_only: bool = False
    held: tuple[MessageFrame, ...] = ()
    """The live messages that came meanwhile, in order: taken once the history is read."""


@attrs.frozen
class Resetting:
    """resetConversation: the read-only session is closed (``closed``), then a new one
    configured."""

    generation: int
    ticket: int
    closed: bool = False


@attrs.frozen
class Closed:
    """The bus closed."""


State = (
    Unloaded
    | Disabled
    | Idle
    | Connecting
    | Active
    | ReadOnly
    | Reconnecting
    | CatchingUp
    | Resetting
    | Closed
)
