"""What MessagingService's commands reject with, and its ``error`` events say.

The JavaScript SDK's sentences, word for word (``docs/messaging.md`` lists its
commands); where it has none, ours, marked so.
"""

from __future__ import annotations

__all__ = [
    "ALL_FETCHED",
    "ALREADY_ACTIVE",
    "APP_OFF",
    "ATTRIBUTES_TOO_LARGE",
    "AUTO_START_OFF",
    "CANNOT_START",
    "CLEAR_OFF",
    "ENDED_DELETE",
    "ENDED_SEND",
    "ENDED_TYPING",
    "ENDED_UPLOAD",
    "LOAD_FAILED",
    "NOTHING_TO_CLEAR",
    "NOTHING_TO_JOIN",
    "NOT_ABLE",
    "NOT_CONFIGURED",
    "NOT_FOUND",
    "NO_TEXT",
    "RECONNECT_FAILED",
    "RESET_FAILED",
    "RESET_NOT_ALLOWED",
    "STOPPED",
    "UNABLE",
    "UPLOADS_OFF",
    "WHITESPACE",
]

# The SDK's sentences, word for word.
APP_OFF = "Conversation app must be enabled in your configuration."
CANNOT_START = "Cannot start conversation"
ALREADY_ACTIVE = "There is already an active conversation"
AUTO_START_OFF = "Auto start must be enabled in the configuration"
WHITESPACE = "Message only contains whitespaces"
ENDED_SEND = "Conversation session has ended, start a new session to send a message."
ENDED_TYPING = "Conversation session has ended, start a new session to send a typing indicator."
ENDED_UPLOAD = "Conversation session has ended, start a new session to upload a file."
ENDED_DELETE = "Conversation session has ended, start a new session to delete a file."
UPLOADS_OFF = "Sending attachments is disabled in the configuration"
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
# The mobile client's words.
RECONNECT_FAILED = "Failed to reconnect."
# Ours.
NO_TEXT = "sendMessage needs 'message': some text, or an uploaded file to send."
NOTHING_TO_JOIN = "There is no conversation to join: configureConversation first."
STOPPED = "MessagingService has stopped: its bus was closed."
NOT_CONFIGURED = "MessagingService is not configured yet."
LOAD_FAILED = "MessagingService could not read the deployment's configuration: {}"
NOT_FOUND = (
    "MessagingService found {}: check messaging.deploymentId, and messaging.domain (the "
    "region the deployment was made in) or baseURL."
)
RESET_FAILED = "The conversation could not be reset: its socket was lost."
