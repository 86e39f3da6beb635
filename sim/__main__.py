"""``python -m sim`` is the ``nhsim`` command."""

import sys

from sim.cli.main import main

sys.exit(main())
