"""GMS mode's configuration: the widgets' options read from the webchat section itself."""

from __future__ import annotations

from typing import Any

import pytest

from cxbus_webchat import ConfigError, StoredSession, parse_config, parse_gms
from cxbus_webchat.config import restore_seconds
from cxbus_webchat.polling import PollingOptions
from cxbus_webchat.transport import SessionData

URL = "http://127.0.0.1:8080/genesys/2/chat/customer-support"


def test_no_transport_section_is_gms_mode_with_the_widgets_defaults() -> None:
    section = {"dataURL": URL}
    config, gms = parse_config(section), parse_gms(section)
    assert config.transport is None and gms is not None
    assert (gms.data_url, gms.apikey, gms.ajax_timeout) == (URL, None, 3000)
    assert gms.polling() == PollingOptions(
        min_interval=0.5,
        max_interval=3.0,
        multiplier=1.2,
        fixed_interval=3.0,
        dynamic=True,
        exception_limit=5,
    )
    assert restore_seconds(config, gms) == 60.0


def test_times_are_milliseconds_in_gms_mode_and_seconds_with_a_transport() -> None:
    gms_section = {"dataURL": URL, "restoreTimeout": 30000, "pollRateMin": 250}
    gms = parse_gms(gms_section)
    assert gms is not None and gms.polling().min_interval == 0.25
    assert restore_seconds(parse_config(gms_section), gms) == 30.0
    transport_section = {"transport": {"type": "fake"}, "restoreTimeout": 30}
    assert parse_gms(transport_section) is None
    assert restore_seconds(parse_config(transport_section), None) == 30.0


def test_a_null_transport_is_gms_mode_too() -> None:
    assert parse_gms({"transport": None, "dataURL": URL}) is not None


@pytest.mark.parametrize(
    ("section", "sentence"),
    [
        (
            {"dataURL": "ftp://host/chat"},
            "webchat.dataURL must be the GMS chat service's http(s) URL, service name "
            "included, such as 'http://host:8080/genesys/2/chat/customer-support' (or give "
            "a transport section with its type for another chat service); got 'ftp://host/chat'.",
        ),
        (
            {"dataURL": URL, "pollExceptionLimit": -1},
            "webchat.pollExceptionLimit must be a whole number from 0; got -1.",
        ),
        (
            {"dataURL": URL, "pollRateMult": 1},
            "webchat.pollRateMult must be a finite number above 1; got 1.",
        ),
        (
            {"dataURL": URL, "pollRateMin": 4000},
            "webchat.pollRateMax must be at least pollRateMin (4000 ms); got 3000.",
        ),
        (
            {"dataURL": URL, "dynamicPolling": "yes"},
            "webchat.dynamicPolling must be true or false; got 'yes'.",
        ),
        (
            {"dataURL": URL, "fileUploadTimeout": -5},
            "webchat.fileUploadTimeout must be a finite number of milliseconds from 0 "
            "(0: none); got -5.",
        ),
    ],
)
def test_a_bad_gms_option_is_one_sentence_naming_it(section: dict[str, Any], sentence: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_gms(section)
    assert str(refused.value) == sentence


def test_a_bad_apikey_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_gms({"dataURL": URL, "apikey": ["the-key-itself"]})
    assert "the-key-itself" not in str(refused.value)
    assert str(refused.value) == "webchat.apikey must be a non-empty string; got a list."


def test_the_apikey_and_the_secure_key_are_in_no_repr() -> None:
    gms = parse_gms({"dataURL": URL, "apikey": "api-key-secret"})
    assert "api-key-secret" not in repr(gms)
    session = SessionData("chat-1", "user-1", "secure-key-secret", "", "5", "117")
    assert "secure-key-secret" not in repr(session)
    assert "secure-key-secret" not in repr(StoredSession(session))
    assert StoredSession.from_json(StoredSession(session).to_json()).session == session
