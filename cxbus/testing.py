"""pytest fixtures for plugin authors (registered as a pytest plugin by cxbus).

``bus``: a fresh ``Bus`` per test, closed afterwards (every plugin unregistered, so
their threads stop)::

    def test_greeter_says_hello(bus):
        greeter = bus.register_plugin("Greeter")
        greeter.register_command("hello", lambda call: "hello")
        assert bus.command("Greeter.hello").result(timeout=1) == "hello"
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cxbus.bus import Bus

__all__ = ["bus"]


@pytest.fixture
def bus() -> Iterator[Bus]:
    """A fresh bus, closed when the test ends."""
    with Bus() as fresh:
        yield fresh
