"""The configuration sections that talk to an emulator, and its quick demo agent.

What the ``conversations`` fixtures and the scenario runner share when they talk to the
embedded emulator (``cxbus_emulator``): the section of each channel (GMS polled often),
and the delays that make the demo agent and the demo bot answer at once when ``cxbus
test`` starts one. Free of pytest, which ``cxbus test`` does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .options import CHANNELS

if TYPE_CHECKING:
    from cxbus_emulator import Emulator

__all__ = ["GMS_POLLING", "JOIN_DELAY", "TYPING_DELAY", "emulator_config"]

# The demo agent and bot of cxbus test's emulator answer at once; GMS is polled often
# (as cxbus_webchat.testing's fixtures poll it).
JOIN_DELAY = 0.05
TYPING_DELAY = 0.02
GMS_POLLING = {"pollRateMin": 50, "pollRateMax": 250}


def emulator_config(emulator: Emulator, channel: str) -> dict[str, Any]:
    """The configuration section of ``channel`` (``"messaging"``, ``"webchat"``, ``"gms"``)
    that talks to ``emulator``; GMS polled every 50 to 250 ms."""
    if channel == "messaging":
        return emulator.messaging_config()
    if channel == "webchat":
        return emulator.webchat_config()
    if channel == "gms":
        return {**emulator.gms_config(), **GMS_POLLING}
    names = ", ".join(repr(name) for name in CHANNELS)
    raise ValueError(f"channel must be one of {names}; got {channel!r}.")
