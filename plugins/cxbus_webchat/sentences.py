"""What the chat machine's commands reject with.

The Genesys page's sentences (*WebChatService*, Widgets Developer Resources) and the
widgets' GMS module's, word for word; where they give none, ours, marked so.
"""

from __future__ import annotations

__all__ = [
    "ALREADY_ACTIVE",
    "ALREADY_RESTORING",
    "ENDED_UNTOLD",
    "NOTHING_TO_RESTORE",
    "NOT_POLLING",
    "NOT_REACHED",
    "NO_ACTIVE_SESSION",
    "NO_SESSION",
    "NO_USER_DATA_UPDATE",
    "RESTORE_WHILE_ACTIVE",
    "STOPPED",
]

# The page's sentences, word for word.
ALREADY_ACTIVE = "There is already an active chat session."
NO_SESSION = "There is no active chat session."
NO_ACTIVE_SESSION = "No active chat session."
NO_USER_DATA_UPDATE = (
    "This transport doesn't support updating userData during an active chat session."
)
ALREADY_RESTORING = "Already restoring. Ignoring request."
RESTORE_WHILE_ACTIVE = "Chat session is already active, ignoring restore command."
# The widgets' GMS module's sentence, word for word.
NOT_POLLING = "Not currently polling. Ignoring command."
# Ours.
STOPPED = "WebChatService has stopped: its bus was closed."
ENDED_UNTOLD = "The chat has ended here, but the chat server could not be told: {}"
NOTHING_TO_RESTORE = "There is no chat session to restore."
NOT_REACHED = "The chat server could not be reached."
