"""The Database plugin: set, update, get, remove, and custom attributes checked."""

from __future__ import annotations

import pytest

from cxbus import Bus, CommandRejected, Event
from cxbus_messaging import Database


@pytest.fixture
def database(bus: Bus) -> Database:
    database = Database(bus)
    database.plugin.ready().result(timeout=1)
    return database


def test_set_merges_the_top_level_and_update_merges_deeply(bus: Bus, database: Database) -> None:
    bus.command("Database.set", {"messaging": {"customAttributes": {"a": "1"}}, "x": 1})
    bus.command("Database.set", {"messaging": {"customAttributes": {"b": "2"}}})
    assert database.custom_attributes() == {"b": "2"}
    bus.command("Database.update", {"messaging": {"customAttributes": {"c": "3"}}})
    assert database.custom_attributes() == {"b": "2", "c": "3"}
    assert bus.command("Database.get", {"name": "x"}).result(timeout=1) == 1


def test_get_and_remove_take_a_key_or_a_dotted_path(bus: Bus, database: Database) -> None:
    seen: list[Event] = []
    bus.register_plugin("Watcher").subscribe("Database.*", seen.append)
    bus.command("Database.set", {"messaging": {"customAttributes": {"plan": "gold"}}})
    name = {"name": "messaging.customAttributes"}
    assert bus.command("Database.get", name).result(timeout=1) == {"plan": "gold"}
    bus.command("Database.remove", name).result(timeout=1)
    assert bus.command("Database.get", name).result(timeout=1) is None
    assert [e.name for e in seen] == ["Database.ready", "Database.updated", "Database.removed"]
    assert seen[-1].data == {"name": "messaging.customAttributes"}


def test_custom_attributes_that_are_not_strings_are_refused_and_nothing_changes(
    bus: Bus, database: Database
) -> None:
    with pytest.raises(CommandRejected, match="must be an object of strings"):
        bus.command("Database.set", {"messaging": {"customAttributes": {"n": 1}}}).result(timeout=1)
    assert database.custom_attributes() == {}
    with pytest.raises(CommandRejected, match="needs 'name'"):
        bus.command("Database.get", {}).result(timeout=1)
