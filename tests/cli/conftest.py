"""The cxbus command run as a user runs it: a separate process, with its real entry points."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

__all__ = ["ENV", "cxbus"]

# No GENESYS_* variable of the machine's reaches a test; no cursor-position requests
# (a pseudo-terminal that is not a real terminal does not answer them).
ENV = {
    **{key: value for key, value in os.environ.items() if not key.startswith("GENESYS_")},
    "PROMPT_TOOLKIT_NO_CPR": "1",
}


def cxbus(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m cxbus ARGS`` to its end; its output, exit status and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "cxbus", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**ENV, **(env or {})},
    )
