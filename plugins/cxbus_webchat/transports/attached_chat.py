"""One chat attached to its event stream: what the stream brings, turned into updates.

``AttachedChat`` is made by ``PureCloudV2Sockets`` each time a chat is started or
resumed, and holds everything of that attachment: the chat's REST API and session,
its stream, the listener its updates go to, and what the stream has brought so far.
A stream item of a chat that was closed since is dropped, and an update is always
reported to the listener of its own attachment: an item of the chat before never
reaches the next one.

Threads: ``item`` runs as a job of the chat's *stream lane* (a lane of the shared I/O
pool, see ``event_stream``), one stream item at a time, in order; so do the catch-ups a
loop timer brings back. There a member id is resolved to a role and a name (one REST
call per new member, then cached), and after a reattach what was missed meanwhile is
fetched (the members who joined, the messages ``after`` the last id seen, page by
page, then the members who left) before live frames go on: nothing lost, and ids
decide what is new. Only the stream lane's jobs move the last id seen; while a
catch-up is owed (its REST calls failed) it stays put, frames that arrive are held
back (and reported after the catch-up, so messages keep the server's order), and the
catch-up is tried again every ``CATCH_UP_RETRY`` seconds. A frame that
``takes_at_once`` (no REST call: its members are known and no catch-up is owed),
found with the lane idle, runs as the lane's next job on the loop thread that read it,
with no hand-over. A frame that is not what the
guest chat API describes is skipped with one warning line (rate-limited).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from cxbus.runtime.frame_warnings import FrameWarnings
from cxbus.runtime.threads import Lane, runtime

from ..transport import (
    GONE,
    ChatEnded,
    ChatMessage,
    Connection,
    Listener,
    Member,
    SessionData,
    TransportError,
    TransportUpdate,
    Typing,
)
from .event_stream import Attached, Dropped, EventStream, Gone, StreamItem
from .guest_chat_api import GuestChatApi

__all__ = ["CATCH_UP_RETRY", "PAGE", "AttachedChat", "member_of", "quoted"]

log = logging.getLogger("cxbus.webchat.purecloud")

CATCH_UP_RETRY = 5.0
PAGE = 100


class AttachedChat:
    """The attachment of one started or resumed chat (see the module docstring)."""

    def __init__(
        self,
        api: GuestChatApi,
        session: SessionData,
        members: dict[str, Member],
        listener: Listener,
        lane: Lane,
        warnings: FrameWarnings,
    ) -> None:
        self.api = api
        self.session = session
        self.stream: EventStream | None = None
        self.closed = False
        self._members = members
        self._listener = listener
        self._lane = lane
        self._warnings = warnings
        # The stream lane's own: the last message id seen, and whether (and from when)
        # a catch-up is owed.
        self._last_id = session.last_message_id
        self._catch_up_due: float | None = None
        self._reported = {session.member_id: "CONNECTED"}  # member id -> state told
        self._held: list[dict[str, Any]] = []  # frames that came while a catch-up was owed

    def close(self) -> None:
        """Close the stream; whatever it still brings is dropped (any thread)."""
        self.closed = True
        stream, self.stream = self.stream, None
        if stream is not None:
            stream.close()
        self.api.close()

    # REST, for commands (the I/O lane) and for the stream lane ----------------------

    def path(self, *segments: str) -> str:
        """The path below the conversation: ids come from the server, so quoted."""
        return "/conversations/" + "/".join(
            quoted(s) for s in (self.session.conversation_id, *segments)
        )

    def history(self, after: str | None = None, limit: int = PAGE) -> list[ChatMessage]:
        params: dict[str, Any] = {"maxResults": limit}
        if after is not None:
            params["after"] = after
        page = self.api.call("GET", self.path("messages"), params=params)
        return [self.message(entity) for entity in page.get("entities", [])]

    def members(self) -> list[Member]:
        listing = self.api.call("GET", self.path("members"), params={"pageSize": 100})
        return [member_of(entity) for entity in listing.get("entities", [])]

    def message(self, body: dict[str, Any]) -> ChatMessage:
        return ChatMessage(
            id=str(body["id"]),
            sender=self.member(body["sender"]["id"]),
            body=str(body.get("body", "")),
            body_type=str(body.get("bodyType", "standard")),
            timestamp=str(body.get("timestamp", "")),
            original=body,
        )

    def member(self, member_id: str) -> Member:
        """The member's role and name: asked of the server once, then remembered."""
        known = self._members.get(member_id)
        if known is None:
            try:
                known = member_of(self.api.call("GET", self.path("members", member_id)))
            except TransportError as error:
                if error.status == 404:  # no such member: the frame is wrong, not the chat
                    raise ValueError(f"a frame names an unknown member {member_id!r}") from None
                raise
            self._members[member_id] = known
        return known

    # From stream items to updates (the stream lane's jobs) ----------------------------

    def takes_at_once(self, frame: dict[str, Any]) -> bool:
        """Whether ``frame`` is handled with no REST call: no catch-up is owed, and the
        members it names are known (asked with the stream lane held)."""
        if self._catch_up_due is not None:
            return False
        body = frame.get("eventBody")
        if not isinstance(body, dict):
            return True
        for key in ("sender", "member"):
            named = body.get(key)
            if isinstance(named, dict) and named.get("id") not in self._members:
                return False
        return True

    def item(self, stream: EventStream, item: StreamItem) -> None:
        """What ``stream`` brought: handled, held back, or dropped if closed since."""
        if self.closed or stream is not self.stream:
            return
        if isinstance(item, dict) and self._catch_up_due is not None:
            # Reported after the catch-up, so that messages keep the server's order.
            self._held.append(item)
        else:
            self._guarded(self._handle, item)
        if self._catch_up_due is not None:
            self._guarded(self._catch_up_if_due)

    def _guarded(self, step: Callable[..., None], *args: Any) -> None:
        try:
            step(*args)
        except TransportError as error:
            if error.status in GONE:  # the conversation is over: nothing to catch up
                self._catch_up_due = None
                self._report(ChatEnded(f"the server refused a call ({error.status})"))
                return
            # What the failed call was to bring is fetched by a catch-up, a little later.
            log.warning("a REST call failed (%s); catching up later", error.status)
            self._owe_catch_up(CATCH_UP_RETRY)
        except Exception as error:  # a frame that is not what the guest chat API describes
            self._warnings.warn("skipping a stream item that could not be handled: %r", error)
            if self._catch_up_due is not None:  # a catch-up that failed: not again at once
                self._owe_catch_up(CATCH_UP_RETRY)

    def _owe_catch_up(self, delay: float) -> None:
        """A catch-up is owed: due in ``delay`` seconds (a loop timer brings it here)."""
        self._catch_up_due = time.monotonic() + delay
        if delay > 0 and not self.closed:
            runtime().loop.call_later(delay, functools.partial(self._lane.submit, self._retry))

    def _retry(self) -> None:
        if not self.closed and self._catch_up_due is not None:
            self._guarded(self._catch_up_if_due)

    def _catch_up_if_due(self) -> None:
        due = self._catch_up_due
        if due is not None and time.monotonic() >= due:
            self._catch_up()

    def _report(self, update: TransportUpdate) -> None:
        if not self.closed:
            self._listener(update)

    def _handle(self, item: StreamItem) -> None:
        if isinstance(item, Attached):
            self._report(Connection(True))
            self._owe_catch_up(0.0)
        elif isinstance(item, Dropped):
            self._report(Connection(False, item.reason))
        elif isinstance(item, Gone):
            self._report(ChatEnded(f"the server refused the event stream ({item.status})"))
        else:
            self._frame(item)

    def _catch_up(self) -> None:
        """Fetch what came while the stream was down: members who joined, the messages
        after the last one seen, then members who left."""
        changed = [m for m in self.members() if self._reported.get(m.id) != m.state]
        for member in changed:
            if member.state != "DISCONNECTED":
                self._report_member(member)
        while True:
            page = self.history(after=self._last_id, limit=PAGE)
            for message in page:
                self._report(message)
                self._last_id = message.id
            if not page:  # not len(page) < PAGE: a server may answer with shorter pages
                break
        for member in changed:
            if member.state == "DISCONNECTED":
                self._report_member(member)
        self._catch_up_due = None
        held, self._held = self._held, []
        for index, frame in enumerate(held):
            if self._catch_up_due is not None:  # a held frame's REST call failed: hold on
                self._held = held[index:] + self._held
                return
            self._guarded(self._frame, frame)

    def _report_member(self, member: Member) -> None:
        self._members[member.id] = member
        self._reported[member.id] = member.state
        self._report(member)

    def _frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("metadata", {}).get("type")
        body = frame.get("eventBody")
        if not isinstance(body, dict):
            log.debug("skipping frame %s without an event body", frame.get("topicName"))
            return
        if kind == "message":
            message = self.message(body)
            self._report(message)
            if self._catch_up_due is None:  # else the catch-up must start before it
                self._last_id = message.id
        elif kind == "typing-indicator":
            sender = self.member(body["sender"]["id"])
            self._report(Typing(sender, str(body.get("timestamp", ""))))
        elif kind == "member-change":
            member = body["member"]
            known = self.member(member["id"])
            self._report_member(
                Member(known.id, known.role, str(member.get("state")), known.display_name, None)
            )
        else:
            log.debug("skipping frame %s of type %s", frame.get("topicName"), kind)


def quoted(segment: str) -> str:
    """An id as a path segment: nothing in it can reach another path.

    ``quote`` leaves ``.`` and ``..`` as they are, and a URL's ``..`` climbs a level:
    such an id is refused (a ``ValueError``: a bad frame, when a frame brought it)."""
    if segment in ("", ".", ".."):
        raise ValueError(f"{segment!r} is no id of the chat server's")
    return quote(segment, safe="")


def member_of(info: Mapping[str, Any]) -> Member:
    """A member as the server describes it (a member-change frame, a members listing)."""
    return Member(
        str(info["id"]),
        str(info.get("role", "")),
        str(info.get("state", "CONNECTED")),
        info.get("displayName"),
        info.get("leaveDate") or info.get("joinDate"),
    )
