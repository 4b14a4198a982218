"""The guest chat REST API (``/api/v2/webchat/guest``): Genesys's paths, bodies and answers."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import cloud
from ..client_input import JSON_LIMIT, BadInput, read_json
from ..cloud import now
from .conversations import Conversation, Member
from .errors import ApiError, bad_request, not_active, not_found
from .paths import API
from .server import ChatServer

__all__ = ["BODY_LIMIT", "GuestChatApi", "authorize", "int_query", "json_body"]

# What a guest may post (CreateWebChatMessageRequest.bodyType).
BODY_TYPES = ("standard", "notice", "member-join", "member-leave")
# CreateWebChatMessageRequest: "message bodies are limited to 4,000 characters".
BODY_LIMIT = 4000
MEDIA_ANSWERS = ("ACCEPTED", "DECLINED", "ERRORED")


async def json_body(request: web.Request, limit: int | None = JSON_LIMIT) -> dict[str, Any]:
    """The request's JSON object, within ``limit`` bytes (``None``: the application's
    limit, for the control API); 400 (413 past the limit) otherwise."""
    try:
        body = await read_json(request, limit)
    except BadInput as bad:
        raise ApiError(bad.status, "bad.request", bad.sentence) from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad.request", "The body must be a JSON object.")
    return body


def int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high], or 400 naming it."""
    try:
        return cloud.int_query(request.query.get(name), default, low, high)
    except ValueError as error:
        raise bad_request(name, str(error)) from None


def authorize(server: ChatServer, request: web.Request) -> tuple[Conversation, str]:
    """The conversation of the path (``{cid}``) and the caller's member id, from the
    request's Bearer JWT: 401 without one, 403 for another conversation's."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(401, "authentication.required", "No Authorization: Bearer header.")
    conversation, member_id = server.authorize(header[len("Bearer ") :])
    if conversation.id != request.match_info["cid"]:
        raise ApiError(403, "not.authorized", "The token is for another conversation.")
    return conversation, member_id


class GuestChatApi:
    """The request handlers of the guest chat API, speaking for a ``ChatServer``."""

    def __init__(self, server: ChatServer) -> None:
        self.server = server

    def add_routes(self, app: web.Application) -> None:
        conversation = f"{API}/conversations/{{cid}}"
        app.router.add_post(f"{API}/conversations", self.create)
        app.router.add_get(f"{conversation}/members", self.list_members)
        app.router.add_get(f"{conversation}/members/{{mid}}", self.get_member)
        app.router.add_delete(f"{conversation}/members/{{mid}}", self.leave)
        app.router.add_post(f"{conversation}/members/{{mid}}/messages", self.send_message)
        app.router.add_post(f"{conversation}/members/{{mid}}/typing", self.send_typing)
        app.router.add_get(f"{conversation}/messages", self.list_messages)
        app.router.add_get(f"{conversation}/messages/{{message_id}}", self.get_message)
        app.router.add_get(f"{conversation}/mediarequests", self.list_media)
        app.router.add_get(f"{conversation}/mediarequests/{{rid}}", self.get_media)
        app.router.add_patch(f"{conversation}/mediarequests/{{rid}}", self.patch_media)

    def authorize(self, request: web.Request) -> tuple[Conversation, str]:
        return authorize(self.server, request)

    def _guest_path(self, request: web.Request, active: bool) -> Conversation:
        """The conversation, when the path's member is the caller itself; with ``active``,
        only once its stream was attached and until it ends."""
        conversation, member_id = self.authorize(request)
        if request.match_info["mid"] != member_id:
            raise ApiError(403, "not.authorized", "A guest may act only as itself.")
        if conversation.ended or (active and not conversation.routed):
            raise not_active()
        return conversation

    # Conversations and members -----------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        server = self.server
        body = await json_body(request)
        if body.get("organizationId") != server.org_guid:
            raise bad_request("organizationId", "must be the organization's id")
        if body.get("deploymentId") != server.deployment_key:
            raise bad_request("deploymentId", "must name an active deployment")
        target = body.get("routingTarget")
        if not isinstance(target, dict):
            target = {}
        kind = target.get("targetType")
        if not isinstance(kind, str) or kind.upper() != "QUEUE":  # real clients send "queue"
            raise bad_request("routingTarget.targetType", "must be QUEUE")
        if not isinstance(target.get("targetAddress"), str) or not target["targetAddress"]:
            raise bad_request("routingTarget.targetAddress", "must name a queue")
        info = body.get("memberInfo")
        if not isinstance(info, dict) or not isinstance(info.get("displayName"), str):
            raise bad_request("memberInfo.displayName", "is required")
        custom = info.get("customFields") or {}
        if not isinstance(custom, dict):
            raise bad_request("memberInfo.customFields", "must be an object of strings")
        guest = Member(
            "CUSTOMER",
            info["displayName"],
            first_name=info.get("firstName"),
            last_name=info.get("lastName"),
            email=info.get("email"),
            phone_number=info.get("phoneNumber"),
            custom_fields={str(k): str(v) for k, v in custom.items()},
        )
        conversation, token = server.create(guest, target["targetAddress"])
        return web.json_response(
            {
                "id": conversation.id,
                "jwt": token,
                "eventStreamUri": server.stream_uri(token),
                "member": guest.to_json(),
            }
        )

    async def list_members(self, request: web.Request) -> web.Response:
        conversation, _ = self.authorize(request)
        size = int_query(request, "pageSize", 25, 1, 100)
        number = int_query(request, "pageNumber", 1, 1, 10_000)
        members = list(conversation.members.values())
        if request.query.get("excludeDisconnectedMembers") == "true":
            members = [m for m in members if m.state != "DISCONNECTED"]
        page = members[(number - 1) * size : number * size]
        count = max(1, -(-len(members) // size))
        path = f"{API}/conversations/{conversation.id}/members"
        listing: dict[str, Any] = {
            "entities": [m.to_json() for m in page],
            "pageSize": size,
            "pageNumber": number,
            "total": len(members),
            "pageCount": count,
            "firstUri": f"{path}?pageSize={size}&pageNumber=1",
            "lastUri": f"{path}?pageSize={size}&pageNumber={count}",
            "selfUri": f"{path}?pageSize={size}&pageNumber={number}",
        }
        if number < count:
            listing["nextUri"] = f"{path}?pageSize={size}&pageNumber={number + 1}"
        return web.json_response(listing)

    async def get_member(self, request: web.Request) -> web.Response:
        conversation, _ = self.authorize(request)
        member = conversation.members.get(request.match_info["mid"])
        if member is None:
            raise not_found(f"No member {request.match_info['mid']} in this conversation.")
        return web.json_response(member.to_json())

    async def leave(self, request: web.Request) -> web.Response:
        conversation = self._guest_path(request, active=False)
        await self.server.end(conversation)
        return web.Response(status=204)

    # Messages and typing ---------------------------------------------------------------

    async def send_message(self, request: web.Request) -> web.Response:
        conversation = self._guest_path(request, active=True)
        body = await json_body(request)
        text = body.get("body")
        if not isinstance(text, str) or not text:
            raise bad_request("body", "is required")
        if len(text) > BODY_LIMIT:
            raise bad_request("body", f"must be at most {BODY_LIMIT} characters")
        body_type = body.get("bodyType", "standard")
        if body_type not in BODY_TYPES:
            raise bad_request("bodyType", f"must be one of {', '.join(BODY_TYPES)}")
        guest = conversation.guest
        message = await self.server.post_message(conversation, guest, text, body_type)
        return web.json_response(message.to_json(API, guest))

    async def send_typing(self, request: web.Request) -> web.Response:
        conversation = self._guest_path(request, active=True)
        guest = conversation.guest
        return web.json_response(
            {
                "id": guest.id,
                "conversation": {"id": conversation.id},
                "sender": guest.to_json(),
                "timestamp": now(),
            }
        )

    async def list_messages(self, request: web.Request) -> web.Response:
        conversation, _ = self.authorize(request)
        limit = int_query(request, "maxResults", 100, 1, 100)
        ids = [m.id for m in conversation.messages]
        # The JavaScript SDK sends its unset parameters empty: they count as absent.
        after, before = request.query.get("after") or None, request.query.get("before") or None
        for name, value in (("after", after), ("before", before)):
            if value is not None and value not in ids:
                raise bad_request(name, "must be the id of a message of this conversation")
        start = ids.index(after) + 1 if after is not None else 0
        end = ids.index(before) if before is not None else len(ids)
        chosen = conversation.messages[start:end]
        descending = request.query.get("sortOrder") == "descending"
        page = (chosen[::-1] if descending else chosen)[:limit]
        path = f"{API}/conversations/{conversation.id}/messages"
        result: dict[str, Any] = {
            "entities": [m.to_json(API, conversation.members[m.sender_id]) for m in page],
            "pageSize": len(page),
            "selfUri": path,
        }
        if page and len(chosen) > limit:
            result["next"] = f"{path}?after={page[-1].id}&maxResults={limit}"
        if page and start > 0:
            result["previousPage"] = f"{path}?before={page[0].id}&maxResults={limit}"
        return web.json_response(result)

    async def get_message(self, request: web.Request) -> web.Response:
        conversation, _ = self.authorize(request)
        message = conversation.message(request.match_info["message_id"])
        if message is None:
            raise not_found("No such message in this conversation.")
        return web.json_response(message.to_json(API, conversation.members[message.sender_id]))

    # Media requests (the agent's co-browse and screen-share offers) ---------------------

    async def list_media(self, request: web.Request) -> web.Response:
        conversation, _ = self.authorize(request)
        entities = [m.to_json(API, conversation.id) for m in conversation.media.values()]
        return web.json_response({"entities": entities})

    async def get_media(self, request: web.Request) -> web.Response:
        conversation, _ = self.authorize(request)
        media = conversation.media.get(request.match_info["rid"])
        if media is None:
            raise not_found("No such media request.")
        return web.json_response(media.to_json(API, conversation.id))

    async def patch_media(self, request: web.Request) -> web.Response:
        """The guest answers an offer: ACCEPTED, DECLINED or ERRORED."""
        conversation, _ = self.authorize(request)
        media = conversation.media.get(request.match_info["rid"])
        if media is None:
            raise not_found("No such media request.")
        state = (await json_body(request)).get("state")
        if state not in MEDIA_ANSWERS:
            raise bad_request("state", f"must be {', '.join(MEDIA_ANSWERS)}")
        media.state = state
        return web.json_response(media.to_json(API, conversation.id))
