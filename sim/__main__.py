"""``python -m sim`` is the ``nhsim`` command."""

import sys

from sim.cli import main

sys.exit(main())
