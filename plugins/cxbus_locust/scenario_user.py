"""``ScenarioUser``: a Locust user that plays scenario files, each reply a statistic.

    pip install "cxbus[locust]"

Each task plays one scenario of ``scenarios`` (files and folders, each with a weight:
a file of weight 3 is played three times as often as one of weight 1) on ``channel``
with the configuration section ``config``, as ``cxbus test`` plays it: each step as
soon as the one before is met, the conversation ended whatever happens. Locust's
statistics get:

- each step that waits for a reply (``expect``, ``any_order``, ``collect``) under the
  request type ``expect``, named ``"<scenario> #<step> <step as written>"``, timed
  from the customer's last send to the reply; an unmet one is a failure whose message
  says what was expected and which message came nearest (an unmet ``silence`` too);
- each play under the request type ``scenario``, named after the scenario, timed from
  its start to its end; a failure when a step was not met.

::

    class Customer(ScenarioUser):
        scenarios = {"scenarios/order.scenario.yaml": 3, "scenarios/faq.scenario.yaml": 1}
        channel = "messaging"
        config = {"deploymentId": "...", "domain": "mypurecloud.com"}
        wait_time = between(5, 15)

The files are read once per process, when the first user starts (a bad file stops
the run with its one-line error); every conversation carries the run's custom
attribute (``cxbusTestRun``), one run id per Locust process.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from locust import User, task

from cxbus_conversations.scenarios import (
    DEFAULT_WITHIN,
    PlatformConversations,
    Play,
    Player,
    Scenario,
    checked_platform,
    load_scenarios,
    new_run_id,
)
from cxbus_conversations.scenarios.steps import AnyOrder, Collect, Expect, Silence

__all__ = ["ScenarioUser"]

# One run id for the whole Locust process: its conversations are one run.
_RUN_ID = new_run_id()
# The steps that wait for what the bot or agent says (or does not say).
WAITING = (Expect, AnyOrder, Collect, Silence)


class ScenarioUser(User):
    """A Locust user that plays scenario files (see the module docstring).

    ``scenarios`` maps files and folders to their weights (a list gives each weight 1);
    ``channel`` is ``"messaging"``, ``"webchat"`` or ``"gms"`` and ``config`` its section;
    ``within`` is how long an ``expect`` waits unless its file says. ``platform`` is the
    target's ``platform`` section (a Genesys Cloud OAuth client), if it has one: for
    ``expect: {participant_data: ...}`` and to disconnect what the guest could not end
    (the scenarios page's platform side); it is checked when the first user starts.
    """

    abstract = True
    scenarios: ClassVar[Mapping[str, int] | Sequence[str]] = ()
    channel: ClassVar[str] = "messaging"
    config: ClassVar[Mapping[str, Any]] = {}
    within: ClassVar[float] = DEFAULT_WITHIN
    platform: ClassVar[Mapping[str, Any] | None] = None
    # Read once per class: (the scenarios, the weight of each).
    _loaded: ClassVar[tuple[list[Scenario], list[int]] | None] = None
    # Made and checked once per class, from ``platform``.
    _platform_side: ClassVar[PlatformConversations | None] = None

    @classmethod
    def _scenarios(cls) -> tuple[list[Scenario], list[int]]:
        loaded = cls.__dict__.get("_loaded")
        if loaded is None:
            weighted = (
                dict(cls.scenarios)
                if isinstance(cls.scenarios, Mapping)
                else dict.fromkeys(cls.scenarios, 1)
            )
            scenarios: list[Scenario] = []
            weights: list[int] = []
            for path, weight in weighted.items():
                found = load_scenarios([path], os.environ)
                scenarios.extend(found)
                weights.extend([weight] * len(found))
            loaded = (scenarios, weights)
            cls._loaded = loaded
        return loaded

    @classmethod
    def _platform(cls) -> PlatformConversations | None:
        if cls.platform is None:
            return None
        side = cls.__dict__.get("_platform_side")
        if side is None:
            side = cls._platform_side = checked_platform(cls.platform, [cls.channel])
        return side

    @task
    def play_a_scenario(self) -> None:
        """Play one scenario, chosen by weight, and report it."""
        scenarios, weights = self._scenarios()
        scenario = random.choices(scenarios, weights)[0]
        player = Player(
            scenario,
            self.channel,
            self.config,
            run_id=_RUN_ID,
            within=self.within,
            environ=os.environ,
            platform=self._platform(),
        )
        self._report(player.play())

    def _report(self, play: Play) -> None:
        scenario = play.scenario
        for result in play.steps:
            if result.latency is not None:
                self._fire("expect", _name(scenario, result.index), result.latency, None)
        failed_step = None if play.failed_step is None else scenario.steps[play.failed_step]
        if play.failed and isinstance(failed_step, WAITING):
            failure = AssertionError(play.problem)
            self._fire("expect", _name(scenario, play.failed_step or 0), 0.0, failure)
        failed = AssertionError(play.problem) if play.failed else None
        self._fire("scenario", scenario.name, play.seconds, failed)

    def _fire(self, kind: str, name: str, seconds: float, failure: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type=kind,
            name=name,
            response_time=seconds * 1000,
            response_length=0,
            exception=failure,
            context={},
        )


def _name(scenario: Scenario, index: int) -> str:
    return f"{scenario.name} #{index + 1} {scenario.steps[index].written}"
