"""Figures set against a counterfactual: ``avoided.<metric>`` and ``reduction.<metric>``
(the share of the counterfactual's avoided), in comparisons, calibration targets and
capacity searches ("the least staff that cut the cohort's visits by 10% with 95%
confidence")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import write_toml
from test_proactive import SEED, base, scenario

from sim.runs.calibrate import Calibration, FreeParameter, Target, calibrate
from sim.runs.compare import compare, paired_values
from sim.runs.experiment_file import load_experiment
from sim.runs.search import run_search
from sim.runs.stats import t_interval
from sim.scenario import ScenarioError
from sim.scenario.loader import display_path

VISITS = "unplanned.hospital_visits.by_cohort.complex"


def rostered(staff: int) -> dict[str, Any]:
    """The test network with its caseload sized from ``staff`` at 60 minutes a person a month."""
    data = base(staff=staff, review_minutes=60, rate_ratio=0.6)
    del data["services"]["cct"]["caseload"]
    data["run"] = {"days": 90, "warmup_days": 5}
    return data


def test_reduction_is_the_share_of_the_counterfactuals_avoided_replication_by_replication() -> None:
    cf, sc = scenario(rostered(0)), scenario(rostered(4))
    comparison = compare(cf, sc, 4, SEED, workers=1)
    before, after = comparison.counterfactual.values(VISITS), comparison.scenario.values(VISITS)
    assert np.all(after < before)
    assert np.array_equal(comparison.values(f"reduction.{VISITS}"), (before - after) / before)
    assert np.array_equal(comparison.values(f"avoided.{VISITS}"), before - after)
    assert np.array_equal(comparison.values(VISITS), after)
    assert comparison.figure(f"reduction.{VISITS}") == t_interval((before - after) / before)
    assert comparison.figure(f"avoided.{VISITS}") == comparison.avoided(VISITS)
    assert comparison.reduction(VISITS) == comparison.figure(f"reduction.{VISITS}")
    with pytest.raises(ValueError, match="needs a counterfactual"):
        paired_values(f"reduction.{VISITS}", comparison.scenario, None)


def _experiment(tmp_path: Path, constraint: dict[str, Any], counterfactual: bool = True) -> Path:
    write_toml(tmp_path / "team.toml", rostered(4))
    write_toml(tmp_path / "none.toml", rostered(0))
    data: dict[str, Any] = {
        "description": "least staff for a 10% cut",
        "scenario": "team.toml",
        "replications": 4,
        "seed": SEED,
        "search": {
            "capacities": {"services.cct.staff": [1, 6]},
            "constraints": [constraint],
            "confidence": 0.95,
        },
    }
    if counterfactual:
        data["counterfactual"] = "none.toml"
    return write_toml(tmp_path / "search.toml", data)


def test_a_search_finds_the_least_staff_that_cut_visits_by_a_share_with_confidence(
    tmp_path: Path,
) -> None:
    metric = f"reduction.{VISITS}"
    exp = load_experiment(_experiment(tmp_path, {"metric": metric, "at_least": 0.10}))
    result = run_search(exp)
    cf = compare(scenario(rostered(0)), scenario(rostered(0)), 4, SEED, workers=1).counterfactual
    lows = {}
    for e in result.evaluations:
        staff = e.capacities["services.cct.staff"]
        sc = compare(scenario(rostered(0)), scenario(rostered(staff)), 4, SEED, workers=1)
        values = paired_values(metric, sc.scenario, cf)
        # each candidate is judged on its paired reductions' one-sided 95% bound
        assert np.allclose(e.results.values(metric), values)
        low = t_interval(values, 0.90).ci_low
        assert e.bounds[metric][1] == pytest.approx(low)
        lows[staff] = low
    assert all(lows[s] < lows[s + 1] for s in range(1, 6))  # more staff, larger cut
    least = min(s for s in lows if all(lows[t] >= 0.10 for t in lows if t >= s))
    assert 1 < least < 6  # the range brackets the answer
    assert result.frontier == [{"services.cct.staff": least}]


def test_a_search_against_a_counterfactual_needs_one(tmp_path: Path) -> None:
    path = _experiment(tmp_path, {"metric": f"reduction.{VISITS}", "at_least": 0.1}, False)
    with pytest.raises(ScenarioError) as err:
        run_search(load_experiment(path))
    assert [str(p) for p in err.value.problems] == [
        f"{display_path(path)}: search.constraints[0].metric: 'reduction.{VISITS}' is set against a "
        "counterfactual: give the experiment a counterfactual scenario file"
    ]


def test_an_unknown_metric_under_reduction_is_named(tmp_path: Path) -> None:
    path = _experiment(tmp_path, {"metric": "reduction.unplanned.hospital_visit", "at_least": 0.1})
    with pytest.raises(ScenarioError) as err:
        run_search(load_experiment(path))
    assert [str(p) for p in err.value.problems] == [
        f"{display_path(path)}: search.constraints[0].metric: 'reduction.unplanned.hospital_visit' is not a "
        "metric of the scenario; did you mean 'unplanned.hospital_visits'?"
    ]


def test_calibration_fits_a_rate_ratio_to_a_published_reduction(tmp_path: Path) -> None:
    team, none = rostered(4), rostered(0)
    team["run"]["days"] = none["run"]["days"] = 60
    cal = Calibration(
        scenario=str(write_toml(tmp_path / "team.toml", team)),
        counterfactual=str(write_toml(tmp_path / "none.toml", none)),
        targets=[Target(f"reduction.{VISITS}", 0.12)],
        free=[FreeParameter("services.cct.rate_ratio", 0.2, 1.0)],
        replications=3,
        seed=SEED,
    )
    result = calibrate(cal)
    assert result.converged, result.message
    (_, model, low, high) = result.fit[0]
    assert abs(model - 0.12) <= 0.02 * 0.12 or low <= 0.12 <= high
    # the fitted ratio, run again, gives the model's figure of the fit
    team["services"]["cct"]["rate_ratio"] = result.values["services.cct.rate_ratio"]
    again = compare(scenario(none), scenario(team), 3, SEED, workers=1)
    assert again.reduction(VISITS).mean == pytest.approx(model)


def test_a_reduction_target_needs_a_counterfactual(tmp_path: Path) -> None:
    cal = Calibration(
        scenario=str(write_toml(tmp_path / "team.toml", rostered(4))),
        targets=[Target(f"reduction.{VISITS}", 0.12)],
        free=[FreeParameter("services.cct.rate_ratio", 0.2, 1.0)],
    )
    with pytest.raises(ScenarioError) as err:
        calibrate(cal)
    assert [str(p) for p in err.value.problems] == [
        "--target: reduction.* targets need a --counterfactual scenario"
    ]
