"""Where scenarios run: the embedded emulator, or a deployment's configuration files.

A target gives the configuration section of each channel, and the ``platform``
section when its configuration has one (a Genesys Cloud OAuth client, for what a
guest cannot see: participant data, disconnecting what is still open).

- ``EmulatorTarget``: an ``Emulator`` started in this process, its demo bot (Web
  Messaging) and demo agent (guest chat, GMS) quick, or the bot of a flow file, and
  its platform API (with the default test client: its ``platform`` section);
  ``open_conversations()`` counts what is still open on it (every scenario's
  conversation is ended when it ends), and ``coverage()`` tells which of the flow's
  states and branches the conversations reached.
- ``DeploymentTarget``: JSON files shaped like each channel's section (``messaging``
  for Web Messaging, ``webchat`` for the guest chat API and GMS), as ``cxbus chat
  --config`` reads them; their texts may name ``${env.NAME}`` variables, and a
  ``platform`` key, if any, is that section (it never reaches the channel's service).
"""

from __future__ import annotations

import abc
import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cxbus.cli.options import OptionError, read_config_file

from ..emulator_sections import JOIN_DELAY, TYPING_DELAY, emulator_config
from ..options import Options
from .variables import Text, VariableError

if TYPE_CHECKING:
    from cxbus_emulator import Emulator
    from cxbus_emulator.flow import Flow
    from cxbus_emulator.flow_bot import Coverage

__all__ = ["DeploymentTarget", "EmulatorTarget", "Target", "read_deployment"]

SHAPES = {
    "messaging": "a messaging section ({deploymentId, domain})",
    "webchat": "a webchat section with a transport (the guest chat API)",
    "gms": "a webchat section in GMS mode (dataURL, no transport)",
}


class Target(abc.ABC):
    """Where the conversations of a run talk (see the module docstring); ``with`` makes
    it ready (an emulator starts) and done."""

    description = "a target"
    platform: Mapping[str, Any] | None = None
    """The target's ``platform`` section, if its configuration has one."""

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc_info: object) -> None:  # noqa: B027 - most targets hold nothing
        """Let go of what ``with`` made ready."""

    @abc.abstractmethod
    def section(self, channel: str) -> Mapping[str, Any]:
        """The configuration section of ``channel``."""


class EmulatorTarget(Target):
    """The embedded emulator, started on ``with`` and stopped after it; with ``flow`` (a
    ``cxbus_emulator.flow.Flow``, as ``load_flow`` reads it), its bot plays that flow on
    every channel."""

    def __init__(self, flow: Flow | None = None) -> None:
        self.flow = flow
        self.description = "the embedded emulator" + (
            "" if flow is None else f" playing the flow {flow.source}"
        )
        self._emulator: Emulator | None = None

    def __enter__(self) -> EmulatorTarget:
        from cxbus_emulator import Emulator

        emulator = Emulator(
            flow=self.flow, agent_join_delay=JOIN_DELAY, agent_typing_delay=TYPING_DELAY
        )
        emulator.start()
        self._emulator = emulator
        self.platform = emulator.platform_config()  # its default test client
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._emulator is not None:
            self._emulator.stop()
            self._emulator = None

    @property
    def emulator(self) -> Emulator:
        if self._emulator is None:
            raise RuntimeError("The emulator target is not running: enter its with block.")
        return self._emulator

    def section(self, channel: str) -> Mapping[str, Any]:
        return emulator_config(self.emulator, channel)

    def open_conversations(self) -> int:
        """How many conversations are still open on the emulator, on every API."""
        return sum(self.emulator.open_conversations().values())

    def coverage(self) -> Coverage | None:
        """Which of the flow's states and branches the conversations reached so far
        (``None`` without a flow)."""
        return None if self.flow is None else self.emulator.flow_coverage()

    def branches(self) -> dict[str, str]:
        """Every branch of the flow by its name, with what takes it (none without a flow)."""
        from cxbus_emulator.flow_bot import branches

        return {} if self.flow is None else branches(self.flow)


class DeploymentTarget(Target):
    """A deployment: each channel's section, and the ``platform`` section if given."""

    def __init__(
        self,
        sections: Mapping[str, Mapping[str, Any]],
        platform: Mapping[str, Any] | None = None,
        description: str = "a deployment",
    ) -> None:
        self.sections = dict(sections)
        self.platform = platform
        self.description = description

    def section(self, channel: str) -> Mapping[str, Any]:
        try:
            return self.sections[channel]
        except KeyError:
            raise ValueError(f"no configuration file was given for the channel {channel}") from None


def read_deployment(files: Mapping[str, str], environ: Mapping[str, str]) -> DeploymentTarget:
    """The deployment of ``files`` (a JSON file for each channel, by channel); every
    mistake is an ``OptionError`` naming the file: not JSON, an environment variable
    not set, a section that is not the channel's."""
    sections: dict[str, Mapping[str, Any]] = {}
    platform: Mapping[str, Any] | None = None
    for channel, path in files.items():
        content = read_config_file(path, SHAPES[channel])
        found = content.pop("platform", None)
        if found is not None and not isinstance(found, Mapping):
            raise OptionError(f"--config {path}: platform must be an object (the OAuth client)")
        try:
            section = _rendered(content, environ)
            Options(channel, section)
            if found is not None and platform is None:
                platform = _rendered(found, environ)
        except (VariableError, ValueError) as error:
            raise OptionError(f"--config {path}: {error}") from None
        sections[channel] = section
    names = ", ".join(files.values())
    return DeploymentTarget(sections, platform, f"the deployment of {names}")


def _rendered(value: Any, environ: Mapping[str, str]) -> Any:
    """``value`` with the ``${env.NAME}`` variables of its texts replaced."""
    if isinstance(value, str):
        text = Text(value)
        unknown = [name for name in text.variables if not name.startswith("env.")]
        if unknown:
            raise VariableError(f"${{{unknown[0]}}}: a configuration file takes ${{env.NAME}} only")
        text.check(environ)
        return text.render(environ, {})
    if isinstance(value, dict):
        return {key: _rendered(inner, environ) for key, inner in value.items()}
    if isinstance(value, list):
        return [_rendered(inner, environ) for inner in value]
    return copy.copy(value)
