"""``purecloud-v2-sockets``: Genesys Cloud guest chat over REST and its event stream.

A chat of this transport holds no thread of its own. Its REST calls for commands run
on the chat's I/O lane (WebChatService's); its event stream is read by the process's
WebSocket reader (``cxbus.websocket_reader``); and what the stream brings is turned
into the service's updates on the chat's *stream lane* (a second lane of the shared
I/O pool, see ``event_stream``), one thing at a time, in order. There a member id is
resolved to a role and a name (one REST call per new member, then cached), and after
a reattach what was missed meanwhile is fetched (the messages ``after`` the last id
seen, page by page, then the members whose state changed) before live frames go on:
nothing lost, and ids decide what is new. Only the stream lane moves the last id
seen; while a catch-up is owed (its REST calls failed) it stays put, frames that
arrive are held back (and reported after the catch-up, so messages keep the server's
order), and the catch-up is tried again every ``CATCH_UP_RETRY`` seconds (a timer of
the loop). A frame that is not what the reference describes is skipped with one
warning line (rate-limited).

Files: Genesys Cloud's guest API publishes no upload endpoint (its media requests
are listed and answered, never uploaded to), so ``sendFile`` posts to the
emulator's ``/emulator/uploads/{conversationId}``, where the upload becomes a
media request of the conversation. A server without that path answers 404, and
``sendFile`` rejects with the page's "This transport doesn't support file uploads."
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from cxbus.runtime import Lane, runtime

from ..config import TransportOptions
from ..transport import (
    GONE,
    NO_FILES,
    ChatEnded,
    ChatMessage,
    Connection,
    Listener,
    Member,
    SessionData,
    StartRequest,
    Transport,
    TransportError,
    TransportUpdate,
    Typing,
    register_transport,
)
from .event_stream import Attached, Dropped, EventStream, Gone, StreamItem, StreamRefused
from .frame_warnings import FrameWarnings
from .guest_chat_api import GuestChatApi

__all__ = ["PureCloudV2Sockets"]

log = logging.getLogger("cxbus.webchat.purecloud")

CATCH_UP_RETRY = 5.0
PAGE = 100
UPLOADS = "/emulator/uploads"


@register_transport
class PureCloudV2Sockets(Transport):
    """The Genesys Cloud guest chat transport."""

    type = "purecloud-v2-sockets"
    max_message_length = 4000  # the guest chat API's, per its Java SDK

    def __init__(self, options: TransportOptions, bus: Any) -> None:
        super().__init__(options, bus)
        self.options: TransportOptions = options
        self._api: GuestChatApi | None = None
        self._stream: EventStream | None = None
        self._lane = Lane(runtime().io)  # the stream lane: see the module docstring
        self._listener: Listener | None = None
        self._session: SessionData | None = None
        self._members: dict[str, Member] = {}
        # The stream lane's own: the last message id seen, and whether (and from when)
        # a catch-up is owed.
        self._last_id: str | None = None
        self._catch_up_due: float | None = None
        self._reported: dict[str, str] = {}  # member id -> the state the service was told
        self._held: list[dict[str, Any]] = []  # frames that came while a catch-up was owed
        self._warnings = FrameWarnings(log)

    # Starting and resuming ---------------------------------------------------------

    def start(self, request: StartRequest, listener: Listener) -> SessionData:
        options = self.options
        routing = options.interaction_data.routing
        if routing is None or not routing.target_address or not options.deployment_key:
            raise TransportError(
                "webchat.transport needs deploymentKey, orgGuid and "
                "interactionData.routing.targetAddress for purecloud-v2-sockets."
            )
        api = GuestChatApi(options)
        target: dict[str, Any] = {
            "targetType": routing.target_type or "QUEUE",
            "targetAddress": routing.target_address,
        }
        if routing.priority is not None:
            target["priority"] = routing.priority
        if routing.skills:
            target["skills"] = list(routing.skills)
        if routing.language:
            target["language"] = routing.language
        name = request.nickname or " ".join(filter(None, (request.firstname, request.lastname)))
        member_info: dict[str, Any] = {"displayName": name or "Guest"}
        optional = {
            "firstName": request.firstname,
            "lastName": request.lastname,
            "email": request.email,
        }
        member_info.update({key: value for key, value in optional.items() if value})
        custom = {str(k): str(v) for k, v in request.user_data.items()}
        if request.subject:
            custom.setdefault("subject", request.subject)
        if custom:
            member_info["customFields"] = custom
        created = api.call(
            "POST",
            "/conversations",
            json={
                "organizationId": options.org_guid,
                "deploymentId": options.deployment_key,
                "routingTarget": target,
                "memberInfo": member_info,
            },
        )
        api.jwt = created["jwt"]
        session = SessionData(
            created["id"], created["member"]["id"], created["jwt"], created["eventStreamUri"]
        )
        self._members = {
            session.member_id: Member(
                session.member_id, "CUSTOMER", "CONNECTED", member_info["displayName"]
            )
        }
        self._attach(api, session, listener)
        return session

    def resume(self, session: SessionData, listener: Listener) -> None:
        api = GuestChatApi(self.options)
        api.jwt = session.jwt
        own = api.call(
            "GET",
            f"/conversations/{_quoted(session.conversation_id)}"
            f"/members/{_quoted(session.member_id)}",
        )
        # DISCONNECTED may only mean the guest was away (this process was not running):
        # with a leave date, the guest has left for good (ours: the reference does not
        # say; a chat that is over refuses its stream anyway).
        if own.get("state") == "DISCONNECTED" and own.get("leaveDate"):
            api.close()
            raise TransportError({"message": "The chat has ended.", "status": 404}, 404)
        self._members = {session.member_id: _member(own)}
        self._attach(api, session, listener)

    def _attach(self, api: GuestChatApi, session: SessionData, listener: Listener) -> None:
        self.close()
        self._api, self._session, self._listener = api, session, listener
        self._last_id = session.last_message_id
        self._catch_up_due = None
        self._held = []
        self._reported = {session.member_id: "CONNECTED"}  # the guest, once attached
        stream = EventStream(
            session.event_stream_uri,
            self._lane,
            lambda item: self._stream_item(stream, item),
            ca_bundle=self.options.ca_bundle,
        )
        self._stream = stream
        try:
            stream.attach()
        except StreamRefused as refused:
            self.close()
            body = {
                "message": "The chat's event stream could not be attached.",
                "status": refused.status,
            }
            raise TransportError(body, refused.status) from None

    # Calls --------------------------------------------------------------------------

    def _chat(self) -> tuple[GuestChatApi, SessionData]:
        if self._api is None or self._session is None:
            raise TransportError("There is no chat on this transport.")
        return self._api, self._session

    def _path(self, *segments: str) -> str:
        """The path below the chat's conversation: ids come from the server, so quoted."""
        _, session = self._chat()
        return "/conversations/" + "/".join(
            _quoted(s) for s in (session.conversation_id, *segments)
        )

    def send_message(self, text: str, body_type: str = "standard") -> ChatMessage:
        api, session = self._chat()
        sent = api.call(
            "POST",
            self._path("members", session.member_id, "messages"),
            json={"body": text, "bodyType": body_type},
        )
        return self._message(sent)

    def send_typing(self) -> None:
        api, session = self._chat()
        api.call("POST", self._path("members", session.member_id, "typing"))

    def update_user_data(self, user_data: Mapping[str, Any]) -> Any:
        raise TransportError(
            "This transport doesn't support updating userData during an active chat session."
        )

    def history(self, after: str | None = None, limit: int = PAGE) -> list[ChatMessage]:
        api, _ = self._chat()
        params: dict[str, Any] = {"maxResults": limit}
        if after is not None:
            params["after"] = after
        page = api.call("GET", self._path("messages"), params=params)
        return [self._message(entity) for entity in page.get("entities", [])]

    def members(self) -> list[Member]:
        api, _ = self._chat()
        listing = api.call("GET", self._path("members"), params={"pageSize": 100})
        return [_member(entity) for entity in listing.get("entities", [])]

    def send_file(self, name: str, content: bytes, content_type: str) -> Any:
        api, session = self._chat()
        headers = {"Content-Type": content_type, "X-File-Name": name}
        try:
            uploaded = api.request(
                "POST",
                f"{UPLOADS}/{_quoted(session.conversation_id)}",
                data=content,
                headers=headers,
            ).json()
        except TransportError as error:
            if error.status == 404:
                raise TransportError(NO_FILES, 404) from None
            raise
        return {
            "fileId": uploaded["id"],
            "name": name,
            "contentType": content_type,
            "size": len(content),
        }

    def download_file(self, file_id: str) -> bytes:
        api, session = self._chat()
        path = f"{UPLOADS}/{_quoted(session.conversation_id)}/{_quoted(file_id)}"
        return api.request("GET", path).content

    def leave(self) -> None:
        api, session = self._chat()
        api.call("DELETE", self._path("members", session.member_id), retried=False)

    def close(self) -> None:
        stream, api = self._stream, self._api
        self._stream = None
        if stream is not None:
            stream.close()
        if api is not None:
            api.close()
        self._api = None
        self._session = None

    # From frames to updates (the stream lane) -----------------------------------------

    def _stream_item(self, stream: EventStream, item: StreamItem) -> None:
        if stream is not self._stream:
            return  # a stream closed since, of this chat or of the one before
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
        except Exception as error:  # a frame that is not what the reference describes
            self._warnings.warn("skipping a stream item that could not be handled: %r", error)
            if self._catch_up_due is not None:  # a catch-up that failed: not again at once
                self._owe_catch_up(CATCH_UP_RETRY)

    def _owe_catch_up(self, delay: float) -> None:
        """A catch-up is owed: due in ``delay`` seconds (a loop timer brings it here)."""
        self._catch_up_due = time.monotonic() + delay
        stream = self._stream
        if delay > 0 and stream is not None:
            retry = functools.partial(self._retry_catch_up, stream)
            runtime().loop.call_later(delay, functools.partial(self._lane.submit, retry))

    def _retry_catch_up(self, stream: EventStream) -> None:
        if stream is self._stream and self._catch_up_due is not None:
            self._guarded(self._catch_up_if_due)

    def _catch_up_if_due(self) -> None:
        due = self._catch_up_due
        if due is not None and time.monotonic() >= due:
            self._catch_up()

    def _report(self, update: TransportUpdate) -> None:
        listener = self._listener
        if listener is not None:
            listener(update)

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
            message = self._message(body)
            self._report(message)
            if self._catch_up_due is None:  # else the catch-up must start before it
                self._last_id = message.id
        elif kind == "typing-indicator":
            sender = self._member(body["sender"]["id"])
            self._report(Typing(sender, str(body.get("timestamp", ""))))
        elif kind == "member-change":
            member = body["member"]
            known = self._member(member["id"])
            self._report_member(
                Member(known.id, known.role, str(member.get("state")), known.display_name, None)
            )
        else:
            log.debug("skipping frame %s of type %s", frame.get("topicName"), kind)

    def _message(self, body: dict[str, Any]) -> ChatMessage:
        return ChatMessage(
            id=str(body["id"]),
            sender=self._member(body["sender"]["id"]),
            body=str(body.get("body", "")),
            body_type=str(body.get("bodyType", "standard")),
            timestamp=str(body.get("timestamp", "")),
            original=body,
        )

    def _member(self, member_id: str) -> Member:
        """The member's role and name: asked of the server once, then remembered."""
        known = self._members.get(member_id)
        if known is None:
            api, _ = self._chat()
            try:
                known = _member(api.call("GET", self._path("members", member_id)))
            except TransportError as error:
                if error.status == 404:  # no such member: the frame is wrong, not the chat
                    raise ValueError(f"a frame names an unknown member {member_id!r}") from None
                raise
            self._members[member_id] = known
        return known


def _quoted(segment: str) -> str:
    """A path segment as it may go into a URL: nothing in it can reach another path."""
    return quote(segment, safe="")


def _member(info: Mapping[str, Any]) -> Member:
    return Member(
        str(info["id"]),
        str(info.get("role", "")),
        str(info.get("state", "CONNECTED")),
        info.get("displayName"),
        info.get("leaveDate") or info.get("joinDate"),
    )
