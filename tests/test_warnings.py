"""Warnings after the results: each one where it applies, none on the shipped scenarios
where it does not, and nhsim compare naming a counterfactual with too few acute beds."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import REPO_ROOT, write_toml

from sim import load_scenario, run
from sim.cli.main import main
from sim.runs.compare import Comparison
from sim.runs.experiment_file import Constraint
from sim.runs.replications import Results
from sim.runs.search import Evaluation, SearchResult
from sim.runs.warnings import comparison_warnings, metrics_warnings, search_warnings

TEACHING = REPO_ROOT / "configs" / "teaching.toml"
NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"


def teaching(*overrides: str):
    return load_scenario(TEACHING, list(overrides))


def reps(n: int = 5, **metrics: float | list[float]) -> list[dict[str, float]]:
    """``n`` replications with these metric values (one number for all, or one each)."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        rep = {}
        for name, value in metrics.items():
            rep[name] = value[i] if isinstance(value, list) else float(value)
        rep["ed.attendances"] = float(rng.poisson(300))  # a count that varies
        out.append(rep)
    return out


def codes(warnings) -> list[tuple[str, str]]:
    return [(w.code, w.service) for w in warnings]


def test_a_full_pool_is_saturated_at_the_threshold() -> None:
    scenario = teaching()
    assert codes(metrics_warnings(scenario, reps(**{"virtual_ward.occupancy": 0.96}))) == [
        ("saturated", "virtual_ward")
    ]
    assert codes(metrics_warnings(scenario, reps(**{"ucr.utilisation": 0.95}))) == [
        ("saturated", "ucr")
    ]
    assert metrics_warnings(scenario, reps(**{"virtual_ward.occupancy": 0.94})) == []
    lower = teaching("warnings.occupancy=0.9")
    assert codes(metrics_warnings(lower, reps(**{"virtual_ward.occupancy": 0.94}))) == [
        ("saturated", "virtual_ward")
    ]


def test_long_ed_boarding_is_named_with_its_hours() -> None:
    scenario = teaching()
    found = metrics_warnings(scenario, reps(**{"acute.mean_boarding_hours": 497.0}))
    assert codes(found) == [("boarding", "acute")]
    assert "497.0 hours" in found[0].message
    assert metrics_warnings(scenario, reps(**{"acute.mean_boarding_hours": 11.9})) == []
    stricter = teaching("warnings.ed_boarding_hours=4")
    assert codes(metrics_warnings(stricter, reps(**{"acute.mean_boarding_hours": 5.0}))) == [
        ("boarding", "acute")
    ]


def test_more_work_than_capacity_is_an_unbounded_queue() -> None:
    scenario = teaching()
    assert codes(metrics_warnings(scenario, reps(**{"ucr.offered_load": 1.02}))) == [
        ("overloaded", "ucr")
    ]
    assert metrics_warnings(scenario, reps(**{"ucr.offered_load": 0.98})) == []
    # a bed pool: only the step-downs queue (the step-ups turned away do not)
    ups = [600.0 + k for k in range(5)]
    pool = {"virtual_ward.offered_load": 1.3, "virtual_ward.step_up": ups}
    assert metrics_warnings(scenario, reps(**pool, **{"virtual_ward.step_down": ups})) == []
    downs = [3000.0 + k for k in range(5)]
    assert codes(metrics_warnings(scenario, reps(**pool, **{"virtual_ward.step_down": downs}))) == [
        ("overloaded", "virtual_ward")
    ]


def test_a_count_the_same_in_every_replication_is_flagged_only_beyond_chance() -> None:
    scenario = teaching()  # run.days = 365: the metrics are the counts themselves
    found = metrics_warnings(scenario, reps(10, **{"ambulance.conveyances": 812.0}))
    assert codes(found) == [("zero_width", "ambulance")]
    # three replications of a count of 6 can agree by chance; a capacity never varies
    assert metrics_warnings(scenario, reps(3, **{"ambulance.conveyances": 6.0})) == []
    assert metrics_warnings(scenario, reps(10, **{"ucr.staffed_hours": 4380.0})) == []
    varied = [812.0 + k for k in range(10)]
    assert metrics_warnings(scenario, reps(10, **{"ambulance.conveyances": varied})) == []


def test_a_warm_up_shorter_than_the_longest_stay() -> None:
    scenario = teaching("run.warmup_days=1")
    longest = max(
        (spec.los_days.mean, name)
        for name, spec in scenario.services.items()
        if hasattr(spec, "los_days")
    )
    found = metrics_warnings(scenario, reps())
    assert codes(found) == [("warm_up", longest[1])]
    long_enough = teaching(f"run.warmup_days={longest[0]}")
    assert metrics_warnings(long_enough, reps()) == []


def _results(scenario, rows: list[dict[str, float]]) -> Results:
    n = len(rows)
    return Results(scenario, 1, list(range(n)), rows, list(range(n)))


def test_capacity_bought_without_a_price_is_named() -> None:
    base = teaching("costs.conveyance=270")  # costs, but no capacity priced
    cf = _results(base, reps(**{"ucr.staffed_hours": 4380.0, "cost.total": 1.0}))
    sc = _results(base, reps(**{"ucr.staffed_hours": 13140.0, "cost.total": 1.0}))
    found = comparison_warnings(Comparison(cf, sc))
    assert codes(found) == [("unpriced", "ucr")]
    priced = teaching("costs.conveyance=270", "costs.capacity.ucr.per_wte_year=52000")
    sc_priced = _results(priced, reps(**{"ucr.staffed_hours": 13140.0, "cost.total": 1.0}))
    cf_priced = _results(priced, reps(**{"ucr.staffed_hours": 4380.0, "cost.total": 1.0}))
    assert comparison_warnings(Comparison(cf_priced, sc_priced)) == []
    # priced on one side only: the package would count all of the service's capacity
    one_side = comparison_warnings(Comparison(cf, sc_priced))
    assert ("unpriced", "ucr") in codes(one_side)


def _search(bound: float, standard: float = 0.70) -> SearchResult:
    scenario = teaching()
    constraint = Constraint(metric="ucr.seen_within_target", at_least=standard)
    experiment = SimpleNamespace(
        name="least_ucr",
        search=SimpleNamespace(
            capacities={"services.ucr.staff": [1, 3]}, constraints=[constraint], confidence=0.95
        ),
    )
    results = _results(scenario, reps(**{"ucr.seen_within_target": bound + 0.01}))
    ev = Evaluation(
        {"services.ucr.staff": 2}, results, {constraint.metric: (0.72, bound, 0.8)}, True
    )
    return SearchResult(experiment, [ev], [{"services.ucr.staff": 2}])  # type: ignore[arg-type]


def test_a_search_answer_that_passes_by_less_than_a_point() -> None:
    found = search_warnings(_search(0.709))
    assert codes(found) == [("search_margin", "ucr")]
    assert "services.ucr.staff = 2" in found[0].message
    assert search_warnings(_search(0.711)) == []


SHORT = ["run.days=90"]
"""For the boarding comparison; the shipped scenarios' own warnings are checked on their
own run length (a year), as a planner runs them."""
SHIPPED = [
    "teaching.toml",
    "neighbourhood_50k.toml",
    "neighbourhood_50k_invest.toml",
    "place_250k.toml",
    "team_up_derbyshire.toml",
    "team_up_counterfactual.toml",
    "examples/falls_response.toml",
]
APPLIES = {"place_250k.toml": {("saturated", "reablement")}}
"""The place's reablement is full (its occupancy is about 98%): that warning applies."""
MAY = {
    name: {("boarding", "acute")}
    for name in (
        "neighbourhood_50k.toml",
        "neighbourhood_50k_invest.toml",
        "examples/falls_response.toml",
    )
}
"""The neighbourhood's 92 acute beds board patients for about 12 to 15 hours in winter,
near the threshold: the warning may or may not appear, by the replications' luck."""


@pytest.mark.parametrize("name", SHIPPED)
def test_the_shipped_scenarios_raise_only_the_warnings_that_apply(name: str) -> None:
    scenario = load_scenario(REPO_ROOT / "configs" / name)
    found = {
        (w.code, w.service)
        for w in metrics_warnings(scenario, run(scenario, 4, 11, workers=1).replications)
    }
    assert found - MAY.get(name, set()) == APPLIES.get(name, set())


def test_the_neighbourhood_boards_more_than_the_place() -> None:
    """The boarding warning follows the acute beds: the neighbourhood's 92 beds for 50,000
    people board patients for longer than the place's 460 for 250,000."""
    hours = {}
    for name in ("neighbourhood_50k.toml", "place_250k.toml"):
        scenario = load_scenario(REPO_ROOT / "configs" / name, SHORT)
        hours[name] = run(scenario, 4, 11, workers=1).interval("acute.mean_boarding_hours").mean
    assert hours["place_250k.toml"] < 12.0
    assert hours["neighbourhood_50k.toml"] > hours["place_250k.toml"]


def test_compare_names_a_counterfactual_with_too_few_acute_beds(tmp_path, capsys) -> None:
    """A neighbourhood with 40 acute beds instead of 92: nhsim compare prints the
    saturation (and boarding) warnings for the counterfactual and writes warnings.json."""
    short = {"run": {"days": 60, "warmup_days": 30}}
    cf = write_toml(
        tmp_path / "few_beds.toml",
        {
            "extends": str(NEIGHBOURHOOD),
            "name": "few_beds",
            **short,
            "services": {"acute": {"beds": 40, "initial_occupancy": 40}},
        },
    )
    sc = write_toml(tmp_path / "sc.toml", {"extends": str(NEIGHBOURHOOD), **short})
    out = tmp_path / "out"
    assert main(["compare", str(cf), str(sc), "-n", "2", "--out", str(out), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "warning: few_beds (counterfactual): acute: occupancy" in printed
    assert printed.index("warning:") > printed.index("(all metrics in comparison.csv)")
    saved = json.loads((out / "warnings.json").read_text())["warnings"]
    assert ("saturated", "few_beds (counterfactual)", "acute") in {
        (w["code"], w["scenario"], w["service"]) for w in saved
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["warnings"] == saved


def test_run_sweep_and_search_write_their_warnings(tmp_path, capsys) -> None:
    """A teaching scenario with one day of warm-up: each command prints the warm-up
    warning after its tables and writes it to warnings.json and the manifest."""
    scenario = write_toml(
        tmp_path / "short.toml",
        {"extends": str(TEACHING), "run": {"days": 30, "warmup_days": 1}},
    )
    base = {"scenario": str(scenario), "replications": 2, "seed": 3}
    sweep = write_toml(
        tmp_path / "sweep.toml",
        {
            **base,
            "report": ["ucr.seen"],
            "design": {"kind": "grid"},
            "vary": {"services.ucr.staff": [1, 2]},
        },
    )
    search = write_toml(
        tmp_path / "search.toml",
        {
            **base,
            "search": {
                "capacities": {"services.ucr.staff": [1, 2]},
                "constraints": [{"metric": "ucr.seen_within_target", "at_least": 0.1}],
            },
        },
    )
    for command, target in (("run", scenario), ("sweep", sweep), ("search", search)):
        out = tmp_path / command
        assert (
            main([command, str(target), "--out", str(out), "--no-plots", "--workers", "1"]) == 0
        ), command
        printed = capsys.readouterr().out
        saved = json.loads((out / "warnings.json").read_text())["warnings"]
        assert "warm_up" in {w["code"] for w in saved}, command
        assert json.loads((out / "manifest.json").read_text())["warnings"] == saved
        warm = next(w for w in saved if w["code"] == "warm_up")
        assert f"warning: {warm['text']}" in printed
        assert printed.index("warning:") < printed.index("Results written to")
