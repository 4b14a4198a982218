"""``PlatformClient``: what a tester asks Genesys Cloud's platform API about its conversations.

A guest does not learn its Web Messaging conversation's id, cannot read the participant
data the flow set, and cannot disconnect the conversation. An OAuth client of the org
(the Client Credentials grant) can::

    platform = PlatformClient({"region": "mypurecloud.ie", "clientId": "...",
                               "clientSecret": os.environ["GENESYS_CLIENT_SECRET"]})
    platform.check("messaging")        # the credentials and permissions, before a run
    conversation_id = platform.find_conversation(chat)
    assert platform.participant_data(conversation_id)["Intent"] == "order"
    platform.disconnect(conversation_id, "messaging")

The section names the org's region (``mypurecloud.com``, ``mypurecloud.ie``,
``euw2.pure.cloud``, ...: the API is ``https://api.REGION``) or an ``apiBaseUrl`` (the
emulator's ``Emulator.platform_config()``), and the client's ``clientId`` and
``clientSecret``. Tokens come from the login host (``api.`` becomes ``login.``, as the
official SDKs' ``ApiClient`` does; a base URL without ``api.``, such as the emulator's,
serves both) and are kept until shortly before they expire; a token the platform
refuses anyway is fetched again once.

The calls (the official SDKs' ConversationsApi): ``GET
/api/v2/conversations/messages/{messageId}/details`` to find a Web Messaging
conversation from one of its messages' ids (as the JS web-messaging-tester's
``--associate-id`` does), ``GET /api/v2/conversations/{conversationId}`` for the
participants' ``attributes``, ``PATCH /api/v2/conversations/messages/{id}`` (Web
Messaging) or ``/chats/{id}`` (guest chat) with ``{"state": "disconnected"}``, for a
conversation that has no ``endTime`` yet. A guest
chat's id is its guest's own (``Conversation.conversation_id``). GMS chats are Genesys
Engage's: there is no such platform for them.

HTTP goes through the process's shared sessions (``cxbus.runtime.http_sessions``);
failed connections, 429 (after its ``Retry-After``) and 502 to 504 are retried with
capped backoff. Every method blocks: from asyncio code, run it with
``asyncio.to_thread``. A failure is a ``PlatformError``, one sentence; the secret
appears in no error, log line or repr.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import attrs
import requests
from urllib3.util.retry import Retry

from cxbus.runtime.http_sessions import ca_bundle_from_environment, shared_session

from .core import BaseConversation
from .errors import ConversationError
from .options import CHANNELS

__all__ = ["PlatformClient", "PlatformError", "PlatformSection", "require_platform"]

RETRY = Retry(
    total=3,
    connect=3,
    read=0,
    status=3,
    status_forcelist=(429, 502, 503, 504),
    allowed_methods=frozenset({"GET", "POST", "PATCH"}),  # the token and a disconnect repeat safely
    backoff_factor=0.5,
    backoff_max=8.0,
    raise_on_status=False,
    respect_retry_after_header=True,
)
TIMEOUT = 10.0
# A token is fetched again this long before it expires (or at 90% of a short life).
REFRESH_MARGIN = 60.0
# How many of a conversation's message ids are looked up before giving up: the first
# that the platform knows is enough, and a conversation it does not know has none.
MAX_LOOKUPS = 5
KEYS = ("region", "apiBaseUrl", "clientId", "clientSecret")
_REGION = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}")


class PlatformError(ConversationError):
    """The platform refused or could not be reached; the sentence says what to do."""


def require_platform(channel: str) -> None:
    """``PlatformError`` unless conversations on ``channel`` have the platform API: Web
    Messaging and guest chat do, GMS does not."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}; got {channel!r}.")
    if channel == "gms":
        raise PlatformError(
            "GMS chats are Genesys Engage's, which has no Genesys Cloud platform API: a "
            "platform section serves Web Messaging and guest chat only."
        )


def _base_url(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ValueError(
            f"platform.apiBaseUrl must be an http or https URL such as "
            f"https://api.mypurecloud.com; got {value!r}."
        )


def _client_id(instance: Any, attribute: attrs.Attribute[str], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"platform.clientId must be the OAuth client's id; got {value!r}.")


def _client_secret(instance: Any, attribute: attrs.Attribute[str], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        # Never the value: it may be a secret that is merely misplaced.
        raise ValueError("platform.clientSecret must be the OAuth client's secret (a string).")


@attrs.frozen
class PlatformSection:
    """A target's ``platform`` section, checked: where the platform API is and the OAuth
    client's credentials (the secret is in no repr)."""

    api_base_url: str = attrs.field(validator=_base_url)
    client_id: str = attrs.field(validator=_client_id)
    client_secret: str = attrs.field(validator=_client_secret, repr=False)

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> PlatformSection:
        """Read ``{"region" or "apiBaseUrl", "clientId", "clientSecret"}``; a
        ``ValueError`` naming the key at fault otherwise."""
        if not isinstance(section, Mapping):
            raise ValueError(
                "platform must be a section with region (or apiBaseUrl), clientId and "
                f"clientSecret; got {type(section).__name__}."
            )
        unknown = sorted(str(key) for key in section if key not in KEYS)
        if unknown:
            raise ValueError(f"platform has no key {unknown[0]!r}; its keys are {', '.join(KEYS)}.")
        region, base = section.get("region"), section.get("apiBaseUrl")
        if (region is None) == (base is None):
            raise ValueError(
                "platform needs region (such as mypurecloud.com) or apiBaseUrl: exactly one."
            )
        if region is not None:
            if not isinstance(region, str) or not _REGION.fullmatch(region):
                raise ValueError(
                    "platform.region must be the org's domain, such as mypurecloud.com or "
                    f"euw2.pure.cloud; got {region!r}."
                )
            base = f"https://api.{region}"
        if not isinstance(base, str):
            raise ValueError(f"platform.apiBaseUrl must be a URL; got {base!r}.")
        for key in ("clientId", "clientSecret"):
            if key not in section:
                raise ValueError(f"platform needs {key}, the OAuth client's credentials.")
        return cls(base.rstrip("/"), section["clientId"], section["clientSecret"])

    @property
    def login_base_url(self) -> str:
        """Where tokens come from: the API's host with ``api.`` turned into ``login.``."""
        return re.sub(r"//api\.", "//login.", self.api_base_url, count=1)


class PlatformClient:
    """Calls to the platform API with one OAuth client (see the module docstring).

    ``section`` is a ``PlatformSection`` or the ``platform`` section it is read from.
    ``clock`` times the token's life (``time.monotonic`` unless a test stops it). The
    methods may be called from several threads at once; they share one token.
    """

    def __init__(
        self,
        section: PlatformSection | Mapping[str, Any],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.section = (
            section
            if isinstance(section, PlatformSection)
            else PlatformSection.from_config(section)
        )
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def __repr__(self) -> str:
        return f"<PlatformClient {self.section.api_base_url} client {self.section.client_id!r}>"

    # What a tester asks -------------------------------------------------------------------

    def check(self, channel: str) -> None:
        """Before a run: the credentials get a token, and the client may read what a run on
        ``channel`` reads (a made-up id is looked up: 404 is the good answer, as the JS
        web-messaging-tester's preflight check does). ``PlatformError`` otherwise."""
        require_platform(channel)
        self._fresh_token()
        probe = uuid.uuid4()  # shaped as the platform's ids are, and no one's
        if channel == "messaging":
            path = f"/conversations/messages/{probe.hex}/details"
            self._call("GET", path, "find conversations", (404,))
        self._call("GET", f"/conversations/{probe}", "read conversations", (404,))

    def find_conversation(self, conversation: BaseConversation) -> str | None:
        """The platform's id of ``conversation``: a guest chat's own; a Web Messaging
        conversation's from its messages' ids; ``None`` while the platform knows none of
        them (no message has come yet). ``PlatformError`` on GMS."""
        require_platform(conversation.channel)
        if conversation.conversation_id is not None:
            return conversation.conversation_id
        for message_id in _message_ids(conversation)[:MAX_LOOKUPS]:
            found = self._call(
                "GET",
                f"/conversations/messages/{quote(message_id, safe='')}/details",
                "find conversations",
                (200, 404),
            )
            if found.status_code == 200:
                conversation_id = found.json().get("conversationId")
                if isinstance(conversation_id, str) and conversation_id:
                    return conversation_id
        return None

    def participant_data(self, conversation_id: str) -> dict[str, str]:
        """The participant data of a conversation: every participant's ``attributes``, the
        customer's over the others' (the flow's "Set Participant Data" writes there)."""
        answer = self._call(
            "GET", f"/conversations/{quote(conversation_id, safe='')}", "read conversations"
        )
        participants = answer.json().get("participants") or []
        ordered = sorted(participants, key=lambda p: p.get("purpose") == "customer")
        data: dict[str, str] = {}
        for participant in ordered:
            attributes = participant.get("attributes") or {}
            data.update({str(key): str(value) for key, value in attributes.items()})
        return data

    def disconnect(self, conversation_id: str, channel: str) -> bool:
        """Disconnect a conversation of ``channel`` (``"messaging"`` or ``"webchat"``) for
        every participant, unless it has ended (its ``endTime`` is set); whether it was
        still open."""
        require_platform(channel)
        path = f"/conversations/{quote(conversation_id, safe='')}"
        if self._call("GET", path, "read conversations").json().get("endTime"):
            return False
        media = "messages" if channel == "messaging" else "chats"
        self._call(
            "PATCH",
            f"/conversations/{media}/{quote(conversation_id, safe='')}",
            "disconnect conversations",
            json={"state": "disconnected"},
        )
        return True

    # HTTP -----------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        doing: str,
        expected: tuple[int, ...] = (200,),
        json: Any = None,
    ) -> requests.Response:
        """A call of the API with the token; a refused token is fetched again, once."""
        token = self._fresh_token()
        answer = self._send(method, path, token, json)
        if answer.status_code == 401:
            self._drop(token)
            answer = self._send(method, path, self._fresh_token(), json)
        if answer.status_code in expected:
            return answer
        raise self._refused(answer, doing, path)

    def _send(self, method: str, path: str, token: str, json: Any) -> requests.Response:
        url = f"{self.section.api_base_url}/api/v2{path}"
        return self._request(method, url, headers={"Authorization": f"Bearer {token}"}, json=json)

    def _fresh_token(self) -> str:
        with self._lock:
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token
            section = self.section
            answer = self._request(
                "POST",
                f"{section.login_base_url}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(section.client_id, section.client_secret),
            )
            if answer.status_code in (400, 401):
                raise PlatformError(
                    f"The platform at {section.login_base_url} refused the OAuth client "
                    f"{section.client_id!r}: check platform.clientId and platform.clientSecret, "
                    "and that the client has the Client Credentials grant."
                )
            if answer.status_code != 200:
                raise self._refused(answer, "give tokens", "/oauth/token")
            try:
                body = answer.json()
                token, lifetime = str(body["access_token"]), float(body["expires_in"])
            except (ValueError, KeyError, TypeError):
                raise PlatformError(
                    f"The platform at {section.login_base_url} answered the token request "
                    "without access_token and expires_in."
                ) from None
            self._token = token
            self._refresh_at = self._clock() + lifetime - min(REFRESH_MARGIN, lifetime / 10)
            return token

    def _drop(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        session = shared_session(url, RETRY)
        try:
            return session.request(
                method, url, timeout=TIMEOUT, verify=ca_bundle_from_environment() or True, **kwargs
            )
        except requests.RequestException as error:
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
            raise PlatformError(f"Cannot reach the platform at {origin}: {_why(error)}.") from None

    def _refused(self, answer: requests.Response, doing: str, path: str) -> PlatformError:
        said = _message(answer)
        if answer.status_code == 403:
            return PlatformError(
                f"The OAuth client {self.section.client_id!r} may not {doing}: {said} (give its "
                "role the permissions the scenarios page lists)."
            )
        if answer.status_code == 404:
            return PlatformError(f"The platform has no such conversation ({path}): {said}")
        return PlatformError(f"The platform answered {answer.status_code} to {path}: {said}")


def _message_ids(conversation: BaseConversation) -> list[str]:
    """The ids of the conversation's Web Messaging messages, the customer's first: the
    service echoes each of the customer's, so the platform has them."""
    ordered = sorted(conversation.messages, key=lambda m: m.sender != "customer")
    ids = (m.raw.get("id") for m in ordered)
    return list(dict.fromkeys(i for i in ids if isinstance(i, str) and i))


def _message(answer: requests.Response) -> str:
    """The ErrorBody's message, or the answer's reason."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"]).rstrip(".") + "."
    return f"{answer.reason or 'no reason given'}."


def _why(error: requests.RequestException) -> str:
    """The innermost reason of a failed request, without urllib3's object names."""
    reason: Any = error
    while reason.args and isinstance(reason.args[0], BaseException):
        reason = reason.args[0]
    inner = getattr(reason, "reason", None)
    text = str(inner if isinstance(inner, BaseException) else reason)
    return text.rsplit(": ", 1)[-1] or type(error).__name__
