"""``python -m cxbus``: the ``cxbus`` command."""

import sys

from cxbus.cli import main

sys.exit(main())
