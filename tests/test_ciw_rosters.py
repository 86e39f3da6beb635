"""nhsim against Ciw on rostered teams whose staffing steps between non-zero levels.

A community team with Poisson referrals (λ an hour), exponential visits, no patience
and a roster that repeats every day: 3 clinicians by day and 1 at night, and a
staggered rota of 1 to 4 on duty that never has no one on. In Ciw the same team is one
node with a ``Schedule`` of servers with ``preemption=False``: at every shift change
each server on duty goes off, one busy finishes the customer in service first, and
the new shift's servers start at once on the queue. nhsim's rule is the same (every
change in the number on duty is a shift change), so the two must agree.

Each simulator's replications give a sample of each measure over the same measured
period (visits started in it): mean wait, share seen within the 2-hour target, visits
a year and overtime hours a year (time spent on visits after the end of the shift the
visit started in, clipped to the period; for Ciw worked out from its records and the
schedule). The 99% Welch interval for the difference between the two simulators'
means must contain 0, and be narrow enough to matter. As a check on the set-up, each
simulator's own 99% interval of visits a year must hold λ × 8760 (the team keeps up).
Both use fixed seeds, so the test is deterministic.
"""

from __future__ import annotations

import bisect
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

ciw = pytest.importorskip("ciw")

from test_ciw_crosscheck import welch_interval

from sim.engine.calendar import HOURS_PER_YEAR
from sim.runs.replications import run
from sim.runs.stats import t_interval
from sim.scenario import scenario_from_dict
from sim.scenario.model import Scenario

CONFIDENCE = 0.99
REPLICATIONS = 20
SEED = 4242
LAM = 1.2  # referrals an hour
MEAN_VISIT = 60.0  # minutes
TARGET = 2.0  # hours
WARMUP_DAYS, DAYS = 10, 120
DRAIN_HOURS = 48.0  # Ciw runs on until visits started in the period have ended

ROSTERS = {
    # the shifts of a day, in order from the first one's start: (from hour, to hour, on duty);
    # a shift may run past midnight (to 32 = 08:00 the next day)
    "day 3, night 1": [(8, 20, 3), (20, 32, 1)],
    "staggered, never none": [(7, 9, 2), (9, 17, 4), (17, 20, 3), (20, 22, 2), (22, 31, 1)],
}
METRICS = ["mean_wait_hours", "seen_within_target", "seen", "overtime_hours"]


def day_roster(shifts: list[tuple[int, int, int]]) -> list[int]:
    """Clinicians on duty in each hour of the day, 00:00 first."""
    day = [0] * 24
    for start, end, staff in shifts:
        for hour in range(start, end):
            day[hour % 24] = staff
    return day


def nhsim_team(shifts: list[tuple[int, int, int]]) -> Scenario:
    return scenario_from_dict(
        {
            "name": "rostered-team",
            "run": {"days": DAYS, "warmup_days": WARMUP_DAYS},
            "population": {"size": 1000},
            "demand": {"referrals": {"to": "ucr", "rate_per_1000": LAM * HOURS_PER_YEAR}},
            "services": {
                "ucr": {
                    "kind": "community_response",
                    "roster": day_roster(shifts) * 7,
                    "visit_minutes": {"dist": "exponential", "mean": MEAN_VISIT},
                    "target_hours": TARGET,
                }
            },
        },
        "<ciw-rosters>",
    )


def ciw_schedule(shifts: list[tuple[int, int, int]]) -> ciw.Schedule:
    """The day's shifts as a Ciw schedule that starts with the first shift (``offset``: Ciw
    has no server before it, on the first day only, well inside the warm-up)."""
    first = float(shifts[0][0])
    return ciw.Schedule(
        numbers_of_servers=[staff for _, _, staff in shifts],
        shift_end_dates=[float(end) - first for _, end, _ in shifts],
        preemption=False,
        offset=first,
    )


def shift_ends(shifts: list[tuple[int, int, int]], until: float) -> list[float]:
    """Every shift change up to ``until`` (simulation hours; day 0 starts at 00:00)."""
    out: list[float] = []
    day = 0
    while not out or out[-1] <= until:
        out += [24.0 * day + end for _, end, _ in shifts]
        day += 1
    return out


def ciw_replication(job: tuple[str, int]) -> dict[str, float]:
    """One Ciw run, measured like nhsim: visits that start in the measured period, and the
    overtime worked in it."""
    roster, seed = job
    shifts = ROSTERS[roster]
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=LAM)],
        service_distributions=[ciw.dists.Exponential(rate=60.0 / MEAN_VISIT)],
        number_of_servers=[ciw_schedule(shifts)],
    )
    ciw.seed(seed)
    q = ciw.Simulation(network)
    start, end = WARMUP_DAYS * 24.0, (WARMUP_DAYS + DAYS) * 24.0
    q.simulate_until_max_time(end + DRAIN_HOURS)
    records = [r for r in q.get_all_records() if r.record_type == "service"]
    changes = shift_ends(shifts, end + DRAIN_HOURS)
    waits = np.array(
        [r.waiting_time for r in records if start <= r.service_start_date < end], dtype=float
    )
    overtime = 0.0
    for r in records:
        # the server's shift ends at the first change after the visit started
        shift_end = changes[bisect.bisect_right(changes, r.service_start_date)]
        overtime += max(min(r.service_end_date, end) - max(shift_end, start), 0.0)
    per_year = HOURS_PER_YEAR / (end - start)
    return {
        "mean_wait_hours": float(waits.mean()),
        "seen_within_target": float(np.mean(waits <= TARGET)),
        "seen": waits.size * per_year,
        "overtime_hours": overtime * per_year,
    }


@pytest.fixture(scope="module")
def samples() -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    out = {}
    with ProcessPoolExecutor(max_workers=2) as pool:  # Ciw is pure Python: share the two cores
        for roster, shifts in ROSTERS.items():
            ours = run(nhsim_team(shifts), REPLICATIONS, SEED, workers=1)
            jobs = [(roster, SEED * 1000 + r) for r in range(REPLICATIONS)]
            theirs = list(pool.map(ciw_replication, jobs))
            out[roster] = {
                m: (ours.values(f"ucr.{m}"), np.array([rep[m] for rep in theirs])) for m in METRICS
            }
    return out


def test_the_rosters_step_between_non_zero_levels() -> None:
    for shifts in ROSTERS.values():
        day = day_roster(shifts)
        assert min(day) > 0 and len(set(day)) > 1


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("roster", list(ROSTERS))
def test_nhsim_agrees_with_ciw_on_a_roster(samples, roster: str, metric: str) -> None:  # type: ignore[no-untyped-def]
    ours, theirs = samples[roster][metric]
    assert ours.size == theirs.size == REPLICATIONS
    low, high = welch_interval(ours, theirs, CONFIDENCE)
    assert low <= 0.0 <= high, (
        f"{roster}, {metric}: nhsim {ours.mean():.4f}, Ciw {theirs.mean():.4f}; "
        f"difference in [{low:.4f}, {high:.4f}]"
    )
    # precise enough to matter: the interval is within 15% of the value measured
    assert high - low < 0.3 * theirs.mean()


@pytest.mark.parametrize("roster", list(ROSTERS))
def test_both_teams_keep_up_with_demand(samples, roster: str) -> None:  # type: ignore[no-untyped-def]
    """A check on the set-up: both simulators see the referrals meant (λ an hour) and the
    team clears them, so each one's 99% interval of visits a year holds λ × 8760."""
    for label, sample in zip(("nhsim", "Ciw"), samples[roster]["seen"]):
        iv = t_interval(sample, CONFIDENCE)
        assert iv.contains(LAM * HOURS_PER_YEAR), (
            f"{label} {roster}: {LAM * HOURS_PER_YEAR:.1f} outside [{iv.ci_low:.1f}, {iv.ci_high:.1f}]"
        )
