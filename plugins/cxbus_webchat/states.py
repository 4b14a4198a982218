"""The states of a chat (``machine.ChatMachine.state``), and what the machine is set up with.

Each state holds what is only true in it: the ticket of the command waiting on the
state's end, the chat's generation, the updates that wait while a chat starts. They
are frozen: the machine's table (``machine.TRANSITIONS``) makes the next one.
"""

from __future__ import annotations

from typing import Any

import attrs

from .polling import PollingOptions
from .session_store import StoredSession
from .transport import TransportUpdate

__all__ = [
    "Active",
    "Closed",
    "Ending",
    "Idle",
    "Restoring",
    "Settings",
    "Starting",
    "State",
]


@attrs.frozen
class Settings:
    """What the machine needs of the configuration and of the transport."""

    agent_typing_timeout: float = 10.0
    client_typing_timeout: float = 5.0
    restore_timeout: float = 60.0
    page_size: int = 100
    paginated: bool = True
    user_data: dict[str, Any] = attrs.field(factory=dict)
    supports_user_data_update: bool = False
    supports_files: bool = True
    polling: PollingOptions | None = None
    """The poll schedule's options, for a polling transport (GMS); ``None``: no polling."""


@attrs.frozen
class Idle:
    """No chat: the last one's record stays readable."""


@attrs.frozen
class Starting:
    """startChat (``ticket``) is creating the chat; what its stream reports meanwhile waits."""

    generation: int
    ticket: int
    buffered: tuple[TransportUpdate, ...] = ()


@attrs.frozen
class Restoring:
    """restore (``ticket``) is attaching to the ``stored`` chat and reading it back; what
    its stream reports meanwhile waits."""

    generation: int
    ticket: int
    stored: StoredSession
    buffered: tuple[TransportUpdate, ...] = ()


@attrs.frozen
class Active:
    """The chat takes messages, typing, files."""

    generation: int


@attrs.frozen
class Ending:
    """endChat (``ticket``): the guest is leaving; the chat is on until the server says so."""

    generation: int
    ticket: int


@attrs.frozen
class Closed:
    """The bus closed. ``starting``: the generation of a start under way then, whose
    chat is stored once created, for a restarted program to restore."""

    starting: int | None = None


State = Idle | Starting | Restoring | Active | Ending | Closed
