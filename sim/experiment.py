"""Replications: one seed in, many independent replications out, in parallel.

Replication ``r`` of a run with seed ``s`` always uses the same spawned seed, and
results are put back in replication order, so the output is identical whatever the
number of workers. Work is cut into chunks of several replications so that the cost
of sending work to a process stays small.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, wait, FIRST_COMPLETED
from dataclasses import dataclass, field

import numpy as np

from sim.engine import EventLog, run_replication
from sim.eventlog import EventLogWriter, event_log_path
from sim.metrics import compute_metrics
from sim.scenario.model import Scenario
from sim.stats import Interval, t_interval
from sim.streams import replication_seeds

__all__ = ["simulate", "run", "Results", "Interrupted"]


def simulate(scenario: Scenario, seed: int, event_log: EventLog | None = None) -> dict[str, float]:
    """One replication: the named metrics for the given replication seed."""
    return compute_metrics(run_replication(scenario, seed, event_log))


def _simulate_chunk(
    scenario: Scenario, seeds: Sequence[int], indices: Sequence[int], event_log_dir: Path | None = None
) -> list[dict[str, float]]:
    if event_log_dir is None:
        return [simulate(scenario, s) for s in seeds]
    out = []
    for seed, index in zip(seeds, indices):
        with EventLogWriter(event_log_path(event_log_dir, index)) as log:
            out.append(simulate(scenario, seed, log))
    return out


@dataclass
class Results:
    """The replications of one run, in replication order."""

    scenario: Scenario
    seed: int
    seeds: list[int]
    replications: list[dict[str, float]] = field(default_factory=list)
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


class Interrupted(Exception):
    """A run stopped by Ctrl-C; ``results`` holds the replications that completed."""

    def __init__(self, results: Results) -> None:
        super().__init__(f"interrupted after {results.n} replications")
        self.results = results


def _chunks(n: int, workers: int) -> list[range]:
    size = max(1, math.ceil(n / (workers * 4)))
    return [range(i, min(i + size, n)) for i in range(0, n, size)]


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    executor: Executor | None = None,
    event_log_dir: Path | None = None,
) -> Results:
    """Run ``replications`` independent replications (defaults from the scenario).

    ``workers``: processes to use (default: one per CPU; 1 runs in this process).
    ``progress`` is called with the number of replications just completed.
    ``executor`` (any :class:`concurrent.futures.Executor`, e.g. from Dask's
    ``Client.get_executor()``) replaces the local process pool.
    ``event_log_dir``: write each replication's event log there, streamed to disk.
    """
    n = replications if replications is not None else scenario.run.replications
    s = seed if seed is not None else scenario.run.seed
    if n < 1:
        raise ValueError(f"replications must be >= 1, got {n}")
    seeds = replication_seeds(s, n)
    results = Results(scenario, s, seeds)
    workers = workers or os.cpu_count() or 1
    chunks = _chunks(n, workers)
    done: dict[int, list[dict[str, float]]] = {}

    def collect() -> None:
        """Keep every completed replication, in replication order."""
        results.replications = [rep for i in sorted(done) for rep in done[i]]
        results.indices = [r for i in sorted(done) for r in chunks[i]]

    if executor is None and (workers <= 1 or len(chunks) == 1):
        try:
            for i, chunk in enumerate(chunks):
                done[i] = _simulate_chunk(scenario, [seeds[r] for r in chunk], list(chunk), event_log_dir)
                if progress:
                    progress(len(chunk))
        except KeyboardInterrupt:
            collect()
            raise Interrupted(results) from None
        collect()
        return results

    own = executor is None
    pool = executor or ProcessPoolExecutor(max_workers=min(workers, len(chunks)))
    pending: dict[Future[list[dict[str, float]]], int] = {}
    try:
        for i, chunk in enumerate(chunks):
            pending[pool.submit(_simulate_chunk, scenario, [seeds[r] for r in chunk], list(chunk), event_log_dir)] = i
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                i = pending.pop(fut)
                done[i] = fut.result()
                if progress:
                    progress(len(chunks[i]))
    except KeyboardInterrupt:
        for fut in pending:
            fut.cancel()
        if own:
            pool.shutdown(wait=False, cancel_futures=True)
        collect()
        raise Interrupted(results) from None
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    collect()
    return results
