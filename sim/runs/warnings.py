"""Warnings a careful analyst would raise about a set of results.

Each :class:`ResultWarning` names the scenario, the service, the figure and what to try.
The checks (thresholds from the scenario's ``[warnings]`` table, see
:class:`sim.scenario.appraisal.WarningSettings`):

- ``saturated``: a bed pool's or acute beds' occupancy, or a team's, hub's or fleet's
  utilisation, at or above ``occupancy`` (default 95%): near full capacity, queues and
  turned-away patients grow fast and results hang on small changes.
- ``overloaded``: more work offered than the capacity can do (offered load ≥ 1):
  arrivals × mean visit ÷ clinician-hours on duty for a team or hub (its queue would
  grow without bound, were patients not escalating); for a bed pool, the step-downs who
  queue for it (those turned away do not); for acute beds, the bed-hours sought ÷ the
  bed-hours there are (patients board in the ED without end).
- ``boarding``: patients admitted from the ED wait longer than ``ed_boarding_hours`` for
  a bed on average (default 12).
- ``zero_width``: a count that should vary between replications has the same value in
  every one (an interval of zero width): the replications are not independent, or the
  scenario has no randomness where it should. Only where chance cannot explain it: were
  the count Poisson, the chance of n equal values, at most (2πm)^(-(n−1)/2) for a mean of
  m events a replication, is below one in a million.
- ``warm_up``: the warm-up is shorter than the longest mean length of stay, so the
  measured period starts with beds emptier than in steady state.
- ``unpriced`` (comparisons): a service's capacity differs between the two scenarios but
  has no price in ``[costs.capacity]``, so the change costs nothing in the model.
- ``search_margin`` (searches): the answer meets its standard by less than one point (a
  percentage point for a share, 1% otherwise).

The same functions serve the command line, the web app and the board paper.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.scenario.appraisal import WarningSettings

if TYPE_CHECKING:
    from sim.runs.compare import Comparison
    from sim.runs.replications import Results
    from sim.runs.search import SearchResult
    from sim.runs.sweep import SweepResult
    from sim.scenario.model import Scenario

__all__ = [
    "ResultWarning",
    "comparison_warnings",
    "metrics_warnings",
    "results_warnings",
    "search_warnings",
    "sweep_warnings",
]

_COUNTS = {
    "calls",
    "conveyances",
    "treated_on_scene",
    "answered_in_time",
    "diverted",
    "referrals",
    "seen",
    "escalated",
    "admissions",
    "attendances",
    "admitted",
    "short_stays",
    "short_stay",
    "total",
    "bed_days",
    "delayed_discharge_days",
    "hospital_visits",
    "arrivals",
    "blocked",
    "boarded",
    "step_up",
    "step_down",
}
"""Last parts of the names of counts made from random events, which should vary between
replications (capacities such as ``staffed_hours`` and their costs need not)."""

_HELD = {
    "staffed_hours": "clinician-hours on duty",
    "bed_days_available": "bed days available",
    "vehicle_hours_available": "vehicle-hours available",
}


@dataclass(frozen=True)
class ResultWarning:
    """One warning: which scenario and service, which figure, and what to try."""

    code: str
    """``saturated``, ``overloaded``, ``boarding``, ``zero_width``, ``warm_up``,
    ``unpriced`` or ``search_margin``."""
    scenario: str
    service: str
    """The service it is about ("" for the run as a whole)."""
    metric: str
    """The figure it is about (a metric name, or a scenario key)."""
    value: float
    threshold: float
    message: str
    advice: str

    def __str__(self) -> str:
        where = f"{self.scenario}: " + (f"{self.service}: " if self.service else "")
        return f"{where}{self.message}. Try: {self.advice}"

    def as_dict(self) -> dict[str, Any]:
        """For ``warnings.json`` and the manifest (NaN written as None)."""
        out = asdict(self)
        for key in ("value", "threshold"):
            if isinstance(out[key], float) and not math.isfinite(out[key]):
                out[key] = None
        out["text"] = str(self)
        return out


def _mean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else math.nan


def _service(metric: str) -> str:
    return metric.split(".")[0]


def _base_name(metric: str) -> str:
    """A metric's measure, without a ``.by_cohort.<cohort>`` tail."""
    head = metric.split(".by_cohort.")[0]
    return head.rsplit(".", 1)[-1]


def metrics_warnings(
    scenario: Scenario, replications: list[dict[str, float]], label: str | None = None
) -> list[ResultWarning]:
    """The warnings for one scenario's replications (each a {metric: value} dict)."""
    name = label or scenario.name
    settings = getattr(scenario, "warnings", None) or WarningSettings.model_validate({})
    metrics: dict[str, None] = {}
    for rep in replications:
        metrics.update(dict.fromkeys(rep))

    def values(metric: str) -> np.ndarray:
        return np.array([rep.get(metric, math.nan) for rep in replications], dtype=float)

    out: list[ResultWarning] = []
    # a caseload is meant to be full: no one queues or is turned away from it
    queued = [
        m for m in metrics if getattr(scenario.services.get(_service(m)), "on_patient_paths", True)
    ]
    out += _saturation(name, queued, values, settings)
    out += _overload(name, metrics, values)
    out += _boarding(name, metrics, values, settings)
    out += _zero_width(name, metrics, values, 365.0 / scenario.run.days)
    out += _warm_up(name, scenario)
    return out


def _saturation(
    name: str, metrics: Iterable[str], values: Any, settings: WarningSettings
) -> list[ResultWarning]:
    out = []
    for metric in metrics:
        what = metric.rsplit(".", 1)[-1]
        if metric.count(".") != 1 or what not in ("occupancy", "utilisation"):
            continue
        mean = _mean(values(metric))
        if mean >= settings.occupancy:
            svc = _service(metric)
            held = "beds" if what == "occupancy" else "staff (or vehicles)"
            out.append(
                ResultWarning(
                    "saturated",
                    name,
                    svc,
                    metric,
                    mean,
                    settings.occupancy,
                    f"{what} {mean:.1%}, at or above {settings.occupancy:.0%}: near full "
                    "capacity queues and turned-away patients grow fast, and the results "
                    "hang on small changes",
                    f"more {held} for {svc}, or check the demand sent to it",
                )
            )
    return out


def _overload(name: str, metrics: Iterable[str], values: Any) -> list[ResultWarning]:
    out = []
    names = set(metrics)
    for metric in sorted(names):
        if metric.count(".") != 1 or not metric.endswith(".offered_load"):
            continue
        svc = _service(metric)
        load = values(metric)
        if f"{svc}.step_down" in names:  # a bed pool: only step-downs queue for it
            up, down = values(f"{svc}.step_up"), values(f"{svc}.step_down")
            with np.errstate(invalid="ignore", divide="ignore"):
                load = load * down / (up + down)
            queue = "the step-down patients who wait in acute beds for it"
        elif f"{svc}.boarded" in names:
            queue = "the patients who board in the ED for a bed"
        else:
            queue = "its queue (patients escalate or crews convey instead)"
        mean = _mean(load)
        if mean >= 1.0:
            out.append(
                ResultWarning(
                    "overloaded",
                    name,
                    svc,
                    metric,
                    mean,
                    1.0,
                    f"offered load {mean:.2f}: more work arrives than its capacity can do "
                    f"(arrivals × mean time ÷ capacity ≥ 1), so {queue} would grow without "
                    "bound and the results depend on the run's length",
                    f"more capacity for {svc}, or less demand routed to it",
                )
            )
    return out


def _boarding(
    name: str, metrics: Iterable[str], values: Any, settings: WarningSettings
) -> list[ResultWarning]:
    out = []
    for metric in metrics:
        if metric.count(".") != 1 or not metric.endswith(".mean_boarding_hours"):
            continue
        mean = _mean(values(metric))
        if mean > settings.ed_boarding_hours:
            svc = _service(metric)
            out.append(
                ResultWarning(
                    "boarding",
                    name,
                    svc,
                    metric,
                    mean,
                    settings.ed_boarding_hours,
                    f"patients admitted from the ED wait {mean:,.1f} hours on average for a "
                    f"bed, over {settings.ed_boarding_hours:g}: the acute beds are too few "
                    "for the admissions",
                    f"more beds for {svc} (or check its length of stay and discharge "
                    "delays); [warnings] ed_boarding_hours sets the threshold",
                )
            )
    return out


def _zero_width(
    name: str, metrics: Iterable[str], values: Any, per_year: float
) -> list[ResultWarning]:
    out = []
    for metric in metrics:
        if _base_name(metric) not in _COUNTS or metric.startswith(("cost.", "avoided.")):
            continue
        x = values(metric)
        x = x[~np.isnan(x)]
        if x.size < 2 or x[0] <= 0 or not bool(np.all(x == x[0])):
            continue
        events = x[0] / per_year  # a replication's count (the metric is per year)
        if (2.0 * math.pi * events) ** (-(x.size - 1) / 2.0) < 1e-6:
            out.append(
                ResultWarning(
                    "zero_width",
                    name,
                    _service(metric),
                    metric,
                    float(x[0]),
                    0.0,
                    f"{metric} is {x[0]:,.4g} in every one of {x.size} replications: a count "
                    "that should vary has an interval of zero width",
                    "check that the replications have different seeds, and that the "
                    "scenario has the randomness it should (distributions, splits)",
                )
            )
    return out


def _warm_up(name: str, scenario: Scenario) -> list[ResultWarning]:
    stays = []
    for svc, spec in scenario.services.items():
        los = getattr(spec, "los_days", None)  # bed pools and acute beds
        if los is not None:
            stays.append((float(los.mean), svc))
    if not stays:
        return []
    longest, svc = max(stays)
    warmup = scenario.run.warmup_days
    if warmup >= longest:
        return []
    return [
        ResultWarning(
            "warm_up",
            name,
            svc,
            "run.warmup_days",
            warmup,
            longest,
            f"the warm-up ({warmup:g} days) is shorter than {svc}'s mean length of stay "
            f"({longest:g} days): the measured period starts with its beds emptier than "
            "in steady state",
            f"run.warmup_days of at least {math.ceil(longest)} (two or three times is safer), "
            "or an initial_occupancy",
        )
    ]


def results_warnings(results: Results, label: str | None = None) -> list[ResultWarning]:
    """The warnings for one run (:func:`sim.runs.replications.run`)."""
    return metrics_warnings(results.scenario, results.replications, label)


def comparison_warnings(comparison: Comparison) -> list[ResultWarning]:
    """Each side's warnings (named as such), then any capacity changed but not priced."""
    cf, sc = comparison.counterfactual, comparison.scenario
    out = results_warnings(cf, f"{cf.scenario.name} (counterfactual)")
    out += results_warnings(sc, f"{sc.scenario.name} (scenario)")
    if not any(r.scenario.costs is not None for r in (cf, sc)):
        return out
    prices = [r.scenario.costs.capacity if r.scenario.costs is not None else {} for r in (cf, sc)]
    priced = set(prices[0]) | set(prices[1])
    for svc in sorted(priced):
        if prices[0].get(svc) == prices[1].get(svc):
            continue
        only = [r.scenario.name for r, p in zip((cf, sc), prices) if svc in p]
        what = (
            f"priced in {only[0]} only"
            if len(only) == 1
            else f"priced differently in {cf.scenario.name} and {sc.scenario.name}"
        )
        out.append(
            ResultWarning(
                "unpriced",
                f"{sc.scenario.name} against {cf.scenario.name}",
                svc,
                f"costs.capacity.{svc}",
                math.nan,
                math.nan,
                f"its capacity is {what}: the package cost then counts more than the change "
                "in capacity",
                f"give [costs.capacity.{svc}] the same prices in both scenario files (a "
                "file that extends the other inherits them)",
            )
        )
    names = set(cf.metric_names()) | set(sc.metric_names())
    for metric in sorted(names):
        svc, _, what = metric.partition(".")
        if what not in _HELD or svc in priced:
            continue
        before, after = _mean(cf.values(metric)), _mean(sc.values(metric))
        if math.isclose(before, after) or (math.isnan(before) and math.isnan(after)):
            continue
        out.append(
            ResultWarning(
                "unpriced",
                f"{sc.scenario.name} against {cf.scenario.name}",
                svc,
                metric,
                after - before,
                0.0,
                f"its {_HELD[what]} change from {before:,.0f} to {after:,.0f} a year, but "
                f"[costs.capacity.{svc}] gives no price: the change costs nothing in the "
                "model, and the net cost leaves it out",
                f"add [costs.capacity.{svc}] to the scenario files (per_wte_year or "
                "per_staffed_hour, per_bed_day, per_vehicle_hour, fixed_per_year)",
            )
        )
    return out


def _margin(standard: float) -> tuple[float, str]:
    """One point: a percentage point for a standard that is a share, else 1% of it."""
    if 0.0 < abs(standard) <= 1.0:
        return 0.01, "one percentage point"
    return 0.01 * abs(standard), "1% of the standard"


def search_warnings(result: SearchResult) -> list[ResultWarning]:
    """An answer that meets a standard by less than one point, then the answer's own
    run warnings."""
    exp = result.experiment
    assert exp.search is not None
    keys = list(exp.search.capacities)
    by_caps = {tuple(e.capacities[k] for k in keys): e for e in result.evaluations}
    out: list[ResultWarning] = []
    for answer in result.frontier:
        ev = by_caps.get(tuple(answer[k] for k in keys))
        if ev is None:
            continue
        at = ", ".join(f"{k} = {answer[k]}" for k in keys)
        for c in exp.search.constraints:
            _, low, high = ev.bounds[c.metric]
            if c.at_least is not None:
                standard, bound, gap = c.at_least, low, low - c.at_least
            else:
                standard, bound, gap = c.at_most, high, c.at_most - high  # type: ignore[assignment,operator]
            point, words = _margin(standard)
            if 0.0 <= gap < point:
                out.append(
                    ResultWarning(
                        "search_margin",
                        exp.name,
                        _service(c.metric),
                        c.metric,
                        bound,
                        standard,
                        f"the answer ({at}) meets {c.describe()} with a "
                        f"{exp.search.confidence:.0%} bound of {bound:.4g}, by less than "
                        f"{words}: with other seeds or more replications it may not",
                        "more replications (replications in the experiment file), or plan "
                        "for the next capacity up",
                    )
                )
        out += results_warnings(ev.results, f"{exp.name} at {at}")
    return out


def sweep_warnings(result: SweepResult) -> list[ResultWarning]:
    """Each point's run warnings (named by its point number and values)."""
    from sim.runs.sweep import point_scenario

    out: list[ResultWarning] = []
    exp = result.experiment
    for index in sorted(result.replications):
        point = result.points[index]
        try:
            scenario = point_scenario(exp, point)
        except Exception:  # the point failed to load: reported with the sweep's failures
            continue
        values = ", ".join(f"{k} = {v}" for k, v in point.items()) or "base"
        reps = [
            {m: v for m, v in rep.items() if not m.startswith("avoided.")}
            for rep in result.replications[index]
        ]
        out += metrics_warnings(scenario, reps, f"{exp.name} point {index} ({values})")
    return out
