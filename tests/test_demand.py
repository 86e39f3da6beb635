"""Demand: exact non-homogeneous Poisson arrivals shaped by week and month profiles.

Every statistical test below uses a fixed seed, so it is deterministic: it either
always passes or always fails. Goodness-of-fit tests must not reject at the 0.1%
level; totals must lie in the Poisson 99.9% interval of the expected total. The
expected counts are computed here from the profiles as the docs define them, not
from :func:`sim.engine.demand.hourly_rates`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.engine import run_replication
from sim.engine.calendar import Clock
from sim.engine.demand import arrival_times, cohort_mix, hourly_rates, month_profile, week_profile
from sim.engine.outcome import OutcomeCounter
from sim.scenario import scenario_from_dict

ALPHA = 0.001
MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
MONTH_OF_DAY = np.repeat(np.arange(12), MONTH_DAYS)  # day of a 365-day year -> month

# Closed 20:00-08:00, busiest late morning.
HOUR_OF_DAY = [0.0] * 8 + [1.0, 1.6, 2.0, 2.0, 1.8, 1.6, 1.5, 1.4, 1.2, 1.0, 0.8, 0.6] + [0.0] * 4
DAY_OF_WEEK = [1.3, 1.1, 1.0, 1.0, 1.2, 0.6, 0.4]
MONTH_OF_YEAR = [1.4, 1.3, 1.1, 1.0, 0.9, 0.8, 0.8, 0.8, 0.9, 1.0, 1.2, 1.5]


def scenario(
    source: dict,
    *,
    size: int = 100_000,
    cohorts: dict | None = None,
    days: float = 28,
    warmup_days: float = 0,
):
    """A scenario whose only demand source ``calls`` goes straight to an outcome ``ed``."""
    population: dict = {"size": size}
    if cohorts is not None:
        population["cohorts"] = cohorts
    return scenario_from_dict(
        {
            "run": {"days": days, "warmup_days": warmup_days},
            "population": population,
            "demand": {"calls": {"to": "ed", **source}},
            "services": {"ed": {"kind": "outcome"}},
        }
    )


def occurrences(clock: Clock, period: int) -> np.ndarray:
    """How many simulated hours fall on each calendar hour modulo ``period``."""
    cal = np.arange(clock.horizon_hours) - clock.warmup_hours
    return np.bincount(np.mod(cal, period), minlength=period)


def expected_by_hour_of_week(rate_per_year: float, clock: Clock) -> np.ndarray:
    """Expected arrivals on each hour of the week over the horizon (flat months)."""
    w = np.outer(DAY_OF_WEEK, HOUR_OF_DAY).ravel()
    w = w / w.mean()
    return rate_per_year / 8760.0 * w * occurrences(clock, 168)


def calendar_hour(t: np.ndarray, clock: Clock) -> np.ndarray:
    """Calendar hour (0 = Monday 1 January 00:00) of each simulation time."""
    return np.floor(t).astype(np.int64) - clock.warmup_hours


# -- hour of day and day of week ------------------------------------------------------

WEEK_SOURCE = {"rate_per_1000": 3000, "hour_of_day": HOUR_OF_DAY, "day_of_week": DAY_OF_WEEK}


@pytest.fixture(scope="module")
def weekly():
    """A year of arrivals (~300,000) with a 50-hour warm-up (so calendar != simulation hour)."""
    scen = scenario(WEEK_SOURCE, days=364, warmup_days=50 / 24)
    clock = Clock(warmup_hours=50, measured_hours=364 * 24)
    src = scen.demand["calls"]
    rates = hourly_rates(src, scen.population, clock)
    times = arrival_times(rates, np.random.default_rng(20240101))
    return clock, rates, times


def test_rates_follow_the_week_profile(weekly) -> None:
    clock, rates, _ = weekly
    assert rates.shape == (clock.horizon_hours,)
    w = np.outer(DAY_OF_WEEK, HOUR_OF_DAY).ravel()
    expected = 300_000 / 8760.0 * w / w.mean()
    how = np.mod(np.arange(clock.horizon_hours) - clock.warmup_hours, 168)
    np.testing.assert_allclose(rates, expected[how], rtol=1e-12)


def test_arrivals_are_sorted_and_inside_the_horizon(weekly) -> None:
    clock, _, times = weekly
    assert times.size > 0
    assert np.all(np.diff(times) >= 0)
    assert times[0] >= 0 and times[-1] < clock.horizon_hours


def test_no_arrivals_in_zero_rate_hours(weekly) -> None:
    clock, rates, times = weekly
    hours = np.floor(times).astype(np.int64)
    assert np.all(rates[hours] > 0)
    hour_of_day = np.mod(calendar_hour(times, clock), 24)
    assert not np.any((hour_of_day < 8) | (hour_of_day >= 20))


def test_counts_per_hour_of_week_fit_the_profile(weekly) -> None:
    clock, _, times = weekly
    observed = np.bincount(np.mod(calendar_hour(times, clock), 168), minlength=168)
    expected = expected_by_hour_of_week(300_000, clock)
    assert np.all(observed[expected == 0] == 0)
    open_ = expected > 0
    assert open_.sum() == 7 * 12
    # Conditional on the total the counts are multinomial; seed fixed, so deterministic.
    f_exp = expected[open_] * observed.sum() / expected.sum()
    assert stats.chisquare(observed[open_], f_exp).pvalue > ALPHA


def test_total_is_poisson_with_the_integrated_rate(weekly) -> None:
    clock, rates, times = weekly
    expected = expected_by_hour_of_week(300_000, clock).sum()
    assert rates.sum() == pytest.approx(expected, rel=1e-12)
    low, high = stats.poisson.interval(1 - ALPHA, expected)
    assert low <= times.size <= high


def test_arrivals_are_uniform_within_each_hour(weekly) -> None:
    """The rate is constant within an hour, so the position within the hour is U(0, 1)."""
    _, _, times = weekly
    frac = times - np.floor(times)
    assert stats.kstest(frac, "uniform").pvalue > ALPHA


def test_engine_feeds_arrivals_on_the_calendar(recorder) -> None:
    """Through the engine: arrivals land only in open calendar hours, with a warm-up of
    a day and a half, and the tally counts exactly those after the warm-up."""
    scen = scenario(WEEK_SOURCE, days=56, warmup_days=1.5)
    tally = run_replication(scen, seed=11, log=recorder)
    clock = tally.clock
    assert clock.warmup_hours == 36 and clock.measured_hours == 56 * 24
    times = np.array([e[0] for e in recorder.of("ed", "arrived")])
    assert times.size > 0 and np.all(np.diff(times) >= 0)
    hour_of_day = np.mod(calendar_hour(times, clock), 24)
    assert not np.any((hour_of_day < 8) | (hour_of_day >= 20))
    assert tally.arrivals["calls"] == int(np.sum(times >= clock.warmup_hours))
    assert tally.services["ed"].arrivals == tally.arrivals["calls"]
    expected = expected_by_hour_of_week(300_000, clock)
    low, high = stats.poisson.interval(1 - ALPHA, expected.sum())
    assert low <= times.size <= high
    observed = np.bincount(np.mod(calendar_hour(times, clock), 168), minlength=168)
    open_ = expected > 0
    assert np.all(observed[~open_] == 0)
    f_exp = expected[open_] * observed.sum() / expected.sum()
    assert stats.chisquare(observed[open_], f_exp).pvalue > ALPHA


def test_hour_of_week_profile_is_used_as_given() -> None:
    hour_of_week = [0.0] * 168
    hour_of_week[5] = 1.0  # Monday 05:00-06:00 only
    hour_of_week[100] = 3.0  # Friday 04:00-05:00, three times as busy
    scen = scenario({"rate_per_1000": 1000, "hour_of_week": hour_of_week}, days=700)
    clock = Clock(0, 700 * 24)
    times = arrival_times(
        hourly_rates(scen.demand["calls"], scen.population, clock), np.random.default_rng(5)
    )
    how = np.mod(np.floor(times).astype(np.int64), 168)
    assert set(np.unique(how)) == {5, 100}
    n5, n100 = int(np.sum(how == 5)), int(np.sum(how == 100))
    # Given the total, the Friday count is binomial with p = 3/4.
    low, high = stats.binom.interval(1 - ALPHA, n5 + n100, 0.75)
    assert low <= n100 <= high


# -- month of year ----------------------------------------------------------------------


def test_month_profile_has_mean_one_over_the_days_of_the_year() -> None:
    scen = scenario({"rate_per_1000": 10, "month_of_year": MONTH_OF_YEAR})
    m = month_profile(scen.demand["calls"])
    assert np.dot(m, MONTH_DAYS) / 365 == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(m / m[0], np.array(MONTH_OF_YEAR) / MONTH_OF_YEAR[0], rtol=1e-12)


@pytest.mark.parametrize("warmup_days,years", [(0, 1), (31, 2)])
def test_counts_by_month_follow_the_month_profile(warmup_days: int, years: int) -> None:
    """A warm-up runs in the previous December; a second year starts in January again."""
    days = 365 * years
    scen = scenario(
        {"rate_per_1000": 1000, "month_of_year": MONTH_OF_YEAR}, days=days, warmup_days=warmup_days
    )
    clock = Clock(warmup_days * 24, days * 24)
    rates = hourly_rates(scen.demand["calls"], scen.population, clock)
    times = arrival_times(rates, np.random.default_rng(365 + warmup_days))

    w = np.array(MONTH_OF_YEAR) / (np.dot(MONTH_OF_YEAR, MONTH_DAYS) / 365)
    cal_days = np.arange(-warmup_days, days)
    months = MONTH_OF_DAY[np.mod(cal_days, 365)]
    expected = np.bincount(months, weights=100_000 / 365 * w[months], minlength=12)
    assert rates.sum() == pytest.approx(expected.sum(), rel=1e-9)

    day = np.floor_divide(calendar_hour(times, clock), 24)
    observed = np.bincount(MONTH_OF_DAY[np.mod(day, 365)], minlength=12)
    low, high = stats.poisson.interval(1 - ALPHA, expected.sum())
    assert low <= times.size <= high
    assert stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > ALPHA
    if warmup_days:
        in_warmup = int(np.sum(times < clock.warmup_hours))
        low, high = stats.poisson.interval(1 - ALPHA, 100_000 / 365 * w[11] * warmup_days)
        assert low <= in_warmup <= high


# -- cohorts ------------------------------------------------------------------------------

COHORTS = {"young": 0.7, "old": 0.2, "frail": 0.1}
RATES = {"young": 5.0, "old": 50.0, "frail": 300.0}


def test_cohort_mix_is_rates_times_shares() -> None:
    scen = scenario({"rate_per_1000": RATES}, size=200_000, cohorts=COHORTS)
    names, mix, per_year = cohort_mix(scen.demand["calls"], scen.population)
    per_cohort = {c: 200_000 * COHORTS[c] * RATES[c] / 1000 for c in COHORTS}
    assert names == list(COHORTS)
    assert per_year == pytest.approx(sum(per_cohort.values()), rel=1e-12)
    np.testing.assert_allclose(mix, [per_cohort[c] / per_year for c in names], rtol=1e-12)


def test_arrivals_by_cohort_follow_the_mix(monkeypatch) -> None:
    cohorts_seen: list[int] = []
    original = OutcomeCounter.accept

    def accept(self, patient):  # type: ignore[no-untyped-def]
        cohorts_seen.append(patient.cohort)
        return original(self, patient)

    monkeypatch.setattr(OutcomeCounter, "accept", accept)
    scen = scenario({"rate_per_1000": RATES}, size=200_000, cohorts=COHORTS, days=365)
    tally = run_replication(scen, seed=3)
    per_cohort = np.array([200_000 * COHORTS[c] * RATES[c] / 1000 for c in COHORTS])
    counts = np.bincount(cohorts_seen, minlength=len(COHORTS))
    n = int(counts.sum())
    assert n == tally.arrivals["calls"] == len(cohorts_seen)
    low, high = stats.poisson.interval(1 - ALPHA, per_cohort.sum())
    assert low <= n <= high
    p = per_cohort / per_cohort.sum()
    for k in range(len(p)):
        low, high = stats.binom.interval(1 - ALPHA, n, p[k])
        assert low <= counts[k] <= high, (list(COHORTS)[k], counts[k], n * p[k])
    assert stats.chisquare(counts, n * p).pvalue > ALPHA


def test_cohort_with_zero_rate_gets_no_arrivals(monkeypatch) -> None:
    cohorts_seen: list[int] = []
    original = OutcomeCounter.accept

    def accept(self, patient):  # type: ignore[no-untyped-def]
        cohorts_seen.append(patient.cohort)
        return original(self, patient)

    monkeypatch.setattr(OutcomeCounter, "accept", accept)
    scen = scenario(
        {"rate_per_1000": {**RATES, "old": 0.0}}, size=200_000, cohorts=COHORTS, days=60
    )
    run_replication(scen, seed=4)
    assert len(cohorts_seen) > 0
    assert list(COHORTS).index("old") not in set(cohorts_seen)


# -- normalisation ----------------------------------------------------------------------


@settings(derandomize=True, database=None, deadline=None, max_examples=60)
@given(
    hour=st.lists(st.floats(0, 10), min_size=24, max_size=24).filter(lambda w: sum(w) > 0.01),
    day=st.lists(st.floats(0, 10), min_size=7, max_size=7).filter(lambda w: sum(w) > 0.01),
    rate=st.floats(0.01, 5000),
    size=st.integers(1, 1_000_000),
    weeks=st.integers(1, 60),
    warmup=st.integers(0, 1000),
)
def test_profiles_keep_the_yearly_rate(hour, day, rate, size, weeks, warmup) -> None:
    """Over whole weeks, with flat months, the rates add up to rate × population/1000 × weeks."""
    scen = scenario({"rate_per_1000": rate, "hour_of_day": hour, "day_of_week": day}, size=size)
    horizon = 168 * weeks
    clock = Clock(warmup_hours=warmup % horizon, measured_hours=horizon - warmup % horizon)
    assert clock.horizon_hours == horizon
    rates = hourly_rates(scen.demand["calls"], scen.population, clock)
    assert np.all(rates >= 0)
    expected = rate * size / 1000 * clock.horizon_hours / 8760
    assert rates.sum() == pytest.approx(expected, rel=1e-9)
    assert week_profile(scen.demand["calls"]).mean() == pytest.approx(1.0, rel=1e-12)


def test_zero_rate_gives_no_arrivals() -> None:
    scen = scenario({"rate_per_1000": 0})
    rates = hourly_rates(scen.demand["calls"], scen.population, Clock(0, 24 * 28))
    assert rates.sum() == 0
    assert arrival_times(rates, np.random.default_rng(0)).size == 0


def test_arrival_times_match_a_constant_rate() -> None:
    """A flat rate of 2 an hour for 20,000 hours: total and inter-arrival gaps are those
    of a homogeneous Poisson process (exponential gaps, mean 1/2 h)."""
    rates = np.full(20_000, 2.0)
    times = arrival_times(rates, np.random.default_rng(99))
    low, high = stats.poisson.interval(1 - ALPHA, 40_000)
    assert low <= times.size <= high
    gaps = np.diff(times)
    assert stats.kstest(gaps, "expon", args=(0, 0.5)).pvalue > ALPHA
    assert math.isfinite(times[-1]) and times[-1] < 20_000
