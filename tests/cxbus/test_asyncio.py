"""asyncio code never waits on cxbus: loading a plugin and closing the bus run elsewhere."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

import cxbus.loading
from cxbus import Bus, CommandRejected

TIMEOUT = 5.0


class SlowSetup:
    """A plugin setup that blocks until the test lets it finish, noting its thread."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.finish = threading.Event()
        self.thread: threading.Thread | None = None

    def __call__(self, bus: Bus) -> None:
        self.thread = threading.current_thread()
        self.started.set()
        if not self.finish.wait(TIMEOUT):
            raise AssertionError("the test never let the setup finish")
        plugin = bus.register_plugin("Slow")
        plugin.register_command("greet", lambda call: "hi")
        plugin.ready()


@pytest.fixture
def slow_setup(monkeypatch: pytest.MonkeyPatch) -> SlowSetup:
    """Plugin "Slow" is installed, and its setup blocks (as an import can, for 0.1 s)."""
    setup = SlowSetup()
    real = cxbus.loading.find_plugin_setup

    def find(name: str) -> Callable[[Bus], Any] | None:
        return setup if name == "Slow" else real(name)

    monkeypatch.setattr(cxbus.loading, "find_plugin_setup", find)
    return setup


def test_loading_from_an_asyncio_loop_leaves_the_loop_running(
    bus: Bus, slow_setup: SlowSetup
) -> None:
    """A command that loads its plugin returns at once on the loop's thread; the setup
    runs on another thread while the loop runs on; awaiting gives the answer."""

    async def main() -> Any:
        loop = asyncio.get_running_loop()
        beats = 0

        async def heartbeat() -> None:
            nonlocal beats
            while True:
                beats += 1
                await asyncio.sleep(0.001)

        beating = asyncio.create_task(heartbeat())
        answer = bus.command("Slow.greet")  # on the loop's thread; the setup waits elsewhere
        assert await loop.run_in_executor(None, slow_setup.started.wait, TIMEOUT)
        during = beats
        while beats < during + 3:  # the loop beats while the setup is under way
            await asyncio.sleep(0.001)
        assert answer.state == "pending"
        slow_setup.finish.set()
        value = await asyncio.wait_for(answer, TIMEOUT)
        beating.cancel()
        return value

    assert asyncio.run(main()) == "hi"
    assert slow_setup.thread is not None
    assert slow_setup.thread is not threading.main_thread()


def test_outside_asyncio_the_setup_runs_in_the_callers_thread(
    bus: Bus, slow_setup: SlowSetup
) -> None:
    """As before: a program without asyncio loads in its own thread, and finds the plugin
    registered when load_plugin returns."""
    slow_setup.finish.set()
    bus.load_plugin("Slow")
    assert slow_setup.thread is threading.current_thread()
    assert "Slow" in bus.plugins


def test_a_load_that_fails_from_asyncio_rejects_the_awaited_command(bus: Bus) -> None:
    async def main() -> None:
        await bus.command("Nowhere.go")

    with pytest.raises(CommandRejected, match="No plugin named 'Nowhere'"):
        asyncio.run(main())


def test_async_with_closes_the_bus_off_the_loop() -> None:
    """Leaving ``async with Bus()`` closes it on another thread (closing waits for the
    plugins' calls under way), and the bus is closed when the block is left."""
    unregistered: list[threading.Thread] = []

    async def main() -> threading.Thread:
        async with Bus() as bus:
            bus.register_plugin(
                "Chat", on_unregister=lambda: unregistered.append(threading.current_thread())
            )
        assert bus.plugins == {}
        return threading.current_thread()

    loop_thread = asyncio.run(main())
    assert len(unregistered) == 1
    assert unregistered[0] is not loop_thread
