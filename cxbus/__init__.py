"""cxbus: a Python port of Genesys Widgets' CXBus.

Plugins register on a ``Bus`` under a namespace, expose namespaced commands that
answer with a ``Deferred``, and publish namespaced events that others subscribe to::

    bus = Bus()
    greeter = bus.register_plugin("Greeter")
    greeter.register_command("hello", lambda call: f"Hello, {call.data['name']}!")
    bus.command("Greeter.hello", {"name": "Ada"}).done(print)
"""

from cxbus import signals
from cxbus.bus import Bus, Plugin
from cxbus.deferred import Deferred
from cxbus.errors import CommandRejected, CxbusError, PluginError
from cxbus.messages import CommandCall, Event
from cxbus.subscriptions import Subscription

__all__ = [
    "Bus",
    "CommandCall",
    "CommandRejected",
    "CxbusError",
    "Deferred",
    "Event",
    "Plugin",
    "PluginError",
    "Subscription",
    "signals",
]

__version__ = "0.1.0"
