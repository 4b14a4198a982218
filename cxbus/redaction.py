"""What may reach a log line: secrets are always masked, customers' words unless asked for.

Secrets (JWTs, keys, tokens, signed URLs) are masked wherever they appear. Content (the
text of messages, names, emails, phone numbers, custom attributes, user data and form
answers) is replaced by its length, because contact centres hand debug logs to support
and customers type card numbers into chats. Setting the environment variable
``CXBUS_LOG_CONTENT=1`` lets content through, for a developer's own debugging; it is read
when a line is written, so a program may set it at any time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["CONTENT_SWITCH", "logs_content", "redact"]

MASK = "***"
CONTENT_SWITCH = "CXBUS_LOG_CONTENT"

# Key names whose values are secrets wherever they appear in command or event data.
_SECRET_KEY = re.compile(
    r"jwt|token|secret|password|authorization|deploymentkey|securekey|authcode|codeverifier|nonce",
    re.I,
)
# A JWT anywhere in a string: three base64url segments, the first a JSON header.
_JWT = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]*")
# What follows the path of an http(s) URL: a presigned URL's signature and session token
# (X-Amz-Signature, X-Amz-Security-Token...) are in its query, under whatever key the
# URL is found. The scheme, host and path stay, for the reader of the log.
_URL_QUERY = re.compile(r"(https?://[^\s?#]*)[?#]\S*", re.I)
# Key names whose string values are someone's words or identity: a message's text, a
# guest's names and contact details, a file's name, a quick reply's label.
_CONTENT_KEY = re.compile(
    r"^(text|message|body|content|subject|name|nickname|alias|(first|last|display|file)_?name"
    r"|e_?mail(_?address)?|phone(_?number)?|address|label|title|description)$",
    re.I,
)
# Key names whose every value is content, whatever its key: the bags of data a guest or
# a deployment attaches to a conversation.
_CONTENT_BAG = re.compile(
    r"^(custom_?attributes|user_?data|form(_?data)?|participant_?data)$", re.I
)
_TRUE = {"1", "true", "yes", "on"}


def logs_content() -> bool:
    """Whether customers' words may reach the log (``CXBUS_LOG_CONTENT`` is set true)."""
    return os.environ.get(CONTENT_SWITCH, "").strip().lower() in _TRUE


def redact(value: Any) -> Any:
    """Return ``value`` as it may be logged; the original is untouched.

    Mappings and sequences are copied with the values of secret-looking keys replaced
    by ``"***"``; strings have any embedded JWT, and the query (and fragment) of any
    http(s) URL, masked. Unless ``logs_content()``, the strings under content keys
    (``text``, ``email``, ``nickname``...) and every value under ``customAttributes``,
    ``userData`` and form data are replaced by ``"<N chars>"``. Other objects pass through.
    """
    return _redact(value, hide_content=not logs_content(), in_bag=False)


def _redact(value: Any, *, hide_content: bool, in_bag: bool) -> Any:
    if isinstance(value, str):
        if in_bag:
            return _hidden(value)
        return _URL_QUERY.sub(rf"\1?{MASK}", _JWT.sub(MASK, value))
    if in_bag and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _hidden(str(value))  # a phone or card number given as a number
    if isinstance(value, Mapping):
        return {
            key: _redact_item(key, item, hide_content=hide_content, in_bag=in_bag)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(
            _redact(item, hide_content=hide_content, in_bag=in_bag) for item in value
        )
    return value


def _redact_item(key: object, item: Any, *, hide_content: bool, in_bag: bool) -> Any:
    if not isinstance(key, str):
        return _redact(item, hide_content=hide_content, in_bag=in_bag)
    if _SECRET_KEY.search(key):
        return MASK
    if hide_content and isinstance(item, str) and _CONTENT_KEY.match(key):
        return _hidden(item)
    bag = in_bag or (hide_content and _CONTENT_BAG.match(key) is not None)
    return _redact(item, hide_content=hide_content, in_bag=bag)


def _hidden(text: str) -> str:
    return f"<{len(text)} chars>"
