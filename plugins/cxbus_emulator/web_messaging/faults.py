"""The Web Messaging fault switches that outlive one call: refused connects, refused actions.

The switches that act once (drop sockets, a malformed frame, expiry, out-of-order
delivery, a forgotten session) are the server's own operations; the REST switches are the shared
``Faults`` of ``cxbus_emulator.faults``. Read and changed on the emulator's loop.
"""

from __future__ import annotations

import attrs

from ..faults import Faults

__all__ = ["ActionFault", "MessagingFaults"]


@attrs.define
class ActionFault:
    """Answer the next ``count`` requests of ``action`` with ``code`` instead of doing them.

    A 429 is a ``TooManyRequestsErrorMessage`` that says to wait ``retry_after``
    seconds; any other code is a ``string`` error frame.
    """

    action: str
    count: int = 1
    code: int = 429
    retry_after: int = 3


@attrs.define
class MessagingFaults:
    """Every armed Web Messaging switch."""

    rest: Faults = attrs.field(factory=Faults)
    actions: list[ActionFault] = attrs.field(factory=list)
    refuse_until: float | None = None  # on the server's clock; refused while before it
    refuse_count: int = 0  # connects still to refuse
    refuse_status: int = 503
    clear_disabled: bool = False
    swallow_left: int = 0  # guest messages still to take in silence

    def swallow(self, action: str) -> bool:
        """Whether to take this request in silence: no echo, no answer, nothing kept (a
        server that lost it); counts ``swallow_left`` down for each ``onMessage``."""
        if action != "onMessage" or self.swallow_left <= 0:
            return False
        self.swallow_left -= 1
        return True

    def take_action(self, action: str) -> ActionFault | None:
        """The first fault armed for ``action``, counted down; ``None`` for none."""
        for fault in self.actions:
            if fault.action == action:
                fault.count -= 1
                if fault.count <= 0:
                    self.actions.remove(fault)
                return fault
        return None

    def refuse(
        self, now: float, seconds: float | None = None, count: int | None = None, status: int = 503
    ) -> None:
        """Refuse new WebSockets with ``status``: ``count`` of them, for ``seconds`` from ``now``
        (monotonic), or, with neither, until ``allow()``."""
        self.refuse_status = status
        if count is not None:
            self.refuse_count = count
        if seconds is not None or count is None:
            self.refuse_until = now + seconds if seconds is not None else float("inf")

    def allow(self) -> None:
        """Take new WebSockets again."""
        self.refuse_until, self.refuse_count = None, 0

    def refuses(self, now: float) -> int | None:
        """The status to refuse a new WebSocket with at ``now`` (monotonic), if any."""
        if self.refuse_count > 0:
            self.refuse_count -= 1
            return self.refuse_status
        if self.refuse_until is not None and now < self.refuse_until:
            return self.refuse_status
        return None

    def reset(self) -> None:
        """Disarm every switch."""
        self.rest.clear()
        self.actions.clear()
        self.allow()
        self.clear_disabled = False
        self.swallow_left = 0
