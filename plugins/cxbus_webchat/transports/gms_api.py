"""The GMS Chat API v2 (Genesys Engage / Multicloud CX), through one ``requests.Session`` per chat.

``GmsChatApi`` makes the calls of Genesys's page *Chat API Version 2* (GMS API
reference) as the Widgets make them (their GMS module, ``webchatservicelegacy.mod.js``):
every call a POST to ``dataURL`` (the chat service URL, service name included) or
``dataURL/{chatId}/{operation}``, form-encoded (multipart for file uploads), the
``apikey`` header when one is configured, the key fields ``secureKey``, ``userId`` and
``alias`` in every per-chat call, maps flattened as ``userData[key]=value``. Form calls
time out after ``timeout`` seconds (the Widgets' ``ajaxTimeout``), multipart ones after
``file_timeout`` (``None``: never, as the Widgets' ``fileUploadTimeout`` of 0).

Each method blocks until the server has answered and returns the reply
(``gms_replies``) only when it is a success; anything else raises the
``gms_errors`` exception it stands for. Nothing is retried here: a POST that
reached the server may have been carried out, and polling is the caller's retry.
A caller must read ``chat_ended`` on every reply. Calls of one chat may run on
several threads at once (a refresh in flight while a message is sent): the
session's connection pool is thread-safe, and the keys are replaced whole.

The secure key is sent in form bodies only: it is in no URL, log line, exception
or repr.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

import requests

from cxbus.runtime.http_sessions import ca_bundle_from_environment

from .gms_errors import ChatServerUnreachable, GmsError, refusal
from .gms_replies import ChatKeys, ChatReply, DownloadedFile, read_reply

__all__ = ["GmsChatApi"]

log = logging.getLogger("cxbus.webchat.gms")

Fields = list[tuple[str, str]]


def _form_value(value: Any) -> str:
    """A value as a form field: text as is, true/false as jQuery writes them, else JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


def user_data_fields(user_data: Mapping[str, Any]) -> Fields:
    """``userData[key]=value`` fields (a nested value is sent as JSON text: ours)."""
    return [(f"userData[{key}]", _form_value(value)) for key, value in user_data.items()]


class GmsChatApi:
    """The calls of one GMS chat.

    Start one with ``request_chat`` or, to pick a chat up again (a restore), pass
    its ``keys``. ``trailing_slash`` is the Widgets' ``enableUrlTrailingSlash``:
    request chat posts to ``dataURL/``.
    """

    def __init__(
        self,
        data_url: str,
        *,
        apikey: str | None = None,
        timeout: float = 3.0,
        file_timeout: float | None = None,
        ca_bundle: str | None = None,
        trailing_slash: bool = True,
        keys: ChatKeys | None = None,
    ) -> None:
        parts = urlsplit(data_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                "dataURL must be the chat service's http(s) URL, such as "
                f"'http://host:8080/genesys/2/chat/customer-support'; got {data_url!r}."
            )
        self.data_url = data_url.rstrip("/")
        self.timeout = timeout
        self.file_timeout = file_timeout
        self.trailing_slash = trailing_slash
        self.session = requests.Session()
        # Given with every call: a session's own verify loses to REQUESTS_CA_BUNDLE.
        self.verify: str | bool = ca_bundle or ca_bundle_from_environment() or True
        if apikey is not None:
            self.session.headers["apikey"] = apikey
        self._keys = keys

    def __repr__(self) -> str:
        chat = self._keys.chat_id if self._keys else "no chat yet"
        return f"<GmsChatApi {self.data_url} {chat}>"

    @property
    def keys(self) -> ChatKeys | None:
        """The chat's id and keys, once it has been requested (or was given)."""
        return self._keys

    def close(self) -> None:
        self.session.close()

    # Starting and ending --------------------------------------------------------------

    def request_chat(
        self,
        *,
        nickname: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        subject: str | None = None,
        user_data: Mapping[str, Any] | None = None,
        endpoint: str | None = None,
    ) -> ChatReply:
        """Start the chat; its keys are kept for every later call.

        The server needs a ``nickname``, or a ``first_name`` and a ``last_name``.
        """
        if self._keys is not None:
            raise RuntimeError(f"This GmsChatApi already has chat {self._keys.chat_id}.")
        given = {
            "nickname": nickname,
            "firstName": first_name,
            "lastName": last_name,
            "emailAddress": email,
            "subject": subject,
            "endpoint": endpoint,
        }
        fields = [(name, value) for name, value in given.items() if value is not None]
        fields += user_data_fields(user_data or {})
        url = self.data_url + ("/" if self.trailing_slash else "")
        reply = self._reply("requestChat", self._post("requestChat", url, data=fields))
        if reply.keys is None:
            raise GmsError(
                "The chat server started no chat: its reply has no chatId or secureKey.",
                operation="requestChat",
                status=200,
                reply=reply,
                body=reply.body,
            )
        self._keys = reply.keys
        return reply

    def disconnect(self) -> ChatReply:
        """End the chat from the client's side."""
        return self._call("disconnect")

    # The conversation -----------------------------------------------------------------

    def send(
        self,
        text: str,
        *,
        message_type: str = "text",
        transcript_position: int | None = None,
        event_attributes: Any = None,
    ) -> ChatReply:
        """Send a message; with ``transcript_position``, the reply carries the transcript
        from there. ``event_attributes`` is sent as JSON text."""
        fields = [("message", text), ("messageType", message_type)]
        if event_attributes is not None:
            fields.append(("eventAttributes", json.dumps(event_attributes)))
        return self._call("send", fields, transcript_position)

    def start_typing(self, text: str = "", transcript_position: int | None = None) -> ChatReply:
        """Tell the agent the client is typing; ``text`` is what is in the box so far."""
        return self._call("startTyping", [("message", text)], transcript_position)

    def stop_typing(self, text: str = "", transcript_position: int | None = None) -> ChatReply:
        return self._call("stopTyping", [("message", text)], transcript_position)

    def refresh(self, transcript_position: int = 1, text: str = "") -> ChatReply:
        """The transcript from ``transcript_position`` (1: all of it; 0: none), and the
        chat's state. ``text`` is the typing preview the Widgets send along."""
        return self._call("refresh", [("message", text)], transcript_position)

    def custom_notice(self, text: str = "", event_attributes: Any = None) -> ChatReply:
        """A custom notice for a custom agent desktop; ``{"purpose": "cancel-idle-timer"}``
        as ``event_attributes`` is the Widgets' wake-up."""
        fields = [("message", text)]
        if event_attributes is not None:
            fields.append(("eventAttributes", json.dumps(event_attributes)))
        return self._call("customNotice", fields)

    def update_data(self, user_data: Mapping[str, Any]) -> ChatReply:
        """Add to, or change, the chat's user data (attached data) on the server."""
        return self._call("updateData", user_data_fields(user_data))

    def push_url(self, url: str) -> ChatReply:
        """Show the agent a page (an absolute URL)."""
        return self._call("pushUrl", [("pushUrl", url)])

    def update_nickname(self, nickname: str) -> ChatReply:
        return self._call("updateNickname", [("nickname", nickname)])

    # Files ----------------------------------------------------------------------------

    def file_limits(self) -> ChatReply:
        """The chat's file limits (``reply.file_limits``), as a multipart call like the
        Widgets make it."""
        return self._call("file/limits", multipart=True)

    def upload(
        self,
        name: str,
        content: bytes,
        content_type: str = "application/octet-stream",
        *,
        description: str | None = None,
        user_data: Mapping[str, Any] | None = None,
    ) -> ChatReply:
        """Send a file to the agent; ``reply.file_id`` names it."""
        extra = dict(user_data or {})
        if description is not None:
            extra["file-description"] = description
        files = {"file": (name, content, content_type)}
        return self._call("file", user_data_fields(extra), multipart=True, files=files)

    def download(self, file_id: str) -> DownloadedFile:
        """A file of the chat: its bytes, name and type."""
        operation = f"file/{file_id}/download"
        answer = self._post(operation, self._url(operation), data=self._keyed([]))
        if answer.status_code != 200:
            self._read(operation, answer)  # raises the refusal
        if _is_json(answer):
            # A JSON 200 is a file, unless it is a reply that refuses.
            try:
                self._read(operation, answer)
            except GmsError as error:
                if error.reply is not None:
                    raise
        disposition = Message()
        disposition["Content-Disposition"] = answer.headers.get("Content-Disposition", "")
        return DownloadedFile(
            answer.content, disposition.get_filename(), answer.headers.get("Content-Type")
        )

    def delete_file(self, file_id: str) -> ChatReply:
        return self._call(f"file/{file_id}/delete")

    # Plumbing -------------------------------------------------------------------------

    def _url(self, operation: str) -> str:
        if self._keys is None:
            raise RuntimeError("There is no chat yet: call request_chat() first.")
        return f"{self.data_url}/{self._keys.chat_id}/{operation}"

    def _keyed(self, fields: Fields) -> Fields:
        assert self._keys is not None
        return list(self._keys.form().items()) + fields

    def _call(
        self,
        operation: str,
        fields: Fields | None = None,
        transcript_position: int | None = None,
        *,
        multipart: bool = False,
        files: Mapping[str, Any] | None = None,
    ) -> ChatReply:
        """Make a per-chat call and read its reply."""
        url = self._url(operation)
        sent = self._keyed(list(fields or []))
        if transcript_position is not None:
            sent.append(("transcriptPosition", str(transcript_position)))
        if multipart:
            # requests writes multipart only with files; text parts are (None, value).
            parts = [(name, (None, value)) for name, value in sent]
            parts += list((files or {}).items())
            answer = self._post(operation, url, files=parts, timeout=self.file_timeout)
        else:
            answer = self._post(operation, url, data=sent)
        return self._reply(operation, answer)

    def _post(self, operation: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        try:
            answer = self.session.post(url, verify=self.verify, **kwargs)
        except requests.RequestException as error:
            raise ChatServerUnreachable(
                f"The chat server could not be reached for {operation}: {error}",
                operation=operation,
            ) from None
        log.debug("POST %s -> %s", operation, answer.status_code)
        return answer

    def _reply(self, operation: str, answer: requests.Response) -> ChatReply:
        reply = self._read(operation, answer)
        keys = reply.keys
        if keys is not None and self._keys is not None and keys.chat_id == self._keys.chat_id:
            self._keys = keys  # the Widgets take the keys of every reply that has them
        return reply

    @staticmethod
    def _read(operation: str, answer: requests.Response) -> ChatReply:
        """The reply, once it is a success; else raise the refusal it stands for."""
        try:
            body: Any = answer.json()
        except ValueError:
            body = answer.text
        read = read_reply(body) if isinstance(body, Mapping) else body
        error = refusal(operation, answer.status_code, read)
        if error is not None:
            raise error
        assert isinstance(read, ChatReply)  # refusal() refuses every body that is not one
        return read


def _is_json(answer: requests.Response) -> bool:
    return answer.headers.get("Content-Type", "").startswith("application/json")
