"""The stored session: the token kept in a 0600 file, read back whole or refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxbus_messaging import FileSessionStore, StoredSession


def test_a_stored_session_is_saved_0600_and_read_back(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path / "session.json")
    store.save(StoredSession("secret-token", "deployment", 1.5))
    assert (tmp_path / "session.json").stat().st_mode & 0o777 == 0o600
    assert store.load() == StoredSession("secret-token", "deployment", 1.5)
    assert "secret-token" not in repr(store.load())
    store.clear()
    assert store.load() is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[]", "not a JSON object"),
        ('{"deploymentId": "d", "savedAt": 1}', "token is not a string"),
        ('{"token": "t", "deploymentId": "d", "savedAt": "now"}', "savedAt is not a number"),
        ("{not json", "the session file is not JSON"),
    ],
)
def test_a_stored_session_that_is_not_one_is_refused_naming_what_is_wrong(
    tmp_path: Path, text: str, why: str
) -> None:
    (tmp_path / "session.json").write_text(text)
    with pytest.raises(ValueError, match=why) as refused:
        FileSessionStore(tmp_path / "session.json").load()
    assert '"t"' not in str(refused.value)
