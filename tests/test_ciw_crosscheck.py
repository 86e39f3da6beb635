"""nhsim against Ciw on the same small network of two community teams.

Poisson referrals (λ an hour) go to team A (c1 clinicians); after the visit a patient
goes on to team B (c2 clinicians) with probability p, otherwise home. Staff are on duty
around the clock, visits are exponential and nobody gives up: an open Jackson network
that both simulators can describe. nhsim builds it from a scenario (two
``community_response`` services, A's ``after_visit = {B = p, home = 1 − p}``); Ciw from
``ciw.create_network``.

Each simulator's replications give a sample of each measure (mean wait at A and at B,
visits a year at A and at B); the 99% Welch interval for the difference between the
two simulators' means must contain 0. As a check on the set-up, each simulator's own
99% interval must hold the value of the product-form (Jackson) network. Both use fixed
seeds, so the test is deterministic.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from scipy import stats

ciw = pytest.importorskip("ciw")

from sim.engine.calendar import HOURS_PER_YEAR
from sim.runs.replications import run
from sim.runs.stats import t_interval
from sim.runs.theory import mmc_mean_wait
from sim.scenario import scenario_from_dict
from sim.scenario.model import Scenario

CONFIDENCE = 0.99
REPLICATIONS = 20
SEED = 4242
LAM = 2.0  # referrals an hour
C1, MEAN_A = 2, 45.0  # clinicians, mean visit minutes: ρ_A = 2 × 0.75 / 2 = 0.75
C2, MEAN_B = 1, 40.0  # ρ_B = p λ × 40/60 = 0.67
P = 0.5
WARMUP_DAYS, DAYS = 10, 120
DRAIN_HOURS = 48.0  # Ciw runs on until visits started in the period have ended


def nhsim_network() -> Scenario:
    return scenario_from_dict(
        {
            "name": "jackson",
            "run": {"days": DAYS, "warmup_days": WARMUP_DAYS},
            "population": {"size": 1000},
            "demand": {"referrals": {"to": "A", "rate_per_1000": LAM * HOURS_PER_YEAR}},
            "services": {
                "A": {
                    "kind": "community_response",
                    "staff": C1,
                    "visit_minutes": {"dist": "exponential", "mean": MEAN_A},
                    "after_visit": {"B": P, "home": 1.0 - P},
                },
                "B": {
                    "kind": "community_response",
                    "staff": C2,
                    "visit_minutes": {"dist": "exponential", "mean": MEAN_B},
                },
            },
        },
        "<ciw-crosscheck>",
    )


def ciw_replication(seed: int) -> dict[str, float]:
    """One Ciw run, in hours, measured like nhsim: visits that start in the measured period."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=LAM), None],
        service_distributions=[
            ciw.dists.Exponential(rate=60.0 / MEAN_A),
            ciw.dists.Exponential(rate=60.0 / MEAN_B),
        ],
        routing=[[0.0, P], [0.0, 0.0]],
        number_of_servers=[C1, C2],
    )
    ciw.seed(seed)
    q = ciw.Simulation(network)
    start, end = WARMUP_DAYS * 24.0, (WARMUP_DAYS + DAYS) * 24.0
    q.simulate_until_max_time(end + DRAIN_HOURS)
    out: dict[str, float] = {}
    per_year = HOURS_PER_YEAR / (end - start)
    for node, name in ((1, "A"), (2, "B")):
        waits = [
            r.waiting_time
            for r in q.get_all_records()
            if r.node == node and start <= r.service_start_date < end
        ]
        out[f"{name}.mean_wait_hours"] = float(np.mean(waits))
        out[f"{name}.seen"] = len(waits) * per_year
    return out


@pytest.fixture(scope="module")
def samples() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    ours = run(nhsim_network(), REPLICATIONS, SEED, workers=2)
    with ProcessPoolExecutor(max_workers=2) as pool:  # Ciw is pure Python: share the two cores
        theirs = list(pool.map(ciw_replication, [SEED * 1000 + r for r in range(REPLICATIONS)]))
    return {
        m: (ours.values(m), np.array([rep[m] for rep in theirs]))
        for m in ("A.mean_wait_hours", "B.mean_wait_hours", "A.seen", "B.seen")
    }


def welch_interval(a: np.ndarray, b: np.ndarray, confidence: float) -> tuple[float, float]:
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2.0, df)) * math.sqrt(va + vb)
    d = float(a.mean() - b.mean())
    return d - half, d + half


@pytest.mark.parametrize("metric", ["A.mean_wait_hours", "B.mean_wait_hours", "A.seen", "B.seen"])
def test_nhsim_agrees_with_ciw(samples, metric: str) -> None:  # type: ignore[no-untyped-def]
    ours, theirs = samples[metric]
    assert ours.size == theirs.size == REPLICATIONS
    low, high = welch_interval(ours, theirs, CONFIDENCE)
    assert low <= 0.0 <= high, (
        f"{metric}: nhsim {ours.mean():.4f}, Ciw {theirs.mean():.4f}; difference in [{low:.4f}, {high:.4f}]"
    )
    # precise enough to matter: the interval is within 15% of the value measured
    assert high - low < 0.3 * theirs.mean()


JACKSON = {
    # Burke: A's departures are Poisson, so B is M/M/c too, fed at p λ
    "A.mean_wait_hours": mmc_mean_wait(LAM, 60.0 / MEAN_A, C1),
    "B.mean_wait_hours": mmc_mean_wait(P * LAM, 60.0 / MEAN_B, C2),
    "A.seen": LAM * HOURS_PER_YEAR,
    "B.seen": P * LAM * HOURS_PER_YEAR,
}


@pytest.mark.parametrize("metric", list(JACKSON))
def test_both_reproduce_the_jackson_network(samples, metric: str) -> None:  # type: ignore[no-untyped-def]
    """A check on the set-up itself: each simulator's 99% interval holds the value of the
    product-form (Jackson) network, so both describe the network meant."""
    for label, sample in zip(("nhsim", "Ciw"), samples[metric]):
        iv = t_interval(sample, CONFIDENCE)
        theory = JACKSON[metric]
        assert iv.contains(theory), (
            f"{label} {metric}: {theory:.4f} outside [{iv.ci_low:.4f}, {iv.ci_high:.4f}]"
        )
