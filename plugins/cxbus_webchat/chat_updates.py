"""How the chat state machine takes what the server reports: messages, typing, members
coming and going, and the connection dropping and coming back.

Part of ``machine.ChatMachine`` (kept apart to keep each module to one idea): it
runs inside ``ChatMachine.handle``, on the chat's thread, while a chat is on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs

from cxbus.runtime.machine_runner import CancelTimer, SetTimer

from .messages import Message, sender_type
from .payloads import MessageReceivedData, TranscriptMessage
from .record import Agent
from .transport import ChatEnded, ChatMessage, Connection, Member, TransportUpdate, Typing

if TYPE_CHECKING:
    from .machine import ChatMachine

__all__ = ["ChatUpdates"]

log = logging.getLogger("cxbus.webchat")

# A member's leave as its member-leave message says it: unlike a member-change to
# DISCONNECTED, which may be temporary for the guest, it is final.
LEFT = "LEFT"
PRESENCE = {"member-join": "CONNECTED", "member-leave": LEFT}
# The members whose joins and leaves are told, by role: the prefix of their events
# (agentConnected, supervisorConnected, botConnected, and ...Disconnected).
EVENT_PREFIX = {"AGENT": "agent", "SUPERVISOR": "supervisor", "BOT": "bot"}


@attrs.define
class Batch:
    """Transcript lines to publish in one messageReceived, with the server's originals."""

    originals: list[Any] = attrs.field(factory=list)
    shown: list[TranscriptMessage] = attrs.field(factory=list)

    def add(self, original: Mapping[str, Any], shown: TranscriptMessage) -> None:
        self.originals.append(dict(original))
        self.shown.append(shown)


class ChatUpdates:
    """The machine's handling of transport updates (see the module docstring)."""

    def __init__(self, machine: ChatMachine) -> None:
        self._machine = machine

    def handle(self, update: TransportUpdate) -> None:
        if isinstance(update, ChatMessage):
            self.messages([update], restoring=False)
        elif isinstance(update, Typing) and update.started:
            self._typing(update.sender)
        elif isinstance(update, Typing):
            self._agent_stopped_typing(update.sender.id)
        elif isinstance(update, Member):
            self._presence(update, update.state, update.time, attrs.asdict(update), False)
        elif isinstance(update, Connection):
            self._connection(update)
        elif isinstance(update, ChatEnded):
            ticket = self._machine.finish()
            if ticket is not None:
                self._machine.answer(ticket)

    # Messages --------------------------------------------------------------------------

    def messages(self, messages: list[ChatMessage], restoring: bool) -> None:
        """Add what is new to the transcript and publish it: in one messageReceived, but
        for the joins and leaves of live messages, which are published as they come."""
        machine = self._machine
        record = machine.record
        batch = Batch()
        for chat_message in messages:
            if chat_message.id in record.seen:
                continue
            record.seen.add(chat_message.id)
            presence = PRESENCE.get(chat_message.body_type)
            if presence is not None:
                if not restoring:
                    self._publish_messages(batch, restoring)
                    batch = Batch()
                line = self._presence(
                    chat_message.sender,
                    presence,
                    chat_message.timestamp,
                    chat_message.original,
                    restoring,
                )
                if line is not None:
                    batch.add(chat_message.original, line)
                continue
            self._agent_stopped_typing(chat_message.sender.id)
            if machine.filters.hides(chat_message.body):
                continue
            message = Message.from_chat(len(record.transcript), chat_message, record.own_id)
            batch.add(chat_message.original, self._add_line(message))
        self._publish_messages(batch, restoring)
        machine.save(renew=True)

    def _add_line(self, message: Message) -> TranscriptMessage:
        """Run the preprocessors over ``message`` and keep it; return what subscribers get."""
        shown = message.to_dict()
        for preprocessor in self._machine.preprocessors:
            try:
                changed = preprocessor(shown)
                if isinstance(changed, dict):
                    # A preprocessor hands back the message it was given, changed (the page's
                    # contract): its shape is the message's.
                    shown = cast(TranscriptMessage, changed)
            except BaseException:  # user code: the chat goes on
                log.exception("preprocessor %r raised; message kept as it was", preprocessor)
        text = str(shown.get("text", message.text))
        self._machine.record.transcript.append(
            message if text == message.text else attrs.evolve(message, text=text)
        )
        return shown

    def _publish_messages(self, batch: Batch, restoring: bool) -> None:
        if not batch.shown:
            return
        machine = self._machine
        record = machine.record
        received: MessageReceivedData = {
            "originalMessages": batch.originals,
            "messages": batch.shown,
            "restoring": restoring,
            "sessionData": record.session_data(),
        }
        if record.gms:  # the widgets' GMS module's countdown of an idle alert
            received["idleTimeCountDown"] = record.idle_countdown
        machine.publish("messageReceived", received)

    # Joins and leaves ----------------------------------------------------------------------

    def _presence(
        self,
        member: Member,
        state: str,
        timestamp: str | None,
        original: Mapping[str, Any],
        restoring: bool,
    ) -> TranscriptMessage | None:
        """A member's join or leave, from whichever of its two frames comes first (the
        member-change, or the member-join / member-leave message): one transcript line
        and one event. The guest's own DISCONNECTED may be temporary (it stepped away):
        only its member-leave message ends the chat. Queue (ACD) and flow (WORKFLOW)
        members are no agents, and an ALERTING agent is not connected yet: they make no
        line. While ``restoring``, the line is returned for the history instead of
        published, with no event."""
        machine = self._machine
        record = machine.record
        joined = state == "CONNECTED"
        if sender_type(member, record.own_id) == "Client":
            if joined and not record.guest_joined:
                record.guest_joined = True
                line = self._line(member, joined, timestamp, original)
                if restoring:
                    return line
                machine.publish("clientConnected", record.agents_data(line))
            elif state == LEFT:
                self.guest_left(member, timestamp, original)
                ticket = machine.finish()
                if ticket is not None:
                    machine.answer(ticket)
            return None
        prefix = EVENT_PREFIX.get(member.role)
        if prefix is None or state not in ("CONNECTED", "DISCONNECTED", LEFT):
            return None
        known = record.agents.get(member.id)
        if joined == (known is not None and known.connected):
            return None  # said already, by the other frame
        if joined:
            record.agents[member.id] = Agent(
                member.display_name or "Agent",
                machine.now_ms(),
                supervisor=member.role == "SUPERVISOR",
                bot=member.role == "BOT",
            )
        elif known is not None:
            known.connected = False
            known.disconnected_time = machine.now_ms()
            self._agent_stopped_typing(member.id)
        else:
            return None  # the leave of an agent never seen joining: nothing to say
        line = self._line(member, joined, timestamp, original)
        if restoring:
            return line
        self._publish_messages(Batch([dict(original)], [line]), restoring=False)
        event = f"{prefix}Connected" if joined else f"{prefix}Disconnected"
        machine.publish(event, record.agents_data(line))
        return None

    def _line(
        self, member: Member, joined: bool, timestamp: str | None, original: Mapping[str, Any]
    ) -> TranscriptMessage:
        record = self._machine.record
        line = Message.participant(len(record.transcript), member, joined, record.own_id)
        return self._add_line(attrs.evolve(line, timestamp=timestamp or "", original=original))

    def guest_left(
        self, member: Member, timestamp: str | None = None, original: Mapping[str, Any] = {}
    ) -> None:
        """The guest's leaving, as a transcript line and clientDisconnected, once."""
        record = self._machine.record
        if record.guest_left:
            return
        record.guest_left = True
        line = self._line(member, False, timestamp, original or attrs.asdict(member))
        self._machine.publish("clientDisconnected", record.agents_data(line))

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
