"""pytest fixtures for plugin authors: the pytest plugin ``cxbus``, registered by cxbus.

``bus``: a fresh ``Bus`` per test, closed afterwards (every plugin unregistered, so
their threads stop)::

    def test_greeter_says_hello(bus):
        greeter = bus.register_plugin("Greeter")
        greeter.register_command("hello", lambda call: "hello")
        assert bus.command("Greeter.hello").result(timeout=1) == "hello"

The marker ``bus_config`` gives the bus its configuration, a section per keyword::

    @pytest.mark.bus_config(greeter={"greeting": "bonjour"})
    def test_greeter_reads_its_section(bus): ...

The plugin is on wherever cxbus is installed; ``pytest -p no:cxbus`` turns it off.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cxbus.bus import Bus

__all__ = ["bus"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "bus_config(**sections): the configuration of the cxbus `bus` fixture, "
        "a section per keyword, as in Bus(config={...})",
    )


@pytest.fixture
def bus(request: pytest.FixtureRequest) -> Iterator[Bus]:
    """A fresh bus, configured by the test's ``bus_config`` marker, closed when the test ends."""
    marker = request.node.get_closest_marker("bus_config")
    with Bus(config=marker.kwargs if marker else None) as fresh:
        yield fresh
