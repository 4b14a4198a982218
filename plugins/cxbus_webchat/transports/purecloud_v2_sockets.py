"""``purecloud-v2-sockets``: Genesys Cloud guest chat over REST and its event stream.

A chat of this transport holds no thread of its own. Its REST calls for commands run
on the chat's I/O lane (WebChatService's); its event stream is read by the process's
WebSocket reader (``cxbus.runtime.websocket_reader``, on the loop thread); and what the
stream brings is turned into the service's updates on the chat's *stream lane* (a
second lane of the shared I/O pool, see ``event_stream``; or on the loop thread, as
the lane's next job, for a frame that needs no REST call) by the chat's
``AttachedChat``, one thing at a time, in order, with the catch-up after a reattach
(see ``attached_chat``).

Files: Genesys Cloud's guest API publishes no upload endpoint (its media requests
are listed and answered, never uploaded to), so ``sendFile`` posts to the
emulator's ``/emulator/uploads/{conversationId}``, where the upload becomes a
media request of the conversation. A server without that path answers 404, and
``sendFile`` rejects with the page's "This transport doesn't support file uploads."
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cxbus.runtime.frame_warnings import FrameWarnings
from cxbus.runtime.threads import Lane, runtime

from ..config import TransportOptions
from ..transport import (
    NO_FILES,
    ChatMessage,
    ErrorBody,
    Listener,
    Member,
    SessionData,
    StartRequest,
    Transport,
    TransportError,
    register_transport,
)
from .attached_chat import PAGE, AttachedChat, member_of, quoted
from .event_stream import EventStream, StreamRefused
from .guest_chat_api import GuestChatApi

__all__ = ["PureCloudV2Sockets"]

log = logging.getLogger("cxbus.webchat.purecloud")

UPLOADS = "/emulator/uploads"
# What an answer to creating a conversation must hold (Genesys' CreateWebChatConversationResponse).
CREATED = ("id", "jwt", "eventStreamUri", "member")
# What to check when the server refuses to create the chat: the option behind a field the
# refusal names (its ErrorBody's details), else the deployment's three.
CHECK_FIELD = {
    "deploymentId": "webchat.transport.deploymentKey, the deployment's key",
    "organizationId": "webchat.transport.orgGuid, the id of the deployment's organization",
    "routingTarget": "webchat.transport.interactionData.routing, a queue of that organization",
}
CHECK_DEPLOYMENT = (
    "webchat.transport.deploymentKey and orgGuid, and that dataURL is the deployment's "
    "region (https://api.mypurecloud.com, https://api.mypurecloud.ie, ...)"
)


@register_transport
class PureCloudV2Sockets(Transport):
    """The Genesys Cloud guest chat transport."""

    type = "purecloud-v2-sockets"
    max_message_length = 4000  # the guest chat API's, per its Java SDK

    def __init__(self, options: TransportOptions, bus: Any) -> None:
        super().__init__(options, bus)
        self.options: TransportOptions = options
        self._attached: AttachedChat | None = None
        self._lane = Lane(runtime().io)  # the stream lane: see the module docstring
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
        try:
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
        except TransportError as refused:
            raise _create_refused(refused) from None
        if (
            not isinstance(created, dict)
            or any(not created.get(key) for key in CREATED)
            or not isinstance(created["member"], dict)
            or "id" not in created["member"]
        ):
            raise TransportError(
                "The chat server's answer to creating the conversation lacks one of "
                "id, jwt, eventStreamUri and member.id."
            )
        api.jwt = created["jwt"]
        session = SessionData(
            str(created["id"]),
            str(created["member"]["id"]),
            created["jwt"],
            created["eventStreamUri"],
        )
        guest = Member(session.member_id, "CUSTOMER", "CONNECTED", member_info["displayName"])
        self._attach(api, session, {session.member_id: guest}, listener)
        return session

    def resume(self, session: SessionData, listener: Listener) -> None:
        api = GuestChatApi(self.options)
        api.jwt = session.jwt
        own = api.call(
            "GET",
            f"/conversations/{quoted(session.conversation_id)}/members/{quoted(session.member_id)}",
        )
        # DISCONNECTED may only mean the guest was away (this process was not running):
        # with a leave date, the guest has left for good (ours: Genesys's guest chat
        # pages do not say; a chat that is over refuses its stream anyway).
        if own.get("state") == "DISCONNECTED" and own.get("leaveDate"):
            api.close()
            raise TransportError(ErrorBody({"message": "The chat has ended.", "status": 404}), 404)
        self._attach(api, session, {session.member_id: member_of(own)}, listener)

    def _attach(
        self,
        api: GuestChatApi,
        session: SessionData,
        members: dict[str, Member],
        listener: Listener,
    ) -> None:
        self.close()
        attached = AttachedChat(api, session, members, listener, self._lane, self._warnings)
        stream = EventStream(
            session.event_stream_uri,
            self._lane,
            lambda item: attached.item(stream, item),
            attached.takes_at_once,
            ca_bundle=api.verify,
        )
        attached.stream = stream
        self._attached = attached
        try:
            stream.attach()
        except StreamRefused as refused:
            self.close()
            attaching = "The chat's event stream could not be attached."
            body = ErrorBody({"message": attaching, "status": refused.status})
            raise TransportError(body, refused.status) from None

    # Calls (the chat's I/O lane) ------------------------------------------------------

    def _chat(self) -> AttachedChat:
        attached = self._attached
        if attached is None:
            raise TransportError("There is no chat on this transport.")
        return attached

    def send_message(self, text: str, body_type: str = "standard") -> ChatMessage:
        chat = self._chat()
        sent = chat.api.call(
            "POST",
            chat.path("members", chat.session.member_id, "messages"),
            json={"body": text, "bodyType": body_type},
        )
        return chat.message(sent)

    def send_typing(self) -> None:
        chat = self._chat()
        chat.api.call("POST", chat.path("members", chat.session.member_id, "typing"))

    def update_user_data(self, user_data: Mapping[str, Any]) -> Any:
        raise TransportError(
            "This transport doesn't support updating userData during an active chat session."
        )

    def history(self, after: str | None = None, limit: int = PAGE) -> list[ChatMessage]:
        return self._chat().history(after, limit)

    def members(self) -> list[Member]:
        return self._chat().members()

    def send_file(self, name: str, content: bytes, content_type: str) -> Any:
        chat = self._chat()
        headers = {"Content-Type": content_type, "X-File-Name": name}
        try:
            uploaded = chat.api.request(
                "POST",
                f"{UPLOADS}/{quoted(chat.session.conversation_id)}",
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
        chat = self._chat()
        path = f"{UPLOADS}/{quoted(chat.session.conversation_id)}/{quoted(file_id)}"
        return chat.api.request("GET", path).content

    def leave(self) -> None:
        chat = self._chat()
        chat.api.call("DELETE", chat.path("members", chat.session.member_id), retried=False)

    def close(self) -> None:
        attached, self._attached = self._attached, None
        if attached is not None:
            attached.close()


def _create_refused(refused: TransportError) -> TransportError:
    """The server refused to create the chat: its ErrorBody, with what to check when the
    refusal is about what was sent (a wrong key, organization or queue, another region)."""
    body = refused.reason
    if not isinstance(body, ErrorBody) or refused.status not in (400, 401, 403, 404):
        return refused
    details = body.get("details")
    fields = [
        str(detail.get("fieldName") or "").split(".")[0]
        for detail in (details if isinstance(details, list) else [])
        if isinstance(detail, Mapping)
    ]
    checks = list(dict.fromkeys(CHECK_FIELD[field] for field in fields if field in CHECK_FIELD))
    advice = f"check {'; and '.join(checks) if checks else CHECK_DEPLOYMENT}"
    return TransportError(ErrorBody(body, advice), refused.status)
