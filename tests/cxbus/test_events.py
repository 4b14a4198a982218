"""Events: namespaced publish, loose binding, wildcards, retention and isolation."""

from __future__ import annotations

import gc
import sys
from typing import Any

import pytest

from cxbus import Bus, Event


def test_publish_reaches_subscribers_in_subscription_order(bus: Bus) -> None:
    """Subscribers get the event in the order they subscribed."""
    order: list[str] = []
    listener = bus.register_plugin("Listener")
    listener.subscribe("Chat.message", lambda e: order.append("first"))
    listener.subscribe("Chat.*", lambda e: order.append("namespace"))
    listener.subscribe("Chat.message", lambda e: order.append("third"))
    bus.register_plugin("Chat").publish("message", "hi")
    assert order == ["first", "namespace", "third"]


def test_a_subscriber_gets_name_data_publisher_and_time(bus: Bus) -> None:
    """The event object names the event, the publisher and carries the data."""
    events: list[Event] = []
    bus.register_plugin("Listener").subscribe("Chat.message", events.append)
    bus.register_plugin("Chat").publish("message", {"text": "hi"})
    (event,) = events
    assert (event.name, event.data, event.publisher) == ("Chat.message", {"text": "hi"}, "Chat")
    assert event.time > 0


def test_publishing_needs_no_declaration(bus: Bus) -> None:
    """An undeclared event is published like a declared one (loose binding)."""
    events: list[Event] = []
    bus.register_plugin("Listener").subscribe("Chat.surprise", events.append)
    bus.register_plugin("Chat").publish("surprise")
    assert [e.name for e in events] == ["Chat.surprise"]


def test_register_events_declares_for_introspection(bus: Bus) -> None:
    """register_events lists the events a plugin says it publishes."""
    chat = bus.register_plugin("Chat")
    chat.register_events(["started", "ended"])
    chat.register_events(["ended", "ready"])
    assert chat.events == ("started", "ended", "ready")


def test_a_plugin_publishes_only_in_its_own_namespace(bus: Bus) -> None:
    """Publishing a dotted name is refused: a plugin cannot speak for another."""
    with pytest.raises(ValueError, match="Event names are identifiers"):
        bus.register_plugin("Chat").publish("Other.ready")


def test_subscribing_before_the_publisher_exists_works(bus: Bus) -> None:
    """A subscription to a plugin not registered yet receives its events once it is."""
    events: list[Event] = []
    bus.register_plugin("Early").subscribe("Later.ping", events.append)
    bus.register_plugin("Later").publish("ping", 1)
    assert [e.data for e in events] == [1]


def test_star_receives_every_event(bus: Bus) -> None:
    """A "*" subscription sees every event of every plugin."""
    names: list[str] = []
    bus.register_plugin("Debugger").subscribe("*", lambda e: names.append(e.name))
    bus.register_plugin("A").publish("one")
    bus.register_plugin("B").publish("two")
    assert names == ["A.one", "B.two"]


def test_a_namespace_wildcard_sees_only_its_namespace(bus: Bus) -> None:
    """ "Ns.*" sees that plugin's events and no other's."""
    names: list[str] = []
    bus.register_plugin("Listener").subscribe("A.*", lambda e: names.append(e.name))
    bus.register_plugin("A").publish("one")
    bus.register_plugin("B").publish("two")
    assert names == ["A.one"]


def test_a_raising_subscriber_is_logged_and_the_others_still_run(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """One broken subscriber does not keep the event from the rest."""
    received: list[Any] = []
    listener = bus.register_plugin("Listener")
    listener.subscribe("Chat.message", lambda e: 1 / 0)
    listener.subscribe("Chat.message", lambda e: received.append(e.data))
    bus.register_plugin("Chat").publish("message", "still here")
    assert received == ["still here"]
    assert "ZeroDivisionError" in caplog.text


def exit_the_thread(_: Any) -> None:
    sys.exit("a subscriber asked to exit")


@pytest.mark.parametrize("publish", ["publish", "republish"])
def test_a_subscriber_that_calls_sys_exit_is_logged_and_the_others_still_run(
    bus: Bus, caplog: pytest.LogCaptureFixture, publish: str
) -> None:
    """SystemExit from a subscriber does not end the publisher's thread nor stop the rest."""
    received: list[Any] = []
    listener = bus.register_plugin("Listener")
    listener.subscribe("Chat.message", exit_the_thread)
    listener.subscribe("Chat.message", lambda e: received.append(e.data))
    getattr(bus.register_plugin("Chat"), publish)("message", "still here")
    assert received == ["still here"]
    assert "a subscriber asked to exit" in caplog.text


def test_a_late_subscriber_that_calls_sys_exit_is_logged(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """A retained event handed to a subscriber that exits is logged; subscribe returns."""
    bus.register_plugin("Chat").republish("status", "online")
    subscription = bus.register_plugin("Late").subscribe("Chat.status", exit_the_thread)
    assert subscription.pattern == "Chat.status"
    assert "a subscriber asked to exit" in caplog.text


def test_a_keyboard_interrupt_in_a_subscriber_still_interrupts(bus: Bus) -> None:
    """Ctrl-C is the user's: it goes through the publisher."""

    def interrupted(_: Event) -> None:
        raise KeyboardInterrupt

    bus.register_plugin("Listener").subscribe("Chat.message", interrupted)
    with pytest.raises(KeyboardInterrupt):
        bus.register_plugin("Chat").publish("message")


def test_unsubscribe_stops_delivery(bus: Bus) -> None:
    """After unsubscribe (or calling the subscription) nothing more arrives."""
    received: list[Any] = []
    listener = bus.register_plugin("Listener")
    chat = bus.register_plugin("Chat")
    first = listener.subscribe("Chat.message", lambda e: received.append(("first", e.data)))
    second = listener.subscribe("Chat.message", lambda e: received.append(("second", e.data)))
    chat.publish("message", 1)
    listener.unsubscribe(first)
    second()
    second()  # twice is harmless
    chat.publish("message", 2)
    assert received == [("first", 1), ("second", 1)]


def test_subscribers_are_held_strongly(bus: Bus) -> None:
    """A lambda subscriber with no other reference keeps receiving after a collection."""
    received: list[Any] = []
    bus.register_plugin("Listener").subscribe("Chat.message", lambda e: received.append(e.data))
    gc.collect()
    bus.register_plugin("Chat").publish("message", "kept")
    assert received == ["kept"]


def test_republish_reaches_later_subscribers_at_once(bus: Bus) -> None:
    """A republished event is retained: a subscriber that comes later gets it on subscribing."""
    chat = bus.register_plugin("Chat")
    chat.republish("status", "online")
    late: list[Any] = []
    bus.register_plugin("Late").subscribe("Chat.status", lambda e: late.append(e.data))
    assert late == ["online"]
    chat.republish("status", "away")
    assert late == ["online", "away"]


def test_ready_is_retained_for_late_subscribers(bus: Bus) -> None:
    """ready() republishes "<Plugin>.ready" so late subscribers still hear it."""
    chat = bus.register_plugin("Chat")
    assert chat.ready().result(timeout=1) is chat
    heard: list[str] = []
    bus.register_plugin("Late").subscribe("Chat.*", lambda e: heard.append(e.name))
    assert heard == ["Chat.ready"]
    assert chat.is_ready


@pytest.mark.parametrize("pattern", ["Chat", "Chat.", "*.ready", "Chat.**", 3])
def test_a_bad_subscription_pattern_is_refused(bus: Bus, pattern: Any) -> None:
    """Only "Ns.event", "Ns.*" and "*" can be subscribed to."""
    with pytest.raises(ValueError, match=r"Subscribe to 'Namespace\.event'"):
        bus.register_plugin("Listener").subscribe(pattern, lambda e: None)


def test_a_subscriber_may_publish_and_command_reentrantly(bus: Bus) -> None:
    """A subscriber calling back into the bus neither deadlocks nor loses events."""
    received: list[str] = []
    echo = bus.register_plugin("Echo")
    echo.register_command("say", lambda call: echo.publish("said", call.data))
    listener = bus.register_plugin("Listener")
    listener.subscribe("Echo.said", lambda e: received.append(e.data))
    listener.subscribe(
        "Chat.message", lambda e: listener.command("Echo.say", e.data.upper()).result(timeout=1)
    )
    bus.register_plugin("Chat").publish("message", "hi")
    assert received == ["HI"]


# Routes are cached on each publisher; every change must reach the publishes after it.


@pytest.mark.parametrize("pattern", ["Chat.message", "Chat.*", "*"])
def test_a_subscription_made_after_publishing_hears_the_next_event(bus: Bus, pattern: str) -> None:
    """A publisher that published before (and cached its route) reaches a new subscriber."""
    chat = bus.register_plugin("Chat")
    other = bus.register_plugin("Other")
    chat.publish("message", 1)
    other.publish("message", 1)
    heard: list[tuple[str, Any]] = []
    subscription = bus.register_plugin("Late").subscribe(
        pattern, lambda e: heard.append((e.name, e.data))
    )
    chat.publish("message", 2)
    other.publish("message", 2)
    subscription()
    chat.publish("message", 3)
    other.publish("message", 3)
    expected = [("Chat.message", 2)] + ([("Other.message", 2)] if pattern == "*" else [])
    assert heard == expected


def test_a_subscription_to_one_event_leaves_the_publishers_other_routes_alone(bus: Bus) -> None:
    """Subscribing to "Chat.typing" changes who hears typing, not who hears messages."""
    chat = bus.register_plugin("Chat")
    messages: list[Any] = []
    listener = bus.register_plugin("Listener")
    listener.subscribe("Chat.message", lambda e: messages.append(e.data))
    chat.publish("message", 1)
    typing: list[Any] = []
    listener.subscribe("Chat.typing", lambda e: typing.append(e.data))
    chat.publish("message", 2)
    chat.publish("typing", True)
    assert messages == [1, 2]
    assert typing == [True]


def test_subscribers_of_every_pattern_hear_in_subscription_order_after_changes(
    bus: Bus,
) -> None:
    """Order is subscription order across "Ns.event", "Ns.*" and "*", whatever left."""
    order: list[str] = []
    listener = bus.register_plugin("Listener")
    first = listener.subscribe("*", lambda e: order.append("star"))
    listener.subscribe("Chat.message", lambda e: order.append("exact"))
    listener.subscribe("Chat.*", lambda e: order.append("namespace"))
    listener.subscribe("*", lambda e: order.append("star again"))
    chat = bus.register_plugin("Chat")
    chat.publish("message")
    first()
    chat.publish("message")
    assert order == ["star", "exact", "namespace", "star again", "exact", "namespace", "star again"]


def test_an_unregistered_subscriber_is_dropped_from_routes_already_cached(bus: Bus) -> None:
    """A plugin that leaves no longer hears events whose routes were cached with it."""
    chat = bus.register_plugin("Chat")
    heard: list[str] = []
    bus.register_plugin("Leaving").subscribe("Chat.*", lambda e: heard.append("leaving"))
    bus.register_plugin("Staying").subscribe("Chat.message", lambda e: heard.append("staying"))
    chat.publish("message")
    bus.unregister_plugin("Leaving")
    chat.publish("message")
    assert heard == ["leaving", "staying", "staying"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("Chat.status", ["Chat.status"]),
        ("Chat.*", ["Chat.status", "Chat.ready"]),
        ("*", ["Chat.status", "Other.mood", "Chat.ready"]),
        ("Other.status", []),
    ],
)
def test_a_late_subscriber_gets_the_retained_events_its_pattern_matches_in_order(
    bus: Bus, pattern: str, expected: list[str]
) -> None:
    """Retained events are replayed for "Ns.event", "Ns.*" and "*", in the order retained."""
    chat = bus.register_plugin("Chat")
    other = bus.register_plugin("Other")
    chat.republish("status", "online")
    other.republish("mood", "fine")
    chat.republish("ready")
    chat.republish("status", "away")  # replaces the first, keeping its place
    heard: list[tuple[str, Any]] = []
    bus.register_plugin("Late").subscribe(pattern, lambda e: heard.append((e.name, e.data)))
    assert [name for name, _ in heard] == expected
    assert ("Chat.status", "online") not in heard


def test_the_retained_events_of_an_unregistered_publisher_are_forgotten(bus: Bus) -> None:
    """A publisher that leaves takes its retained events with it; others keep theirs."""
    bus.register_plugin("Chat").republish("status", "online")
    bus.register_plugin("Other").republish("status", "fine")
    bus.unregister_plugin("Chat")
    heard: list[str] = []
    bus.register_plugin("Late").subscribe("*", lambda e: heard.append(e.name))
    assert heard == ["Other.status"]
