"""The economics of a comparison: what the change costs, what it saves, what it buys.

From a paired comparison (:func:`sim.runs.compare.compare`) of two scenarios with costs:

- **package cost**: the change in ``cost.capacity`` (scenario − counterfactual), what
  the capacity bought costs a year whether it is used or not;
- **activity cost change**: the change in ``cost.activity`` (usually a saving: fewer
  conveyances, admissions and bed days);
- **net cost**: the change in ``cost.total``, the two together, with its paired
  t-interval;
- **net cost per conveyance, admission, bed day and unplanned hospital visit avoided**:
  the net cost divided by what is avoided (counterfactual − scenario). Each is a ratio
  of two paired means, and its interval comes from **Fieller's theorem** (Fieller,
  1954, *J. R. Stat. Soc. B* 16:175–185): the set of ratios R for which
  mean(x) − R·mean(y) is not significantly different from 0, with the t quantile on
  n − 1 degrees of freedom. Unlike the delta method it stays right when the denominator
  is small; when the denominator's own interval includes 0 (the change avoids no
  admissions that can be told from none), the set is unbounded and is reported so.
- **verdict**: "cost-saving" only when the net cost's interval lies wholly below 0,
  "costs more" when wholly above, otherwise "not distinguishable from cost-neutral".

``Economics`` has plain fields (each figure an :class:`Estimate` with ``mean``,
``ci_low`` and ``ci_high``) for tables, figures and the board paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.runs.compare import Comparison

__all__ = [
    "COSTS_MORE",
    "COST_SAVING",
    "NEUTRAL",
    "Economics",
    "Estimate",
    "economics",
    "fieller",
    "ratio_interval",
]

COST_SAVING = "cost-saving"
COSTS_MORE = "costs more"
NEUTRAL = "not distinguishable from cost-neutral"

PER_AVOIDED = {
    "conveyance": "ambulance.conveyances",
    "admission": "admissions.total",
    "bed_day": "acute.bed_days",
    "unplanned_visit": "unplanned.hospital_visits",
}
"""What the net cost is divided by: the avoided count of each (counterfactual − scenario)."""


@dataclass(frozen=True)
class Estimate:
    """A figure (pounds a year, or pounds per thing avoided) with its interval.

    ``bounded`` is False when the interval is unbounded (a ratio whose denominator cannot
    be told from 0): then ``ci_low`` is −inf and ``ci_high`` +inf."""

    mean: float
    ci_low: float
    ci_high: float
    bounded: bool = True

    @property
    def is_nan(self) -> bool:
        return math.isnan(self.mean)


NAN = Estimate(math.nan, math.nan, math.nan)


@dataclass(frozen=True)
class Economics:
    """What a change costs and buys, a year, with 95% intervals (see the module's docstring)."""

    scenario: str
    counterfactual: str
    n: int
    """Paired replications."""
    confidence: float
    package_cost: Estimate
    """Change in ``cost.capacity``: what the added (or removed) capacity costs a year."""
    activity_cost: Estimate
    """Change in ``cost.activity``: negative when the change saves activity costs."""
    net_cost: Estimate
    """Change in ``cost.total`` (scenario − counterfactual): negative is a saving."""
    cost_per_conveyance_avoided: Estimate
    cost_per_admission_avoided: Estimate
    cost_per_bed_day_avoided: Estimate
    verdict: str
    """``cost-saving``, ``costs more`` or ``not distinguishable from cost-neutral``."""
    priced: tuple[str, ...] = ()
    """Services whose capacity is priced (``[costs.capacity]``) in either scenario."""
    cost_per_visit_avoided: Estimate = NAN
    """Net cost per unplanned hospital visit avoided (an ED attendance, or an emergency
    admission not through the ED)."""

    def rows(self) -> list[tuple[str, str, Estimate]]:
        """(key, what it is, estimate) for each figure, in the order they are shown."""
        return [
            ("package_cost", "cost of the investment (capacity)", self.package_cost),
            ("activity_cost", "change in activity costs", self.activity_cost),
            ("net_cost", "net cost", self.net_cost),
            (
                "cost_per_conveyance_avoided",
                "net cost per conveyance avoided",
                self.cost_per_conveyance_avoided,
            ),
            (
                "cost_per_admission_avoided",
                "net cost per admission avoided",
                self.cost_per_admission_avoided,
            ),
            (
                "cost_per_bed_day_avoided",
                "net cost per acute bed day avoided",
                self.cost_per_bed_day_avoided,
            ),
            (
                "cost_per_visit_avoided",
                "net cost per unplanned hospital visit avoided",
                self.cost_per_visit_avoided,
            ),
        ]


def fieller(
    x_mean: np.ndarray | float,
    y_mean: np.ndarray | float,
    var_x: np.ndarray | float,
    var_y: np.ndarray | float,
    cov_xy: np.ndarray | float,
    t: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fieller's interval for mean(x) / mean(y), elementwise.

    ``var_x``, ``var_y`` and ``cov_xy`` are the variances and covariance of the two
    *means* (for n paired replications: the sample (co)variances ÷ n); ``t`` the
    quantile. The interval is the set of R with (x̄ − R ȳ)² ≤ t² (var_x − 2R cov_xy +
    R² var_y), the roots of a R² − 2b R + c = 0 with a = ȳ² − t² var_y,
    b = x̄ ȳ − t² cov_xy, c = x̄² − t² var_x. It is bounded exactly when a > 0, that is
    when the t-interval of ȳ excludes 0; otherwise (low, high) are (−inf, +inf).
    Returns (low, high, bounded)."""
    xm, ym = np.asarray(x_mean, dtype=float), np.asarray(y_mean, dtype=float)
    t2 = np.asarray(t, dtype=float) ** 2
    a = ym * ym - t2 * np.asarray(var_y, dtype=float)
    b = xm * ym - t2 * np.asarray(cov_xy, dtype=float)
    c = xm * xm - t2 * np.asarray(var_x, dtype=float)
    bounded = a > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(np.maximum(b * b - a * c, 0.0))
        r1, r2 = (b - root) / a, (b + root) / a
    low = np.where(bounded, np.minimum(r1, r2), -np.inf)
    high = np.where(bounded, np.maximum(r1, r2), np.inf)
    return low, high, bounded


def _t(confidence: float, df: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.5 + confidence / 2.0, df))


def ratio_interval(
    x: np.ndarray, y: np.ndarray, confidence: float = 0.95, paired: bool = True
) -> Estimate:
    """mean(x) / mean(y) with Fieller's interval, from per-replication values.

    ``paired``: ``x[i]`` and ``y[i]`` come from the same replication (common random
    numbers), so their covariance counts. Replications where either is NaN are left
    out. Fewer than two: NaN."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < 2:
        return NAN
    xm, ym = float(x.mean()), float(y.mean())
    cov = np.cov(x, y, ddof=1)
    var_x, var_y = cov[0, 0] / n, cov[1, 1] / n
    cov_xy = cov[0, 1] / n if paired else 0.0
    low, high, bounded = fieller(xm, ym, var_x, var_y, cov_xy, _t(confidence, n - 1))
    mean = xm / ym if ym != 0 else math.nan
    return Estimate(mean, float(low), float(high), bool(bounded))


def _values(results: object, metric: str) -> np.ndarray:
    """A metric's values by replication, 0 where it is absent (a scenario with no
    capacity priced has no ``cost.capacity``: it costs 0)."""
    values = results.values(metric)  # type: ignore[attr-defined]
    return np.where(np.isnan(values), 0.0, values)


def _difference(x: np.ndarray, confidence: float) -> Estimate:
    from sim.runs.stats import t_interval

    iv = t_interval(x, confidence)
    return Estimate(iv.mean, iv.ci_low, iv.ci_high)


def _welch(a: np.ndarray, b: np.ndarray, confidence: float) -> Estimate:
    """mean(a) − mean(b) for independent runs."""
    n = min(a.size, b.size)
    mean = float(a.mean() - b.mean())
    if n < 2:
        return Estimate(mean, math.nan, math.nan)
    half = _t(confidence, n - 1) * math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return Estimate(mean, mean - half, mean + half)


def _verdict(net: Estimate) -> str:
    if net.ci_high < 0:
        return COST_SAVING
    if net.ci_low > 0:
        return COSTS_MORE
    return NEUTRAL


def economics(comparison: Comparison, confidence: float = 0.95) -> Economics | None:
    """The economics of ``comparison`` (see the module's docstring); None when neither
    scenario has costs (no ``cost.total``)."""
    cf, sc = comparison.counterfactual, comparison.scenario
    names = set(cf.metric_names()) | set(sc.metric_names())
    if "cost.total" not in names:
        return None
    paired = comparison.paired

    def change(metric: str) -> Estimate:
        a, b = _values(sc, metric), _values(cf, metric)
        return _difference(a - b, confidence) if paired else _welch(a, b, confidence)

    net = change("cost.total")
    per: dict[str, Estimate] = {}
    for what, metric in PER_AVOIDED.items():
        if metric not in names:
            per[what] = NAN
            continue
        if paired:
            cost = _values(sc, "cost.total") - _values(cf, "cost.total")
            avoided = cf.values(metric) - sc.values(metric)
            per[what] = ratio_interval(cost, avoided, confidence)
        else:
            per[what] = _unpaired_ratio(cf, sc, metric, confidence)
    priced = sorted(
        {
            name
            for results in (cf, sc)
            if results.scenario.costs is not None
            for name in results.scenario.costs.capacity
        }
    )
    return Economics(
        scenario=sc.scenario.name,
        counterfactual=cf.scenario.name,
        n=min(cf.n, sc.n),
        confidence=confidence,
        package_cost=change("cost.capacity"),
        activity_cost=change("cost.activity"),
        net_cost=net,
        cost_per_conveyance_avoided=per["conveyance"],
        cost_per_admission_avoided=per["admission"],
        cost_per_bed_day_avoided=per["bed_day"],
        verdict=_verdict(net),
        priced=tuple(priced),
        cost_per_visit_avoided=per["unplanned_visit"],
    )


def _unpaired_ratio(cf: object, sc: object, metric: str, confidence: float) -> Estimate:
    """Fieller's interval when the two runs are independent (no common random numbers):
    the variances of both sides add, and each side's own cost-count covariance enters
    with the sign of its part in the ratio."""
    cost_sc, cost_cf = _values(sc, "cost.total"), _values(cf, "cost.total")
    n_sc, n_cf = cost_sc.size, cost_cf.size
    if min(n_sc, n_cf) < 2:
        return NAN
    y_sc, y_cf = sc.values(metric), cf.values(metric)  # type: ignore[attr-defined]
    xm = float(cost_sc.mean() - cost_cf.mean())
    ym = float(y_cf.mean() - y_sc.mean())
    c_sc, c_cf = np.cov(cost_sc, y_sc, ddof=1), np.cov(cost_cf, y_cf, ddof=1)
    var_x = c_sc[0, 0] / n_sc + c_cf[0, 0] / n_cf
    var_y = c_sc[1, 1] / n_sc + c_cf[1, 1] / n_cf
    cov_xy = -c_sc[0, 1] / n_sc - c_cf[0, 1] / n_cf
    low, high, bounded = fieller(xm, ym, var_x, var_y, cov_xy, _t(confidence, min(n_sc, n_cf) - 1))
    return Estimate(xm / ym if ym else math.nan, float(low), float(high), bool(bounded))
