"""A deployment's ``config.json``: what the Messenger allows.

Its fields are those the ``shyrka/receive`` models of
``MyPureCloud/genesys-messenger-transport-mobile-sdk`` read.

Read tolerantly like every server answer: fields this client does not use are
kept in ``raw`` only; a missing switch reads as off, except uploads on old
deployments, which list ``fileUpload.modes`` without ``enableAttachments``.
"""

from __future__ import annotations

from typing import Any

import attrs

from .json_object import JsonObject

__all__ = ["DeploymentConfig", "UploadMode", "parse_deployment_config"]


@attrs.frozen
class UploadMode:
    file_types: tuple[str, ...]
    max_file_size_kb: int | None = None


@attrs.frozen
class DeploymentConfig:
    """The parts of ``config.json`` a headless client acts on."""

    id: str
    version: str | None = None
    status: str | None = None  # "Active" or "Inactive"
    api_endpoint: str | None = None
    messaging_endpoint: str | None = None
    languages: tuple[str, ...] = ()
    default_language: str | None = None
    messenger_enabled: bool = False
    conversations_enabled: bool = True
    """The Messenger's conversations app is on (``messenger.apps.conversations``)."""
    headless_mode: bool = False
    journey_events: bool = False
    auth_enabled: bool = False
    allow_session_upgrade: bool = False
    uploads_enabled: bool = False
    upload_modes: tuple[UploadMode, ...] = ()
    show_agent_typing: bool = False
    show_user_typing: bool = False
    auto_start: bool = False
    disconnect_enabled: bool = False
    disconnect_type: str | None = None  # "Send" or "ReadOnly"
    clear_enabled: bool = False
    markdown: bool = False
    session_duration_seconds: int | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)


def _on(parent: JsonObject | None, key: str) -> bool:
    """``parent.key.enabled``."""
    switch = parent.object(key) if parent is not None else None
    return bool(switch is not None and switch.flag("enabled"))


def parse_deployment_config(value: Any) -> DeploymentConfig:
    """Read ``config.json``; ``ProtocolError`` when it is not an object or has no ``id``."""
    config = JsonObject(value, "config.json")
    messenger = config.object("messenger")
    apps = messenger.object("apps") if messenger is not None else None
    conversations = apps.object("conversations") if apps is not None else None
    upload = messenger.object("fileUpload") if messenger is not None else None
    modes = tuple(
        UploadMode(m.texts("fileTypes"), m.integer("maxFileSizeKB"))
        for m in (upload.objects("modes") if upload is not None else [])
    )
    attachments = upload.flag("enableAttachments") if upload is not None else None
    disconnect = conversations.object("conversationDisconnect") if conversations else None
    auth = config.object("auth")
    return DeploymentConfig(
        id=config.required_text("id"),
        version=config.text("version"),
        status=config.text("status"),
        api_endpoint=config.text("apiEndpoint"),
        messaging_endpoint=conversations.text("messagingEndpoint") if conversations else None,
        languages=config.texts("languages"),
        default_language=config.text("defaultLanguage"),
        messenger_enabled=bool(messenger is not None and messenger.flag("enabled")),
        conversations_enabled=conversations is not None
        and conversations.flag("enabled") is not False,
        headless_mode=_on(config, "headlessMode"),
        journey_events=_on(config, "journeyEvents"),
        auth_enabled=bool(auth is not None and auth.flag("enabled")),
        allow_session_upgrade=bool(auth is not None and auth.flag("allowSessionUpgrade")),
        uploads_enabled=bool(modes) if attachments is None else attachments,
        upload_modes=modes,
        show_agent_typing=bool(conversations and conversations.flag("showAgentTypingIndicator")),
        show_user_typing=bool(conversations and conversations.flag("showUserTypingIndicator")),
        auto_start=_on(conversations, "autoStart"),
        disconnect_enabled=bool(disconnect is not None and disconnect.flag("enabled")),
        disconnect_type=disconnect.text("type") if disconnect is not None else None,
        clear_enabled=_on(conversations, "conversationClear"),
        markdown=_on(conversations, "markdown"),
        session_duration_seconds=(
            conversations.integer("sessionDurationSeconds") if conversations else None
        ),
        raw=config.value,
    )
