"""Outcomes by cohort, unplanned hospital visits counted once, the share of need met at
home, and the cohort column of the event log."""

from __future__ import annotations

import csv
import math
from collections import Counter

import pytest
from conftest import REPO_ROOT, Recorder

from sim import load_scenario, simulate
from sim.cli.main import main
from sim.engine import run_replication
from sim.metrics import compute_metrics

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"
TEACHING = REPO_ROOT / "configs" / "teaching.toml"
SHORT = ["run.days=90", "run.warmup_days=20"]


@pytest.fixture(scope="module")
def neighbourhood() -> tuple[list[str], dict[str, float]]:
    scenario = load_scenario(NEIGHBOURHOOD, SHORT)
    return list(scenario.population.cohorts), simulate(scenario, 8)


def test_the_cohorts_add_up_to_each_headline_count(neighbourhood) -> None:
    cohorts, m = neighbourhood
    bases = {name.split(".by_cohort.")[0] for name in m if ".by_cohort." in name}
    assert {
        "demand.arrivals",
        "ambulance.calls",
        "ambulance.conveyances",
        "ed.attendances",
        "admissions.total",
        "admissions.short_stay",
        "acute.bed_days",
        "unplanned.hospital_visits",
        "home.share",
    } <= bases
    for base in bases - {"home.share", "demand.arrivals"}:
        parts = [m[f"{base}.by_cohort.{c}"] for c in cohorts]
        assert sum(parts) == pytest.approx(m[base], rel=1e-9), base
    arrivals = sum(m[f"demand.{s}.arrivals"] for s in load_scenario(NEIGHBOURHOOD).demand)
    assert sum(m[f"demand.arrivals.by_cohort.{c}"] for c in cohorts) == pytest.approx(arrivals)


def test_severe_frailty_is_admitted_more_often_per_person(neighbourhood) -> None:
    """The cohorts are kept apart: per person, the severely frail are admitted far more
    often than the under-65s, as their rates and admission probabilities say."""
    _, m = neighbourhood
    shares = load_scenario(NEIGHBOURHOOD).population.cohorts
    per_person = {c: m[f"admissions.total.by_cohort.{c}"] / shares[c] for c in shares}
    assert per_person["severe"] > 5 * per_person["under_65"]
    assert m["home.share.by_cohort.severe"] > m["home.share.by_cohort.under_65"]


def test_unplanned_visits_count_an_admission_from_the_ed_once() -> None:
    """Teaching: the ED admits, and a full virtual ward sends patients straight to acute
    beds. Visits are the attendances plus those direct admissions, not attendances plus
    admissions."""
    m = simulate(load_scenario(TEACHING), 4)
    assert m["acute.direct_admissions"] == m["virtual_ward.blocked"] > 0
    assert m["unplanned.hospital_visits"] == pytest.approx(
        m["ed.attendances"] + m["acute.direct_admissions"]
    )
    assert m["unplanned.hospital_visits"] < m["ed.attendances"] + m["admissions.total"]


def test_home_share_counts_each_patient_once() -> None:
    """From the event log: a patient with one unplanned visit or more (an ED attendance, or
    an admission not from the ED) counts once; the share met at home is the rest of the
    patients who arrived in the measured period."""
    scenario = load_scenario(TEACHING, ["run.warmup_days=0"])
    log = Recorder()
    tally = run_replication(scenario, 6, log)
    m = compute_metrics(tally)
    visited = {pid for _, pid, svc, event, _ in log.events if svc == "ed" and event == "attended"}
    visited |= {
        pid
        for _, pid, svc, event, detail in log.events
        if svc == "virtual_ward" and event == "blocked" and detail == "acute"
    }
    first: dict[int, tuple[str, str]] = {}
    for _, pid, svc, event, _ in log.events:
        first.setdefault(pid, (svc, event))
    # the one demand source refers patients to the UCR team (the others were in beds at the start)
    arrived = {pid for pid, row in first.items() if row == ("ucr", "referred")}
    visited &= arrived
    assert m["home.share"] == pytest.approx(1 - len(visited) / len(arrived))
    by_cohort = Counter(log.cohorts[p] for p in visited)
    for k, cohort in enumerate(scenario.population.cohorts):
        n = sum(1 for p in arrived if log.cohorts[p] == k)
        if n:
            assert m[f"home.share.by_cohort.{cohort}"] == pytest.approx(1 - by_cohort[k] / n)
        else:
            assert math.isnan(m[f"home.share.by_cohort.{cohort}"])


def test_the_event_log_names_each_rows_cohort(tmp_path) -> None:
    out = tmp_path / "out"
    args = ["run", str(TEACHING), "-n", "1", "--event-log", "--out", str(out), "-q", "--no-plots"]
    assert main([*args, "--set", "run.warmup_days=0"]) == 0
    with open(out / "events" / "replication-0000.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["time_hours", "patient", "cohort", "service", "event", "detail"]
    cohorts = list(load_scenario(TEACHING).population.cohorts)
    assert {r["cohort"] for r in rows} <= set(cohorts)
    assert all(len({r["cohort"] for r in rows if r["patient"] == p}) == 1 for p in {"1", "2", "3"})
    with open(out / "replications.csv", newline="", encoding="utf-8") as fh:
        metrics = next(csv.DictReader(fh))
    attended = Counter(r["cohort"] for r in rows if r["event"] == "attended")
    for cohort in cohorts:
        assert float(metrics[f"ed.attendances.by_cohort.{cohort}"]) == attended[cohort]
