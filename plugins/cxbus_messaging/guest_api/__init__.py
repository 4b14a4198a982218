"""The Web Messaging guest API, client side: frames, requests, matching, REST.

Plain functions and classes, no threads and no bus: MessagingService's transport
calls them. ``parse_frame`` reads what the server sends (``frames``, with the
message body of ``messages``); the builders of ``actions`` make what the client
sends; ``PendingRequests`` matches answers to requests; ``GuestRestApi`` makes the
HTTP calls (history, ``config.json``, uploads and downloads) at the ``Endpoints``
of a region or of the emulator. The session token and JWTs never show in a repr
or an error message.
"""

from . import actions
from .actions import Request, new_tracing_id
from .deployment import DeploymentConfig, UploadMode, parse_deployment_config
from .endpoints import DOMAINS, REGIONS, Endpoints, region_domain
from .errors import DeploymentNotFound, ProtocolError, RestError
from .frames import (
    AllowedMedia,
    AttachmentDeletedResponse,
    Body,
    ConnectionClosedEvent,
    ErrorText,
    Frame,
    GenerateUrlError,
    GetConfigurationResponse,
    JwtResponse,
    LogoutEvent,
    PresignedUrlResponse,
    ResumeTokenResponse,
    ServerError,
    SessionClearedEvent,
    SessionExpiredEvent,
    SessionResponse,
    TooManyRequestsErrorMessage,
    Unknown,
    UploadFailureEvent,
    UploadSuccessEvent,
    epoch_seconds,
    parse_frame,
)
from .messages import (
    Attachment,
    AvailableTime,
    ButtonResponse,
    Card,
    CardAction,
    Carousel,
    Channel,
    Content,
    DatePicker,
    Event,
    OtherContent,
    OtherEvent,
    Participant,
    Presence,
    QuickReply,
    Reason,
    StructuredMessage,
    Typing,
    parse_message,
)
from .rest import GuestRestApi, HistoryPage, parse_history_page
from .tracing import PendingRequests

__all__ = [
    "DOMAINS",
    "REGIONS",
    "AllowedMedia",
    "Attachment",
    "AttachmentDeletedResponse",
    "AvailableTime",
    "Body",
    "ButtonResponse",
    "Card",
    "CardAction",
    "Carousel",
    "Channel",
    "ConnectionClosedEvent",
    "Content",
    "DatePicker",
    "DeploymentConfig",
    "DeploymentNotFound",
    "Endpoints",
    "ErrorText",
    "Event",
    "Frame",
    "GenerateUrlError",
    "GetConfigurationResponse",
    "GuestRestApi",
    "HistoryPage",
    "JwtResponse",
    "LogoutEvent",
    "OtherContent",
    "OtherEvent",
    "Participant",
    "PendingRequests",
    "Presence",
    "PresignedUrlResponse",
    "ProtocolError",
    "QuickReply",
    "Reason",
    "Request",
    "RestError",
    "ResumeTokenResponse",
    "ServerError",
    "SessionClearedEvent",
    "SessionExpiredEvent",
    "SessionResponse",
    "StructuredMessage",
    "TooManyRequestsErrorMessage",
    "Typing",
    "Unknown",
    "UploadFailureEvent",
    "UploadMode",
    "UploadSuccessEvent",
    "actions",
    "epoch_seconds",
    "new_tracing_id",
    "parse_deployment_config",
    "parse_frame",
    "parse_history_page",
    "parse_message",
    "region_domain",
]
