"""cxbus: a Python port of Genesys Widgets' CXBus.

Plugins register on a ``Bus`` under a namespace, expose namespaced commands that
answer with a ``Deferred``, and publish namespaced events that others subscribe to::

    bus = Bus()
    greeter = bus.register_plugin("Greeter")
    greeter.register_command("hello", lambda call: f"Hello, {call.data['name']}!")
    bus.command("Greeter.hello", {"name": "Ada"}).done(print)

``CXBUS_LOG_LEVEL=DEBUG`` in the environment puts cxbus's log on stderr
(``cxbus.log_level``).
"""

from cxbus import signals
from cxbus.bus import Bus, Plugin
from cxbus.deferred import Deferred
from cxbus.errors import CommandRejected, CxbusError, EventsLost, PluginError, WaitTimedOut
from cxbus.log_level import configure_from_environment
from cxbus.messages import CommandCall, Event
from cxbus.subscriptions import Subscription
from cxbus.waiting import EventStream

__all__ = [
    "Bus",
    "CommandCall",
    "CommandRejected",
    "CxbusError",
    "Deferred",
    "Event",
    "EventStream",
    "EventsLost",
    "Plugin",
    "PluginError",
    "Subscription",
    "WaitTimedOut",
    "signals",
]

__version__ = "0.1.0"

configure_from_environment()  # CXBUS_LOG_LEVEL, when it is set
