"""Paired comparisons: what a change avoids, on common random numbers.

The counterfactual and the scenario run replication by replication on the same
seeds, so each named stream gives both the same random numbers; the interval of
the difference comes from the paired differences, which is far narrower than
comparing two independent runs. ``difference`` is scenario minus counterfactual;
"avoided" is its negative (counterfactual minus scenario).

Figures of a comparison are named like metrics (:meth:`Comparison.values`): ``<metric>``
is the scenario's, ``avoided.<metric>`` the counterfactual's minus the scenario's, and
``reduction.<metric>`` the share of the counterfactual's that the scenario avoids
((counterfactual − scenario) ÷ counterfactual), each replication by replication; a
published "14% fewer visits" is ``reduction.unplanned.hospital_visits = 0.14``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.engine.streams import replication_seeds
from sim.runs.backends import Backend
from sim.runs.replications import Results, assemble, check_replications
from sim.runs.stats import Interval, t_interval
from sim.runs.tasks import Task, chunk_ranges, run_tasks
from sim.scenario.model import Scenario

__all__ = [
    "AVOIDED",
    "AVOIDED_METRICS",
    "PAIRED_PREFIXES",
    "REDUCTION",
    "Comparison",
    "ComparisonRow",
    "compare",
    "paired_values",
    "split_figure",
]

AVOIDED = "avoided."
"""``avoided.<metric>``: counterfactual − scenario, paired by replication."""
REDUCTION = "reduction."
"""``reduction.<metric>``: (counterfactual − scenario) ÷ counterfactual, paired by replication."""
PAIRED_PREFIXES = (AVOIDED, REDUCTION)
"""The prefixes of figures that need a counterfactual."""

AVOIDED_METRICS = (
    "ambulance.conveyances",
    "admissions.total",
    "admissions.short_stay",
    "acute.bed_days",
    "acute.delayed_discharge_days",
    "ed.attendances",
    "unplanned.hospital_visits",
)
"""What planners ask first: the conveyances, admissions, bed days and unplanned hospital
visits avoided."""


@dataclass(frozen=True)
class ComparisonRow:
    metric: str
    counterfactual_mean: float
    scenario_mean: float
    difference: Interval
    """scenario − counterfactual, paired by replication."""

    @property
    def pct_change(self) -> float:
        cf = self.counterfactual_mean
        return (
            100.0 * self.difference.mean / cf
            if cf not in (0.0,) and not math.isnan(cf)
            else math.nan
        )


@dataclass
class Comparison:
    """A counterfactual and a scenario run on the same replication seeds."""

    counterfactual: Results
    scenario: Results
    paired: bool = True

    def difference(self, metric: str, confidence: float = 0.95) -> Interval:
        """Interval of scenario − counterfactual (paired if the runs shared seeds)."""
        cf, sc = self.counterfactual.values(metric), self.scenario.values(metric)
        if self.paired:
            return t_interval(sc - cf, confidence)
        return _welch(sc, cf, confidence)

    def avoided(self, metric: str, confidence: float = 0.95) -> Interval:
        """Interval of counterfactual − scenario: what the scenario avoids."""
        d = self.difference(metric, confidence)
        return Interval(-d.mean, d.std, -d.ci_high, -d.ci_low, d.n)

    def values(self, figure: str) -> np.ndarray:
        """A figure's value in each replication: ``<metric>`` (the scenario's),
        ``avoided.<metric>`` or ``reduction.<metric>`` (paired with the counterfactual)."""
        return paired_values(figure, self.scenario, self.counterfactual)

    def figure(self, figure: str, confidence: float = 0.95) -> Interval:
        """The interval of a figure (:meth:`values`) over the replications. For an unpaired
        comparison ``avoided.`` is Welch's interval; ``reduction.`` needs paired runs."""
        prefix, metric = split_figure(figure)
        if prefix == AVOIDED:
            return self.avoided(metric, confidence)
        if prefix == REDUCTION and not self.paired:
            raise ValueError("reduction figures need a paired comparison")
        return t_interval(self.values(figure), confidence)

    def reduction(self, metric: str, confidence: float = 0.95) -> Interval:
        """Interval of (counterfactual − scenario) ÷ counterfactual, paired by replication:
        the share of the counterfactual's ``metric`` that the scenario avoids."""
        return self.figure(REDUCTION + metric, confidence)

    def rows(self, confidence: float = 0.95) -> list[ComparisonRow]:
        names = list(
            dict.fromkeys(self.counterfactual.metric_names() + self.scenario.metric_names())
        )
        out = []
        for m in names:
            out.append(
                ComparisonRow(
                    m,
                    _mean(self.counterfactual.values(m)),
                    _mean(self.scenario.values(m)),
                    self.difference(m, confidence),
                )
            )
        return out


def split_figure(figure: str) -> tuple[str, str]:
    """``(prefix, metric)`` of a figure: ``("reduction.", "admissions.total")``, or
    ``("", metric)`` for a plain metric."""
    for prefix in PAIRED_PREFIXES:
        if figure.startswith(prefix):
            return prefix, figure[len(prefix) :]
    return "", figure


def paired_values(figure: str, scenario: Results, counterfactual: Results | None) -> np.ndarray:
    """A figure's value in each replication (see the module): the scenario's metric, or,
    with the counterfactual run on the same seeds, what the scenario avoids (``avoided.``)
    or the share of the counterfactual's it avoids (``reduction.``; NaN where the
    counterfactual's is 0)."""
    prefix, metric = split_figure(figure)
    sc = scenario.values(metric)
    if not prefix:
        return sc
    if counterfactual is None:
        raise ValueError(f"{figure} needs a counterfactual")
    cf = counterfactual.values(metric)
    if prefix == AVOIDED:
        return cf - sc
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cf != 0, (cf - sc) / np.where(cf != 0, cf, 1.0), np.nan)


def _mean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else math.nan


def _welch(a: np.ndarray, b: np.ndarray, confidence: float) -> Interval:
    """Interval of mean(a) − mean(b) for independent samples (Welch)."""
    from scipy import stats

    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    df = (
        (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
        if se > 0
        else a.size + b.size - 2
    )
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    diff = float(a.mean() - b.mean())
    return Interval(diff, se, diff - half, diff + half, min(a.size, b.size))


def compare(
    counterfactual: Scenario,
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    backend: Backend | None = None,
    progress: Callable[[int], None] | None = None,
    paired: bool = True,
) -> Comparison:
    """Run both scenarios on the same replication seeds (``paired=False``: independent
    seeds for the scenario, to show what common random numbers buy)."""
    n = replications if replications is not None else scenario.run.replications
    s = seed if seed is not None else scenario.run.seed
    check_replications(n)
    backend = backend or Backend("local", workers)
    seeds = replication_seeds(s, n)
    other = seeds if paired else replication_seeds(s + 1_000_003, n)
    chunks = chunk_ranges(n, backend.n_workers)
    tasks_cf = [
        Task(("counterfactual", i), counterfactual, tuple(seeds[r] for r in c), tuple(c))
        for i, c in enumerate(chunks)
    ]
    tasks_sc = [
        Task(("scenario", i), scenario, tuple(other[r] for r in c), tuple(c))
        for i, c in enumerate(chunks)
    ]
    done, _ = run_tasks(tasks_cf + tasks_sc, backend, progress)
    return Comparison(
        assemble(counterfactual, s, seeds, tasks_cf, done),
        assemble(scenario, s, other, tasks_sc, done),
        paired,
    )
