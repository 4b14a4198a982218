"""Scenario files: a chat flow's test in a YAML file, run anywhere, and under load.

::

    name: order status
    steps:
      - say: Where is my order?
      - expect: {contains: order number}
      - say: "12345"
      - expect: {matches: 'shipped|on its way', within: 10}

``load_scenarios`` reads files and folders (``*.scenario.yaml``) into ``Scenario``
objects, checked before anything connects (a bad file is one ``DocumentError``
naming its file, its line and what was expected); a ``Player`` plays one on one
channel as a ``Conversation`` and tells how it went (a ``Play``); a ``Runner`` plays
many at once on a target (the embedded emulator, or a deployment), with the platform
API's side when the target has a ``platform`` section (``platform_side``). ``cxbus test``
(``cxbus_conversations.cli``) and the pytest plugin (``cxbus_conversations.pytest_scenarios``)
are built on these; so is ``cxbus_locust.ScenarioUser``. The format is on the
documentation's Scenarios page, and its JSON Schema is ``SCHEMA``.

Needs PyYAML and jsonschema: the extra ``cxbus[scenarios]``.
"""

from cxbus.yaml_documents import DocumentError

from .parity import Difference, differences, parity_report
from .platform_side import PlatformConversations, checked_platform, platform_side
from .player import (
    DEFAULT_WITHIN,
    RUN_ATTRIBUTE,
    PlatformSide,
    Play,
    Player,
    StepResult,
    new_run_id,
)
from .runner import Run, Runner
from .scenario_files import SCHEMA, SUFFIXES, load_scenario_file, load_scenarios, read_scenarios
from .steps import Scenario
from .targets import DeploymentTarget, EmulatorTarget, Target, read_deployment

__all__ = [
    "DEFAULT_WITHIN",
    "RUN_ATTRIBUTE",
    "SCHEMA",
    "SUFFIXES",
    "DeploymentTarget",
    "Difference",
    "DocumentError",
    "EmulatorTarget",
    "PlatformConversations",
    "PlatformSide",
    "Play",
    "Player",
    "Run",
    "Runner",
    "Scenario",
    "StepResult",
    "Target",
    "checked_platform",
    "differences",
    "load_scenario_file",
    "load_scenarios",
    "new_run_id",
    "parity_report",
    "platform_side",
    "read_deployment",
    "read_scenarios",
]
