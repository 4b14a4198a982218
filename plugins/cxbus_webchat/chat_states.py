"""The states of a chat (``machine.ChatMachine.state``), and what the machine is set up with.

Each state holds what is only true in it: the ticket of the command waiting on the
state's end, the chat's generation, the updates that wait while a chat starts.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from . import actions
from .polling import PollingOptions
from .session_store import StoredSession
from .transport import TransportUpdate

__all__ = [
    "Active",
    "Closed",
    "Ending",
    "Idle",
    "Pending",
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


@attrs.define
class Idle:
    """No chat: the last one's record stays readable."""


@attrs.define
class Starting:
    generation: int
    ticket: int
    buffered: list[TransportUpdate] = attrs.field(factory=list)


@attrs.define
class Restoring:
    generation: int
    ticket: int
    stored: StoredSession
    buffered: list[TransportUpdate] = attrs.field(factory=list)


@attrs.define
class Active:
    generation: int


@attrs.define
class Ending:
    generation: int
    ticket: int


@attrs.define
class Closed:
    """The bus closed. ``starting``: the generation of a start under way then, whose
    chat is stored once created, for a restarted program to restore."""

    starting: int | None = None


State = Idle | Starting | Restoring | Active | Ending | Closed


@attrs.frozen
class Pending:
    """A call under way: what it does, for which chat and command, and a filter to take
    back should it fail (sendFilteredMessage's)."""

    action: actions.Action
    generation: int
    ticket: int | None
    filter: re.Pattern[str] | None = None
    filter_is_new: bool = False
