"""Rate-limited warnings about bad frames: ``cxbus.frame_warnings`` (shared with messaging)."""

from cxbus.frame_warnings import FrameWarnings

__all__ = ["FrameWarnings"]
