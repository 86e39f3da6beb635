"""The ``nhsim`` command line (also ``python -m sim``)."""

from sim.cli.main import main

__all__ = ["main"]
