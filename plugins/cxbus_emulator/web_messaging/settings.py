"""What a Web Messaging deployment allows, the limits the service enforces, and config.json.

``Deployment`` is the Messenger deployment as an admin configures it; it is what
``config.json`` publishes and what the server checks a guest's actions against.
``Limits`` are the service's documented limits (the reference's §2.13), each
changeable so a test can reach one quickly.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["DISCONNECT_TYPES", "DOWNLOADS", "UPLOADS", "Deployment", "Limits", "config_json"]

# Where the emulator serves the presigned URLs that Genesys serves from its file store.
UPLOADS = "/emulator/messaging/uploads"
DOWNLOADS = "/emulator/messaging/downloads"

DISCONNECT_TYPES = ("Send", "ReadOnly")
READ_ONLY: str | None = "ReadOnly"  # typed so, the field's default may be None too
# The Messenger's own defaults for a new deployment.
FILE_TYPES = ("image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain")
BLOCKED_EXTENSIONS = (".ade", ".adp", ".bat", ".cmd", ".com", ".exe", ".js", ".msi", ".vbs")


@attrs.frozen
class Deployment:
    """A Messenger deployment's settings (``config.json``'s ``messenger`` part).

    ``disconnect_type`` is what an agent's Disconnect does: ``"ReadOnly"`` turns
    the session read-only, ``"Send"`` only tells the guest; ``None`` turns the
    feature off. ``allowed_origins`` restricts the WebSocket to pages of those
    origins (``"http://host:port"``); empty allows every origin.
    """

    uploads: bool = True
    file_types: tuple[str, ...] = FILE_TYPES
    max_file_size_kb: int = 10240
    blocked_extensions: tuple[str, ...] = BLOCKED_EXTENSIONS
    auto_start: bool = False
    show_agent_typing: bool = True
    show_user_typing: bool = True
    disconnect_type: str | None = attrs.field(
        default=READ_ONLY,
        validator=attrs.validators.optional(attrs.validators.in_(DISCONNECT_TYPES)),
    )
    clear_enabled: bool = True
    markdown: bool = True
    session_duration_seconds: int = 72 * 3600
    allowed_origins: tuple[str, ...] = ()


@attrs.frozen
class Limits:
    """The service's limits (the reference's §2.13 and §2.9); rates count in a sliding window."""

    messages_per_second: int = 5  # per session; Genesys announced 2 in 2023 (ours: 5)
    requests_per_minute: int = 60  # per connection, every action
    configures_per_minute: int = 60  # per session
    history_per_minute: int = 10  # per session, the REST history
    health_checks_per_minute: int = 2  # per connection
    connections_per_session: int = 3
    text_bytes: int = 4096  # inbound text, UTF-8 bytes
    custom_attributes_bytes: int = 2048  # keys and values, UTF-8 bytes
    jwt_seconds: int = 60  # lifetime of a getJwt token
    download_url_seconds: int = 600  # lifetime of a presigned download URL
    file_name_chars: int = 255


def config_json(deployment: Deployment, deployment_id: str, base_url: str) -> dict[str, Any]:
    """The deployment's ``config.json``, as the Messenger reads it (the reference's §2.11)."""
    conversations: dict[str, Any] = {
        "messagingEndpoint": base_url.replace("http", "ws", 1),
        "showAgentTypingIndicator": deployment.show_agent_typing,
        "showUserTypingIndicator": deployment.show_user_typing,
        "autoStart": {"enabled": deployment.auto_start},
        "conversationDisconnect": {
            "enabled": deployment.disconnect_type is not None,
            "type": deployment.disconnect_type or "Send",
        },
        "conversationClear": {"enabled": deployment.clear_enabled},
        "markdown": {"enabled": deployment.markdown},
        "sessionDurationSeconds": deployment.session_duration_seconds,
    }
    file_upload: dict[str, Any] = {
        "enableAttachments": deployment.uploads,
        "modes": (
            [
                {
                    "fileTypes": list(deployment.file_types),
                    "maxFileSizeKB": deployment.max_file_size_kb,
                }
            ]
            if deployment.uploads
            else []
        ),
    }
    return {
        "id": deployment_id,
        "version": "1",
        "languages": ["en-us"],
        "defaultLanguage": "en-us",
        "apiEndpoint": base_url,
        "messenger": {
            "enabled": True,
            "apps": {"conversations": conversations},
            "styles": {"primaryColor": "#ff4f1f"},
            "launcherButton": {"visibility": "On"},
            "fileUpload": file_upload,
        },
        "headlessMode": {"enabled": True},
        "journeyEvents": {"enabled": False},
        "status": "Active",
        "auth": {"enabled": False, "allowSessionUpgrade": False},
    }
