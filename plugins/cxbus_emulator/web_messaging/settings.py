"""What a Web Messaging deployment allows, the limits the service enforces, and config.json.

``Deployment`` is the Messenger deployment as an admin configures it; it is what
``config.json`` publishes and what the server checks a guest's actions against.
``Limits`` are the service's documented limits (the Genesys Cloud limits page, the
``webmessaging`` rows), each changeable so a test can reach one quickly, or raised so a
load test of thousands of chats is not stopped by them.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["DISCONNECT_TYPES", "DOWNLOADS", "IDP", "UPLOADS", "Deployment", "Limits", "config_json"]

_positive = attrs.validators.ge(1)

# Where the emulator serves the presigned URLs that Genesys serves from its file store.
UPLOADS = "/emulator/messaging/uploads"
DOWNLOADS = "/emulator/messaging/downloads"
# The built-in identity provider's sign-in page and control paths.
IDP = "/emulator/messaging/idp"

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

    ``auth_enabled`` turns on authenticated conversations (``config.json``'s
    ``auth.enabled``): the token endpoints and ``configureAuthenticatedSession``.
    ``allow_session_upgrade`` lets a guest's conversation sign in midway (step-up,
    ``auth.allowSessionUpgrade``); ``auth_required`` refuses guests altogether, so
    every conversation is signed in. ``session_duration_seconds`` is how long a
    session lives after its last activity (72 hours unless an admin changes it).
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
    session_duration_seconds: int = attrs.field(default=72 * 3600, validator=_positive)
    allowed_origins: tuple[str, ...] = ()
    auth_enabled: bool = False
    allow_session_upgrade: bool = True
    auth_required: bool = attrs.field(default=False)

    @auth_required.validator
    def _needs_auth(self, attribute: attrs.Attribute[bool], value: bool) -> None:
        if value and not self.auth_enabled:
            raise ValueError(
                "auth_required needs auth_enabled: a deployment without "
                "authentication cannot require it."
            )


@attrs.frozen
class Limits:
    """The service's limits; rates count in a sliding window.

    The rates and sizes are the ``webmessaging`` rows of Genesys Cloud's limits page
    (developer.genesys.cloud/organization/organization/limits); the attachment size
    is the deployment's ``max_file_size_kb``. The token lifetimes are those of the
    authenticated Messenger pages (developer.genesys.cloud/commdigital/digital/
    webmessaging/messengersdk/SDKCommandsEvents/authProviderPlugin): a JWT lives 15
    minutes, or less when the identity provider's token lives less, its refresh
    token 24 hours.
    """

    # Per session. The limits page says 5; Genesys announced 2 on the developer forum
    # ("Web messaging messages per session rate limit change", Dec 2023); every
    # onMessage counts, events too.
    messages_per_second: int = attrs.field(default=5, validator=_positive)
    requests_per_minute: int = attrs.field(default=60, validator=_positive)  # per connection
    configures_per_minute: int = attrs.field(default=60, validator=_positive)  # per session
    history_per_minute: int = attrs.field(default=10, validator=_positive)  # per session
    health_checks_per_minute: int = attrs.field(default=2, validator=_positive)  # per connection
    connections_per_session: int = attrs.field(default=3, validator=_positive)
    connections_per_minute: int = attrs.field(default=1000, validator=_positive)  # per deployment
    text_bytes: int = attrs.field(default=4096, validator=_positive)  # inbound, UTF-8 bytes
    custom_attributes_bytes: int = attrs.field(default=2048, validator=_positive)  # UTF-8 bytes
    jwt_seconds: int = attrs.field(default=60, validator=_positive)  # a getJwt token (ours)
    auth_jwt_seconds: int = attrs.field(default=900, validator=_positive)  # a signed-in JWT
    refresh_token_seconds: int = attrs.field(default=24 * 3600, validator=_positive)
    download_url_seconds: int = attrs.field(default=600, validator=_positive)
    file_name_chars: int = attrs.field(default=255, validator=_positive)


def config_json(deployment: Deployment, deployment_id: str, base_url: str) -> dict[str, Any]:
    """The deployment's ``config.json``, with the fields the Messenger and the SDKs read."""
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
        "auth": {
            "enabled": deployment.auth_enabled,
            "allowSessionUpgrade": deployment.auth_enabled and deployment.allow_session_upgrade,
        },
    }
