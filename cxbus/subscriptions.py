"""Who hears which event: subscriptions by pattern, publishers' cached routes, retained events.

``Subscriptions`` is the bus's table; the bus calls it with its lock held, and
``Plugin.publish`` reads its publisher's route cache (a dict this table keeps and hands
it when it registers) without any lock. Every change
costs the same however many plugins, subscriptions and retained events there are:
subscriptions are kept per pattern in insertion-ordered dicts, a change forgets only
the routes it alters, and retained events are indexed by publisher. (Subscribing or
leaving ``"*"``, a debugging aid, forgets every publisher's routes.)
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import attrs

from cxbus.messages import Event

__all__ = ["Subscription", "Subscriptions", "check_name", "event_pattern"]

Subscriber = Callable[[Event], None]
# An event's subscribers in subscription order: what a publisher caches. (Its full name
# is made on publishing: a name beside them would make a second tuple per event and
# publisher, which the garbage collector walks as long as the bus lives.)
Route = tuple[Subscriber, ...]

QUALIFIED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\Z")

_sequence = itertools.count()


def check_name(kind: str, name: object) -> str:
    """Return ``name`` if it is a bare identifier, else raise ``ValueError`` naming it."""
    # An ASCII identifier: [A-Za-z_][A-Za-z0-9_]* (two str methods cost less than a regex).
    if not isinstance(name, str) or not (name.isascii() and name.isidentifier()):
        raise ValueError(
            f"{kind} names are identifiers such as 'WebChatService' or 'startChat'; got {name!r}."
        )
    return name


def event_pattern(pattern: object) -> str:
    """Return ``pattern`` if it can be subscribed to, else raise ``ValueError``."""
    if pattern == "*" or (isinstance(pattern, str) and QUALIFIED.match(pattern)):
        return pattern
    if isinstance(pattern, str) and pattern.endswith(".*"):
        namespace = pattern[:-2]
        if namespace.isascii() and namespace.isidentifier():
            return pattern
    raise ValueError(f"Subscribe to 'Namespace.event', 'Namespace.*' or '*'; got {pattern!r}.")


@attrs.define(slots=True, eq=False)
class Subscription:
    """A subscriber's place on the bus; call it (or ``Plugin.unsubscribe`` it) to leave.

    ``pattern`` is what was subscribed to: ``"Ns.event"``, ``"Ns.*"`` or ``"*"``.
    """

    pattern: str
    callback: Subscriber
    subscriber: str
    _leave: Callable[[Subscription], None] = attrs.field(repr=False)
    """What takes it off its bus."""
    _order: int = attrs.field(factory=lambda: next(_sequence), repr=False)

    def __call__(self) -> None:
        self._leave(self)


class Subscriptions:
    """The subscriptions, retained events and route caches of one bus.

    Not thread-safe on its own: the bus holds its lock around every call.
    """

    def __init__(self) -> None:
        # publisher name -> its route cache: event name -> Route (read by its Plugin)
        self._routes: dict[str, dict[str, Route]] = {}
        # pattern -> its subscriptions in subscription order (a dict as an ordered set)
        self._by_pattern: dict[str, dict[Subscription, None]] = {}
        # subscriber name -> its subscriptions, to drop them when it leaves
        self._by_subscriber: dict[str, dict[Subscription, None]] = {}
        # full name -> the latest retained event, in the order first retained
        self._retained: dict[str, Event] = {}
        # publisher name -> the event names it retained
        self._retained_by_publisher: dict[str, dict[str, None]] = {}

    def add(self, subscription: Subscription) -> list[Event]:
        """Add ``subscription``; return the retained events it is to be handed at once."""
        pattern = subscription.pattern
        self._by_pattern.setdefault(pattern, {})[subscription] = None
        self._by_subscriber.setdefault(subscription.subscriber, {})[subscription] = None
        self._forget_routes(pattern)
        return self._retained_matching(pattern)

    def remove(self, subscription: Subscription) -> None:
        """Remove ``subscription``; removing one that is gone is harmless."""
        pattern = subscription.pattern
        subscriptions = self._by_pattern.get(pattern)
        if subscriptions is None or subscriptions.pop(subscription, False) is False:
            return
        if not subscriptions:
            del self._by_pattern[pattern]
        held = self._by_subscriber[subscription.subscriber]
        del held[subscription]
        if not held:
            del self._by_subscriber[subscription.subscriber]
        self._forget_routes(pattern)

    def routes_of(self, publisher: str) -> dict[str, Route]:
        """The route cache of the plugin ``publisher``, kept here until it is dropped.

        Its ``Plugin`` reads it with no lock; this table changes it in place.
        """
        return self._routes.setdefault(publisher, {})

    def drop_plugin(self, name: str) -> None:
        """Forget what plugin ``name`` subscribed to, retained and cached.

        Its route cache is emptied, so that its handle's later publishes reach nobody.
        """
        cache = self._routes.pop(name, None)
        if cache is not None:
            cache.clear()
        for subscription in list(self._by_subscriber.get(name, ())):
            self.remove(subscription)
        for event_name in self._retained_by_publisher.pop(name, ()):
            del self._retained[f"{name}.{event_name}"]

    def retain(self, event: Event, event_name: str) -> None:
        """Keep ``event`` (published as ``event_name``) for later subscribers."""
        self._retained[event.name] = event
        self._retained_by_publisher.setdefault(event.publisher, {})[event_name] = None

    def route(self, publisher: str, event_name: str) -> Route:
        """Work out (and cache for the registered ``publisher``) who receives ``event_name``."""
        full_name = f"{publisher}.{event_name}"
        matching = [
            *self._by_pattern.get(full_name, ()),
            *self._by_pattern.get(publisher + ".*", ()),
            *self._by_pattern.get("*", ()),
        ]
        matching.sort(key=_order)
        route = tuple(s.callback for s in matching)
        self._routes[publisher][event_name] = route
        return route

    def _forget_routes(self, pattern: str) -> None:
        """Drop the cached routes a change of ``pattern``'s subscriptions alters."""
        if pattern == "*":
            for cache in self._routes.values():
                cache.clear()
            return
        namespace, _, event_name = pattern.partition(".")
        publisher_cache = self._routes.get(namespace)
        if publisher_cache is None:
            return
        if event_name == "*":
            publisher_cache.clear()
        else:
            publisher_cache.pop(event_name, None)

    def _retained_matching(self, pattern: str) -> list[Event]:
        if pattern == "*":
            return list(self._retained.values())
        namespace, _, event_name = pattern.partition(".")
        if event_name != "*":
            event = self._retained.get(pattern)
            return [] if event is None else [event]
        names = self._retained_by_publisher.get(namespace, ())
        return [self._retained[f"{namespace}.{name}"] for name in names]


def _order(subscription: Subscription) -> int:
    return subscription._order
