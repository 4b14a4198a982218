"""The pytest plugin ``cxbus_scenarios``: scenario files collected as test items.

Every file named ``*.scenario.yaml`` (or ``.yml``) that pytest meets (in the paths it
is given, or its ``testpaths``) is collected, one item per scenario (per channel, when
several are chosen), so that ``-k``, ``-x``, ``--junitxml`` and CI integrations work
with no code: a failure shows the same report as ``cxbus test`` (where, what was
expected, the nearest message, the transcript), and each waiting step's reply latency
is kept in the item's ``user_properties`` (``--junitxml`` writes them).

Where they play, chosen by option or ini setting (the option wins):

- ``--scenario-channel CHANNEL`` (repeat it) / ``scenario_channels``: ``messaging``
  unless told;
- ``--scenario-config [CHANNEL=]FILE`` (repeat it) / ``scenario_config``: a deployment's
  configuration file for each channel; without one, the embedded emulator (one per
  test session, started by the first scenario);
- ``--scenario-flow FILE`` / ``scenario_flow``: a flow file the embedded emulator's bot
  plays; the terminal summary then tells which of its states and branches the
  scenarios reached;
- ``--scenario-within SECONDS`` / ``scenario_within``: how long an ``expect`` waits
  unless its file says.

Needs the ``cxbus[scenarios]`` extra (and ``cxbus[emulator]`` for the emulator); it is
imported only when a scenario file is collected. ``pytest -p no:cxbus_scenarios`` turns
it off.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .options import CHANNELS

if TYPE_CHECKING:
    from .scenarios import PlatformConversations, Play, Scenario, Target

__all__ = [
    "ScenarioFailed",
    "ScenarioFile",
    "ScenarioItem",
    "pytest_addoption",
    "pytest_collect_file",
    "pytest_runtestloop",
    "pytest_terminal_summary",
    "pytest_unconfigure",
]

SUFFIXES = (".scenario.yaml", ".scenario.yml")
_target: pytest.StashKey[Target] = pytest.StashKey()
_platform: pytest.StashKey[PlatformConversations | None] = pytest.StashKey()
_run_id: pytest.StashKey[str] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cxbus_scenarios", "scenario files (cxbus)")
    group.addoption(
        "--scenario-channel",
        action="append",
        choices=CHANNELS,
        help="the channel scenario files play on (repeat it for several)",
    )
    group.addoption(
        "--scenario-config",
        action="append",
        metavar="[CHANNEL=]FILE",
        help="a deployment's configuration file for a channel (default: the embedded emulator)",
    )
    group.addoption(
        "--scenario-flow",
        metavar="FILE",
        help="a flow file the embedded emulator's bot plays (its coverage is summed up)",
    )
    group.addoption(
        "--scenario-within", metavar="SECONDS", help="how long an expect waits unless its file says"
    )
    parser.addini("scenario_channels", "the channels scenario files play on", type="linelist")
    parser.addini(
        "scenario_config", "[CHANNEL=]FILE: deployment configuration files", type="linelist"
    )
    parser.addini("scenario_flow", "a flow file the embedded emulator's bot plays")
    parser.addini("scenario_within", "how long an expect waits unless its file says")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    if file_path.name.endswith(SUFFIXES):
        file: ScenarioFile = ScenarioFile.from_parent(parent, path=file_path)
        return file
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Before the first test: with scenarios to play, the target's platform section (if
    any) is checked (its credentials and permissions); a bad one is a usage error."""
    config = session.config
    if config.option.collectonly or not any(isinstance(i, ScenarioItem) for i in session.items):
        return
    from .platform import PlatformError
    from .scenarios import platform_side

    try:
        config.stash[_platform] = platform_side(_target_of(config), _channels(config))
    except (PlatformError, ValueError) as error:
        raise pytest.UsageError(str(error)) from None


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """With a flow file, which of its states and branches the scenarios reached."""
    target = config.stash.get(_target, None)
    from .scenarios import EmulatorTarget

    if not isinstance(target, EmulatorTarget) or target.flow is None:
        return
    from .scenarios.report import coverage

    reached = target.coverage()
    assert reached is not None
    terminalreporter.section("flow coverage")
    for line in coverage(reached, target.branches(), target.flow.source):
        terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    target = config.stash.get(_target, None)
    if target is not None:
        target.__exit__(None, None, None)


def _channels(config: pytest.Config) -> list[str]:
    chosen = config.getoption("scenario_channel") or config.getini("scenario_channels")
    unknown = [channel for channel in chosen if channel not in CHANNELS]
    if unknown:
        raise pytest.UsageError(
            f"scenario_channels: expected {', '.join(CHANNELS)}; got {unknown[0]!r}"
        )
    return list(dict.fromkeys(chosen or ["messaging"]))


def _within(config: pytest.Config) -> float:
    from .scenarios import DEFAULT_WITHIN

    given = config.getoption("scenario_within") or config.getini("scenario_within")
    if not given:
        return DEFAULT_WITHIN
    try:
        within = float(given)
    except ValueError:
        within = 0.0
    if not 0 < within < float("inf"):
        raise pytest.UsageError(
            f"scenario_within: expected a number of seconds above 0; got {given!r}"
        )
    return within


def _target_of(config: pytest.Config) -> Target:
    """The session's target, made (and, for the emulator, started) on first use."""
    target = config.stash.get(_target, None)
    if target is not None:
        return target
    from cxbus.cli.options import OptionError

    from .scenarios import EmulatorTarget, read_deployment

    given: Iterable[str] = config.getoption("scenario_config") or config.getini("scenario_config")
    channels = _channels(config)
    files: dict[str, str] = {}
    for value in given:
        channel, equals, path = value.partition("=")
        if not equals or channel not in CHANNELS:
            channel, path = channels[0], value
        files[channel] = path
    flow_file = config.getoption("scenario_flow") or config.getini("scenario_flow")
    if files and flow_file:
        raise pytest.UsageError(
            "scenario_flow: a flow file is played by the embedded emulator; "
            "expected no scenario_config with it"
        )
    if files:
        try:
            made: Target = read_deployment(files, os.environ)
        except OptionError as error:
            raise pytest.UsageError(str(error)) from None
    else:
        from cxbus_emulator.flow import FlowError, load_flow

        try:
            made = EmulatorTarget(load_flow(flow_file) if flow_file else None)
        except FlowError as error:
            raise pytest.UsageError(str(error)) from None
    config.stash[_target] = made.__enter__()
    return made


class ScenarioFailed(Exception):
    """A scenario that did not pass; its report is the play's failure."""

    def __init__(self, play: Play) -> None:
        super().__init__(play.problem)
        self.play = play


class ScenarioFile(pytest.File):
    """A scenario file: one item per scenario and channel."""

    def collect(self) -> Iterable[ScenarioItem]:
        from .scenarios import load_scenario_file

        channels = _channels(self.config)
        for scenario in load_scenario_file(self.path, os.environ):
            for channel in channels:
                name = scenario.name if len(channels) == 1 else f"{scenario.name}[{channel}]"
                yield ScenarioItem.from_parent(self, name=name, scenario=scenario, channel=channel)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from .scenarios import DocumentError

        if isinstance(excinfo.value, DocumentError):
            return str(excinfo.value)  # the file, the line, what was expected: no traceback
        return super().repr_failure(excinfo)


class ScenarioItem(pytest.Item):
    """One scenario on one channel."""

    def __init__(self, *, scenario: Scenario, channel: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.channel = channel

    def runtest(self) -> None:
        from .scenarios import Player, new_run_id

        config = self.config
        target = _target_of(config)
        run_id = config.stash.setdefault(_run_id, new_run_id())
        player = Player(
            self.scenario,
            self.channel,
            target.section(self.channel),
            run_id=run_id,
            within=_within(config),
            environ=os.environ,
            platform=config.stash.get(_platform, None),
        )
        play = player.play()
        for result in play.steps:
            if result.latency is not None:
                self.user_properties.append((f"latency step {result.index + 1}", result.latency))
        if play.status == "skipped":
            pytest.skip(f"{self.scenario.name} is not for the channel {self.channel}")
        if play.failed:
            raise ScenarioFailed(play)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ScenarioFailed):
            from .scenarios.report import failure

            return failure(excinfo.value.play)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario: {self.scenario.name} [{self.channel}]"
