"""Replications: one seed in, many independent replications out, in parallel.

Replication ``r`` of a run with seed ``s`` always uses the same spawned seed, and
results are put back by replication, so the output is identical whatever the
backend and the number of workers (the tasks are run by :mod:`sim.runs.tasks`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.engine.streams import replication_seeds
from sim.runs.backends import Backend
from sim.runs.simulate import Metrics, simulate
from sim.runs.stats import Interval, t_interval
from sim.runs.tasks import (
    Interrupted,
    Partial,
    RunFailed,
    Task,
    chunk_ranges,
    run_tasks,
)
from sim.scenario.model import Scenario
from sim.scenario.types import MAX_REPLICATIONS  # also run.replications' limit

__all__ = [
    "MAX_REPLICATIONS",
    "Interrupted",
    "Results",
    "RunFailed",
    "Task",
    "assemble",
    "chunk_ranges",
    "run",
    "run_tasks",
    "simulate",
]


@dataclass
class Results:
    """The replications of one run, in replication order."""

    scenario: Scenario
    seed: int
    seeds: list[int]
    replications: list[Metrics] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    """Replication number of each entry of ``replications`` (all of them unless interrupted)."""

    @property
    def n(self) -> int:
        return len(self.replications)

    def metric_names(self) -> list[str]:
        names: dict[str, None] = {}
        for rep in self.replications:
            names.update(dict.fromkeys(rep))
        return list(names)

    def values(self, metric: str) -> np.ndarray:
        return np.array([rep.get(metric, math.nan) for rep in self.replications], dtype=float)

    def interval(self, metric: str, confidence: float = 0.95) -> Interval:
        return t_interval(self.values(metric), confidence)

    def summary(self, confidence: float = 0.95) -> dict[str, Interval]:
        """Mean, sd and t-interval of every metric."""
        return {m: self.interval(m, confidence) for m in self.metric_names()}


def assemble(
    scenario: Scenario,
    seed: int,
    seeds: list[int],
    tasks: Sequence[Task],
    done: dict[Hashable, list[Metrics]],
    partial: Partial | None = None,
) -> Results:
    """The replications of ``tasks`` that completed, in replication order: whole tasks
    (``done``) and, of a run cut short, the replications of others (``partial``)."""
    results = Results(scenario, seed, seeds)
    kept: dict[int, Metrics] = {}
    for task in tasks:
        if task.key in done:
            kept.update(zip(task.indices, done[task.key]))
        elif partial and task.key in partial:
            kept.update(partial[task.key])
    for index in sorted(kept):
        results.replications.append(kept[index])
        results.indices.append(index)
    return results


def check_replications(n: int) -> None:
    """Refuse a number of replications outside 1..MAX_REPLICATIONS before anything is made."""
    if not 1 <= n <= MAX_REPLICATIONS:
        raise ValueError(f"replications must be 1 to {MAX_REPLICATIONS:,}, got {n}")


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    backend: Backend | None = None,
    event_log_dir: Path | None = None,
) -> Results:
    """Run ``replications`` independent replications (defaults from the scenario).

    ``workers``: processes for the local pool (default: one per CPU; 1 runs here).
    ``backend``: a :class:`~sim.runs.backends.Backend` (local pool or Dask) instead.
    ``progress`` is called with the number of replications just completed.
    ``event_log_dir``: write each replication's event log there, streamed to disk.
    """
    n = replications if replications is not None else scenario.run.replications
    s = seed if seed is not None else scenario.run.seed
    check_replications(n)
    backend = backend or Backend("local", workers)
    seeds = replication_seeds(s, n)
    tasks = [
        Task(i, scenario, tuple(seeds[r] for r in chunk), tuple(chunk), event_log_dir)
        for i, chunk in enumerate(chunk_ranges(n, backend.n_workers))
    ]
    try:
        done, _ = run_tasks(tasks, backend, progress)
    except Interrupted as stop:
        stop.results = assemble(scenario, s, seeds, tasks, stop.done, stop.partial)
        raise stop from None
    return assemble(scenario, s, seeds, tasks, done)
