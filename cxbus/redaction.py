"""Masking of secrets (JWTs, keys, tokens, signed URLs) in values that are about to be logged."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["redact"]

MASK = "***"

# Key names whose values are secrets wherever they appear in command or event data.
_SECRET_KEY = re.compile(r"jwt|token|secret|password|authorization|deploymentkey|securekey", re.I)
# A JWT anywhere in a string: three base64url segments, the first a JSON header.
_JWT = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]*")
# What follows the path of an http(s) URL: a presigned URL's signature and session token
# (X-Amz-Signature, X-Amz-Security-Token...) are in its query, under whatever key the
# URL is found. The scheme, host and path stay, for the reader of the log.
_URL_QUERY = re.compile(r"(https?://[^\s?#]*)[?#]\S*", re.I)


def redact(value: Any) -> Any:
    """Return ``value`` with secrets masked, for a log line; the original is untouched.

    Mappings and sequences are copied with the values of secret-looking keys replaced
    by ``"***"``; strings have any embedded JWT, and the query (and fragment) of any
    http(s) URL, masked. Other objects pass through.
    """
    if isinstance(value, str):
        return _URL_QUERY.sub(rf"\1?{MASK}", _JWT.sub(MASK, value))
    if isinstance(value, Mapping):
        return {
            key: MASK if isinstance(key, str) and _SECRET_KEY.search(key) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(redact(item) for item in value)
    return value
