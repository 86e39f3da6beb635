"""Demand: when patients arrive, from rates per 1,000 people and time-of-week profiles.

Arrivals form a non-homogeneous Poisson process whose rate is constant within each
hour. They are generated exactly, for the whole horizon at once: the number of
arrivals is Poisson with mean equal to the integrated rate, and each arrival is
placed by inverting the cumulative rate at a sorted uniform point. Hours whose rate
is zero (overnight, say) get no arrivals, and every other hour gets its exact rate.
"""

from __future__ import annotations

import numpy as np

from sim.engine.calendar import DAYS_IN_MONTH, HOURS_PER_WEEK, HOURS_PER_YEAR, Clock, month_of_day
from sim.scenario.model import DemandSource, Population

__all__ = ["arrival_times", "cohort_mix", "hourly_rates", "month_profile", "week_profile"]


def week_profile(source: DemandSource) -> np.ndarray:
    """Relative weight of each hour of the week (Monday 00:00 first), mean 1."""
    if source.hour_of_week is not None:
        w = np.asarray(source.hour_of_week, dtype=float)
    else:
        day = np.asarray(source.day_of_week or [1.0] * 7, dtype=float)
        hour = np.asarray(source.hour_of_day or [1.0] * 24, dtype=float)
        w = np.outer(day, hour).ravel()
    return w / w.mean()


def month_profile(source: DemandSource) -> np.ndarray:
    """Relative weight of each month, with a mean of 1 over the days of the year."""
    if source.month_of_year is None:
        return np.ones(12)
    w = np.asarray(source.month_of_year, dtype=float)
    return w / (np.dot(w, DAYS_IN_MONTH) / DAYS_IN_MONTH.sum())


def cohort_mix(source: DemandSource, population: Population) -> tuple[list[str], np.ndarray, float]:
    """Cohort names, the share of this source's patients from each, and patients a year."""
    names = list(population.cohorts)
    rate = source.rate_per_1000
    per_year = np.array(
        [
            population.size * share * (rate[c] if isinstance(rate, dict) else rate) / 1000.0
            for c, share in population.cohorts.items()
        ]
    )
    total = float(per_year.sum())
    mix = per_year / total if total > 0 else np.full(len(names), 1.0 / len(names))
    return names, mix, total


def hourly_rates(source: DemandSource, population: Population, clock: Clock) -> np.ndarray:
    """Expected arrivals in each simulated hour of the horizon."""
    _, _, per_year = cohort_mix(source, population)
    cal = clock.calendar_hours()
    week = week_profile(source)[np.mod(cal, HOURS_PER_WEEK)]
    month = month_profile(source)[month_of_day(np.floor_divide(cal, 24))]
    return per_year / HOURS_PER_YEAR * week * month


def arrival_times(rates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exact arrival times (hours, sorted) of a Poisson process with the given hourly rates."""
    cum = np.concatenate(([0.0], np.cumsum(rates)))
    total = cum[-1]
    if total <= 0:
        return np.empty(0)
    n = rng.poisson(total)
    u = np.sort(rng.uniform(0.0, total, n))
    hour = np.searchsorted(cum, u, side="right") - 1
    np.clip(hour, 0, len(rates) - 1, out=hour)
    return hour + (u - cum[hour]) / rates[hour]
