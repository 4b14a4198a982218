"""Loading plugins through the entry-point group, with a real (tiny) installed distribution."""

from __future__ import annotations

import concurrent.futures
import importlib.metadata
import logging
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

import cxbus
from cxbus import Bus, CommandRejected, Deferred

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

def answers_with_ready(bus):
    # As WebChatService does: register, and answer with plugin.ready().
    plugin = bus.register_plugin("Ready", config_section="ready")

    def configure(call):
        if call.data.get("fail"):
            raise CommandRejected("ready.fail is set.")
        if call.data.get("answer_later"):
            return configure_answer  # the test settles it

    plugin.register_command("configure", configure, private=True)
    plugin.register_command("greet", lambda call: "hi")
    return plugin.ready()

def answers_later(bus):
    # Register, and answer with `answer`: a deferred or future the test settles.
    bus.register_plugin("Later")
    return answer

call_ready_later = False
loaded = []
in_setup = threading.Event()
finish_setup = threading.Event()
answer = None
configure_answer = None
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
            Ready = cxbus_demo_plugin:answers_with_ready
            Later = cxbus_demo_plugin:answers_later
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    cxbus.loading.refresh()  # installed while the process runs: read the group again
    import cxbus_demo_plugin

    yield cxbus_demo_plugin
    # Not monkeypatch.delitem: its undo would put the module back for the next test.
    sys.modules.pop("cxbus_demo_plugin", None)
    cxbus.loading.refresh()


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


def unhandled_rejections(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Unhandled rejection" in r.getMessage()]


def test_a_setup_answering_with_a_rejected_ready_fails_the_load_and_reports_nothing_else(
    installed_demo: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """setup returning ready(), whose configure rejects: the load rejects with that reason,
    and a caller that handles the load's rejection sees no warning."""
    reasons: list[Any] = []
    config = {"ready": {"fail": True}}
    with caplog.at_level(logging.WARNING, logger="cxbus.deferred"), Bus(config=config) as bus:
        bus.load_plugin("Ready").fail(reasons.append)
        assert "Ready" not in bus.plugins
    assert reasons == ["ready.fail is set."]
    assert unhandled_rejections(caplog) == []


def test_a_configure_that_rejects_after_setup_returned_fails_the_load_with_no_warning(
    installed_demo: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """setup returned ready(), and configure rejects later: the load says so, once; no
    warning claims the setup rejected after the plugin was loaded."""
    installed_demo.configure_answer = Deferred()
    reasons: list[Any] = []
    config = {"ready": {"answer_later": True}}
    with caplog.at_level(logging.WARNING, logger="cxbus"), Bus(config=config) as bus:
        bus.load_plugin("Ready").fail(reasons.append)
        installed_demo.configure_answer.reject("the Ready service is down.")
        assert reasons == ["the Ready service is down."]
        assert "Ready" not in bus.plugins
    assert [record.getMessage() for record in caplog.records] == []


def test_a_setup_answering_with_a_deferred_that_rejects_later_fails_the_load(
    installed_demo: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A deferred returned by setup and rejected later fails the load with its reason."""
    installed_demo.answer = Deferred()
    reasons: list[Any] = []
    with caplog.at_level(logging.WARNING, logger="cxbus.deferred"), Bus(ready_timeout=30) as bus:
        bus.load_plugin("Later").fail(reasons.append)
        installed_demo.answer.reject("the Later service is down.")
        assert reasons == ["the Later service is down."]
        assert "Later" not in bus.plugins
    assert unhandled_rejections(caplog) == []


def test_a_setup_answering_with_a_failed_future_fails_the_load_with_its_error(
    installed_demo: Any,
) -> None:
    """A future returned by setup that fails rejects the load with its exception."""
    installed_demo.answer = concurrent.futures.Future()
    with Bus(ready_timeout=30) as bus:
        loading = bus.load_plugin("Later")
        error = ConnectionError("no route to the Later service")
        installed_demo.answer.set_exception(error)
        with pytest.raises(CommandRejected) as raised:
            loading.result(timeout=5)
        assert raised.value.reason is error


def test_a_setup_answering_with_a_resolved_ready_loads(installed_demo: Any) -> None:
    """setup returning a ready() that resolves loads the plugin as usual."""
    with Bus() as bus:
        assert bus.command("Ready.greet").result(timeout=5) == "hi"


def test_the_entry_points_are_read_once_per_process_and_again_on_refresh(
    installed_demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Buses share one reading of the entry-point group; refresh() asks for a new one."""
    reads: list[int] = []
    read = importlib.metadata.entry_points

    def counting(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return read(*args, **kwargs)

    monkeypatch.setattr(importlib.metadata, "entry_points", counting)
    cxbus.loading.refresh()
    for _ in range(3):
        with Bus() as bus:
            assert bus.command("Demo.greet").result(timeout=5) == "hello"
            with pytest.raises(CommandRejected, match="No plugin named 'Nowhere'"):
                bus.command("Nowhere.go").result(timeout=5)
    assert len(reads) == 1
    cxbus.loading.refresh()
    assert "Demo" in cxbus.loading.installed_plugins()
    assert len(reads) == 2


def test_import_cxbus_pulls_in_neither_asyncio_nor_importlib_metadata() -> None:
    """They cost a third of the import; asyncio comes with the first await, the entry
    points' reader with the first load."""
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, cxbus; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "'asyncio'" not in imported and "'importlib.metadata'" not in imported
