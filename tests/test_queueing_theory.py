"""The simulator against queueing theory, and the theory module against textbook values.

Simulation checks: a one-team scenario that is an M/M/c queue (Poisson referrals,
exponential visits, staff on duty around the clock, no patience), run for a fixed
seed; the theoretical value must lie inside the 99% t-interval over replications.
The seed is fixed, so each check is deterministic.

Theory checks compare :mod:`sim.runs.theory` with exact rational arithmetic (the textbook
sums, computed here with :class:`fractions.Fraction`) and with published values.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.runs.replications import run
from sim.runs.theory import erlang_b, erlang_c, least_servers, mmc_mean_wait, mmc_wait_within
from sim.runs.verify import CHECKS, mmc_scenario, run_checks

CONFIDENCE = 0.99
REPLICATIONS = 30
SEED = 20240229


# -- exact textbook formulas ---------------------------------------------------------------


def exact_erlang_b(c: int, a: Fraction) -> Fraction:
    """(a^c / c!) / sum_{k=0}^{c} a^k / k!"""
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(c: int, a: Fraction) -> Fraction:
    """P(wait) in M/M/c: (a^c/c! · c/(c−a)) / (sum_{k<c} a^k/k! + a^c/c! · c/(c−a))."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


# -- sim.runs.theory against known values --------------------------------------------------------


def test_erlang_b_known_values() -> None:
    assert erlang_b(1, 1.0) == pytest.approx(0.5, rel=1e-15)
    assert erlang_b(2, 2.0) == pytest.approx(0.4, rel=1e-15)  # 2 / (1 + 2 + 2)
    assert erlang_b(0, 3.0) == 1.0
    # Erlang B tables: 10 circuits offered 5 erlangs block 1.84% of calls.
    assert round(erlang_b(10, 5.0), 4) == 0.0184
    assert erlang_b(10, 5.0) == pytest.approx(float(exact_erlang_b(10, Fraction(5))), rel=1e-13)


def test_erlang_c_known_values() -> None:
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-15)
    # By hand: c = 3, a = 2: B = (8/6) / (1 + 2 + 2 + 8/6) = 4/19,
    # C = 3B / (3 − 2(1 − B)) = (12/19) / (27/19) = 4/9.
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9, rel=1e-15)
    assert mmc_mean_wait(2.0, 1.0, 3) == pytest.approx(4 / 9, rel=1e-15)  # C / (cμ − λ)
    assert mmc_wait_within(2.0, 1.0, 3, 1.5) == pytest.approx(1 - 4 / 9 * math.exp(-1.5), rel=1e-15)


@pytest.mark.parametrize(
    "c,a",
    [
        (1, Fraction(1, 2)),
        (4, Fraction(3)),
        (5, Fraction(9, 2)),
        (12, Fraction(21, 2)),
        (30, Fraction(25)),
    ],
)
def test_erlang_b_and_c_match_the_exact_sums(c: int, a: Fraction) -> None:
    assert erlang_b(c, float(a)) == pytest.approx(float(exact_erlang_b(c, a)), rel=1e-12)
    assert erlang_c(c, float(a)) == pytest.approx(float(exact_erlang_c(c, a)), rel=1e-12)


@settings(derandomize=True, database=None, deadline=None, max_examples=200)
@given(rho=st.floats(0.001, 0.999), mu=st.floats(0.01, 100), t=st.floats(0, 50))
def test_mm1_special_case(rho: float, mu: float, t: float) -> None:
    lam = rho * mu
    assert erlang_c(1, rho) == pytest.approx(rho, rel=1e-12)
    assert mmc_mean_wait(lam, mu, 1) == pytest.approx(rho / (mu - lam), rel=1e-9)
    assert mmc_wait_within(lam, mu, 1, t) == pytest.approx(
        1 - rho * math.exp(-(mu - lam) * t), rel=1e-9, abs=1e-12
    )


@settings(derandomize=True, database=None, deadline=None, max_examples=200)
@given(c=st.integers(1, 40), frac=st.floats(0.01, 0.99))
def test_erlang_c_properties(c: int, frac: float) -> None:
    a = c * frac
    b, pc = erlang_b(c, a), erlang_c(c, a)
    assert 0 < b <= pc < 1
    assert pc == pytest.approx(float(exact_erlang_c(c, Fraction(a))), rel=1e-9)
    assert erlang_c(c + 1, a) < pc  # one more server never makes waiting likelier


def test_overloaded_queue() -> None:
    assert erlang_c(2, 2.0) == 1.0
    assert erlang_c(2, 3.0) == 1.0
    assert mmc_mean_wait(3.0, 1.0, 2) == math.inf
    assert mmc_wait_within(3.0, 1.0, 2, 5.0) == 0.0


@pytest.mark.parametrize(
    "lam,mu,t,target", [(4.5, 1.0, 2.0, 0.95), (0.6, 1.0, 2.0, 0.8), (10.0, 2.0, 0.25, 0.9)]
)
def test_least_servers(lam: float, mu: float, t: float, target: float) -> None:
    def within(c: int) -> float:
        return 1 - float(exact_erlang_c(c, Fraction(lam / mu))) * math.exp(-(c * mu - lam) * t)

    c = least_servers(lam, mu, t, target)
    assert c > lam / mu
    assert within(c) >= target
    assert c - 1 <= lam / mu or within(c - 1) < target


# -- the simulator against the theory ------------------------------------------------------

LOADS = {
    # label: (λ per hour, mean visit minutes, staff, target hours)
    "M/M/1 rho=0.6": (0.6, 60.0, 1, 2.0),
    "M/M/5 rho=0.9": (4.5, 60.0, 5, 2.0),
    "M/M/2 rho=0.75 target 30 min": (3.0, 30.0, 2, 0.5),
}


@pytest.fixture(scope="module", params=list(LOADS), ids=list(LOADS))
def mmc_run(request):
    lam, minutes, c, target = LOADS[request.param]
    scen = mmc_scenario(lam, minutes, c, days=180, warmup_days=10, extra={"target_hours": target})
    results = run(scen, REPLICATIONS, SEED, workers=1)
    return (lam, 60.0 / minutes, c, target), results


def test_mean_wait_is_erlang_c(mmc_run) -> None:
    (lam, mu, c, _), results = mmc_run
    iv = results.interval("ucr.mean_wait_hours", CONFIDENCE)
    assert iv.n == REPLICATIONS
    theory = float(exact_erlang_c(c, Fraction(lam / mu))) / (c * mu - lam)
    assert iv.ci_low <= theory <= iv.ci_high, (theory, iv)


def test_wait_within_target_is_erlang_c(mmc_run) -> None:
    (lam, mu, c, target), results = mmc_run
    iv = results.interval("ucr.seen_within_target", CONFIDENCE)
    theory = 1 - float(exact_erlang_c(c, Fraction(lam / mu))) * math.exp(-(c * mu - lam) * target)
    assert iv.ci_low <= theory <= iv.ci_high, (theory, iv)


def test_utilisation_is_offered_load_per_server(mmc_run) -> None:
    (lam, mu, c, _), results = mmc_run
    iv = results.interval("ucr.utilisation", CONFIDENCE)
    theory = lam / (c * mu)
    assert iv.ci_low <= theory <= iv.ci_high, (theory, iv)
    assert max(results.values("ucr.overtime_hours")) == 0.0  # on duty around the clock


def test_nobody_escalates_without_patience(mmc_run) -> None:
    _, results = mmc_run
    assert max(results.values("ucr.escalated")) == 0.0


def test_built_in_verification_passes() -> None:
    """``nhsim verify``: every built-in check passes at its defaults, with the right theory."""
    results = run_checks(workers=1)
    assert len(results) == len(CHECKS) >= 6
    expected = {
        "ucr.mean_wait_hours": lambda lam, c: float(exact_erlang_c(c, Fraction(lam))) / (c - lam),
        "ucr.seen_within_target": lambda lam, c: (
            1 - float(exact_erlang_c(c, Fraction(lam))) * math.exp(-(c - lam) * 2)
        ),
        "ucr.utilisation": lambda lam, c: lam / c,
    }
    loads = {"M/M/1": (0.6, 1), "M/M/5": (4.5, 5)}  # 60-minute visits: μ = 1 an hour
    checked = 0
    for r in results:
        assert r.n == 20
        assert r.passed, r
        label = r.name.split(",")[0]
        if label in loads and r.metric in expected:  # the M/M/c checks: is their theory right?
            lam, c = loads[label]
            assert r.theory == pytest.approx(expected[r.metric](lam, c), rel=1e-12), r
            checked += 1
    assert checked == 6
