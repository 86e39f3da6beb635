"""Every shipped scenario loads; the small ones run and report every metric the SPEC names.

The scenarios are found by globbing ``configs/**/*.toml``, so a new one is picked up
without touching this file. Which metrics a scenario must report follows from the kinds
of its services: an ambulance reports ``<svc>.calls``, a hub ``<svc>.diverted``, a bed
pool ``<svc>.mean_occupancy`` and so on (``<svc>`` is the service's name).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from sim.runs.replications import simulate
from sim.scenario.loader import load_scenario
from sim.scenario.model import Scenario

CONFIGS = sorted((REPO_ROOT / "configs").rglob("*.toml"))
SEED = 5
# Run those that take well under a second a replication (people × days simulated).
SMALL = 250_000 * 425


def label(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT / "configs"))


def small(path: Path) -> bool:
    try:
        scenario = load_scenario(path)
    except Exception:  # reported by test_loads, not at collection
        return False
    return scenario.population.size * scenario.horizon_days <= SMALL


RUN = [p for p in CONFIGS if small(p)]

BY_KIND = {
    "ambulance": ["calls", "conveyances", "treated_on_scene"],
    "hub": ["calls", "answered_in_time", "diverted", "staffed_hours", "wte"],
    "community_response": [
        "referrals",
        "seen",
        "seen_within_target",
        "mean_wait_hours",
        "escalated",
        "utilisation",
        "staffed_hours",
        "wte",
    ],
    "virtual_ward": ["admissions", "blocked", "mean_occupancy"],
    "intermediate_care": ["admissions", "blocked", "mean_occupancy"],
    "ed": ["attendances"],
    "proactive_care": ["places", "on_caseload", "enrolled", "prevented", "reviews"],
}
FRACTIONS = ("seen_within_target", "utilisation", "occupancy")
HOSPITAL = [
    "admissions.total",
    "admissions.short_stay",
    "acute.bed_days",
    "acute.delayed_discharge_days",
]


def named_metrics(scenario: Scenario) -> list[str]:
    """The SPEC's metric names for this scenario's services."""
    names: list[str] = []
    for name, spec in scenario.services.items():
        names += [f"{name}.{m}" for m in BY_KIND.get(spec.kind, [])]
        if spec.kind in ("virtual_ward", "intermediate_care") and spec.beds is not None:
            names.append(f"{name}.occupancy")
        if spec.kind in ("virtual_ward", "intermediate_care", "acute") and spec.beds is not None:
            names.append(f"{name}.bed_days_available")
    kinds = {s.kind for s in scenario.services.values()}
    if "acute" in kinds:
        names += HOSPITAL
    if kinds & {"ed", "acute"}:
        names += ["unplanned.hospital_visits", "home.share"]
        names += [f"home.share.by_cohort.{c}" for c in scenario.population.cohorts]
    if scenario.costs is not None:
        names += [f"cost.activity.{item}" for item in scenario.costs.activity()]
        names += [f"cost.capacity.{svc}" for svc in scenario.costs.capacity]
        names.append("cost.total")
    return names


def test_the_shipped_scenarios_are_found() -> None:
    assert {"teaching.toml", "neighbourhood_50k.toml"} <= {label(p) for p in CONFIGS}
    assert {"teaching.toml", "neighbourhood_50k.toml"} <= {label(p) for p in RUN}


@pytest.mark.parametrize("path", CONFIGS, ids=label)
def test_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.services and scenario.demand
    assert scenario.population.size > 0


@pytest.mark.parametrize("path", RUN, ids=label)
def test_runs_and_reports_the_named_metrics(path: Path) -> None:
    scenario = load_scenario(path)
    metrics = simulate(scenario, SEED)
    names = named_metrics(scenario)
    assert names
    missing = [n for n in names if n not in metrics]
    assert not missing, f"{label(path)} does not report {missing}"
    for name in names:
        value = metrics[name]
        svc = name.split(".")[0]
        if math.isnan(value) and name.endswith(
            (".mean_wait_hours", ".seen_within_target", ".utilisation")
        ):
            # undefined only for a team that saw no one or had no one on duty (a switched-off service)
            assert metrics[f"{svc}.seen"] == 0.0, f"{name} is NaN although {svc} saw patients"
            continue
        assert math.isfinite(value) and value >= 0.0, f"{name} = {value}"
        if name.rsplit(".", 1)[-1] in FRACTIONS:
            assert value <= 1.0 + 1e-9, f"{name} = {value}"  # float round-off only
    # something happened at every service patients are sent to first
    for src in scenario.demand.values():
        kind = scenario.services[src.to].kind
        first = {
            "ambulance": "calls",
            "hub": "demand_calls",
            "community_response": "referrals",
            "ed": "attendances",
            "virtual_ward": "step_up",
            "intermediate_care": "step_up",
            "acute": "admissions",
            "outcome": "arrivals",
        }[kind]
        assert metrics[f"{src.to}.{first}"] > 0, f"{src.to}.{first}"
    if "admissions.total" in metrics:
        assert 0 < metrics["admissions.short_stay"] <= metrics["admissions.total"]
        assert metrics["acute.delayed_discharge_days"] <= metrics["acute.bed_days"]
    if scenario.costs is not None:
        for part in ("activity", "capacity"):
            items = [n for n in metrics if n.startswith(f"cost.{part}.")]
            assert metrics.get(f"cost.{part}", 0.0) == pytest.approx(
                sum(metrics[n] for n in items), rel=1e-12
            )
        assert metrics["cost.total"] == pytest.approx(
            metrics.get("cost.activity", 0.0) + metrics.get("cost.capacity", 0.0), rel=1e-12
        )
        assert metrics["cost.total"] > 0


def test_teaching_hospital_sees_only_the_teams_patients() -> None:
    """The teaching scenario's ambulance, ED, virtual ward and acute beds take only the
    UCR team's patients: every ED attendance comes by a route from the team, and every
    admission is an ED admission or a patient the full virtual ward could not take."""
    scenario = load_scenario(REPO_ROOT / "configs" / "teaching.toml")
    metrics = simulate(scenario, SEED)
    assert {s.kind for s in scenario.services.values()} == {
        "community_response",
        "virtual_ward",
        "ambulance",
        "ed",
        "acute",
    }
    assert list(scenario.demand) == ["urgent_referrals"]
    assert not any(m.startswith(("cost.", "hub.")) for m in metrics)
    routes = {m for m in metrics if m.startswith("ed.attendances.") and ".by_cohort." not in m}
    assert routes <= {
        "ed.attendances.ucr",
        "ed.attendances.ambulance",
        "ed.attendances.virtual_ward",
    }
    assert metrics["ed.attendances"] == pytest.approx(sum(metrics[m] for m in routes))
    assert metrics["ambulance.calls"] == metrics["ucr.escalated.ambulance"]
    assert metrics["admissions.total"] == pytest.approx(
        metrics["ed.admitted"] + metrics["virtual_ward.blocked"]
    )
    assert metrics["virtual_ward.blocked"] > 0  # the small ward is full at times
