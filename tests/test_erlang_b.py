"""A virtual ward as a loss system: Erlang B, for any length-of-stay distribution.

Poisson step-ups (constant rate λ, straight from a demand source) into a ward of ``c``
beds; a patient who finds every bed taken goes elsewhere (an outcome, ``admitted``)
and is lost to the ward. This is M/G/c/c: the share of step-ups blocked is Erlang B,
``erlang_b(c, a)`` with offered load ``a = λ × mean LOS``, whatever the distribution of
the length of stay (insensitivity), and the mean number of beds in use is the carried
load ``a (1 − B)`` (Little's law: admitted rate × mean stay).

Each check asks whether the theoretical value lies inside the 99% t-interval over
replications of a fixed seed, so it is deterministic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.runs.replications import run
from sim.runs.stats import t_interval
from sim.runs.theory import erlang_b
from sim.scenario import scenario_from_dict
from sim.scenario.model import Scenario

CONFIDENCE = 0.99
REPLICATIONS = 30
SEED = 1066
MEAN_LOS_DAYS = 1.0
DAYS = 730
WARMUP_DAYS = 20  # 20 mean stays: the ward forgets its empty start

LOS = {
    "exponential": {"dist": "exponential", "mean": MEAN_LOS_DAYS},
    # sd twice the mean: far from exponential, so insensitivity is really tested
    "lognormal": {"dist": "lognormal", "mean": MEAN_LOS_DAYS, "sd": 2.0 * MEAN_LOS_DAYS},
}
LOADS = [(5, 4.0), (10, 9.0)]  # (beds c, offered load a in erlangs)


def loss_ward(beds: int, load: float, los: dict[str, Any]) -> Scenario:
    """Poisson step-ups at λ = load / mean LOS straight into a ward of ``beds`` beds."""
    per_year = load / MEAN_LOS_DAYS * 365.0  # population 1,000: rate_per_1000 is patients a year
    return scenario_from_dict(
        {
            "name": f"erlang-b-{beds}",
            "run": {"days": DAYS, "warmup_days": WARMUP_DAYS},
            "population": {"size": 1000},
            "demand": {"step_up": {"to": "virtual_ward", "rate_per_1000": per_year}},
            "services": {
                "virtual_ward": {
                    "kind": "virtual_ward",
                    "beds": beds,
                    "los_days": los,
                    "when_full": "admitted",
                    "at_end": {"home": 1.0},
                },
                "admitted": {"kind": "outcome"},
            },
        },
        "<erlang-b>",
    )


_CACHE: dict[tuple[int, float, str], Any] = {}


def results(beds: int, load: float, dist: str) -> Any:
    key = (beds, load, dist)
    if key not in _CACHE:
        _CACHE[key] = run(loss_ward(beds, load, LOS[dist]), REPLICATIONS, SEED, workers=2)
    return _CACHE[key]


CASES = [pytest.param(c, a, d, id=f"c={c}-a={a:g}-{d}") for c, a in LOADS for d in LOS]


@pytest.mark.parametrize(("beds", "load", "dist"), CASES)
def test_blocking_is_erlang_b(beds: int, load: float, dist: str) -> None:
    res = results(beds, load, dist)
    blocked = res.values("virtual_ward.blocked")
    step_ups = res.values("virtual_ward.step_up")
    assert np.all(step_ups > 0.5 * load * 365)  # the demand reached the ward
    # blocked patients went to the outcome, admitted ones stayed
    np.testing.assert_allclose(res.values("admitted.arrivals"), blocked, rtol=1e-12)
    np.testing.assert_allclose(
        res.values("virtual_ward.admissions") + blocked, step_ups, rtol=1e-12
    )
    iv = t_interval(blocked / step_ups, CONFIDENCE)
    theory = erlang_b(beds, load)
    assert iv.contains(theory), f"Erlang B {theory:.4f} outside [{iv.ci_low:.4f}, {iv.ci_high:.4f}]"
    # precise enough to tell this load from a neighbouring one (the check has power)
    assert not iv.contains(erlang_b(beds, load * 1.1)) and not iv.contains(
        erlang_b(beds, load / 1.1)
    )


@pytest.mark.parametrize(("beds", "load", "dist"), CASES)
def test_mean_occupancy_is_carried_load(beds: int, load: float, dist: str) -> None:
    """Little's law on the ward: mean beds in use = λ (1 − B) × mean LOS."""
    res = results(beds, load, dist)
    iv = res.interval("virtual_ward.mean_occupancy", CONFIDENCE)
    carried = load * (1.0 - erlang_b(beds, load))
    assert iv.contains(carried), (
        f"carried load {carried:.3f} outside [{iv.ci_low:.3f}, {iv.ci_high:.3f}]"
    )
    assert iv.ci_high <= beds
    # the offered load (as if nobody were blocked) is not what the ward carries
    assert not iv.contains(load)
    occ = res.interval("virtual_ward.occupancy", CONFIDENCE)
    assert occ.mean == pytest.approx(iv.mean / beds, rel=1e-12)


def test_insensitivity_same_blocking_for_both_distributions() -> None:
    """The two LOS distributions block the same share. Both runs use one seed, so
    replication r sees the same arrivals in each (common random numbers): the
    replications are paired, and the 99% interval of the paired difference holds 0."""
    for beds, load in LOADS:
        exp, logn = (results(beds, load, d) for d in LOS)
        assert np.array_equal(
            exp.values("virtual_ward.step_up"), logn.values("virtual_ward.step_up")
        )
        share = [
            r.values("virtual_ward.blocked") / r.values("virtual_ward.step_up") for r in (exp, logn)
        ]
        diff = t_interval(share[1] - share[0], CONFIDENCE)
        assert diff.contains(0.0), (beds, load, diff)
