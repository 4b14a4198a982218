"""What WebChatService knows of a chat: its transcript, its agents, its times, who types.

``ChatRecord`` is the chat state machine's own (``machine.ChatMachine``): it is read
and written on the chat's thread only. The record of the last chat stays readable
after it ends (getTranscript, getAgents and getStats answer from it).
"""

from __future__ import annotations

from typing import Any

import attrs

from .messages import Message
from .payloads import SessionInfo, TranscriptMessage
from .transport import Member, SessionData

__all__ = ["Agent", "ChatRecord"]

# The roles of the members getAgents knows of (bots left out of its list).
ROLES = frozenset({"AGENT", "SUPERVISOR", "BOT"})


@attrs.define
class Agent:
    """An agent who took part in the chat, as getAgents reports it."""

    name: str
    connected_time: int
    connected: bool = True
    supervisor: bool = False
    disconnected_time: int | None = None
    bot: bool = False
    """A bot (GMS): its joins and leaves are told, and getAgents leaves it out, as the
    widgets do."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "connected": self.connected,
            "supervisor": self.supervisor,
            "connectedTime": self.connected_time,
            "disconnectedTime": self.disconnected_time,
        }


@attrs.define
class ChatRecord:
    """One chat, from its start (or restore) to its end."""

    session: SessionData | None = None
    started_at: int | None = None
    """Milliseconds since the epoch."""
    ended_at: int | None = None
    transcript: list[Message] = attrs.field(factory=list)
    seen: dict[str, None] = attrs.field(factory=dict)
    """Ids of the messages received so far: one received again is dropped. A dict as a
    set, as ``agents_typing``: the garbage collector stops tracking a dict of strings (a
    set it walks in every full collection, for every chat)."""
    agents: dict[str, Agent] = attrs.field(factory=dict)
    agents_typing: dict[str, None] = attrs.field(factory=dict)
    client_typing: bool = False
    disconnected: bool = False
    """The event stream is down (disconnected was published, reconnected not yet)."""
    guest_joined: bool = False
    """clientConnected was published for the guest (or the chat was restored)."""
    guest_left: bool = False
    """clientDisconnected was published for the guest."""
    gms: bool = False
    """The chat goes through GMS: its session data has the GMS shape."""
    idle_countdown: int | None = None
    """GMS: seconds until the chat closes for inactivity, while an idle alert runs."""

    @property
    def own_id(self) -> str | None:
        return self.session.member_id if self.session is not None else None

    def session_data(self) -> SessionInfo:
        """What getSessionData and events tell of the chat; never the JWT.

        Through GMS, the page's shape "when using Chat via GMS API": the secure key
        with the ids (the page gives it to the guest's own code; tracing masks it)."""
        if self.session is None:
            return {}
        if self.gms:
            return {
                "secureKey": self.session.jwt,
                "sessionID": self.session.conversation_id,
                "alias": self.session.alias,
                "userId": self.session.member_id,
            }
        return {
            "conversationId": self.session.conversation_id,
            "memberId": self.session.member_id,
        }

    def agent_list(self) -> list[dict[str, Any]]:
        return [agent.to_dict() for agent in self.agents.values() if not agent.bot]

    def agents_data(self, message: TranscriptMessage) -> dict[str, Any]:
        """The data of clientConnected, agentConnected and their Disconnected events."""
        agents = self.agent_list()
        return {
            "message": message,
            "agents": agents,
            "numAgentsConnected": sum(agent["connected"] for agent in agents),
        }

    def stats(self, now_ms: int, active: bool) -> dict[str, Any]:
        end = None if active else self.ended_at
        duration = None
        if self.started_at is not None:
            duration = (end if end is not None else now_ms) - self.started_at
        return {
            "agents": self.agent_list(),
            "startTime": self.started_at,
            "endTime": end,
            "duration": duration,
        }

    def agents_from(self, members: list[Member], now_ms: int) -> None:
        """Know the agents of a restored chat as the server lists them now: after its
        history (whose joins and leaves made the agents it names), the list has the
        last word on who is connected."""
        for member in members:
            if member.role not in ROLES or member.state not in ("CONNECTED", "DISCONNECTED"):
                continue
            connected = member.state == "CONNECTED"
            known = self.agents.get(member.id)
            if known is None:
                self.agents[member.id] = Agent(
                    member.display_name or "Agent",
                    now_ms,
                    connected=connected,
                    supervisor=member.role == "SUPERVISOR",
                    bot=member.role == "BOT",
                )
            elif known.connected != connected:
                known.connected = connected
                known.disconnected_time = None if connected else now_ms
