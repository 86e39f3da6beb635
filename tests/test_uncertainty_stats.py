"""The statistics of ``nhsim uncertainty`` on models whose answers are known in closed form.

- The two-level decomposition recovers a known parameter variance from a table of sets ×
  replications whose replications share a common random part (as with common random
  numbers) and have a part of their own.
- The metamodel's Sobol indices recover those of a product of two inputs (first order
  and total known exactly) within their intervals, with replication noise added.
- The Saltelli design's indices (Jansen's estimators) recover those of the Ishigami
  function, the standard test of total indices (an interaction and an input with no
  effect alone).
- EVPPI by regression recovers the value of an input whose effect is known, with the
  other input's variation removed; Wilson intervals match their formula.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import qmc

from sim.runs.uncertainty_stats import (
    evpi,
    evppi,
    exceedance,
    interaction_variance,
    legendre,
    metamodel_indices,
    saltelli_indices,
    share,
    spread,
)

# --------------------------------------------------------------------------- a product of inputs
# Y = X1 X2, X1 ~ U(1, 2), X2 ~ U(30, 45): V1 = Var X1 (E X2)^2, V2 = Var X2 (E X1)^2,
# V12 = Var X1 Var X2 (Sobol's decomposition of a product of independent inputs).
VAR1, VAR2 = 1 / 12, 15**2 / 12
MEAN1, MEAN2 = 1.5, 37.5
V1, V2, V12 = VAR1 * MEAN2**2, VAR2 * MEAN1**2, VAR1 * VAR2
V = V1 + V2 + V12
FIRST = (V1 / V, V2 / V)
TOTAL = ((V1 + V12) / V, (V2 + V12) / V)


def product(unit: np.ndarray) -> np.ndarray:
    return (1 + unit[:, 0]) * (30 + 15 * unit[:, 1])


def noisy_table(
    f: np.ndarray, n: int, common_sd: float, own_sd: float, rng: np.random.Generator
) -> np.ndarray:
    """Sets × replications: each replication's shared random part (the same seed in every
    set) and a part of each set's own."""
    common = rng.normal(0, common_sd, n)
    return f[:, None] + common[None, :] + rng.normal(0, own_sd, (f.size, n))


def test_legendre_polynomials_are_orthonormal_under_the_uniform() -> None:
    u = (np.arange(20000) + 0.5) / 20000  # midpoints: integrates polynomials of degree 6 well
    for a in (1, 2, 3):
        assert abs(legendre(u, a).mean()) < 1e-6
        for b in (1, 2, 3):
            assert (legendre(u, a) * legendre(u, b)).mean() == pytest.approx(
                float(a == b), abs=1e-6
            )


def test_decomposition_separates_parameters_from_replications() -> None:
    """Parameter variance V plus own noise sd 20 over 5 replications: the shared noise
    (sd 30) moves every set alike and is no part of the spread of the set means."""
    rng = np.random.default_rng(11)
    sets, n = 4000, 5
    f = product(rng.random((sets, 2)))
    table = noisy_table(f, n, 30.0, 20.0, rng)
    sp = spread(table)
    # the sample variance of the set means and the residual mean square: 4-sd bands from
    # their sampling distributions (chi-square with sets - 1 and (sets - 1)(n - 1) df)
    noise = 20.0**2
    assert interaction_variance(table) == pytest.approx(
        noise, abs=4 * noise * math.sqrt(2 / ((sets - 1) * (n - 1)))
    )
    true_param = float(f.var(ddof=1))
    total = true_param + noise / n
    assert sp.total_variance == pytest.approx(total, abs=4 * total * math.sqrt(2 / (sets - 1)))
    assert sp.parameter_variance == pytest.approx(true_param, rel=0.1)
    assert sp.parameter_share == pytest.approx(true_param / total, abs=0.02)
    assert sp.sets == sets and sp.replications == n
    assert sp.low < sp.mean < sp.high


def test_one_replication_has_no_noise_estimate() -> None:
    table = np.arange(10, dtype=float).reshape(10, 1)
    sp = spread(table)
    assert math.isnan(sp.noise_variance) and math.isnan(sp.parameter_share)
    assert sp.parameter_variance == sp.total_variance


@pytest.mark.parametrize("sets", [64, 128])
def test_metamodel_recovers_the_indices_of_a_product(sets: int) -> None:
    rng = np.random.default_rng(sets)
    unit = qmc.Sobol(2, seed=rng).random(sets)
    table = noisy_table(product(unit), 5, 3.0, 20.0, rng)  # about a third of the spread is noise
    sp = spread(table)
    assert 0.5 < sp.parameter_share < 0.9
    ind = metamodel_indices(
        unit, table.mean(axis=1), [[0], [1]], ["x1", "x2"], sp.noise_variance, 1000, rng
    )
    assert ind.method == "metamodel" and ind.sets == sets
    for i, first, total in zip(ind.indices, FIRST, TOTAL):
        assert i.first_low <= first <= i.first_high, (i, first)
        assert i.total_low <= total <= i.total_high, (i, total)
        assert i.first <= i.total
    assert ind.indices[0].first > ind.indices[1].total  # x1 ranks first


def test_metamodel_without_noise_is_exact_for_a_polynomial() -> None:
    """A product of two inputs is a term of the expansion: the indices are exact."""
    rng = np.random.default_rng(5)
    unit = qmc.Sobol(2, seed=rng).random(128)
    ind = metamodel_indices(unit, product(unit), [[0], [1]], ["x1", "x2"], 0.0, 200, rng)
    for i, first, total in zip(ind.indices, FIRST, TOTAL):
        assert i.first == pytest.approx(first, rel=1e-9)
        assert i.total == pytest.approx(total, rel=1e-9)
    assert ind.explained == pytest.approx(1.0)


def test_too_few_sets_give_no_indices() -> None:
    rng = np.random.default_rng(1)
    unit = rng.random((6, 4))
    ind = metamodel_indices(
        unit, unit.sum(axis=1), [[0], [1], [2], [3]], list("abcd"), 0.0, 100, rng
    )
    assert ind.note == "too few sets"
    assert all(math.isnan(i.first) for i in ind.indices)


def ishigami(unit: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    x = -math.pi + 2 * math.pi * unit
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_saltelli_design_recovers_the_ishigami_indices() -> None:
    """Ishigami and Homma (1990): x3 acts only with x1 (first order 0, total 0.244)."""
    a, b = 7.0, 0.1
    var = a**2 / 8 + b * math.pi**4 / 5 + b**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    vt3 = 8 * b**2 * math.pi**8 / 225
    first = (v1 / var, v2 / var, 0.0)
    total = ((v1 + vt3) / var, v2 / var, vt3 / var)
    rng = np.random.default_rng(2)
    rows = 1024
    points = qmc.Sobol(6, seed=rng).random(rows)
    fa, fb = ishigami(points[:, :3]), ishigami(points[:, 3:])
    fab = []
    for i in range(3):
        mixed = points[:, :3].copy()
        mixed[:, i] = points[:, 3 + i]
        fab.append(ishigami(mixed))
    ind = saltelli_indices(fa, fb, np.array(fab), ["x1", "x2", "x3"], math.nan, 1000, rng)
    assert ind.method == "saltelli" and ind.sets == rows
    for i, s, t in zip(ind.indices, first, total):
        assert i.first_low <= s <= i.first_high, (i, s)
        assert i.total_low <= t <= i.total_high, (i, t)


def test_saltelli_noise_correction_takes_out_the_replications() -> None:
    """The same design with noise of each set's own: without taking the noise out the
    total indices of the product are inflated; with it they are recovered."""
    rng = np.random.default_rng(8)
    rows, n = 512, 5
    points = qmc.Sobol(4, seed=rng).random(rows)
    a, b = points[:, :2], points[:, 2:]
    mats = [a, b]
    for i in range(2):
        m = a.copy()
        m[:, i] = b[:, i]
        mats.append(m)
    common = rng.normal(0, 3.0, n)
    tables = [product(m)[:, None] + common + rng.normal(0, 15.0, (rows, n)) for m in mats]
    noise = interaction_variance(np.vstack(tables)) / n
    means = [t.mean(axis=1) for t in tables]
    fixed = saltelli_indices(means[0], means[1], np.array(means[2:]), ["x1", "x2"], noise, 500, rng)
    raw = saltelli_indices(means[0], means[1], np.array(means[2:]), ["x1", "x2"], 0.0, 500, rng)
    for i, s, t in zip(fixed.indices, FIRST, TOTAL):
        assert i.first_low <= s <= i.first_high, (i, s)
        assert i.total_low <= t <= i.total_high, (i, t)
    assert raw.indices[1].total > fixed.indices[1].total  # noise read as interaction


def test_evppi_of_a_known_effect() -> None:
    """INB = (x1 - 0.5) + 0.4 (x2 - 0.5): knowing x1 is worth E[max(0, x1 - 0.5)] = 1/8,
    knowing x2 0.4 / 8; the regression on one input removes the other's part."""
    rng = np.random.default_rng(3)
    unit = qmc.Sobol(2, seed=rng).random(256)
    inb = (unit[:, 0] - 0.5) + 0.4 * (unit[:, 1] - 0.5)
    for col, scale in ((0, 1.0), (1, 0.4)):
        # with the other input's part left in, max(0, INB) would be worth more
        assert evppi(inb, unit, [col]) == pytest.approx(scale / 8, rel=0.02)
    assert evpi(inb) >= evppi(inb, unit, [0])
    assert evppi(np.full(256, 5.0), unit, [0]) == 0.0  # a sure decision: nothing to learn


def test_evppi_refuses_too_few_sets() -> None:
    unit = np.random.default_rng(0).random((12, 1))
    assert math.isnan(evppi(unit[:, 0], unit, [0]))


def test_share_and_its_wilson_interval() -> None:
    p, low, high = share(np.arange(100), lambda v: v < 50)
    assert p == 0.5
    # Wilson (1927): centre (p + z^2/2n) / (1 + z^2/n), half-width as below
    z, n = 1.959963984540054, 100
    half = z * math.sqrt(0.25 / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (low, high) == pytest.approx((0.5 - half, 0.5 + half))
    assert share([math.nan, 1.0], lambda v: v > 0)[0] == 1.0  # undefined sets left out
    assert share([1.0] * 10, lambda v: v > 0)[2] == pytest.approx(1.0)


def test_exceedance_curve() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert list(exceedance(x, np.array([0.0, 1.0, 2.5, 4.0, 5.0]))) == [1.0, 1.0, 0.5, 0.25, 0.0]
