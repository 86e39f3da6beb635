"""Distributions: theoretical mean and variance, what the samples really do, validation.

Every statistical check uses a fixed seed, so it is deterministic; its tolerance is a
99.9% normal interval derived from the theory (never a hand-picked epsilon):

- sample mean:      |x̄ − μ| <= z · sqrt(σ² / n)
- sample variance:  |s² − σ²| <= z · sqrt((μ₄ − σ⁴ (n − 3)/(n − 1)) / n), the exact
  variance of the unbiased sample variance, with μ₄ the fourth central moment.

The reference moments come from scipy.stats (or, for the empirical distribution, from
the probabilities directly), not from the models under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from sim.scenario.distributions import DIST_NAMES, Distribution

ADAPTER = TypeAdapter(Distribution)
N = 200_000
Z = float(stats.norm.ppf(1 - 0.001 / 2))  # two-sided 99.9%


def make(spec: dict):
    return ADAPTER.validate_python(spec)


def _from_scipy(frozen) -> tuple[float, float, float]:
    """(mean, variance, fourth central moment) of a frozen scipy distribution."""
    mean, var, _, kurt = (float(x) for x in frozen.stats(moments="mvsk"))
    return mean, var, (kurt + 3.0) * var * var


def _empirical(values: list[float], weights: list[float] | None) -> tuple[float, float, float]:
    v = np.asarray(values, dtype=float)
    p = (
        np.full(len(v), 1.0 / len(v))
        if weights is None
        else np.asarray(weights, float) / sum(weights)
    )
    m = float(p @ v)
    return m, float(p @ (v - m) ** 2), float(p @ (v - m) ** 4)


def reference(spec: dict) -> tuple[float, float, float]:
    """Independent (mean, variance, fourth central moment) of a distribution spec."""
    d = spec["dist"]
    if d == "fixed":
        return float(spec["mean"]), 0.0, 0.0
    if d == "exponential":
        return _from_scipy(stats.expon(scale=spec["mean"]))
    if d == "lognormal":
        m, sd = spec["mean"], spec["sd"]
        sigma2 = math.log1p((sd / m) ** 2)
        return _from_scipy(
            stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(math.log(m) - sigma2 / 2))
        )
    if d == "gamma":
        m, sd = spec["mean"], spec["sd"]
        return _from_scipy(stats.gamma(a=(m / sd) ** 2, scale=sd * sd / m))
    if d == "triangular":
        lo, mode, hi = spec["low"], spec["mode"], spec["high"]
        return _from_scipy(stats.triang(c=(mode - lo) / (hi - lo), loc=lo, scale=hi - lo))
    if d == "uniform":
        return _from_scipy(stats.uniform(loc=spec["low"], scale=spec["high"] - spec["low"]))
    if d == "empirical":
        return _empirical(spec["values"], spec.get("weights"))
    raise AssertionError(f"no reference for {d}")


CASES = [
    {"dist": "fixed", "mean": 0},
    {"dist": "fixed", "mean": 5},
    {"dist": "fixed", "mean": 90.5},
    {"dist": "exponential", "mean": 1},
    {"dist": "exponential", "mean": 60},
    {"dist": "exponential", "mean": 0.25},
    {"dist": "lognormal", "mean": 5, "sd": 3},
    {"dist": "lognormal", "mean": 90, "sd": 40},
    {"dist": "lognormal", "mean": 10, "sd": 10},
    {"dist": "lognormal", "mean": 2, "sd": 0.1},
    {"dist": "gamma", "mean": 5, "sd": 3},
    {"dist": "gamma", "mean": 90, "sd": 40},
    {"dist": "gamma", "mean": 2, "sd": 4},
    {"dist": "gamma", "mean": 10, "sd": 1},
    {"dist": "triangular", "low": 0, "mode": 0, "high": 1},
    {"dist": "triangular", "low": 10, "mode": 30, "high": 90},
    {"dist": "triangular", "low": 20, "mode": 60, "high": 60},
    {"dist": "uniform", "low": 0, "high": 1},
    {"dist": "uniform", "low": 30, "high": 90},
    {"dist": "empirical", "values": [30, 60, 90, 120]},
    {"dist": "empirical", "values": [30, 60, 90, 120], "weights": [1, 2, 3, 4]},
    {"dist": "empirical", "values": [10, 20, 30], "weights": [0, 1, 1]},
    {"dist": "empirical", "values": [5, 5, 15], "weights": [0.2, 0.3, 0.5]},
    {"dist": "empirical", "values": [45]},
]


def _id(spec: dict) -> str:
    return "-".join(str(v) for v in spec.values()).replace(" ", "")


def test_every_distribution_has_cases() -> None:
    assert {c["dist"] for c in CASES} == set(DIST_NAMES)


@pytest.mark.parametrize("spec", CASES, ids=_id)
def test_theoretical_moments_match_reference(spec: dict) -> None:
    d = make(spec)
    mean, var, _ = reference(spec)
    assert d.mean == pytest.approx(mean, rel=1e-12, abs=1e-12)
    assert d.variance == pytest.approx(var, rel=1e-12, abs=1e-12)
    if "sd" in spec:  # lognormal and gamma are given by their own mean and sd
        assert d.mean == pytest.approx(spec["mean"], rel=1e-12)
        assert math.sqrt(d.variance) == pytest.approx(spec["sd"], rel=1e-12)


@pytest.mark.parametrize("index,spec", list(enumerate(CASES)), ids=[_id(c) for c in CASES])
def test_sample_mean_and_variance(index: int, spec: dict) -> None:
    d = make(spec)
    mean, var, mu4 = reference(spec)
    x = d.sample(np.random.default_rng(1000 + index), N)  # fixed seed: deterministic
    assert x.shape == (N,)
    assert x.dtype == np.float64
    assert np.all(np.isfinite(x)) and np.all(x >= 0)

    xbar = float(x.mean())
    s2 = float(x.var(ddof=1))
    if var == 0.0:
        assert np.all(x == mean)
        assert s2 == 0.0
        return
    assert abs(xbar - mean) <= Z * math.sqrt(var / N), (xbar, mean)
    var_s2 = (mu4 - var * var * (N - 3) / (N - 1)) / N
    assert var_s2 > 0
    assert abs(s2 - var) <= Z * math.sqrt(var_s2), (s2, var)


@pytest.mark.parametrize(
    "spec",
    [c for c in CASES if c["dist"] in ("triangular", "uniform")],
    ids=_id,
)
def test_bounded_samples_stay_within_bounds(spec: dict) -> None:
    x = make(spec).sample(np.random.default_rng(7), 50_000)
    assert x.min() >= spec["low"] and x.max() <= spec["high"]


@pytest.mark.parametrize(
    "index,spec",
    [(i, c) for i, c in enumerate(CASES) if c["dist"] == "empirical" and len(set(c["values"])) > 1],
    ids=lambda v: _id(v) if isinstance(v, dict) else str(v),
)
def test_empirical_frequencies(index: int, spec: dict) -> None:
    """Only listed values are drawn, zero-weight values never, others in proportion."""
    values = np.asarray(spec["values"], dtype=float)
    weights = np.asarray(spec.get("weights") or [1.0] * len(values), dtype=float)
    distinct = np.unique(values)
    p = np.array([weights[values == v].sum() for v in distinct]) / weights.sum()
    x = make(spec).sample(np.random.default_rng(2000 + index), N)
    assert set(np.unique(x)) <= set(distinct[p > 0])
    counts = np.array([(x == v).sum() for v in distinct])
    assert counts.sum() == N
    keep = p > 0
    # Fixed seed, so deterministic; the goodness of fit must not be rejected at 0.1%.
    result = stats.chisquare(counts[keep], N * p[keep])
    assert result.pvalue > 0.001


def test_fixed_has_zero_variance() -> None:
    d = make({"dist": "fixed", "mean": 42})
    assert d.variance == 0.0
    assert np.array_equal(d.sample(np.random.default_rng(0), 1000), np.full(1000, 42.0))


def test_sample_size_zero_is_empty() -> None:
    for spec in CASES:
        assert make(spec).sample(np.random.default_rng(0), 0).shape == (0,)


INVALID = {
    "triangular mode above high": {"dist": "triangular", "low": 1, "mode": 5, "high": 4},
    "triangular mode below low": {"dist": "triangular", "low": 2, "mode": 1, "high": 4},
    "triangular low == high": {"dist": "triangular", "low": 3, "mode": 3, "high": 3},
    "uniform low > high": {"dist": "uniform", "low": 5, "high": 4},
    "uniform low == high": {"dist": "uniform", "low": 4, "high": 4},
    "uniform negative low": {"dist": "uniform", "low": -1, "high": 4},
    "empirical too few weights": {"dist": "empirical", "values": [1, 2, 3], "weights": [1, 1]},
    "empirical too many weights": {"dist": "empirical", "values": [1, 2], "weights": [1, 1, 1]},
    "empirical negative weight": {"dist": "empirical", "values": [1, 2], "weights": [1, -1]},
    "empirical all-zero weights": {"dist": "empirical", "values": [1, 2], "weights": [0, 0]},
    "empirical negative value": {"dist": "empirical", "values": [1, -2]},
    "empirical no values": {"dist": "empirical", "values": []},
    "lognormal negative sd": {"dist": "lognormal", "mean": 5, "sd": -1},
    "lognormal zero sd": {"dist": "lognormal", "mean": 5, "sd": 0},
    "lognormal zero mean": {"dist": "lognormal", "mean": 0, "sd": 1},
    "gamma negative sd": {"dist": "gamma", "mean": 5, "sd": -3},
    "gamma negative mean": {"dist": "gamma", "mean": -5, "sd": 3},
    "exponential zero mean": {"dist": "exponential", "mean": 0},
    "fixed negative": {"dist": "fixed", "mean": -1},
    "unknown dist": {"dist": "weibull", "mean": 5},
    "unknown key": {"dist": "exponential", "mean": 5, "sd": 5},
    "missing key": {"dist": "gamma", "mean": 5},
}


@pytest.mark.parametrize("spec", list(INVALID.values()), ids=list(INVALID))
def test_invalid_parameters_raise(spec: dict) -> None:
    with pytest.raises(ValidationError):
        make(spec)


positive = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False)


@settings(derandomize=True, database=None, deadline=None, max_examples=150)
@given(
    kind=st.sampled_from(["gamma", "lognormal"]),
    mean=positive,
    sd=positive,
    seed=st.integers(0, 2**32 - 1),
)
def test_mean_sd_parameterisation_property(kind: str, mean: float, sd: float, seed: int) -> None:
    """For any valid mean and sd, the model reports them back and draws values >= 0."""
    d = make({"dist": kind, "mean": mean, "sd": sd})
    assert d.mean == pytest.approx(mean, rel=1e-12)
    assert d.variance == pytest.approx(sd * sd, rel=1e-12)
    x = d.sample(np.random.default_rng(seed), 500)
    assert np.all(np.isfinite(x)) and np.all(x >= 0)


@settings(derandomize=True, database=None, deadline=None, max_examples=150)
@given(
    low=st.floats(0, 1e3),
    a=st.floats(0, 1),
    width=st.floats(1e-3, 1e3),
)
def test_triangular_moments_property(low: float, a: float, width: float) -> None:
    high = low + width
    mode = min(high, max(low, low + a * width))
    spec = {"dist": "triangular", "low": low, "mode": mode, "high": high}
    d = make(spec)
    mean, var, _ = reference(spec)
    assert d.mean == pytest.approx(mean, rel=1e-9)
    # Float round-off only: the variance formula sums squares of the bounds, so its
    # error scales with low² + mode² + high², not with the (possibly tiny) variance.
    roundoff = 8 * np.finfo(float).eps * (low * low + mode * mode + high * high)
    assert d.variance == pytest.approx(var, rel=1e-12, abs=roundoff)
