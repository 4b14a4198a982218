"""Plugins: registration, unregistration, shared data, configuration and instrumentation."""

from __future__ import annotations

import sys
from typing import Any

import pytest

import cxbus
from cxbus import Bus, CommandCall, CommandRejected, Deferred, Event, PluginError


def test_a_plugin_name_is_taken_once(bus: Bus) -> None:
    """Registering a taken name is a clear error."""
    bus.register_plugin("Chat")
    with pytest.raises(PluginError, match="A plugin named 'Chat' is already registered"):
        bus.register_plugin("Chat")


@pytest.mark.parametrize("name", ["", "Web Chat", "Web.Chat", 7])
def test_a_plugin_name_must_be_an_identifier(bus: Bus, name: Any) -> None:
    """Plugin names are identifiers, so they can prefix commands and events."""
    with pytest.raises(ValueError, match="Plugin names are identifiers"):
        bus.register_plugin(name)


def test_unregistering_removes_commands_hooks_and_subscriptions(bus: Bus) -> None:
    """A plugin that leaves takes its commands, hooks and subscriptions with it."""
    received: list[Any] = []
    leaving = bus.register_plugin("Leaving")
    leaving.register_command("cmd", lambda call: "answer")
    leaving.subscribe("Chat.message", received.append)
    leaving.before("Other.cmd", lambda call: received.append("hook"))
    other = bus.register_plugin("Other")
    other.register_command("cmd", lambda call: "other")
    bus.unregister_plugin(leaving)
    bus.register_plugin("Chat").publish("message")
    assert received == []
    assert bus.command("Other.cmd").result(timeout=1) == "other"
    assert received == []
    with pytest.raises(CommandRejected, match="No plugin named 'Leaving'"):
        bus.command("Leaving.cmd").result(timeout=1)
    assert "Leaving" not in bus.plugins


def test_unregistering_takes_exactly_what_the_plugin_put_on_the_bus(bus: Bus) -> None:
    """Another plugin's commands, hooks, data and subscriptions to the same names stay."""
    seen: list[str] = []
    leaving = bus.register_plugin("Leaving")
    staying = bus.register_plugin("Staying")
    for plugin in (leaving, staying):
        plugin.register_command("cmd", lambda call, name=plugin.name: name)
        plugin.before("Target.cmd", lambda call, name=plugin.name: seen.append(f"hook {name}"))
        plugin.subscribe("Target.ping", lambda e, name=plugin.name: seen.append(f"sub {name}"))
        plugin.data("key", plugin.name)
    target = bus.register_plugin("Target")
    target.register_command("cmd", lambda call: seen.append("handler"))
    bus.unregister_plugin(leaving)
    bus.command("Target.cmd").result(timeout=1)
    target.publish("ping")
    assert seen == ["hook Staying", "handler", "sub Staying"]
    assert bus.command("Staying.cmd").result(timeout=1) == "Staying"
    assert target.data("Staying.key") == "Staying"
    assert target.data("Leaving.key") is None
    assert staying.commands == ["cmd"]
    assert leaving.commands == []


def test_a_name_registered_again_starts_with_nothing(bus: Bus) -> None:
    """A plugin registered under a name that left gets none of the old one's things."""
    old = bus.register_plugin("Chat")
    old.register_command("start", lambda call: "old")
    old.data("open", True)
    bus.unregister_plugin(old)
    new = bus.register_plugin("Chat")
    assert new.commands == []
    assert new.data("Chat.open") is None
    new.register_command("start", lambda call: "new")
    assert bus.command("Chat.start").result(timeout=1) == "new"


def test_unregistering_runs_on_unregister_and_frees_the_name(bus: Bus) -> None:
    """on_unregister runs when the plugin leaves, and the name can be taken again."""
    stopped: list[bool] = []
    bus.register_plugin("Worker", on_unregister=lambda: stopped.append(True))
    bus.unregister_plugin("Worker")
    assert stopped == [True]
    bus.register_plugin("Worker")


def test_an_on_unregister_that_calls_sys_exit_is_logged_and_the_plugin_is_gone(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """SystemExit from on_unregister is logged; the plugin is unregistered all the same."""
    bus.register_plugin("Worker", on_unregister=lambda: sys.exit("stop quit"))
    bus.unregister_plugin("Worker")
    assert "Worker" not in bus.plugins
    assert "on_unregister of plugin Worker raised" in caplog.text


def test_unregistering_an_unknown_plugin_is_an_error(bus: Bus) -> None:
    """Unregistering a name that is not registered says so."""
    with pytest.raises(PluginError, match="No plugin named 'Ghost'"):
        bus.unregister_plugin("Ghost")


def test_closing_the_bus_unregisters_every_plugin() -> None:
    """Bus.close() (or leaving its with-block) unregisters all plugins, latest first."""
    order: list[str] = []
    with Bus() as bus:
        bus.register_plugin("First", on_unregister=lambda: order.append("First"))
        bus.register_plugin("Second", on_unregister=lambda: order.append("Second"))
    assert order == ["Second", "First"]
    assert bus.plugins == {}


def test_plugins_share_data_by_namespaced_key(bus: Bus) -> None:
    """plugin.data(key, value) exposes a value that others read as "Ns.key"."""
    webchat = bus.register_plugin("WebChat")
    reader = bus.register_plugin("Reader")
    assert reader.data("WebChat.open") is None
    webchat.data("open", True)
    assert reader.data("WebChat.open") is True


def test_introspection_lists_plugins_and_their_commands(bus: Bus) -> None:
    """bus.plugins and plugin.commands tell what is on the bus."""
    chat = bus.register_plugin("Chat")
    chat.register_command("start", lambda call: None)
    chat.register_command("end", lambda call: None)
    chat.register_command("configure", lambda call: None, private=True)
    assert list(bus.plugins) == ["Chat"]
    assert chat.commands == ["configure", "end", "start"]
    assert chat.private_commands == ["configure"]


def configurable(bus: Bus, seen: list[Any], answer: Any = "ok") -> cxbus.Plugin:
    """A plugin reading section "demo" whose configure records what it was handed."""
    plugin = bus.register_plugin("Demo", config_section="demo")

    def configure(call: CommandCall) -> Any:
        seen.append((call.data, call.commander))
        if isinstance(answer, Exception):
            raise answer
        return answer

    plugin.register_command("configure", configure, private=True)
    return plugin


def test_ready_hands_the_plugin_its_section_once() -> None:
    """ready() dispatches the private configure with a copy of the section, once."""
    config = {"demo": {"greeting": "hi"}}
    seen: list[Any] = []
    with Bus(config=config) as bus:
        plugin = configurable(bus, seen)
        plugin.ready().result(timeout=1)
        plugin.ready().result(timeout=1)
    assert seen == [({"greeting": "hi"}, "Demo")]
    seen[0][0]["greeting"] = "changed"
    assert config["demo"]["greeting"] == "hi"


def test_a_rejected_configure_rejects_ready(bus: Bus) -> None:
    """When configure rejects, ready() rejects with that reason and no ready is published."""
    heard: list[Event] = []
    bus.register_plugin("Watcher").subscribe("Demo.ready", heard.append)
    plugin = configurable(bus, [], answer=CommandRejected("demo.greeting must be a string."))
    with pytest.raises(CommandRejected, match=r"demo\.greeting must be a string\."):
        plugin.ready().result(timeout=1)
    assert heard == []
    assert not plugin.is_ready


def unhandled(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The unhandled-rejection warnings logged so far."""
    return [r.getMessage() for r in caplog.records if "Unhandled rejection" in r.getMessage()]


@pytest.mark.parametrize("configure", ["rejects", "is missing"])
def test_a_handled_rejection_of_ready_is_never_logged_as_unhandled(
    bus: Bus, caplog: pytest.LogCaptureFixture, configure: str
) -> None:
    """ready().fail(...) of a plugin whose configure rejects, or that has none, logs nothing
    (it logged "Unhandled rejection" once, and twice when configure was missing)."""
    if configure == "rejects":
        plugin = configurable(bus, [], answer=CommandRejected("demo.greeting must be a string."))
    else:
        plugin = bus.register_plugin("Demo", config_section="demo")
    reasons: list[Any] = []
    plugin.ready().fail(reasons.append)
    assert len(reasons) == 1
    assert unhandled(caplog) == []


def test_a_later_rejection_of_ready_that_nobody_handles_is_logged_once(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """A configure that rejects after ready() returned, with nothing waiting: one warning."""
    answer = Deferred()
    plugin = configurable(bus, [], answer=answer)
    plugin.ready()
    answer.reject("demo.greeting must be a string.")
    assert unhandled(caplog) == ["Unhandled rejection: 'demo.greeting must be a string.'"]


def test_a_later_rejection_of_ready_that_is_handled_is_not_logged(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """The same, with a fail callback: it gets the reason, and nothing is logged."""
    answer = Deferred()
    plugin = configurable(bus, [], answer=answer)
    reasons: list[Any] = []
    plugin.ready().fail(reasons.append)
    answer.reject("demo.greeting must be a string.")
    assert reasons == ["demo.greeting must be a string."]
    assert unhandled(caplog) == []


def test_configure_after_the_reader_is_ready_is_an_error(bus: Bus) -> None:
    """bus.configure of a section its plugin has already read is refused, not ignored."""
    configurable(bus, []).ready().result(timeout=1)
    with pytest.raises(PluginError, match="Configure 'demo' before Demo is ready"):
        bus.configure({"demo": {}})


def test_configure_before_ready_is_what_the_plugin_gets(bus: Bus) -> None:
    """bus.configure before ready() is what configure is handed."""
    seen: list[Any] = []
    bus.configure({"demo": {"late": True}})
    configurable(bus, seen).ready().result(timeout=1)
    assert seen == [({"late": True}, "Demo")]


def test_a_raising_signal_receiver_is_logged_and_the_bus_goes_on(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """A tracer that raises does not reject commands nor raise into publishers."""

    def broken_tracer(sender: Any, **kw: Any) -> None:
        raise RuntimeError("tracer bug")

    cxbus.signals.command_dispatched.connect(broken_tracer, sender=bus)
    cxbus.signals.event_published.connect(broken_tracer, sender=bus)
    try:
        echo = bus.register_plugin("Echo")
        echo.register_command("echo", lambda call: call.data)
        assert bus.command("Echo.echo", 1).result(timeout=1) == 1
        echo.publish("echoed")
    finally:
        cxbus.signals.command_dispatched.disconnect(broken_tracer)
        cxbus.signals.event_published.disconnect(broken_tracer)
    assert len([r for r in caplog.records if r.name == "cxbus.signals"]) == 2


def test_the_handle_of_an_unregistered_plugin_registers_nothing_and_reaches_nobody(
    bus: Bus,
) -> None:
    """After unregistering, the old handle's registrations fail and its events go nowhere."""
    gone = bus.register_plugin("Gone")
    heard: list[Any] = []
    bus.register_plugin("Listener").subscribe("Gone.*", heard.append)
    gone.publish("before")
    bus.unregister_plugin(gone)
    for attempt in (
        lambda: gone.register_command("late", lambda call: None),
        lambda: gone.subscribe("Listener.x", heard.append),
        lambda: gone.before("Listener.x", lambda call: None),
        lambda: gone.republish("late"),
        lambda: gone.data("late", 1),
    ):
        with pytest.raises(PluginError, match="Plugin Gone is not registered on this bus"):
            attempt()
    gone.publish("after")
    assert [event.name for event in heard] == ["Gone.before"]


def test_instrumentation_signals_report_plugins_commands_and_events(bus: Bus) -> None:
    """The blinker signals tell a tracer about plugins, commands and events of its bus."""
    seen: list[tuple[str, Any]] = []

    def on(kind: str) -> Any:
        return lambda sender, **kw: seen.append((kind, kw))

    receivers = {
        "registered": on("registered"),
        "dispatched": on("dispatched"),
        "settled": on("settled"),
        "published": on("published"),
    }
    cxbus.signals.plugin_registered.connect(receivers["registered"], sender=bus)
    cxbus.signals.command_dispatched.connect(receivers["dispatched"], sender=bus)
    cxbus.signals.command_settled.connect(receivers["settled"], sender=bus)
    cxbus.signals.event_published.connect(receivers["published"], sender=bus)
    try:
        echo = bus.register_plugin("Echo")
        echo.register_command("echo", lambda call: call.data)
        bus.command("Echo.echo", 5).result(timeout=1)
        echo.publish("echoed", 5)
        with Bus() as other:  # another bus's traffic is not reported
            other.register_plugin("Quiet").publish("hush")
    finally:
        for signal, receiver in zip(
            (
                cxbus.signals.plugin_registered,
                cxbus.signals.command_dispatched,
                cxbus.signals.command_settled,
                cxbus.signals.event_published,
            ),
            receivers.values(),
            strict=False,
        ):
            signal.disconnect(receiver)
    kinds = [kind for kind, _ in seen]
    assert kinds == ["registered", "dispatched", "settled", "published"]
    assert seen[2][1]["state"] == "resolved" and seen[2][1]["value"] == 5
    assert seen[3][1]["event"].name == "Echo.echoed"
