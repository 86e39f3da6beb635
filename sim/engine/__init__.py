"""The engine: one replication of a scenario on SimPy's event loop, emitting raw tallies."""

from sim.engine.core import EventLog, Tally, run_replication

__all__ = ["EventLog", "Tally", "run_replication"]
