"""Paired differences between the points of a sweep or the capacities of a search.

Every point of a sweep, and every capacity a search tries, runs on the same
replication seeds, so replication *r* of one point and replication *r* of another
share their random numbers: the difference of a metric between two points is best
estimated from the per-replication differences, whose interval is far narrower than
the two points' own intervals suggest. These are the numbers the sweep and search
tables print beside each point's mean ("vs base").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim.runs.stats import Interval, t_interval

if TYPE_CHECKING:
    from sim.runs.search import Evaluation, SearchResult
    from sim.runs.sweep import SweepResult

__all__ = ["paired_difference", "search_reference", "sweep_difference"]


def paired_difference(
    values: Sequence[float], reference: Sequence[float], confidence: float = 0.95
) -> Interval:
    """Interval of mean(values − reference), replication by replication (NaN pairs left out)."""
    k = min(len(values), len(reference))
    return t_interval([float(values[j]) - float(reference[j]) for j in range(k)], confidence)


def sweep_difference(
    result: SweepResult, point: int, metric: str, base: int | None, confidence: float = 0.95
) -> Interval | None:
    """A sweep point's paired difference from the base point, or None without a base."""
    if base is None or base not in result.replications:
        return None
    return paired_difference(result.values(point, metric), result.values(base, metric), confidence)


def search_reference(result: SearchResult) -> Evaluation | None:
    """The capacities a search's differences are taken from: those of the base scenario
    if the search tried them, else the first tried (the smallest, in the keys' order)."""
    from sim.runs.experiment_file import base_value

    exp = result.experiment
    if not result.evaluations or exp.search is None:
        return None
    keys = list(exp.search.capacities)
    base = exp.base_scenario()
    for e in result.evaluations:
        if all(base_value(base, k) == e.capacities[k] for k in keys):
            return e
    return min(result.evaluations, key=lambda e: tuple(e.capacities[k] for k in keys))


def search_difference(
    evaluation: Evaluation, reference: Evaluation, metric: str, confidence: float = 0.95
) -> Interval:
    """One evaluation's paired difference from the reference capacities."""
    return paired_difference(
        list(evaluation.results.values(metric)), list(reference.results.values(metric)), confidence
    )


def is_nan(iv: Interval | None) -> bool:
    return iv is None or math.isnan(iv.mean)
