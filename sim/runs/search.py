"""Capacity search: the least capacities at which every standard holds, with confidence.

A constraint such as ``ucr.seen_within_target >= 0.70`` holds at a capacity when the
one-sided confidence bound of the metric (over replications, default 95%) clears the
standard: the lower bound for ``at_least``, the upper bound for ``at_most``. Every
candidate runs on the same replication seeds, so neighbouring capacities are paired.

- One capacity: every value from least to most is run (the curve is plotted), and the
  answer is the least value from which the constraints hold at every larger value tried.
- Two capacities: for each value of the first, the least value of the second that
  meets the constraints (a staircase walk, assuming more of either never hurts):
  the frontier of least combinations.

With a ``counterfactual`` in the experiment, a constraint may name what a candidate
avoids against it, paired on the same seeds: ``avoided.<metric>`` or
``reduction.<metric>`` (the share of the counterfactual's avoided), e.g. "cuts
unplanned hospital visits of a cohort by 10%":
``{ metric = "reduction.unplanned.hospital_visits.by_cohort.complex_needs", at_least = 0.10 }``.
The counterfactual runs once; each candidate's replications carry these figures as
metrics (as a sweep's points carry ``avoided.<metric>``).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.output.results import csv_text
from sim.runs.backends import Backend
from sim.runs.compare import paired_values, split_figure
from sim.runs.experiment_file import Experiment, experiment_error
from sim.runs.replications import Results, run
from sim.runs.stats import t_interval
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import display_path

__all__ = ["Evaluation", "SearchResult", "run_search"]


@dataclass
class Evaluation:
    capacities: dict[str, int]
    results: Results
    bounds: dict[str, tuple[float, float, float]]  # metric -> (mean, one-sided low, one-sided high)
    holds: bool


@dataclass
class SearchResult:
    experiment: Experiment
    evaluations: list[Evaluation] = field(default_factory=list)
    frontier: list[dict[str, int]] = field(default_factory=list)
    """The least capacities meeting every constraint (one row for one capacity)."""

    def curve(
        self, key: str, metric: str
    ) -> tuple[list[int], list[float], list[float], list[float]]:
        evs = sorted(self.evaluations, key=lambda e: e.capacities[key])
        xs = [e.capacities[key] for e in evs]
        ivs = [t_interval(e.results.values(metric), 0.95) for e in evs]
        return xs, [iv.mean for iv in ivs], [iv.ci_low for iv in ivs], [iv.ci_high for iv in ivs]


def _evaluate(
    exp: Experiment,
    caps: dict[str, int],
    backend: Backend,
    progress: Callable[[int], None] | None,
    counterfactual: Results | None = None,
) -> Evaluation:
    assert exp.search is not None
    try:
        scenario = exp.source().scenario(caps)
    except ScenarioError as err:  # named as the experiment's key, not as --set
        raise experiment_error(exp, err, caps, "search.capacities") from None
    results = run(scenario, exp.replications, exp.seed, backend=backend, progress=progress)
    conf = exp.search.confidence
    bounds = {}
    holds = True
    names = results.metric_names()
    for c in exp.search.constraints:
        prefix, metric = split_figure(c.metric)
        if prefix and metric in names and counterfactual is not None:
            # the candidate's replications carry what each avoids against the counterfactual
            values = paired_values(c.metric, results, counterfactual)
            for rep, value in zip(results.replications, values):
                rep[c.metric] = float(value)
    names = results.metric_names()
    for k, c in enumerate(exp.search.constraints):
        if c.metric not in names:
            near = difflib.get_close_matches(split_figure(c.metric)[1], names, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ScenarioError(
                [
                    Problem(
                        display_path(Path(exp.path)),
                        f"search.constraints[{k}].metric",
                        f"{c.metric!r} is not a metric of the scenario{hint}",
                    )
                ]
            )
        # a one-sided bound at `conf` is one side of a two-sided interval at 2*conf - 1
        # (a metric undefined in every replication, e.g. a wait with no one seen, cannot be shown to hold)
        iv = t_interval(results.values(c.metric), 2 * conf - 1)
        bounds[c.metric] = (iv.mean, iv.ci_low, iv.ci_high)
        holds = holds and not math.isnan(iv.ci_low) and c.holds(iv.ci_low, iv.ci_high)
    return Evaluation(caps, results, bounds, holds)


def _counterfactual(
    exp: Experiment, backend: Backend, progress: Callable[[int], None] | None
) -> Results | None:
    """The counterfactual's replications, on the candidates' seeds, if a constraint names
    what a candidate avoids (``avoided.`` or ``reduction.``); a problem if there is none."""
    assert exp.search is not None
    paired = [k for k, c in enumerate(exp.search.constraints) if split_figure(c.metric)[0] != ""]
    if not paired:
        return None
    if exp.counterfactual is None:
        k = paired[0]
        raise ScenarioError(
            [
                Problem(
                    display_path(Path(exp.path)),
                    f"search.constraints[{k}].metric",
                    f"{exp.search.constraints[k].metric!r} is set against a counterfactual: "
                    "give the experiment a counterfactual scenario file",
                )
            ]
        )
    try:
        scenario = exp.counterfactual_source().scenario()
    except ScenarioError as err:
        raise experiment_error(exp, err) from None
    return run(scenario, exp.replications, exp.seed, backend=backend, progress=progress)


def run_search(
    exp: Experiment, backend: Backend | None = None, progress: Callable[[int], None] | None = None
) -> SearchResult:
    """Run the experiment's ``[search]``."""
    assert exp.search is not None, "the experiment has no [search] table"
    backend = backend or Backend()
    keys = list(exp.search.capacities)
    out = SearchResult(exp)
    cache: dict[tuple[int, ...], Evaluation] = {}
    counterfactual = _counterfactual(exp, backend, progress)

    def ev(caps: dict[str, int]) -> Evaluation:
        k = tuple(caps[key] for key in keys)
        if k not in cache:
            cache[k] = _evaluate(exp, caps, backend, progress, counterfactual)
            out.evaluations.append(cache[k])
        return cache[k]

    if len(keys) == 1:
        (key,) = keys
        lo, hi = exp.search.capacities[key]
        evals = [ev({key: v}) for v in range(lo, hi + 1)]
        least = None
        for e in reversed(evals):
            if not e.holds:
                break
            least = e.capacities[key]
        if least is not None:
            out.frontier.append({key: least})
        return out

    kx, ky = keys
    xlo, xhi = exp.search.capacities[kx]
    ylo, yhi = exp.search.capacities[ky]
    y = yhi
    for x in range(xlo, xhi + 1):
        if not ev({kx: x, ky: y}).holds:
            continue  # even the most of the second capacity is not enough at this x
        while y > ylo and ev({kx: x, ky: y - 1}).holds:
            y -= 1
        if not out.frontier or y < out.frontier[-1][ky]:
            out.frontier.append(
                {kx: x, ky: y}
            )  # more of the first capacity only where it saves some of the second
    return out


def search_csv(result: SearchResult) -> str:
    exp = result.experiment
    assert exp.search is not None
    keys = list(exp.search.capacities)
    rows: list[list[Any]] = [
        [
            *keys,
            "metric",
            "mean",
            "bound_low",
            "bound_high",
            "standard",
            "holds",
            "n",
            "all_constraints_hold",
        ]
    ]
    for e in sorted(result.evaluations, key=lambda e: tuple(e.capacities[k] for k in keys)):
        for c in exp.search.constraints:
            mean, low, high = e.bounds[c.metric]
            holds = c.holds(low, high)
            rows.append(
                [
                    *(e.capacities[k] for k in keys),
                    c.metric,
                    mean,
                    low,
                    high,
                    c.describe(),
                    holds,
                    e.results.n,
                    e.holds,
                ]
            )
    return csv_text(rows)


def frontier_csv(result: SearchResult) -> str:
    assert result.experiment.search is not None
    keys = list(result.experiment.search.capacities)
    return csv_text([keys, *[[f[k] for k in keys] for f in result.frontier]])
