"""One replication: a scenario and a seed in, the named metrics out."""

from __future__ import annotations

from sim.engine import EventLog, run_replication
from sim.metrics import compute_metrics
from sim.scenario.model import Scenario

__all__ = ["Metrics", "simulate"]

Metrics = dict[str, float]


def simulate(scenario: Scenario, seed: int, event_log: EventLog | None = None) -> Metrics:
    """One replication: the named metrics for the given replication seed."""
    return compute_metrics(run_replication(scenario, seed, event_log))
