"""How the conversation machine takes what the server sends: messages, typing, presence,
the session's timing, its clearing and its end.

Part of ``machine.ConversationMachine`` (kept apart to keep each module to one idea):
it runs inside ``handle``, on the loop thread. Events carry the Guest API's own
bodies (dicts, as the JavaScript SDK publishes them), a message's ``tracingId`` added
when it answers a request of ours.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import attrs

from cxbus.runtime.machine_runner import CancelTimer, SetTimer

from .catch_up import is_known, keys
from .conversation_states import Active, CatchingUp, Idle, ReadOnly
from .guest_api import (
    Attachment,
    ConnectionClosedEvent,
    Frame,
    GenerateUrlError,
    LogoutEvent,
    SessionClearedEvent,
    SessionExpiredEvent,
    SessionResponse,
    StructuredMessage,
    UploadFailureEvent,
    UploadSuccessEvent,
    epoch_seconds,
)
from .guest_api.json_object import whole_number
from .payloads import HistoryPageData, MessageBody, MessagesReceivedData, message_body

if TYPE_CHECKING:
    from .machine import ConversationMachine

__all__ = ["ERROR_KEYS", "ConversationUpdates", "error_data"]

log = logging.getLogger("cxbus.messaging")

# The JavaScript SDK's errorKey for each error code (the reference's §1.3).
ERROR_KEYS = {
    4000: "FileUploadUnavailable",
    4001: "fileTypeInvalid",
    4002: "fileTooLarge",
    4003: "fileContentInvalid",
    4004: "fileNameInvalid",
    4005: "fileNameTooLong",
    4011: "messageLengthExceeded",
    4102: "fileSizeZero",
}
# An agent's typing shows this long unless its event says otherwise (milliseconds).
TYPING_MS = 5000
# sessionWarning comes this long before the session expires.
WARNING_SECONDS = 300


def error_data(frame: Frame | dict[str, Any]) -> dict[str, Any]:
    """``error``'s ``error``: the server's frame, or a failure of our own shaped like a
    ``string`` frame (``code`` 0 when no server answered); ``errorKey`` when known."""
    if isinstance(frame, Frame):
        data = dict(frame.raw)
    else:
        data = {"type": "response", "class": "string", **frame}
    body = data.get("body")
    code = body.get("errorCode") if isinstance(body, dict) else None
    key = ERROR_KEYS.get(data.get("code")) or ERROR_KEYS.get(code)  # type: ignore[arg-type]
    if key is not None:
        data["errorKey"] = key
    return data


class ConversationUpdates:
    """The machine's handling of what the server sends (see the module docstring)."""

    def __init__(self, machine: ConversationMachine) -> None:
        self._machine = machine

    # The session -----------------------------------------------------------------------

    def session_configured(self, frame: Frame) -> None:
        """A SessionResponse: what the session allows, its timing; the token is kept."""
        machine = self._machine
        assert isinstance(frame.body, SessionResponse)
        machine.record.session = frame.body
        machine.save()
        machine.publish("allowedFileTypes", frame.raw.get("body"))
        self.timing(frame.body.duration_seconds, frame.body.expiration_date)

    def timing(self, duration: int | None, expiration: int | None) -> None:
        machine, record = self._machine, self._machine.record
        if duration is not None and not record.duration_told:
            record.duration_told = True
            machine.publish("sessionDurationConfigured", {"sessionDurationSeconds": duration})
        if expiration is not None and expiration != record.expiration_date:
            record.expiration_date = expiration
            machine.publish(
                "sessionTimingUpdated", {"durationSeconds": duration, "expirationDate": expiration}
            )
            warning_in = expiration - WARNING_SECONDS - machine.clock()
            machine.emit(SetTimer("sessionWarning", max(0.0, warning_in)))

    def health_checked(self, frame: Frame) -> None:
        """The echo's metadata carries the session's timing (as strings)."""
        if isinstance(frame.body, StructuredMessage):
            metadata = frame.body.metadata
            expiration = epoch_seconds(_number(metadata.get("expirationDate")))
            self.timing(_number(metadata.get("durationSeconds")), expiration)

    # What the server pushes -------------------------------------------------------------

    def pushed(self, frame: Frame) -> None:
        machine = self._machine
        body = frame.body
        if isinstance(body, StructuredMessage):
            self.message(body, None)
        elif isinstance(body, SessionClearedEvent):
            self.cleared(frame, None)
        elif isinstance(body, ConnectionClosedEvent):
            # The server closes this socket next; reopening it would take another's place.
            machine.record.closed_by_server = True
            log.info("the server closes the socket (%s)", body.reason or "no reason given")
        elif isinstance(body, SessionExpiredEvent):
            self._ended("sessionExpired", frame)
        elif isinstance(body, LogoutEvent):
            machine.error(frame)
            self._ended(None, frame)
        elif isinstance(body, (UploadSuccessEvent, UploadFailureEvent, GenerateUrlError)):
            machine.files.pushed(frame)
        elif frame.is_error:
            machine.error(frame)
        else:
            log.debug("ignoring a %s frame", frame.frame_class)

    def _ended(self, event: str | None, frame: Frame) -> None:
        """The session is over on the server: the socket closes, a new token next time."""
        machine = self._machine
        machine.stop_socket()
        machine.forget_session()
        machine.state = Idle()
        if event is not None:
            machine.publish(event, frame.raw.get("body"))

    def cleared(self, frame: Frame, ticket: int | None) -> None:
        """The conversation was cleared (by us, or by another connection of the session)."""
        machine = self._machine
        machine.stop_socket()
        machine.forget_session()
        machine.state = Idle()
        machine.publish("conversationCleared", dict(frame.raw))
        if ticket is not None:
            machine.answer(ticket, dict(frame.raw))

    # Messages ---------------------------------------------------------------------------

    def message(self, body: StructuredMessage, tracing_id: str | None) -> None:
        """A message body (live, an echo of ours, or from the history), once."""
        machine, record = self._machine, self._machine.record
        if is_known(body, record.seen):
            return
        record.seen.update(keys(body))
        data = message_body(body, tracing_id)
        typing = body.typing
        if typing is not None:
            if not body.inbound:
                machine.publish("typingReceived", {"typing": _event_part(body, "typing")})
                duration = typing.duration if typing.duration is not None else TYPING_MS
                machine.emit(SetTimer("agentTyping", duration / 1000))
            return
        if not body.inbound:
            machine.emit(CancelTimer("agentTyping"))  # hidden by the agent's next message
        for content in body.content:
            if isinstance(content, Attachment) and content.id is not None:
                record.carriers[content.id] = data
                record.files.pop(content.id, None)
        received: MessagesReceivedData = {"messages": [data]}
        machine.publish("messagesReceived", received)
        presence = body.presence
        if presence is not None and presence.type == "Disconnect" and not body.inbound:
            self._disconnected(body, data)

    def _disconnected(self, body: StructuredMessage, data: MessageBody) -> None:
        machine, record = self._machine, self._machine.record
        machine.publish("conversationDisconnected", {"message": data, "readOnly": body.read_only})
        if not body.read_only:
            return
        if record.session is not None:
            record.session = attrs.evolve(record.session, read_only=True)
        state = machine.state
        if isinstance(state, Active):
            machine.state = ReadOnly(state.generation)
        elif isinstance(state, CatchingUp):
            state.read_only = True
        machine.publish("readOnlyConversation", data)

    def turned_read_only(self) -> None:
        """The server refused a send as read-only (409): the session is so from now on."""
        machine, record = self._machine, self._machine.record
        if record.session is not None:
            record.session = attrs.evolve(record.session, read_only=True)
        if isinstance(machine.state, Active):
            machine.state = ReadOnly(machine.state.generation)

    # After a reconnection -----------------------------------------------------------------

    def caught_up(self, state: CatchingUp) -> None:
        """The history is read: publish what was missed (or ``restored``), then go on."""
        machine, record = self._machine, self._machine.record
        catch_up = state.catch_up
        again: list[Any] = []
        if catch_up.restoring:
            page = catch_up.first_page
            messages = list(page.messages) if page is not None else []
            for message in messages:
                record.seen.update(keys(message))
            record.history_page = 1
            record.history_complete = page is None or page.last
            size = page.page_size if page is not None else machine.settings.history_page_size
            restored: HistoryPageData = {
                "messages": [message_body(m) for m in messages],
                "pageNumber": 1,
                "pageSize": size,
            }
            machine.publish("restored", restored, retain=True)
        else:
            delivered, again = catch_up.settle_unfinished()
            by_id = {message.id: tracing_id for tracing_id, message in delivered.items()}
            for message in catch_up.new_messages():
                self.message(message, by_id.get(message.id))
            for tracing_id in delivered:
                machine.asked.pop(tracing_id, None)
        if state.read_only and record.session is not None:
            record.session = attrs.evolve(record.session, read_only=True)
        machine.outbox = [*again, *machine.outbox]
        machine.go_on(None)
        for update in catch_up.held:
            machine.take(update)

    # Timers -------------------------------------------------------------------------------

    def timer_fired(self, name: str) -> None:
        machine = self._machine
        if name == "agentTyping":
            machine.publish("typingTimeout")
        elif name == "sessionWarning" and machine.record.expiration_date is not None:
            machine.publish("sessionWarning", {"expirationTime": machine.record.expiration_date})


def _event_part(body: StructuredMessage, key: str) -> Any:
    """The raw ``typing`` (or other) object of a message's first event that has one."""
    for event in body.raw.get("events") or []:
        if isinstance(event, dict) and key in event:
            return event[key]
    return None


def _number(text: str | None) -> int | None:
    return whole_number(text) if text is not None else None
