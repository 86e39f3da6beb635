"""The proactive caseload team (``kind = "proactive_care"``) against what it must do.

- With a caseload covering a known share of a cohort and a known rate ratio, the
  arrivals prevented and those that remain match their expected values (rate × people ×
  covered share × (1 − ratio)) within the replications' 99% interval; a fractional
  eligible share, a ramp-up and the ``proportional`` priority likewise.
- On common random numbers a larger caseload only removes arrivals: per replication the
  generated demand (arrivals + prevented) is the same at every caseload, prevented
  arrivals never fall and remaining arrivals never rise.
- A caseload of zero, or rate ratios of 1, give exactly the results of the scenario
  without the team (every ``replications.csv`` column the two share).
- The caseload sized from a roster is the clinician-hours of a month ÷ the review hours.
"""

from __future__ import annotations

import copy
import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import write_toml

from sim import run
from sim.engine.calendar import HOURS_PER_YEAR
from sim.output.results import replications_csv
from sim.runs.stats import t_interval
from sim.scenario import scenario_from_dict
from sim.scenario.model import Scenario

SEED = 424242
N = 10  # replications of the interval tests
SIZE = 30_000
SHARES = {"rest": 0.93, "complex": 0.07}
RATES = {
    "calls_999": {"rest": 100.0, "complex": 900.0},
    "walk_in": {"rest": 150.0, "complex": 600.0},
    "referrals": {"rest": 10.0, "complex": 200.0},
}
RATIOS = {"calls_999": 0.8, "walk_in": 0.5}  # referrals: no effect


def people(cohort: str) -> float:
    return SIZE * SHARES[cohort]


def base(**team: Any) -> dict[str, Any]:
    """A small network (999 calls, walk-ins, UCR referrals; ED and acute beds) with a
    caseload team for the complex cohort, changed by ``team``."""
    cct: dict[str, Any] = {
        "kind": "proactive_care",
        "eligible": {"complex": 1.0},
        "caseload": 700,
        "stay_days": {"dist": "exponential", "mean": 60},
        "rate_ratio": dict(RATIOS),
    }
    cct.update(team)
    return {
        "name": "caseload",
        "run": {"days": 180, "warmup_days": 10},
        "population": {"size": SIZE, "cohorts": dict(SHARES)},
        "demand": {
            "calls_999": {"to": "ambulance", "rate_per_1000": RATES["calls_999"]},
            "walk_in": {"to": "ed", "rate_per_1000": RATES["walk_in"]},
            "referrals": {"to": "ucr", "rate_per_1000": RATES["referrals"]},
        },
        "services": {
            "ambulance": {
                "kind": "ambulance",
                "response_minutes": {"dist": "fixed", "mean": 30},
                "on_scene": {"treated": 0.4, "convey": 0.6},
            },
            "ucr": {
                "kind": "community_response",
                "staff": 2,
                "open_hours": "08-20",
                "visit_minutes": {"dist": "exponential", "mean": 90},
                "after_visit": {"home": 0.8, "ed": 0.2},
            },
            "ed": {"kind": "ed", "admission_probability": 0.3},
            "acute": {"kind": "acute", "los_days": {"dist": "exponential", "mean": 5}},
            "cct": cct,
        },
    }


def scenario(data: dict[str, Any]) -> Scenario:
    return scenario_from_dict(copy.deepcopy(data))


def without_team() -> Scenario:
    data = base()
    del data["services"]["cct"]
    return scenario(data)


def contains(values: np.ndarray, expected: float, confidence: float = 0.99) -> None:
    iv = t_interval(values, confidence)
    assert iv.ci_low <= expected <= iv.ci_high, (expected, iv)


# -- expected values ------------------------------------------------------------------------


def test_prevented_and_remaining_arrivals_match_the_covered_share_and_the_ratio() -> None:
    # 700 places for 2,100 eligible complex people: the highest-risk cohort fills every
    # place, so a third of the cohort is covered all the time
    results = run(scenario(base()), N, SEED, workers=1)
    covered = 700 / people("complex")
    for source, ratio in RATIOS.items():
        expected = RATES[source]["complex"] * people("complex") / 1000 * covered * (1 - ratio)
        contains(results.values(f"cct.prevented.{source}"), expected)
    assert "cct.prevented.referrals" not in results.metric_names()
    generated = sum(RATES[s]["complex"] for s in RATES) * people("complex") / 1000
    prevented = sum(
        RATES[s]["complex"] * people("complex") / 1000 * covered * (1 - r)
        for s, r in RATIOS.items()
    )
    contains(results.values("demand.arrivals.by_cohort.complex"), generated - prevented)
    assert np.all(results.values("cct.prevented.by_cohort.rest") == 0)
    assert np.allclose(results.values("cct.covered_share.complex"), covered)
    assert np.allclose(results.values("cct.on_caseload"), 700)
    # a person on the caseload is reviewed every month
    assert np.allclose(results.values("cct.reviews"), 700 * 12)


def test_a_fractional_eligible_share_covers_that_share_of_the_cohorts_arrivals() -> None:
    # everyone eligible is on the caseload: all 2,100 complex people and a tenth of the rest
    data = base(eligible={"complex": 1.0, "rest": 0.1}, caseload=10_000)
    results = run(scenario(data), N, SEED, workers=1)
    assert np.allclose(results.values("cct.covered_share.rest"), 1.0)
    expected = RATES["calls_999"]["rest"] * people("rest") / 1000 * 0.1 * (1 - RATIOS["calls_999"])
    per_source = RATES["walk_in"]["rest"] * people("rest") / 1000 * 0.1 * (1 - RATIOS["walk_in"])
    contains(results.values("cct.prevented.by_cohort.rest"), expected + per_source)


def test_the_ramp_up_lowers_the_effect_by_the_share_of_time_spent_ramping() -> None:
    # exponential stays of mean m and a linear ramp over R days: a person's average
    # effect over the stay is 1 - (m - (m^2 / R)(1 - exp(-R/m))) / m (renewal reward)
    m, ramp = 60.0, 14.0
    factor = 1 - (m - m * m / ramp * (1 - math.exp(-ramp / m))) / m
    results = run(scenario(base(ramp_days=ramp)), N, SEED, workers=1)
    covered = 700 / people("complex")
    full = RATES["calls_999"]["complex"] * people("complex") / 1000 * covered * 0.2
    contains(results.values("cct.prevented.calls_999"), full * factor)
    assert factor < 0.9  # the ramp-up matters at these numbers


def test_proportional_priority_covers_every_eligible_person_alike() -> None:
    # 2,445 places for 2,100 complex and 2,790 eligible others: at random among the
    # eligible, each person is on the caseload half the time whatever their cohort
    eligible = {"complex": 1.0, "rest": 0.1}
    places = 2445
    results = run(
        scenario(base(eligible=eligible, caseload=places, priority="proportional")),
        N,
        SEED,
        workers=1,
    )
    share = places / (people("complex") + 0.1 * people("rest"))
    contains(results.values("cct.covered_share.complex"), share)
    contains(results.values("cct.covered_share.rest"), share)
    # by highest risk, the complex cohort is covered first and wholly
    ranked = run(scenario(base(eligible=eligible, caseload=places)), 2, SEED, workers=1)
    assert np.allclose(ranked.values("cct.covered_share.complex"), 1.0)
    assert np.allclose(
        ranked.values("cct.covered_share.rest"), (places - 2100) / (0.1 * people("rest"))
    )


def test_stays_turn_the_caseload_over_at_places_over_the_mean_stay() -> None:
    results = run(scenario(base()), N, SEED, workers=1)
    contains(results.values("cct.enrolled"), 700 * 365 / 60)


# -- common random numbers ------------------------------------------------------------------


def test_a_larger_caseload_only_removes_arrivals() -> None:
    caseloads = [0, 200, 700, 1400, 2100]
    runs = [run(scenario(base(caseload=k, ramp_days=10)), 3, SEED, workers=1) for k in caseloads]
    for source in ("calls_999", "walk_in"):
        arrivals = np.array([r.values(f"demand.{source}.arrivals") for r in runs])
        prevented = np.array([r.values(f"cct.prevented.{source}") for r in runs])
        # the same demand is generated at every caseload: the team only removes some of it
        assert np.allclose(arrivals + prevented, (arrivals + prevented)[0])
        assert np.all(np.diff(prevented, axis=0) >= 0), prevented
        assert np.all(np.diff(arrivals, axis=0) <= 0), arrivals
        assert np.all(prevented[0] == 0) and np.all(prevented[-1] > prevented[1])
    # a source the team does not act on is untouched
    referrals = np.array([r.values("demand.referrals.arrivals") for r in runs])
    assert np.all(referrals == referrals[0])


def _columns(text: str) -> dict[str, list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    return {name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])}


@pytest.mark.parametrize(
    "team",
    [{"caseload": 0}, {"rate_ratio": {"calls_999": 1.0, "walk_in": 1.0}}, {"staff": 0}],
    ids=["zero_caseload", "ratios_of_one", "no_staff"],
)
def test_a_team_that_cannot_act_changes_nothing(team: dict[str, Any]) -> None:
    data = base(**team)
    if "staff" in team:
        del data["services"]["cct"]["caseload"]
        data["services"]["cct"]["review_minutes"] = 60
    with_team = _columns(replications_csv(run(scenario(data), 3, SEED, workers=1)))
    without = _columns(replications_csv(run(without_team(), 3, SEED, workers=1)))
    shared = [c for c in without if c in with_team and c != "scenario"]
    assert len(shared) > 40
    assert {c for c in without if c not in with_team} <= {"scenario"}
    assert all(with_team[c] == without[c] for c in shared), [
        c for c in shared if with_team[c] != without[c]
    ]
    assert set(with_team) - set(without) and all(
        c.startswith("cct.") for c in set(with_team) - set(without)
    )


# -- capacity from a roster ----------------------------------------------------------------


def test_the_caseload_sized_from_the_roster() -> None:
    data = base(staff=3, open_hours="08-18", open_days="mon-fri", review_minutes=45)
    del data["services"]["cct"]["caseload"]
    results = run(scenario(data), 2, SEED, workers=1)
    monthly_hours = 3 * 10 * 5 * (HOURS_PER_YEAR / 12) / 168
    places = int(monthly_hours / 0.75)
    assert np.all(results.values("cct.places") == places)
    reviews, staffed = results.values("cct.reviews"), results.values("cct.staffed_hours")
    assert np.allclose(results.values("cct.review_hours"), reviews * 0.75)
    assert np.allclose(results.values("cct.utilisation"), reviews * 0.75 / staffed)
    assert np.all(results.values("cct.utilisation") <= 1.0 + 1e-9)
    assert np.all(results.values("cct.utilisation") > 0.95)  # a full caseload keeps them busy


def test_one_rate_ratio_for_every_source() -> None:
    """``rate_ratio = 0.8`` is ``{ calls_999 = 0.8, walk_in = 0.8, referrals = 0.8 }``."""
    one = run(scenario(base(rate_ratio=0.8)), 2, SEED, workers=1)
    each = run(scenario(base(rate_ratio=dict.fromkeys(RATES, 0.8))), 2, SEED, workers=1)
    assert replications_csv(one) == replications_csv(each)
    assert np.all(one.values("cct.prevented.referrals") > 0)


def test_scaling_a_place_scales_its_caseload(tmp_path: Path) -> None:
    from sim.scenario.scale import scaled_scenario

    path = write_toml(tmp_path / "team.toml", base())
    scaled, what = scaled_scenario(path, 2 * SIZE)
    assert scaled.services["cct"].caseload == 1400
    assert what.changes["services.cct.caseload"] == (700, 1400)


def test_the_app_offers_the_caseload_or_the_staff_as_a_slider() -> None:
    from sim.app.capacities import knobs_for

    keys = {k.key: k for k in knobs_for(scenario(base()))}
    assert keys["services.cct.caseload"].default == 700
    data = base(staff=3, review_minutes=45)
    del data["services"]["cct"]["caseload"]
    assert {"services.cct.staff", "services.cct.open_hours"} <= {
        k.key for k in knobs_for(scenario(data))
    }
