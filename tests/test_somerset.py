"""Somerset's complex care team, shipped and reproduced (shortened runs).

- ``nhsim reproduce experiments/somerset.toml`` prints the published figures against the
  model's and writes them to ``published.csv``;
- the effect recorded in the scenario (fitted with ``nhsim calibrate``) gives the
  published reduction of the cohort's unplanned hospital visits within the model's 99%
  interval, and the people taken on a year match the caseload ÷ the mean stay;
- the team only removes arrivals: per replication the counterfactual's arrivals are the
  team's arrivals plus those it prevented, and every patient is accounted for;
- ``nhsim compare`` of the shipped pair shows the unplanned hospital visits avoided, and
  what the team costs per visit avoided.
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO_ROOT, Recorder, write_toml
from test_network_conservation import check_event_log

from sim import compare, load_scenario
from sim.cli.main import main
from sim.engine.core import run_replication
from sim.engine.proactive import caseload_places
from sim.runs.economics import economics
from sim.runs.experiment_file import load_experiment

EXPERIMENT = REPO_ROOT / "experiments" / "somerset.toml"
TEAM = REPO_ROOT / "configs" / "somerset_complex_care.toml"
BEFORE = REPO_ROOT / "configs" / "somerset_counterfactual.toml"
SHORT = ["run.days=120", "run.warmup_days=10"]
FIGURE = "reduction.unplanned.hospital_visits.by_cohort.complex_needs"


@pytest.fixture(scope="module")
def comparison():  # type: ignore[no-untyped-def]
    exp = load_experiment(EXPERIMENT)
    cf, sc = load_scenario(BEFORE, SHORT), load_scenario(TEAM, SHORT)
    return compare(cf, sc, 4, exp.seed, workers=2)


def test_the_fitted_effect_gives_the_published_reduction(comparison) -> None:  # type: ignore[no-untyped-def]
    published = load_experiment(EXPERIMENT).published
    assert comparison.figure(FIGURE, 0.99).contains(published[FIGURE])


def test_people_taken_on_a_year_are_the_caseload_over_the_mean_stay(comparison) -> None:  # type: ignore[no-untyped-def]
    spec = load_scenario(TEAM).services["cct"]
    expected = caseload_places(spec) * 365 / spec.stay_days.mean
    assert comparison.figure("cct.enrolled", 0.99).contains(expected)
    # the people supported in two years, as published, within a few percent
    published = load_experiment(EXPERIMENT).published["cct.enrolled"]
    assert abs(expected - published) / published < 0.02


def test_the_team_only_removes_arrivals(comparison) -> None:  # type: ignore[no-untyped-def]
    cf, sc = comparison.counterfactual, comparison.scenario
    for source in load_scenario(TEAM).demand:
        kept, prevented = (
            sc.values(f"demand.{source}.arrivals"),
            sc.values(f"cct.prevented.{source}"),
        )
        assert np.allclose(cf.values(f"demand.{source}.arrivals"), kept + prevented), source
        assert np.all(prevented > 0), source
    for cohort in ("under_65", "older"):  # not eligible: untouched
        before = cf.values(f"demand.arrivals.by_cohort.{cohort}")
        assert np.array_equal(sc.values(f"demand.arrivals.by_cohort.{cohort}"), before)


def test_every_patient_is_accounted_for() -> None:
    scenario = load_scenario(TEAM, ["run.days=20", "run.warmup_days=0"])
    log = Recorder()
    tally = run_replication(scenario, 7, log)
    assert tally.patients == tally.exited + tally.in_system_end
    check_event_log(scenario, tally, log)


def test_reproduce_prints_the_published_figures_against_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tomllib.loads(EXPERIMENT.read_text(encoding="utf-8"))
    for key in ("scenario", "counterfactual"):
        data[key] = str((EXPERIMENT.parent / data[key]).resolve())
    data["set"] = ["run.days=60", "run.warmup_days=5"]
    data["name"] = "somerset"
    short = write_toml(tmp_path / "somerset.toml", data)
    out = tmp_path / "out"
    assert main(["reproduce", str(short), "-n", "2", "-w", "2", "-q", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "published" in printed and "model 95% CI" in printed
    with open(out / "published.csv", newline="", encoding="utf-8") as fh:
        rows = {r["figure"]: r for r in csv.DictReader(fh)}
    assert set(rows) == set(data["published"])
    for figure, value in data["published"].items():
        assert float(rows[figure]["published"]) == value
        assert figure in printed
    assert 0 < float(rows[FIGURE]["model_mean"]) < 1
    assert (out / "comparison.csv").exists()


def test_compare_shows_the_visits_avoided_and_the_cost_per_visit(comparison) -> None:  # type: ignore[no-untyped-def]
    avoided = comparison.avoided("unplanned.hospital_visits")
    assert avoided.ci_low > 0
    econ = economics(comparison)
    assert econ is not None
    per_visit = econ.cost_per_visit_avoided
    assert per_visit.bounded and per_visit.ci_low <= per_visit.mean <= per_visit.ci_high
    package = comparison.scenario.values("cost.capacity.cct")
    assert np.all(package > 0) and np.all(
        comparison.counterfactual.values("cost.capacity.cct") == 0
    )
    row = {key: est for key, _, est in econ.rows()}["cost_per_visit_avoided"]
    assert row is per_visit
