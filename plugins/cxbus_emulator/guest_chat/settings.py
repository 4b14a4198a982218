"""The guest chat emulator's switches: how real it is, and its limits and delays.

Every switch defaults to what Genesys Cloud does, as far as its public sources tell
(docs/emulator.md). The three compatibility switches (``join_messages``, ``agent_leave_ends_chat``,
``away_disconnects_guest``) turn back to the emulator's first, simpler behaviour
for clients that do not handle the real one yet. ``Settings`` is frozen: a change
makes a new one (``changed``), checked switch by switch, so a bad value is one clear
error naming the switch, and a chat never sees half of a change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["Settings"]


def _is_flag(value: Any) -> bool:
    return isinstance(value, bool)


def _is_seconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


_EXPECTED = {
    _is_flag: "true or false",
    _is_seconds: "a number of seconds above 0",
    _is_count: "a whole number above 0",
}


def _switch(default: Any, check: Any, optional: bool = False) -> Any:
    def validate(instance: Settings, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not (check(value) or (optional and value is None)):
            raise ValueError(value)

    expected = _EXPECTED[check] + (" (or null)" if optional else "")
    return attrs.field(default=default, validator=validate, metadata={"expected": expected})


@attrs.frozen(kw_only=True)
class Settings:
    """The switches of one emulator; the package docstring says what each one models."""

    # Real behaviour, on by default; off, the emulator's first behaviour, for old clients.
    join_messages: bool = _switch(True, _is_flag)
    """Joins and leaves come twice: a member-change frame and a member-join or
    member-leave message, which history pages keep too."""
    agent_leave_ends_chat: bool = _switch(True, _is_flag)
    """The agent's leaving ends the chat for the guest (off: the guest stays, alone)."""
    away_disconnects_guest: bool = _switch(True, _is_flag)
    """The guest is DISCONNECTED while no event stream of its chat is attached, and
    CONNECTED again once one is (off: it stays CONNECTED)."""

    # More of the real server, off by default.
    workflow_member: bool = _switch(False, _is_flag)
    """An inbound flow's WORKFLOW member joins and leaves before the chat is queued."""
    member_message_first: bool = _switch(False, _is_flag)
    """A member-join or member-leave message comes before its member-change frame."""

    # Times, in seconds.
    guest_idle_limit: float = _switch(15 * 60.0, _is_seconds)
    """How long a chat waits for its guest to reattach an event stream before it ends."""
    socket_closing_delay: float = _switch(60.0, _is_seconds)
    """How long after ``v2.system.socket_closing`` the server closes the socket."""
    heartbeat_interval: float = _switch(30.0, _is_seconds)
    token_lifetime: float | None = _switch(None, _is_seconds, optional=True)
    """How long a guest's JWT is valid, to the second; ``None``: as long as its chat."""

    # Limits of the emulator's own file uploads.
    max_upload_bytes: int = _switch(10 * 2**20, _is_count)
    max_uploads: int = _switch(10, _is_count)

    @classmethod
    def names(cls) -> list[str]:
        return [field.name for field in attrs.fields(cls)]

    def changed(self, **changes: Any) -> Settings:
        """A copy with ``changes``; ``ValueError`` naming the switch for a bad one."""
        unknown = sorted(set(changes) - set(self.names()))
        if unknown:
            raise ValueError(
                f"No emulator switch {', '.join(unknown)}; the switches are "
                f"{', '.join(self.names())}."
            )
        fields = attrs.fields_dict(type(self))
        for name, value in changes.items():
            try:
                attrs.evolve(self, **{name: value})
            except ValueError:
                expected = fields[name].metadata["expected"]
                raise ValueError(
                    f"The emulator switch {name} must be {expected}, not {value!r}."
                ) from None
        return attrs.evolve(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """The switches as ``GET /emulator/settings`` shows them, with camelCase names."""
        return {_camel(name): value for name, value in attrs.asdict(self).items()}

    def changed_from_json(self, changes: Mapping[str, Any]) -> Settings:
        """A copy with the camelCase ``changes`` of ``PATCH /emulator/settings``."""
        known = {_camel(name): name for name in self.names()}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(
                f"No emulator switch {', '.join(unknown)}; the switches are {', '.join(known)}."
            )
        return self.changed(**{known[name]: value for name, value in changes.items()})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
