"""The fake transport (``transport.type: "fake"``): Genesys Cloud stood in for, in process.

It is a bus plugin too, ``FakeTransport``, whose commands play the other side of
the chat in a test::

    bus.command("FakeTransport.agentJoin", {"name": "Alex"}).result(timeout=5)
    bus.command("FakeTransport.agentSend", {"text": "Hello!"}).result(timeout=5)

Each command resolves only once WebChatService has handled what it caused and
published what follows, so a test never waits on its own. No threads, no sleeps:
the fake answers at once on the thread that calls it.

Commands: ``agentJoin {name}``, ``agentTyping``, ``agentSend {text}``,
``agentLeave``, ``dropConnection``, ``restoreConnection`` (the messages sent while
dropped arrive after ``reconnected``), ``failNext {reason}`` (the next call
WebChatService makes to the server fails with ``reason``).

As on Genesys Cloud, a join or a leave comes twice: the member's change, then a
message of body type ``member-join`` or ``member-leave`` (kept in the history).
Conversations live as long as the process, so a second bus (a restarted program,
in effect) can restore one.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

import attrs

from cxbus import Bus, CommandCall, CommandRejected, Deferred

from ..transport import (
    ChatMessage,
    Connection,
    ErrorBody,
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

__all__ = ["FakeTransport"]

NO_CHAT = "There is no chat on the fake transport."
_ids = itertools.count(1)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


@attrs.define
class _Conversation:
    id: str
    guest: Member
    members: dict[str, Member] = attrs.field(factory=dict)
    messages: list[ChatMessage] = attrs.field(factory=list)
    files: dict[str, bytes] = attrs.field(factory=dict)


_conversations: dict[str, _Conversation] = {}


@register_transport
class FakeTransport(Transport):
    """An in-process Genesys stand-in, scripted through its bus plugin ``FakeTransport``."""

    type = "fake"
    supports_user_data_update = True

    def __init__(self, options: Any, bus: Bus) -> None:
        super().__init__(options, bus)
        self._lock = threading.RLock()
        self._conversation: _Conversation | None = None
        self._listener: Listener | None = None
        self._connected = False
        self._missed: list[ChatMessage] = []
        self._fail_next: Any = None
        self._agent: Member | None = None
        self.plugin = bus.register_plugin("FakeTransport")
        for name, handler in {
            "agentJoin": self._agent_join,
            "agentTyping": self._agent_typing,
            "agentSend": self._agent_send,
            "agentLeave": self._agent_leave,
            "dropConnection": self._drop_connection,
            "restoreConnection": self._restore_connection,
            "failNext": self._set_fail_next,
        }.items():
            self.plugin.register_command(name, handler)
        self.plugin.ready()

    # The server's side of WebChatService's calls --------------------------------

    def _call(self) -> _Conversation | None:
        """Start a server call: raise the scripted failure, if any."""
        with self._lock:
            reason, self._fail_next = self._fail_next, None
            if reason is not None:
                raise TransportError(reason, status=500)
            return self._conversation

    def _chat(self) -> _Conversation:
        conversation = self._call()
        if conversation is None:
            raise TransportError(NO_CHAT)
        return conversation

    def start(self, request: StartRequest, listener: Listener) -> SessionData:
        self._call()
        guest = Member(
            f"guest-{next(_ids)}", "CUSTOMER", "CONNECTED", request.nickname or "Guest", _now()
        )
        conversation = _Conversation(str(uuid.uuid4()), guest, {guest.id: guest})
        _conversations[conversation.id] = conversation
        self._attach(conversation, listener)
        listener(guest)
        listener(self._add_message(conversation, guest, "", "member-join"))
        return SessionData(
            conversation.id, guest.id, f"fake-jwt-{uuid.uuid4().hex}", f"fake://{conversation.id}"
        )

    def resume(self, session: SessionData, listener: Listener) -> None:
        self._call()
        conversation = _conversations.get(session.conversation_id)
        if conversation is None or conversation.guest.state == "DISCONNECTED":
            gone = ErrorBody({"message": "Conversation not found", "status": 404})
            raise TransportError(gone, 404)
        self._attach(conversation, listener)

    def _attach(self, conversation: _Conversation, listener: Listener) -> None:
        with self._lock:
            self._conversation = conversation
            self._listener = listener
            self._connected = True
            self._missed = []
            self._agent = next(
                (m for m in conversation.members.values() if m.role == "AGENT"), None
            )

    def send_message(self, text: str, body_type: str = "standard") -> ChatMessage:
        conversation = self._chat()
        message = self._add_message(conversation, conversation.guest, text, body_type)
        self._push(message)  # the server echoes the guest's own messages
        return message

    def send_typing(self) -> None:
        self._chat()

    def update_user_data(self, user_data: Mapping[str, Any]) -> Any:
        self._chat()
        return {"userData": dict(user_data)}

    def history(self, after: str | None = None, limit: int = 100) -> list[ChatMessage]:
        conversation = self._chat()
        ids = [m.id for m in conversation.messages]
        start = ids.index(after) + 1 if after in ids else 0
        return conversation.messages[start : start + limit]

    def members(self) -> list[Member]:
        return list(self._chat().members.values())

    def send_file(self, name: str, content: bytes, content_type: str) -> Any:
        conversation = self._chat()
        file_id = f"file-{next(_ids)}"
        conversation.files[file_id] = content
        return {"fileId": file_id, "name": name, "contentType": content_type, "size": len(content)}

    def download_file(self, file_id: str) -> bytes:
        try:
            return self._chat().files[file_id]
        except KeyError:
            missing = ErrorBody({"message": f"No file {file_id}", "status": 404})
            raise TransportError(missing, 404) from None

    def leave(self) -> None:
        conversation = self._chat()
        self._member_left(conversation, conversation.guest)

    def close(self) -> None:
        with self._lock:
            self._listener = None
            self._connected = False
            self._conversation = None

    # Reporting to WebChatService ------------------------------------------------------

    def _add_message(
        self, conversation: _Conversation, sender: Member, text: str, body_type: str = "standard"
    ) -> ChatMessage:
        message_id = f"message-{next(_ids)}"
        timestamp = _now()
        original = {
            "id": message_id,
            "conversation": {"id": conversation.id},
            "sender": {"id": sender.id},
            "body": text,
            "bodyType": body_type,
            "timestamp": timestamp,
        }
        message = ChatMessage(message_id, sender, text, body_type, timestamp, original)
        conversation.messages.append(message)
        return message

    def _push(self, update: TransportUpdate) -> Deferred:
        """Hand ``update`` to WebChatService; resolves once it has handled it."""
        with self._lock:
            listener = self._listener if self._connected else None
            if listener is None and isinstance(update, ChatMessage):
                self._missed.append(update)
        done = Deferred()
        if listener is None:
            done.resolve(None)
            return done
        listener(update)
        return listener.settled()

    # The other side, scripted by tests --------------------------------------------------

    def _scripted_chat(self) -> _Conversation:
        with self._lock:
            if self._conversation is None:
                raise CommandRejected(NO_CHAT)
            return self._conversation

    def _scripted_agent(self, command: str) -> Member:
        with self._lock:
            if self._agent is None:
                raise CommandRejected(f"{command}: no agent has joined; send agentJoin first.")
            return self._agent

    def _agent_join(self, call: CommandCall) -> Deferred:
        conversation = self._scripted_chat()
        name = call.data.get("name", "Agent") if isinstance(call.data, Mapping) else "Agent"
        if not isinstance(name, str) or not name:
            raise CommandRejected(f"agentJoin needs 'name': a non-empty string; got {name!r}.")
        agent = Member(f"agent-{next(_ids)}", "AGENT", "CONNECTED", name, _now())
        with self._lock:
            conversation.members[agent.id] = agent
            self._agent = agent
        self._push(agent)
        return self._push(self._add_message(conversation, agent, "", "member-join"))

    def _agent_typing(self, call: CommandCall) -> Deferred:
        return self._push(Typing(self._scripted_agent("agentTyping"), _now()))

    def _agent_send(self, call: CommandCall) -> Deferred:
        text = call.data.get("text") if isinstance(call.data, Mapping) else None
        if not isinstance(text, str) or not text:
            raise CommandRejected(f"agentSend needs 'text': a non-empty string; got {text!r}.")
        agent = self._scripted_agent("agentSend")
        return self._push(self._add_message(self._scripted_chat(), agent, text))

    def _agent_leave(self, call: CommandCall) -> Deferred:
        conversation = self._scripted_chat()
        agent = self._scripted_agent("agentLeave")
        with self._lock:
            self._agent = None
        return self._member_left(conversation, agent)

    def _member_left(self, conversation: _Conversation, member: Member) -> Deferred:
        """``member`` leaves: its change, then its member-leave message."""
        left = attrs.evolve(member, state="DISCONNECTED", time=_now())
        with self._lock:
            conversation.members[left.id] = left
            if left.id == conversation.guest.id:
                conversation.guest = left
        self._push(left)
        return self._push(self._add_message(conversation, left, "", "member-leave"))

    def _drop_connection(self, call: CommandCall) -> Deferred:
        self._scripted_chat()
        dropped = self._push(Connection(False, "dropped by the test"))
        with self._lock:
            self._connected = False
        return dropped

    def _restore_connection(self, call: CommandCall) -> Deferred:
        self._scripted_chat()
        with self._lock:
            self._connected = True
            missed, self._missed = self._missed, []
        done = self._push(Connection(True))
        for message in missed:
            done = self._push(message)
        return done

    def _set_fail_next(self, call: CommandCall) -> None:
        reason = call.data.get("reason") if isinstance(call.data, Mapping) else None
        if reason is None:
            raise CommandRejected(f"failNext needs 'reason': what the server says; got {reason!r}.")
        with self._lock:
            self._fail_next = reason
