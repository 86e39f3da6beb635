"""The statistics of an uncertainty analysis: spread, Sobol indices, decisions, EVPPI.

Every parameter set runs the same replication seeds (common random numbers), so a
metric's values form a table of sets × replications.

- :func:`spread`: the mean over parameter sets, the 95% range of the set means, and a
  two-level variance decomposition (O'Hagan, Stevenson & Madan 2007, "Monte Carlo
  probabilistic sensitivity analysis for patient level simulation models", Health
  Economics 16:1009-1023): the variance of the set means is the parameter variance
  plus the part of the replications' randomness that differs between sets, divided by
  the replications a set. With common random numbers the randomness shared by every
  set moves them all alike and is no part of their spread; what differs is the set ×
  replication interaction of a two-way analysis of variance, estimated here.
- Sobol indices (the share of the parameter variance that each input explains alone,
  first-order, and with its interactions, total), with bootstrap intervals:
  :func:`saltelli_indices` from a Saltelli design (Saltelli et al. 2010, Computer
  Physics Communications 181:259-270), model-free, with Jansen's estimators of both
  (Jansen 1999, Computer Physics Communications 117:35-43: they are differences of
  paired sets, so the randomness the sets share cancels); :func:`metamodel_indices` from any
  space-filling sample, through a polynomial chaos expansion of the set means in the
  inputs' unit coordinates, whose indices are sums of squared coefficients (Sudret
  2008, Reliability Engineering & System Safety 93:964-979). Both take the replication
  noise out of the variances they divide by.
- :func:`evppi`: the expected value of partial perfect information on one input, by
  regressing the incremental net benefit on that input (Strong, Oakley & Brennan 2014,
  Medical Decision Making 34:311-326).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Index",
    "Indices",
    "Spread",
    "evppi",
    "exceedance",
    "metamodel_indices",
    "saltelli_indices",
    "share",
    "spread",
]


@dataclass(frozen=True)
class Spread:
    """A metric over parameter sets: mean, 95% range and where its variance comes from."""

    mean: float
    low: float
    high: float
    total_variance: float
    """Variance of the set means across parameter sets."""
    noise_variance: float
    """The part of it that is the replications' randomness (set × replication, / n)."""
    sets: int
    replications: int

    @property
    def parameter_variance(self) -> float:
        if math.isnan(self.noise_variance):
            return self.total_variance
        return max(self.total_variance - self.noise_variance, 0.0)

    @property
    def parameter_share(self) -> float:
        if not self.total_variance > 0 or math.isnan(self.noise_variance):
            return math.nan
        return self.parameter_variance / self.total_variance

    @property
    def noise_share(self) -> float:
        p = self.parameter_share
        return math.nan if math.isnan(p) else 1.0 - p


def _complete(values: np.ndarray) -> np.ndarray:
    """The sets (rows) with every replication defined (ratios can be undefined)."""
    values = np.asarray(values, dtype=float)
    return values[~np.isnan(values).any(axis=1)] if values.size else values.reshape(0, 1)


def interaction_variance(values: np.ndarray) -> float:
    """The set × replication mean square of a two-way table (sets × replications): the
    replication noise that differs between sets (NaN with one replication)."""
    y = _complete(values)
    s, n = y.shape
    if s < 2 or n < 2:
        return math.nan
    resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + y.mean()
    return float((resid**2).sum() / ((s - 1) * (n - 1)))


def spread(values: np.ndarray) -> Spread:
    """Mean, 2.5% and 97.5% points of the set means, and the variance decomposition."""
    y = _complete(values)
    s, n = y.shape if y.ndim == 2 else (0, 0)
    if s == 0:
        return Spread(math.nan, math.nan, math.nan, math.nan, math.nan, 0, n)
    means = y.mean(axis=1)
    low, high = (float(q) for q in np.quantile(means, [0.025, 0.975]))
    total = float(means.var(ddof=1)) if s > 1 else math.nan
    noise = interaction_variance(y) / n
    return Spread(float(means.mean()), low, high, total, noise, s, n)


# --------------------------------------------------------------------------- indices


@dataclass(frozen=True)
class Index:
    """One input's first-order and total Sobol indices, each with a 95% interval."""

    input: str
    first: float
    first_low: float
    first_high: float
    total: float
    total_low: float
    total_high: float


@dataclass(frozen=True)
class Indices:
    """The indices of every input for one metric, and how they were estimated."""

    method: str
    """``saltelli`` (model-free) or ``metamodel`` (polynomial chaos)."""
    indices: list[Index]
    sets: int
    explained: float = math.nan
    """Metamodel: the share of the parameter variance its terms explain."""
    note: str = ""


def _percentiles(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2.5% and 97.5% points of bootstrap draws (rows: resamples), NaN draws left out."""
    low = np.full(draws.shape[1], math.nan)
    high = np.full(draws.shape[1], math.nan)
    for j in range(draws.shape[1]):
        col = draws[:, j][~np.isnan(draws[:, j])]
        if col.size:
            low[j], high[j] = np.quantile(col, [0.025, 0.975])
    return low, high


def _normal_interval(point: np.ndarray, draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The point ± 1.96 bootstrap standard errors, within [0, 1]: a metamodel's resampled
    fits are centred on the fitted model, not on the point (its residual noise is fitted
    into its terms), but their spread measures how far the point may be off."""
    se = np.full(draws.shape[1], math.nan)
    for j in range(draws.shape[1]):
        col = draws[:, j][~np.isnan(draws[:, j])]
        if col.size >= 2:
            se[j] = col.std(ddof=1)
    half = 1.959963984540054 * se
    return np.clip(point - half, 0.0, 1.0), np.clip(point + half, 0.0, 1.0)


def _saltelli_point(
    fa: np.ndarray, fb: np.ndarray, fab: np.ndarray, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """Jansen's first-order and total indices, inputs × samples: ``fa`` and ``fb`` are
    samples × rows, ``fab`` inputs × samples × rows."""
    var = np.concatenate([fa, fb], axis=-1).var(axis=-1) - noise
    with np.errstate(divide="ignore", invalid="ignore"):
        first = 1.0 - (0.5 * ((fb[None] - fab) ** 2).mean(axis=-1) - noise) / var
        total = (0.5 * ((fa[None] - fab) ** 2).mean(axis=-1) - noise) / var
    first, total = np.clip(first, 0.0, 1.0), np.clip(total, 0.0, 1.0)
    bad = ~(var > 0)
    first[:, bad], total[:, bad] = math.nan, math.nan
    return first, total


BOOTSTRAP_BLOCK = 100
"""Bootstrap resamples drawn at a time (bounds the memory of a large design)."""


def saltelli_indices(
    fa: np.ndarray,
    fb: np.ndarray,
    fab: np.ndarray,
    names: Sequence[str],
    noise: float,
    bootstrap: int,
    rng: np.random.Generator,
) -> Indices:
    """First-order and total indices (Jansen 1999) from a Saltelli design.

    ``fa``, ``fb``: the metric at the rows of A and B (N each); ``fab``: at each AB
    matrix (inputs × N); ``noise``: the replication variance of a set mean, taken out of
    the total variance and of the total effects (NaN: none taken out)."""
    fa, fb, fab = (np.asarray(x, dtype=float) for x in (fa, fb, fab))
    keep = ~(np.isnan(fa) | np.isnan(fb) | np.isnan(fab).any(axis=0))
    fa, fb, fab = fa[keep], fb[keep], fab[:, keep]
    noise = 0.0 if math.isnan(noise) else noise
    n = fa.size
    if n < 2:
        return Indices("saltelli", [_nan_index(k) for k in names], n, note="too few complete rows")
    first, total = (v[:, 0] for v in _saltelli_point(fa[None], fb[None], fab[:, None], noise))
    draws: list[tuple[np.ndarray, np.ndarray]] = []
    for start in range(0, bootstrap, BOOTSTRAP_BLOCK):
        idx = rng.integers(0, n, (min(BOOTSTRAP_BLOCK, bootstrap - start), n))
        draws.append(_saltelli_point(fa[idx], fb[idx], fab[:, idx], noise))
    f_low, f_high = _percentiles(np.concatenate([d[0] for d in draws], axis=1).T)
    t_low, t_high = _percentiles(np.concatenate([d[1] for d in draws], axis=1).T)
    out = [
        Index(k, first[j], f_low[j], f_high[j], total[j], t_low[j], t_high[j])
        for j, k in enumerate(names)
    ]
    return Indices("saltelli", out, n)


def _nan_index(name: str) -> Index:
    nan = math.nan
    return Index(name, nan, nan, nan, nan, nan, nan)


# --------------------------------------------------------------------------- metamodel

Term = tuple[tuple[int, int], ...]
"""A product of orthonormal Legendre polynomials: ((column, degree), ...)."""


def legendre(u: np.ndarray, degree: int) -> np.ndarray:
    """The shifted Legendre polynomial of ``degree`` on [0, 1], orthonormal under the
    uniform distribution (mean 0, variance 1 for degree >= 1)."""
    x = 2.0 * np.asarray(u, dtype=float) - 1.0
    if degree == 1:
        p = x
    elif degree == 2:
        p = (3 * x**2 - 1) / 2
    elif degree == 3:
        p = (5 * x**3 - 3 * x) / 2
    else:
        raise ValueError(f"degree 1 to 3, got {degree}")
    return math.sqrt(2 * degree + 1) * p


def _features(units: np.ndarray, terms: Sequence[Term]) -> np.ndarray:
    x = np.ones((units.shape[0], len(terms) + 1))
    for j, term in enumerate(terms, start=1):
        for col, degree in term:
            x[:, j] *= legendre(units[:, col], degree)
    return x


def main_terms(columns: Sequence[int], degree: int) -> list[Term]:
    """One input's own terms: each column's polynomials up to ``degree``, and (for an
    input of several columns, a Dirichlet) the products of its columns."""
    terms: list[Term] = [((c, d),) for c in columns for d in range(1, degree + 1)]
    terms += [((a, 1), (b, 1)) for i, a in enumerate(columns) for b in columns[i + 1 :]]
    return terms


def _pair_terms(a: Sequence[int], b: Sequence[int]) -> list[Term]:
    return [((i, 1), (j, 1)) for i in a for j in b]


def choose_terms(
    groups: Sequence[Sequence[int]], units: np.ndarray, y: np.ndarray
) -> tuple[list[Term], int]:
    """The metamodel's terms for ``len(y)`` sets: each input's own polynomials (degree 3,
    or less if the sets are few), then products of pairs of inputs, the pairs with the
    largest main effects first, while the terms are at most half the sets."""
    s = len(y)
    budget = s // 2
    degree = next(
        (d for d in (3, 2, 1) if 1 + sum(len(main_terms(g, d)) for g in groups) <= budget), 0
    )
    if degree == 0:
        return [], 0
    terms = [t for g in groups for t in main_terms(g, degree)]
    coef = np.linalg.lstsq(_features(units, terms), y, rcond=None)[0][1:]
    strength = []
    k = 0
    for g in groups:
        m = len(main_terms(g, degree))
        strength.append(float((coef[k : k + m] ** 2).sum()))
        k += m
    pairs = sorted(
        ((i, j) for i in range(len(groups)) for j in range(i + 1, len(groups))),
        key=lambda p: (-strength[p[0]] * strength[p[1]], p),
    )
    for i, j in pairs:
        extra = _pair_terms(groups[i], groups[j])
        if 1 + len(terms) + len(extra) > budget:
            continue
        terms += extra
    return terms, degree


def _term_variances(x: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each term's variance (its squared coefficient) less the variance of the
    coefficient's estimate, which makes it unbiased under noise: terms × samples, for
    each column of ``ys`` (sets × samples) fitted by least squares on ``x``; and the
    residual variance of each fit."""
    s, p = x.shape
    pinv = np.linalg.pinv(x)
    coef = pinv @ ys
    resid = ys - x @ coef
    dof = s - p
    sigma2 = (resid**2).sum(axis=0) / dof if dof > 0 else np.zeros(ys.shape[1])
    spread_of_coef = np.einsum("ij,ij->i", pinv, pinv)  # the diagonal of (X'X)^-1
    return (coef**2 - spread_of_coef[:, None] * sigma2[None, :])[1:], sigma2


def _metamodel_point(
    x: np.ndarray, ys: np.ndarray, owners: list[set[int]], k: int, noise: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First-order and total indices (inputs × samples) and the share explained (samples)
    for each column of ``ys``.

    The parameter variance divided by is the metamodel's own variance over the inputs'
    distribution (the sum of its terms' variances: its polynomials are orthonormal) plus
    the residual variance beyond the replications' noise (what it does not explain):
    for a metamodel that fits, the population's variance rather than the sample's."""
    parts, sigma2 = _term_variances(x, ys)
    # residual variance less the noise: an unbiased estimate of what the metamodel misses
    # (left unclipped: clipping at zero would bias every resample's denominator upwards)
    var = parts.sum(axis=0) + (sigma2 - noise)
    alone = np.zeros((k, len(owners)))
    within = np.zeros((k, len(owners)))
    for j, own in enumerate(owners):
        for i in own:
            within[i, j] = 1.0
            if len(own) == 1:
                alone[i, j] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        # shares of the parameter variance: estimates beyond 0 and 1 are sampling error
        first = np.clip((alone @ parts) / var, 0.0, 1.0)
        # an input's total includes its first order (a pair term estimated below zero is none)
        total = np.clip(np.maximum((within @ parts) / var, first), 0.0, 1.0)
        explained = parts.sum(axis=0) / var
    bad = ~(var > 0)
    first[:, bad], total[:, bad], explained[bad] = math.nan, math.nan, math.nan
    return first, total, explained


def metamodel_indices(
    units: np.ndarray,
    y: np.ndarray,
    groups: Sequence[Sequence[int]],
    names: Sequence[str],
    noise: float,
    bootstrap: int,
    rng: np.random.Generator,
) -> Indices:
    """First-order and total indices of a polynomial chaos metamodel of the set means.

    ``units``: the sets' unit coordinates (sets × columns); ``y``: the metric's set
    means; ``groups``: each input's columns. The parameter variance divided by is the
    variance of the set means less ``noise``."""
    units, y = np.asarray(units, dtype=float), np.asarray(y, dtype=float)
    keep = ~np.isnan(y)
    units, y = units[keep], y[keep]
    noise = 0.0 if math.isnan(noise) else noise
    terms, degree = choose_terms(groups, units, y) if y.size > 3 else ([], 0)
    if not terms:
        return Indices(
            "metamodel", [_nan_index(k) for k in names], int(y.size), note="too few sets"
        )
    col_owner = {c: i for i, g in enumerate(groups) for c in g}
    owners = [{col_owner[c] for c, _ in t} for t in terms]
    x = _features(units, terms)
    k = len(names)
    point = _metamodel_point(x, y[:, None], owners, k, noise)
    first, total, explained = point[0][:, 0], point[1][:, 0], float(point[2][0])
    # residual bootstrap: the design stays as drawn (its points are space-filling), the
    # fitted values get resampled residuals
    s = y.size
    fit = x @ (np.linalg.pinv(x) @ y)
    resid = (y - fit) * math.sqrt(s / max(s - x.shape[1], 1))
    ys = fit[:, None] + resid[rng.integers(0, s, (s, bootstrap))]
    draws_first, draws_total, _ = _metamodel_point(x, ys, owners, k, noise)
    f_low, f_high = _normal_interval(first, draws_first.T)
    t_low, t_high = _normal_interval(total, draws_total.T)
    out = [
        Index(k, first[j], f_low[j], f_high[j], total[j], t_low[j], t_high[j])
        for j, k in enumerate(names)
    ]
    pairs = sum(len(o) == 2 for o in owners)
    note = f"polynomial chaos: degree {degree} in each input, {len(terms)} terms ({pairs} between pairs of inputs)"
    return Indices("metamodel", out, s, explained, note)


def fitted(units: np.ndarray, y: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """The metamodel's value at each set (the set means with the replication noise and
    what the inputs do not explain smoothed away); NaN where ``y`` is NaN."""
    units, y = np.asarray(units, dtype=float), np.asarray(y, dtype=float)
    keep = ~np.isnan(y)
    out = np.full(y.shape, math.nan)
    terms, _ = choose_terms(groups, units[keep], y[keep]) if keep.sum() > 3 else ([], 0)
    if not terms:
        return out
    x = _features(units[keep], terms)
    coef, *_ = np.linalg.lstsq(x, y[keep], rcond=None)
    out[keep] = x @ coef
    return out


# --------------------------------------------------------------------------- decisions


def share(
    values: Sequence[float] | np.ndarray, test: Callable[[np.ndarray], np.ndarray]
) -> tuple[float, float, float]:
    """The share of parameter sets that pass ``test``, with a 95% Wilson interval for
    the share (how precisely the sets estimate it)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan
    p = float(np.count_nonzero(test(x))) / n
    z = 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(centre - half, 0.0), min(centre + half, 1.0)


def exceedance(values: Sequence[float] | np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """P(value >= threshold) over parameter sets, for each threshold."""
    x = np.sort(np.asarray(values, dtype=float)[~np.isnan(np.asarray(values, dtype=float))])
    if x.size == 0:
        return np.full(len(thresholds), math.nan)
    return 1.0 - np.searchsorted(x, thresholds, side="left") / x.size


SETS_PER_TERM = 10
"""Sets an EVPPI regression needs for each of its terms (fewer overfit, and inflate it)."""


def evppi(inb: np.ndarray, units: np.ndarray, columns: Sequence[int]) -> float:
    """EVPPI of the input whose unit coordinates are ``columns``, for a choice between
    the counterfactual (net benefit 0) and the scenario (incremental net benefit
    ``inb`` at each set): E[max(0, g(X))] - max(0, E[g(X)]) with g(X) = E[INB | X] fitted
    by a cubic polynomial in the input (Strong, Oakley & Brennan 2014)."""
    inb, units = np.asarray(inb, dtype=float), np.asarray(units, dtype=float)
    keep = ~np.isnan(inb)
    inb, units = inb[keep], units[keep]
    terms = main_terms(columns, 3)
    if inb.size < SETS_PER_TERM * (len(terms) + 1):  # too few sets for a cubic: a line
        terms = [((c, 1),) for c in columns]
    if inb.size < SETS_PER_TERM * (len(terms) + 1):
        return math.nan
    x = _features(units, terms)
    g = x @ np.linalg.lstsq(x, inb, rcond=None)[0]
    return max(float(np.maximum(g, 0.0).mean()) - max(float(g.mean()), 0.0), 0.0)


def evpi(inb_fitted: np.ndarray) -> float:
    """EVPI from the metamodel's net benefit at each set: the value of knowing every
    input (not the replications' randomness, which no study removes)."""
    g = np.asarray(inb_fitted, dtype=float)
    g = g[~np.isnan(g)]
    if g.size == 0:
        return math.nan
    return max(float(np.maximum(g, 0.0).mean()) - max(float(g.mean()), 0.0), 0.0)
