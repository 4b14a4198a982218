"""The guest's commands on the conversation: start, join, send, type, history, clear, reset.

Part of ``machine.ConversationMachine`` (kept apart to keep each module to one idea):
it runs inside ``handle``, on the loop thread. The sentences are the JavaScript
SDK's, word for word (the reference's §1.2); where it has none, ours are marked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cxbus.runtime.machine_runner import CallFailed, CancelTimer

from . import calls, inputs
from .conversation_states import Connecting, Idle, ReadOnly, Resetting
from .guest_api import (
    Frame,
    HistoryPage,
    JwtResponse,
    SessionClearedEvent,
    SessionResponse,
    StructuredMessage,
    actions,
)
from .payloads import HistoryPageData, message_body
from .record import Asked, ConversationRecord
from .transport_updates import Answered

if TYPE_CHECKING:
    from .machine import ConversationMachine, Pending

__all__ = ["THROTTLED", "ConversationCommands"]

# The SDK's sentences, word for word.
APP_OFF = "Conversation app must be enabled in your configuration."
CANNOT_START = "Cannot start conversation"
ALREADY_ACTIVE = "There is already an active conversation"
AUTO_START_OFF = "Auto start must be enabled in the configuration"
WHITESPACE = "Message only contains whitespaces"
ENDED_SEND = "Conversation session has ended, start a new session to send a message."
ENDED_TYPING = "Conversation session has ended, start a new session to send a typing indicator."
NOT_ABLE = "Not able to fetch history"
UNABLE = "Unable to fetch history"
ALL_FETCHED = "All the messages are fetched"
RESET_NOT_ALLOWED = (
    "Conversation reset is not allowed. "
    "Check your configuration if Read only conversation disconnect is enabled."
)
CLEAR_OFF = "Please check your conversation clear option is enabled in your configuration."
NOTHING_TO_CLEAR = "There is no active conversation found to clear."
ATTRIBUTES_TOO_LARGE = "customAttributes object is larger than allowed limit: {} bytes"
# Ours.
NO_TEXT = "sendMessage needs 'message': some text, or an uploaded file to send."
NOTHING_TO_JOIN = "There is no conversation to join: configureConversation first."
# A sendTyping within this many seconds of the last one sent is dropped, as the SDK does.
TYPING_THROTTLE = 5.0
THROTTLED = object()
"""What the machine answers a throttled sendTyping with: the service never settles it."""
# The picker and form replies that also publish repliedMessage.
REPLIED = ("DatePicker", "ListPicker", "Form")


class ConversationCommands:
    """The machine's handling of the guest's commands (see the module docstring)."""

    def __init__(self, machine: ConversationMachine) -> None:
        self._machine = machine

    def handlers(self) -> dict[type, Callable[[Any], None]]:
        return {
            inputs.StartConversation: self._start,
            inputs.JoinConversation: self._join,
            inputs.SendMessage: self._send_message,
            inputs.SendTyping: self._send_typing,
            inputs.ClearTypingTimeout: self._clear_typing_timeout,
            inputs.FetchHistory: self._fetch_history,
            inputs.ClearSession: self._clear_session,
            inputs.ResetConversation: self._reset,
            inputs.ClearConversation: self._clear,
        }

    @property
    def _token(self) -> str:
        token = self._machine.record.token
        assert token is not None, "a conversation under way has a token"
        return token

    # Starting and joining ---------------------------------------------------------------

    def _start(self, command: inputs.StartConversation) -> None:
        machine = self._machine
        if machine.has_session:
            machine.refuse(command.ticket, ALREADY_ACTIVE)
        else:
            machine.connection.connect(command.ticket, join=command.join)

    def _join(self, command: inputs.JoinConversation) -> None:
        machine = self._machine
        if machine.deployment is None or not machine.deployment.auto_start:
            machine.refuse(command.ticket, AUTO_START_OFF)
        elif not machine.has_session:
            machine.refuse(command.ticket, NOTHING_TO_JOIN)
        else:
            self.join()
            machine.answer(command.ticket)

    def join(self) -> None:
        """Send the Join presence, which starts the conversation when autoStart is on.

        Ours: on a new session the Join goes before any message that waited for the
        session (the mobile client sends it as soon as the session is configured, before
        the guest can send anything; the reference gives the Messenger no other order)."""
        message = actions.presence_event("Join")
        request = actions.on_message(self._token, message)
        self._machine.publish(
            "sendingMessage", {"message": {**message, "tracingId": request.tracing_id}}
        )
        self._machine.send(request, Asked("join"))

    # Sending ----------------------------------------------------------------------------

    def _send_message(self, command: inputs.SendMessage) -> None:
        machine = self._machine
        record = machine.record
        if isinstance(machine.state, ReadOnly):
            machine.refuse(command.ticket, ENDED_SEND)
            return
        files = record.uploaded_files()
        reply = command.reply
        if reply is None and not command.text.strip() and not files:
            machine.refuse(command.ticket, WHITESPACE if command.text else NO_TEXT)
            return
        attributes = dict(command.custom_attributes)
        limit = actions.MAX_CUSTOM_ATTRIBUTES_BYTES
        if record.session is not None and record.session.max_custom_data_bytes:
            limit = record.session.max_custom_data_bytes
        if actions.custom_attributes_size(attributes) > limit:
            sentence = ATTRIBUTES_TOO_LARGE.format(limit)
            machine.publish(
                "customAttributesSizeExceeded",
                {"body": sentence, "errorKey": "customAttributesSizeExceeded"},
            )
            machine.refuse(command.ticket, sentence)
            return
        if not machine.has_session:
            machine.connection.connect(None, join=True)  # sendMessage opens a session if none
        changed = attributes if attributes != record.sent_attributes else None
        if reply is not None:
            metadata = (
                {"parentMessageId": reply.parent_message_id} if reply.parent_message_id else None
            )
            message = actions.button_response(
                reply.text,
                reply.payload,
                reply.button_type,
                metadata=metadata,
                custom_attributes=changed,
            )
        else:
            message = actions.text_message(
                command.text, attachment_ids=files, custom_attributes=changed
            )
            for attachment_id in files:
                record.files.pop(attachment_id)  # carried: no other message may carry it
        request = actions.on_message(self._token, message)
        shown = {"message": {**message, "tracingId": request.tracing_id}}
        machine.publish("sendingMessage", shown)
        if reply is not None and reply.button_type in REPLIED:
            machine.publish("repliedMessage", shown)
        machine.send(request, Asked("message", detail=changed))
        machine.answer(command.ticket)

    def _send_typing(self, command: inputs.SendTyping) -> None:
        machine = self._machine
        record = machine.record
        if isinstance(machine.state, ReadOnly) or not machine.has_session:
            machine.refuse(command.ticket, ENDED_TYPING)
            return
        now = machine.clock()
        if now - record.last_typing < TYPING_THROTTLE:
            machine.answer(command.ticket, THROTTLED)
            return
        record.last_typing = now
        deployment = machine.deployment
        # Ours, as the mobile client: nothing is sent where the deployment shows no typing.
        if deployment is not None and deployment.show_user_typing:
            machine.send(actions.on_message(self._token, actions.typing_event()), Asked("typing"))
            machine.publish("clientTypingStarted")
        machine.answer(command.ticket)

    def _clear_typing_timeout(self, command: inputs.ClearTypingTimeout) -> None:
        self._machine.emit(CancelTimer("agentTyping"))
        self._machine.answer(command.ticket)

    def answered(self, asked: Asked, update: Answered) -> None:
        """The answer to a message, a Join, a Typing or a Clear of ours."""
        machine, frame = self._machine, update.frame
        if asked.kind == "clear":
            if isinstance(frame.body, SessionClearedEvent):
                machine.updates.cleared(frame, asked.ticket)
            else:
                machine.error(frame)
                if asked.ticket is not None:
                    machine.refuse(asked.ticket, CLEAR_OFF if frame.code == 403 else _text(frame))
            return
        if isinstance(frame.body, StructuredMessage) and not frame.is_error:
            if asked.detail is not None:
                machine.record.sent_attributes = dict(asked.detail)
            machine.updates.message(frame.body, update.request.tracing_id)
            return
        machine.error(frame)
        if frame.code == 409:
            machine.updates.turned_read_only()

    # History ----------------------------------------------------------------------------

    def _fetch_history(self, command: inputs.FetchHistory) -> None:
        machine = self._machine
        if not machine.has_session:
            machine.refuse(command.ticket, NOT_ABLE)
            return
        machine.record.history_tickets.append(command.ticket)
        if len(machine.record.history_tickets) == 1:
            self._next_page()

    def _next_page(self) -> None:
        machine, record = self._machine, self._machine.record
        while record.history_tickets and record.history_complete:
            machine.publish("historyComplete")
            machine.answer(record.history_tickets.pop(0), ALL_FETCHED)
        if not record.history_tickets:
            return
        number = record.history_page + 1

        def fetch(jwt: JwtResponse | None) -> None:
            if machine.record is not record or not record.history_tickets:
                return
            if jwt is None:
                machine.refuse(record.history_tickets.pop(0), UNABLE)
                self._next_page()
                return
            size = machine.settings.history_page_size
            machine.call(calls.FetchPage(jwt.jwt, number, size), detail=record)

        machine.with_jwt(fetch)

    def history_page(self, pending: Pending, page: HistoryPage) -> None:
        machine, record = self._machine, self._machine.record
        if pending.detail is not record or not record.history_tickets:
            return
        record.history_page = page.page_number
        data: HistoryPageData = {
            "messages": [message_body(m) for m in page.messages],
            "pageNumber": page.page_number,
            "pageSize": page.page_size,
        }
        machine.publish("oldMessages", data)
        machine.answer(record.history_tickets.pop(0), data)
        if page.last:
            record.history_complete = True
            machine.publish("historyComplete")
        self._next_page()

    def history_failed(self, pending: Pending, outcome: CallFailed) -> None:
        machine, record = self._machine, self._machine.record
        if pending.detail is not record or not record.history_tickets:
            return
        machine.error({"code": outcome.status or 0, "body": str(outcome.reason)})
        machine.refuse(record.history_tickets.pop(0), UNABLE)
        self._next_page()

    # Clearing and resetting ---------------------------------------------------------------

    def _clear_session(self, command: inputs.ClearSession) -> None:
        machine = self._machine
        state = machine.state
        if isinstance(state, Connecting) and state.ticket is not None:
            machine.refuse(state.ticket, CANNOT_START)
        elif isinstance(state, Resetting):
            machine.refuse(state.ticket, RESET_NOT_ALLOWED)
        if machine.has_session:
            machine.stop_socket()
        for ticket in machine.record.history_tickets:
            machine.refuse(ticket, NOT_ABLE)
        machine.forget_session()
        machine.state = Idle()
        machine.publish("sessionCleared")
        machine.answer(command.ticket)

    def _clear(self, command: inputs.ClearConversation) -> None:
        machine = self._machine
        if machine.deployment is None or not machine.deployment.clear_enabled:
            machine.refuse(command.ticket, CLEAR_OFF)
        elif not machine.has_session:
            machine.refuse(command.ticket, NOTHING_TO_CLEAR)
        else:
            request = actions.on_message(self._token, actions.presence_event("Clear"))
            machine.send(request, Asked("clear", command.ticket))

    def _reset(self, command: inputs.ResetConversation) -> None:
        machine = self._machine
        state = machine.state
        if not isinstance(state, ReadOnly):
            machine.refuse(command.ticket, RESET_NOT_ALLOWED)
            return
        machine.state = Resetting(state.generation, command.ticket)
        machine.send(actions.close_session(self._token), Asked("close"), at_once=True)

    def reset_answered(self, frame: Frame) -> None:
        """closeSession's answer (then configureSession with startNew), then that one's."""
        machine = self._machine
        state = machine.state
        assert isinstance(state, Resetting)
        if frame.is_error or not isinstance(frame.body, SessionResponse):
            machine.error(frame)
            machine.refuse(state.ticket, RESET_NOT_ALLOWED)
            # Still read-only: what the guest sent meanwhile goes, and the server refuses
            # it (an ``error`` each), rather than wait for a session that will not come.
            machine.state = ReadOnly(state.generation)
            machine.flush()
            return
        if not state.closed:
            state.closed = True
            request = actions.configure_session(
                self._token, machine.settings.deployment_id, start_new=True
            )
            machine.send(request, Asked("configure"), at_once=True)
            return
        machine.record = ConversationRecord(token=self._token)
        machine.updates.session_configured(frame)
        started = machine.record.started_data()
        machine.publish("conversationReset", started)
        machine.publish("started", started, retain=True)
        machine.answer(
            state.ticket,
            {"authenticated": False, "newSession": started["newSession"], "readOnly": False},
        )
        deployment = machine.deployment
        machine.go_on(None, join=deployment is not None and deployment.auto_start)


def _text(frame: Frame) -> str:
    body = frame.raw.get("body")
    return body if isinstance(body, str) else str(getattr(frame.body, "error_message", body))
