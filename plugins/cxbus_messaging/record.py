"""What MessagingService knows of its conversation beyond its state.

``ConversationRecord`` is the conversation machine's own (``machine.ConversationMachine``):
read and written on the loop thread only. It outlives a socket (a reconnection keeps
it) and ends with the session (a clear, a reset or ``clearSession`` starts a new one).
The session token and the JWT are secrets: neither shows in its repr.
"""

from __future__ import annotations

import attrs

from .files import GuestFiles
from .guest_api import JwtResponse, SessionResponse
from .inputs import JwtNeed
from .payloads import StartedData

__all__ = ["ConversationRecord"]


@attrs.define
class ConversationRecord:
    """One session, from its token to its end."""

    token: str | None = attrs.field(default=None, repr=False)
    serial: int = 0
    """Which session of the machine this is (each new record counts one more)."""
    session: SessionResponse | None = None
    """The last answer to configureSession."""
    seen: dict[str, None] = attrs.field(factory=dict)
    """Ids (and channel.messageIds) of the messages published so far: a dict as a set,
    because the garbage collector stops tracking a dict of strings (a set it walks in
    every full collection, one a conversation)."""
    files: GuestFiles = attrs.field(factory=GuestFiles)
    jwt: JwtResponse | None = None
    jwt_waiting: tuple[JwtNeed, ...] = ()
    """What waits for the JWT getJwt is asked for. (This and ``history_tickets`` are
    tuples, made anew on each change, as they are empty most of the time: an empty
    list is one more object a chat keeps for every full collection to walk.)"""
    jwt_asked: bool = False
    """A getJwt is on its way (a lost socket drops it: the next need asks again)."""
    last_typing: float = float("-inf")
    history_page: int = 0
    """The last page fetchHistory (or restored) gave."""
    history_complete: bool = False
    history_tickets: tuple[int, ...] = ()
    """fetchHistory commands waiting, the first one's page under way."""
    sent_attributes: dict[str, str] = attrs.field(factory=dict)
    """The custom attributes the server has (the last ones a message carried)."""
    expiration_date: int | None = None
    duration_told: bool = False
    authenticated: bool = False
    """The session was configured signed in (``configureAuthenticatedSession``)."""
    closed_by_server: bool = False
    """A ConnectionClosedEvent came on the socket in use: when it closes, it is not
    reopened. Opening a socket clears it."""

    def take_history_ticket(self) -> int:
        """The first fetchHistory command waiting, which waits no more."""
        ticket = self.history_tickets[0]
        self.history_tickets = self.history_tickets[1:]
        return ticket

    @property
    def read_only(self) -> bool:
        return self.session is not None and self.session.read_only

    def started_data(self) -> StartedData:
        """The data of ``started`` and ``conversationReset``."""
        session = self.session
        data: StartedData = {
            "newSession": bool(session and session.new_session),
            "authenticated": self.authenticated,
            "readOnly": bool(session and session.read_only),
        }
        if session is not None and session.duration_seconds is not None:
            data["durationSeconds"] = session.duration_seconds
        if session is not None and session.expiration_date is not None:
            data["expirationDate"] = session.expiration_date
        return data
