"""More community capacity does not mean more conveyances or admissions.

Paired replications on common random numbers: the baseline neighbourhood and a
scenario with more capacity (UCR staff 1 → 3; virtual ward beds 10 → 20) run with the
same seed, so replication r of each sees the same patients with the same needs. For
``ambulance.conveyances`` and ``admissions.total`` the paired difference (scenario −
baseline) must not be significantly positive: its mean is at most its 95% half-width
(the noise allowance is the data's own). Conveyances, which both changes cut by tens a
year, must fall significantly.

Common random numbers must also work: the paired interval is narrower than the
interval that treats the two runs as independent (Welch).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import REPO_ROOT
from scipy import stats

from sim.runs.replications import Results, run
from sim.runs.stats import t_interval
from sim.scenario.loader import load_scenario

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"
CONFIDENCE = 0.95
REPLICATIONS = 20
SEED = 8128
METRICS = ["ambulance.conveyances", "admissions.total"]
CHANGES = {
    "UCR staff 1 -> 3": ("services.ucr.staff", 1, 3),
    "virtual ward beds 10 -> 20": ("services.virtual_ward.beds", 10, 20),
}

_CACHE: dict[str, Results] = {}


def results(label: str) -> Results:
    """Replications of the baseline (label "baseline") or of one change, all on one seed."""
    if label not in _CACHE:
        overrides = [] if label == "baseline" else [f"{CHANGES[label][0]}={CHANGES[label][2]}"]
        _CACHE[label] = run(load_scenario(NEIGHBOURHOOD, overrides), REPLICATIONS, SEED, workers=2)
    return _CACHE[label]


def welch_half_width(a: np.ndarray, b: np.ndarray, confidence: float) -> float:
    """Half-width of the interval for mean(a) − mean(b) if a and b were independent."""
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return float(stats.t.ppf(0.5 + confidence / 2.0, df)) * math.sqrt(va + vb)


def test_baseline_is_the_shipped_capacity() -> None:
    scenario = results("baseline").scenario
    for key, before, _ in CHANGES.values():
        _, svc, field = key.split(".")
        assert getattr(scenario.services[svc], field) == before


@pytest.mark.parametrize("change", list(CHANGES))
def test_same_patients_in_both_runs(change: str) -> None:
    """Common random numbers: capacity changes no demand draw."""
    base, more = results("baseline"), results(change)
    assert base.seeds == more.seeds
    for source in ("walk_in", "urgent_referrals", "home_visit_requests", "calls_999"):
        metric = f"demand.{source}.arrivals"
        np.testing.assert_array_equal(more.values(metric), base.values(metric))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("change", list(CHANGES))
def test_more_capacity_is_not_worse(change: str, metric: str) -> None:
    base, more = results("baseline").values(metric), results(change).values(metric)
    diff = t_interval(more - base, CONFIDENCE)
    assert diff.n == REPLICATIONS
    assert diff.mean <= diff.half_width, (
        f"{change}: {metric} rises by {diff.mean:.1f} a year (95% CI {diff.ci_low:.1f} to {diff.ci_high:.1f})"
    )
    # common random numbers narrow the interval of the difference
    assert diff.half_width < welch_half_width(more, base, CONFIDENCE)


@pytest.mark.parametrize("change", list(CHANGES))
def test_more_capacity_avoids_conveyances(change: str) -> None:
    """UCR staff take escalations off the ambulance and free clinicians for the hub; more
    virtual ward beds let the hub divert more: conveyances fall, significantly."""
    base, more = results("baseline"), results(change)
    diff = t_interval(
        more.values("ambulance.conveyances") - base.values("ambulance.conveyances"), CONFIDENCE
    )
    assert diff.ci_high < 0.0, (
        f"{change}: conveyances change by {diff.ci_low:.1f} to {diff.ci_high:.1f} a year"
    )
    # through the hub: more patients diverted instead of conveyed
    diverted = t_interval(more.values("hub.diverted") - base.values("hub.diverted"), CONFIDENCE)
    assert diverted.ci_low > 0.0
