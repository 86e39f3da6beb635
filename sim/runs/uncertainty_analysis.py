"""What an uncertainty analysis says: intervals, what the answer rests on, decisions.

From the completed parameter sets of :mod:`sim.runs.uncertainty`:

- for each avoided figure and headline metric: the mean over parameter sets, the 95%
  uncertainty interval (the 2.5% and 97.5% points of the set means), the shares of
  their variance that are the parameters' and the replications', and beside them the
  stochastic-only interval of the comparison at the base values (``nhsim compare``);
- Sobol indices of every input for each metric, with 95% intervals;
- the chance that a decision is right: that the scenario avoids at least so many, that
  it is cost-saving, that each side meets a standard, that its net benefit is positive,
  as numbers and as curves over the threshold and the willingness to pay;
- the expected value of perfect information on all inputs and on each alone (EVPPI).

Probabilities are shares of parameter sets whose mean meets the test, with a Wilson
interval for how precisely the sets estimate the share. Everything here is computed
from the sets' files, so a resumed run and an uninterrupted one give the same tables.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.runs.compare import AVOIDED_METRICS
from sim.runs.stats import Interval, t_interval
from sim.runs.uncertainty import BASE, UncertaintyResult
from sim.runs.uncertainty_stats import (
    Indices,
    Spread,
    evpi,
    evppi,
    exceedance,
    fitted,
    interaction_variance,
    metamodel_indices,
    saltelli_indices,
    share,
    spread,
)

__all__ = ["Analysis", "MetricSummary", "Probability", "analyse", "analysed_metrics", "psa_sets"]

COST = "cost.total"
ADMISSIONS = "admissions.total"
CURVE_POINTS = 101


@dataclass(frozen=True)
class MetricSummary:
    """One metric over the parameter sets, beside its stochastic-only interval."""

    metric: str
    spread: Spread
    base: Interval | None
    """At the base values: the t-interval over the base replications (paired for avoided.*)."""


@dataclass(frozen=True)
class Probability:
    """The share of parameter sets for which something holds."""

    question: str
    metric: str
    side: str
    threshold: float
    probability: float
    low: float
    high: float
    sets: int


@dataclass(frozen=True)
class Curve:
    """A probability as a threshold (or the willingness to pay) varies."""

    name: str
    metric: str
    x: list[float]
    probability: list[float]
    marks: list[float] = field(default_factory=list)
    """Thresholds of the experiment's [decision] to draw on the curve."""
    at_marks: list[float] = field(default_factory=list)
    """The probability at each mark (as the decision table gives it)."""


@dataclass(frozen=True)
class ValueOfInformation:
    """EVPI and each input's EVPPI, £ a year, at one willingness to pay."""

    willingness_to_pay: float
    net_benefit: Spread
    evpi: float
    evppi: dict[str, float]


@dataclass
class Analysis:
    result: UncertaintyResult
    sets: list[int]
    """The parameter sets the summaries and probabilities are over (Saltelli: A and B)."""
    metrics: list[MetricSummary]
    indices: dict[str, Indices]
    probabilities: list[Probability]
    curves: list[Curve]
    value: ValueOfInformation | None
    convergence: dict[str, list[Indices]]
    willingness_to_pay: float


def psa_sets(result: UncertaintyResult) -> list[int]:
    """The completed sets that are draws of the inputs' joint distribution, in order
    (of a Saltelli design, the rows of A and B: each AB set repeats one of A's draws
    but for one input)."""
    return [
        p.index
        for p in result.plan.sets
        if p.index in result.data and p.role in ("sample", "A", "B")
    ]


def _underlying(metric: str) -> str:
    for prefix in ("avoided.", "counterfactual."):
        if metric.startswith(prefix):
            return metric.removeprefix(prefix)
    return metric


def analysed_metrics(result: UncertaintyResult) -> list[str]:
    """The avoided figures (or, without a counterfactual, the metrics themselves), the
    total cost, then the experiment's ``report`` metrics, where the model produces them."""
    exp = result.experiment
    produced = set(result.metric_names())
    first = [*AVOIDED_METRICS, COST]
    names = [f"avoided.{m}" for m in first] if exp.counterfactual else list(first)
    names += [m for m in exp.report if m not in names]
    if not exp.counterfactual:
        names = [m for m in names if not m.startswith("avoided.")]
    return [m for m in names if _underlying(m) in produced]


def _rng(seed: int, name: str) -> np.random.Generator:
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


def _base(result: UncertaintyResult, metric: str) -> Interval | None:
    if BASE not in result.data:
        return None
    return t_interval(result.values(BASE, metric))


def _units(result: UncertaintyResult, sets: list[int]) -> np.ndarray:
    return np.array([result.plan.sets[i].unit for i in sets], dtype=float)


def _groups(result: UncertaintyResult) -> list[list[int]]:
    return [list(i.columns) for i in result.plan.inputs]


def indices_for(result: UncertaintyResult, metric: str, sets: list[int] | None = None) -> Indices:
    """Sobol indices of every input for ``metric``, from ``sets`` (default: all completed);
    Saltelli designs use their whole rows, space-filling designs a metamodel."""
    exp = result.experiment
    names = [i.key for i in result.plan.inputs]
    rng = _rng(exp.seed, metric)
    done = sorted(result.data.keys() - {BASE}) if sets is None else sets
    table = result.table(done, metric)
    noise = interaction_variance(table) / max(table.shape[1], 1)
    if exp.sampling.method != "saltelli":
        return metamodel_indices(
            _units(result, done),
            np.nanmean(table, axis=1) if table.size else np.zeros(0),
            _groups(result),
            names,
            noise,
            exp.sampling.bootstrap,
            rng,
        )
    width = len(names) + 2
    rows = sorted({result.plan.sets[i].row for i in done})
    complete = [r for r in rows if all(r * width + k in result.data for k in range(width))]
    means = {
        i: float(np.mean(result.values(i, metric)))
        for r in complete
        for i in range(r * width, (r + 1) * width)
    }
    fa = np.array([means[r * width] for r in complete])
    fb = np.array([means[r * width + 1] for r in complete])
    fab = np.array([[means[r * width + 2 + k] for r in complete] for k in range(len(names))])
    fab = fab.reshape(len(names), len(complete))
    return saltelli_indices(fa, fb, fab, names, noise, exp.sampling.bootstrap, rng)


def _set_means(result: UncertaintyResult, sets: list[int], metric: str) -> np.ndarray:
    table = result.table(sets, metric)
    if not table.size:
        return np.zeros(0)
    with np.errstate(all="ignore"):
        return np.array([np.mean(r) if not np.isnan(r).any() else math.nan for r in table])


def _at_least(x: float) -> Callable[[np.ndarray], np.ndarray]:
    def test(values: np.ndarray) -> np.ndarray:
        return np.asarray(values >= x)

    return test


def _probabilities(result: UncertaintyResult, sets: list[int], wtp: float) -> list[Probability]:
    exp = result.experiment
    produced = set(result.metric_names())
    out: list[Probability] = []

    def add(
        question: str,
        metric: str,
        side: str,
        threshold: float,
        test: Callable[[np.ndarray], np.ndarray],
        values: np.ndarray,
    ) -> None:
        p, lo, hi = share(values, test)
        n = int(np.count_nonzero(~np.isnan(values)))
        out.append(Probability(question, metric, side, threshold, p, lo, hi, n))

    if exp.counterfactual:
        for m, x in exp.decision.avoided_at_least.items():
            if m in produced:
                add(
                    "avoids at least",
                    m,
                    "",
                    x,
                    _at_least(x),
                    _set_means(result, sets, f"avoided.{m}"),
                )
        if COST in produced:
            add(
                "cost-saving",
                COST,
                "",
                0.0,
                lambda v: v > 0,
                _set_means(result, sets, f"avoided.{COST}"),
            )
        inb = _net_benefit(result, sets, wtp) if wtp > 0 else None  # at 0: cost-saving
        if inb is not None:
            add("net benefit > 0", "net_benefit", "", wtp, lambda v: v > 0, inb)
    for std in exp.decision.standards:
        if std.metric not in produced:
            continue
        for side in ("counterfactual", "scenario") if exp.counterfactual else ("scenario",):
            name = std.metric if side == "scenario" else f"counterfactual.{std.metric}"
            add(
                "meets " + std.describe(),
                std.metric,
                side,
                std.level,
                std.met_all,
                _set_means(result, sets, name),
            )
    return out


def _net_benefit_table(result: UncertaintyResult, sets: list[int], wtp: float) -> np.ndarray | None:
    """Incremental net benefit of the scenario, sets × replications: wtp × admissions
    avoided − net cost (the counterfactual's cost − the scenario's is the cost avoided);
    None without a counterfactual, or without costs and with no value put on an admission."""
    produced = set(result.metric_names())
    has_cost = COST in produced
    if not result.experiment.counterfactual or (not has_cost and wtp == 0):
        return None
    adm = result.table(sets, f"avoided.{ADMISSIONS}") if ADMISSIONS in produced else 0.0
    cost = result.table(sets, f"avoided.{COST}") if has_cost else 0.0
    return np.asarray(wtp * adm + cost, dtype=float)


def _net_benefit(result: UncertaintyResult, sets: list[int], wtp: float) -> np.ndarray | None:
    """The incremental net benefit's mean at each set (see :func:`_net_benefit_table`)."""
    table = _net_benefit_table(result, sets, wtp)
    if table is None:
        return None
    with np.errstate(all="ignore"):
        return np.array([np.mean(r) if not np.isnan(r).any() else math.nan for r in table])


def _curves(result: UncertaintyResult, sets: list[int], wtp: float) -> list[Curve]:
    exp = result.experiment
    produced = set(result.metric_names())
    out: list[Curve] = []
    if exp.counterfactual:
        wanted = ["ambulance.conveyances", ADMISSIONS, *exp.decision.avoided_at_least]
        for m in dict.fromkeys(wanted):
            if m not in produced:
                continue
            v = _set_means(result, sets, f"avoided.{m}")
            marks = [exp.decision.avoided_at_least[m]] if m in exp.decision.avoided_at_least else []
            out.append(_curve("avoided", f"avoided.{m}", v, marks))
        adm_ok = ADMISSIONS in produced
        if COST in produced and adm_ok:
            adm = _set_means(result, sets, f"avoided.{ADMISSIONS}")
            cost = _set_means(result, sets, f"avoided.{COST}")
            top = _wtp_range(adm, cost, wtp)
            grid = np.linspace(0.0, top, CURVE_POINTS)
            probs = [share(g * adm + cost, lambda v: v > 0)[0] for g in grid]
            marks = [wtp] if wtp else []
            at = [share(w * adm + cost, lambda v: v > 0)[0] for w in marks]
            out.append(
                Curve(
                    "net_benefit", "willingness_to_pay", [float(g) for g in grid], probs, marks, at
                )
            )
    for std in exp.decision.standards:
        if std.metric not in produced:
            continue
        for side in ("counterfactual", "scenario") if exp.counterfactual else ("scenario",):
            name = std.metric if side == "scenario" else f"counterfactual.{std.metric}"
            out.append(_curve("standard", name, _set_means(result, sets, name), [std.level]))
    return out


def _curve(name: str, metric: str, values: np.ndarray, marks: list[float]) -> Curve:
    finite = values[~np.isnan(values)]
    if not finite.size:
        return Curve(name, metric, [], [], marks, [math.nan] * len(marks))
    lo, hi = float(finite.min()), float(finite.max())
    lo, hi = min([lo, *marks]), max([hi, *marks])
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
    grid = np.linspace(lo - pad, hi + pad, CURVE_POINTS)
    at = [float(p) for p in exceedance(finite, np.array(marks, dtype=float))] if marks else []
    probs = [float(p) for p in exceedance(finite, grid)]
    return Curve(name, metric, [float(x) for x in grid], probs, marks, at)


def _wtp_range(adm: np.ndarray, cost: np.ndarray, wtp: float) -> float:
    """The willingness to pay up to which the acceptability curve is drawn: past the
    break-even of the mean set (net cost over admissions avoided), and past ``wtp``."""
    a, c = float(np.nanmean(adm)), float(np.nanmean(cost))
    even = -c / a if a > 0 and c < 0 else 0.0
    top = max(3.0 * even, 2.0 * wtp, 1000.0)
    step = 10 ** math.floor(math.log10(top))
    return math.ceil(top / step) * step


def _value(result: UncertaintyResult, sets: list[int], wtp: float) -> ValueOfInformation | None:
    table = _net_benefit_table(result, sets, wtp)
    inb = _net_benefit(result, sets, wtp)
    if table is None or inb is None:
        return None
    units = _units(result, sets)
    each = {inp.key: evppi(inb, units, list(inp.columns)) for inp in result.plan.inputs}
    total = evpi(fitted(units, inb, _groups(result))) if len(sets) > 3 else math.nan
    return ValueOfInformation(wtp, spread(table), total, each)


def analyse(result: UncertaintyResult, willingness_to_pay: float | None = None) -> Analysis:
    """Every summary of a completed (or partly completed) uncertainty analysis."""
    exp = result.experiment
    wtp = exp.decision.willingness_to_pay if willingness_to_pay is None else willingness_to_pay
    sets = psa_sets(result)
    metrics = analysed_metrics(result)
    summaries = [MetricSummary(m, spread(result.table(sets, m)), _base(result, m)) for m in metrics]
    indices = {m: indices_for(result, m) for m in metrics}
    convergence: dict[str, list[Indices]] = {}
    if exp.sampling.method != "saltelli" and len(sets) >= 32:
        for m in [m for m in exp.report if m in metrics]:
            convergence[m] = [indices_for(result, m, sets[: len(sets) // k]) for k in (4, 2)]
            convergence[m].append(indices[m])
    return Analysis(
        result,
        sets,
        summaries,
        indices,
        _probabilities(result, sets, wtp),
        _curves(result, sets, wtp),
        _value(result, sets, wtp),
        convergence,
        wtp,
    )
