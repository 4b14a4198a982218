"""Settings shared by the whole suite."""

from hypothesis import settings

# Machines are noisy (CI has 2 cores): judge properties, never per-example speed.
settings.register_profile("cxbus", deadline=None)
settings.load_profile("cxbus")
