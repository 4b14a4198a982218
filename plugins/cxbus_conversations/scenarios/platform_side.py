"""``PlatformConversations``: the platform API's side of a run, from the target's ``platform``
section (a Genesys Cloud OAuth client).

A guest cannot see its Web Messaging conversation's id, read the participant data its
flow set, or disconnect it; with a ``platform`` section a run does all three, through a
``PlatformClient``: it finds each conversation's id (printed beside a failure), reads the
participant data of an ``expect: {participant_data: ...}``, and, when the scenario
ends, disconnects the conversation if the guest's own end left it open (a deployment
that does not let the guest clear, a guest chat whose agent is still there, a play
that was interrupted). A conversation is found from its messages' ids, as the JS
web-messaging-tester's ``--associate-id`` does (the run's custom attribute would need
the analytics API, whose detail query answers a while later and without attributes);
a guest chat's id is the guest's own. GMS chats are Genesys Engage's: there is no such
platform for them, and the GMS client ends its chat itself.

``platform_side(target, channels)`` (or ``checked_platform(section, channels)``) makes it
and checks, before anything connects, that the credentials get a token and that the
client may read what the run reads. Its
methods are called from the players' worker threads, at the same time.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from ..conversation import Conversation
from ..platform import PlatformClient, PlatformError, require_platform
from .targets import Target

__all__ = ["PlatformConversations", "checked_platform", "platform_side"]

log = logging.getLogger("cxbus.conversations.platform")


def platform_side(target: Target, channels: Sequence[str]) -> PlatformConversations | None:
    """The platform side of a run on ``target`` (``None`` without a ``platform``
    section), checked for ``channels`` (``checked_platform``)."""
    return None if target.platform is None else checked_platform(target.platform, channels)


def checked_platform(section: Mapping[str, Any], channels: Sequence[str]) -> PlatformConversations:
    """The platform side of the ``platform`` section ``section``, checked for a run on
    ``channels``: a ``ValueError`` for a bad section, a ``PlatformError`` for credentials
    or permissions the platform refuses."""
    side = PlatformConversations(PlatformClient(section))
    for channel in dict.fromkeys(channels):
        if channel != "gms":
            side.client.check(channel)
    return side


class PlatformConversations:
    """The ``PlatformSide`` of a run's players, through ``client``."""

    def __init__(self, client: PlatformClient) -> None:
        self.client = client
        self._lock = threading.Lock()
        # Each conversation's id, once found (a conversation is forgotten with it).
        self._ids: weakref.WeakKeyDictionary[Conversation, str] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"<PlatformConversations {self.client!r}>"

    def conversation_id(self, conversation: Conversation) -> str | None:
        """The platform's id of ``conversation``, if it has one and it can be found."""
        if conversation.conversation_id is not None or conversation.channel == "gms":
            return conversation.conversation_id
        with self._lock:
            known = self._ids.get(conversation)
        if known is not None:
            return known
        try:
            found = self.client.find_conversation(conversation)
        except PlatformError as error:
            log.warning("The conversation's id was not found: %s", error)
            return None
        if found is not None:
            with self._lock:
                self._ids[conversation] = found
        return found

    def participant_data(
        self, conversation: Conversation, attributes: Mapping[str, str]
    ) -> Mapping[str, str] | None:
        """The conversation's participant data; ``None`` while the platform does not know
        the conversation yet. ``PlatformError`` when it refuses (on GMS, always)."""
        require_platform(conversation.channel)
        found = self.conversation_id(conversation)
        return None if found is None else self.client.participant_data(found)

    def disconnect(self, conversation: Conversation, attributes: Mapping[str, str]) -> None:
        """Disconnect the conversation if it is still open on the platform; a failure is a
        warning (the play's outcome stands)."""
        if conversation.channel == "gms":
            return
        found = self.conversation_id(conversation)
        if found is None:
            return  # no message was exchanged: the platform has no conversation
        try:
            self.client.disconnect(found, conversation.channel)
        except PlatformError as error:
            log.warning("The conversation %s may still be open: %s", found, error)
