"""How the chat state machine takes what the server reports: messages, typing, members
coming and going, and the connection dropping and coming back.

Part of ``machine.ChatMachine`` (kept apart to keep each module to one idea): it
runs inside ``ChatMachine.handle``, on the chat's thread, while a chat is on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import attrs

from cxbus.machine_runner import CancelTimer, SetTimer

from .messages import Message, sender_type
from .record import Agent
from .transport import ChatMessage, Connection, Member, TransportUpdate, Typing

if TYPE_CHECKING:
    from .machine import ChatMachine

__all__ = ["ChatUpdates"]

log = logging.getLogger("cxbus.webchat")


class ChatUpdates:
    """The machine's handling of transport updates (see the module docstring)."""

    def __init__(self, machine: ChatMachine) -> None:
        self._machine = machine

    def handle(self, update: TransportUpdate) -> None:
        if isinstance(update, ChatMessage):
            self.messages([update], restoring=False)
        elif isinstance(update, Typing):
            self._typing(update.sender)
        elif isinstance(update, Member):
            self._member(update)
        elif isinstance(update, Connection):
            self._connection(update)

    # Messages --------------------------------------------------------------------------

    def messages(self, messages: list[ChatMessage], restoring: bool) -> None:
        """Add what is new to the transcript and publish it in one messageReceived."""
        machine = self._machine
        record = machine.record
        originals: list[Any] = []
        shown: list[dict[str, Any]] = []
        for chat_message in messages:
            if chat_message.id in record.seen:
                continue
            record.seen.add(chat_message.id)
            self._agent_stopped_typing(chat_message.sender.id)
            if machine.filters.hides(chat_message.body):
                continue
            message = Message.from_chat(len(record.transcript), chat_message, record.own_id)
            originals.append(dict(chat_message.original))
            shown.append(self._add_line(message))
        if shown:
            self._publish_messages(originals, shown, restoring)
        machine.save(renew=True)

    def _add_line(self, message: Message) -> dict[str, Any]:
        """Run the preprocessors over ``message`` and keep it; return what subscribers get."""
        shown = message.to_dict()
        for preprocessor in self._machine.preprocessors:
            try:
                changed = preprocessor(shown)
                if isinstance(changed, dict):
                    shown = changed
            except BaseException:  # user code: the chat goes on
                log.exception("preprocessor %r raised; message kept as it was", preprocessor)
        text = str(shown.get("text", message.text))
        self._machine.record.transcript.append(
            message if text == message.text else attrs.evolve(message, text=text)
        )
        return shown

    def _publish_messages(
        self, originals: list[Any], messages: list[dict[str, Any]], restoring: bool
    ) -> None:
        machine = self._machine
        machine.publish(
            "messageReceived",
            {
                "originalMessages": originals,
                "messages": messages,
                "restoring": restoring,
                "sessionData": machine.record.session_data(),
            },
        )

    # Members -----------------------------------------------------------------------------

    def _member(self, member: Member) -> None:
        machine = self._machine
        record = machine.record
        if sender_type(member, record.own_id) == "Client":
            if member.state == "CONNECTED" and not record.guest_joined:
                record.guest_joined = True
                line = Message.participant(len(record.transcript), member, record.own_id)
                machine.publish("clientConnected", record.agents_data(self._add_line(line)))
            elif member.state == "DISCONNECTED":
                self.guest_left(member)
                ticket = machine.finish()
                if ticket is not None:
                    machine.answer(ticket)
            return
        if member.role != "AGENT" or member.state not in ("CONNECTED", "DISCONNECTED"):
            return
        known = record.agents.get(member.id)
        joined = member.state == "CONNECTED"
        if joined == (known is not None and known.connected):
            return  # nothing new
        if joined:
            record.agents[member.id] = Agent(member.display_name or "Agent", machine.now_ms())
        elif known is not None:
            known.connected = False
            known.disconnected_time = machine.now_ms()
            self._agent_stopped_typing(member.id)
        line = Message.participant(len(record.transcript), member, record.own_id)
        shown = self._add_line(line)
        self._publish_messages([line.original], [shown], restoring=False)
        machine.publish(
            "agentConnected" if joined else "agentDisconnected", record.agents_data(shown)
        )

    def guest_left(self, member: Member) -> None:
        """The guest's leaving, as a transcript line and clientDisconnected, once."""
        record = self._machine.record
        if record.guest_left:
            return
        record.guest_left = True
        line = Message.participant(len(record.transcript), member, record.own_id)
        self._machine.publish("clientDisconnected", record.agents_data(self._add_line(line)))

    # Typing --------------------------------------------------------------------------------

    def _typing(self, sender: Member) -> None:
        machine = self._machine
        record = machine.record
        if sender_type(sender, record.own_id) == "Client":
            return
        machine.emit(SetTimer(f"agentTyping:{sender.id}", machine.settings.agent_typing_timeout))
        if sender.id not in record.agents_typing:
            record.agents_typing.add(sender.id)
            machine.publish(
                "agentTypingStarted", {"memberId": sender.id, "name": self._name(sender)}
            )

    def agent_typing_timed_out(self, member_id: str) -> None:
        record = self._machine.record
        if member_id in record.agents_typing:
            record.agents_typing.discard(member_id)
            self._machine.publish(
                "agentTypingTimeout", {"memberId": member_id, "name": self._agent_name(member_id)}
            )

    def _agent_stopped_typing(self, member_id: str) -> None:
        record = self._machine.record
        if member_id in record.agents_typing:
            record.agents_typing.discard(member_id)
            self._machine.emit(CancelTimer(f"agentTyping:{member_id}"))
            self._machine.publish(
                "agentTypingStopped", {"memberId": member_id, "name": self._agent_name(member_id)}
            )

    def _agent_name(self, member_id: str) -> str | None:
        agent = self._machine.record.agents.get(member_id)
        return agent.name if agent is not None else None

    def _name(self, sender: Member) -> str | None:
        return sender.display_name or self._agent_name(sender.id)

    # The connection ------------------------------------------------------------------------

    def _connection(self, update: Connection) -> None:
        record = self._machine.record
        if update.connected == record.disconnected:  # reconnected only ever follows disconnected
            record.disconnected = not update.connected
            self._machine.publish("reconnected" if update.connected else "disconnected")
