"""Plugins: registration, unregistration, shared data, configuration and loading."""

from __future__ import annotations

import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

import cxbus
from cxbus import Bus, CommandCall, CommandRejected, Event, PluginError


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


def test_unregistering_runs_on_unregister_and_frees_the_name(bus: Bus) -> None:
    """on_unregister runs when the plugin leaves, and the name can be taken again."""
    stopped: list[bool] = []
    bus.register_plugin("Worker", on_unregister=lambda: stopped.append(True))
    bus.unregister_plugin("Worker")
    assert stopped == [True]
    bus.register_plugin("Worker")


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
    assert list(bus.plugins) == ["Chat"]
    assert chat.commands == ["end", "start"]


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


# Loading through the entry-point group, with a real (tiny) installed distribution.

DEMO_PLUGIN = """
import threading

from cxbus import CommandRejected

def setup(bus):
    plugin = bus.register_plugin("Demo", config_section="demo")

    def configure(call):
        if call.data.get("fail"):
            raise CommandRejected("demo.fail is set.")
        plugin.data("greeting", call.data.get("greeting", "hello"))

    plugin.register_command("configure", configure, private=True)
    plugin.register_command("greet", lambda call: plugin.data("Demo.greeting"))
    if not call_ready_later:
        plugin.ready()
    loaded.append(plugin)

def slow(bus):
    in_setup.set()
    assert finish_setup.wait(5)
    plugin = bus.register_plugin("Slow")
    plugin.register_command("greet", lambda call: "hi")
    plugin.ready()

call_ready_later = False
loaded = []
in_setup = threading.Event()
finish_setup = threading.Event()
"""


@pytest.fixture
def installed_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Install a distribution offering plugin "Demo" under the cxbus.plugins group."""
    (tmp_path / "cxbus_demo_plugin.py").write_text(DEMO_PLUGIN)
    (tmp_path / "cxbus_broken_plugin.py").write_text(
        "raise ImportError(\"cxbus-demo-plugin needs the 'foo' package.\")\n"
    )
    dist_info = tmp_path / "cxbus_demo_plugin-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: cxbus-demo-plugin\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent(
            """
            [cxbus.plugins]
            Demo = cxbus_demo_plugin:setup
            Broken = cxbus_broken_plugin:setup
            Slow = cxbus_demo_plugin:slow
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import cxbus_demo_plugin

    yield cxbus_demo_plugin
    # Not monkeypatch.delitem: its undo would put the module back for the next test.
    sys.modules.pop("cxbus_demo_plugin", None)


def test_load_plugin_finds_an_installed_plugin(bus: Bus, installed_demo: Any) -> None:
    """load_plugin imports the entry point, which registers the plugin; it resolves once ready."""
    plugin = bus.load_plugin("Demo").result(timeout=5)
    assert plugin.name == "Demo" and plugin.is_ready
    assert "Demo" in cxbus.loading.installed_plugins()


def test_a_command_to_an_installed_plugin_loads_it_first(installed_demo: Any) -> None:
    """Commanding a plugin that is installed but not loaded loads and configures it."""
    with Bus(config={"demo": {"greeting": "bonjour"}}) as bus:
        assert bus.command("Demo.greet").result(timeout=5) == "bonjour"
        assert len(installed_demo.loaded) == 1


def test_a_plugin_that_fails_to_configure_does_not_load(
    installed_demo: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A configure rejection fails the load with its reason, and leaves nothing registered.

    The reason reaches whoever loads the plugin, once: the deferred that ready() gave the
    plugin's setup is no unhandled rejection of its own.
    """
    with Bus(config={"demo": {"fail": True}}) as bus:
        with pytest.raises(CommandRejected, match=r"demo\.fail is set\."):
            bus.command("Demo.greet").result(timeout=5)
        assert "Demo" not in bus.plugins
    assert "Unhandled rejection" not in caplog.text


def test_a_command_to_a_loading_plugin_waits_for_ready(installed_demo: Any) -> None:
    """Commands sent while a plugin loads are answered once it is ready, in order."""
    installed_demo.call_ready_later = True
    with Bus() as bus:
        first = bus.command("Demo.greet")
        second = bus.command("Demo.greet")
        assert first.state == second.state == "pending"
        installed_demo.loaded[0].ready()
        assert first.result(timeout=5) == second.result(timeout=5) == "hello"


def test_a_plugin_that_never_becomes_ready_times_out(installed_demo: Any) -> None:
    """A loading plugin that never calls ready() rejects waiting commands after ready_timeout."""
    installed_demo.call_ready_later = True
    with Bus(ready_timeout=0.05) as bus:
        with pytest.raises(CommandRejected, match=r"Demo did not become ready within 0.05 s."):
            bus.command("Demo.greet").result(timeout=5)
        assert "Demo" not in bus.plugins


def test_a_plugin_that_fails_to_import_rejects_every_command_with_the_error(
    installed_demo: Any,
) -> None:
    """An entry point that fails to import rejects the command with its error, each time."""
    with Bus() as bus:
        for _ in range(2):
            with pytest.raises(CommandRejected) as raised:
                bus.command("Broken.go").result(timeout=5)
            assert isinstance(raised.value.reason, ImportError)


def test_a_setup_that_hangs_counts_against_the_ready_timeout(installed_demo: Any) -> None:
    """A command waiting for a plugin whose setup hangs is rejected after ready_timeout."""
    with Bus(ready_timeout=0.05) as bus:
        loader = threading.Thread(target=bus.command, args=("Slow.greet",))
        loader.start()
        assert installed_demo.in_setup.wait(5)
        try:
            with pytest.raises(CommandRejected, match=r"Slow did not become ready within 0.05 s"):
                bus.command("Slow.greet").result(timeout=5)
        finally:
            installed_demo.finish_setup.set()
            loader.join(timeout=5)
        assert "Slow" not in bus.plugins  # its setup finished late: nothing is left of it


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
