"""Bad input for the proactive caseload team and for demand routed to a hub: the same
plain messages as every other kind (file, key path, what is wrong), and from the command
line exit code 2, no traceback and nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, write_toml
from test_proactive import base

from sim.scenario import ScenarioError, scenario_from_dict

REMOVE = object()


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data, "bad.toml")
    return [str(p) for p in err.value.problems]


def team(**change: Any) -> dict[str, Any]:
    data = base()
    cct = data["services"]["cct"]
    for key, value in change.items():
        if value is REMOVE:
            del cct[key]
        else:
            cct[key] = value
    return data


TEAM_CASES = [
    (
        "unknown_cohort",
        {"eligible": {"complx": 1.0}},
        "bad.toml: services.cct.eligible.complx: unknown cohort 'complx'; did you mean 'complex'?",
    ),
    (
        "eligible_share_above_1",
        {"eligible": {"complex": 1.2}},
        "bad.toml: services.cct.eligible.complex: must be <= 1, got 1.2",
    ),
    (
        "rate_ratio_0",
        {"rate_ratio": {"calls_999": 0}},
        "bad.toml: services.cct.rate_ratio.calls_999: must be > 0, got 0",
    ),
    (
        "rate_ratio_above_1",
        {"rate_ratio": {"calls_999": 1.3}},
        "bad.toml: services.cct.rate_ratio.calls_999: must be <= 1, got 1.3",
    ),
    (
        "unknown_demand_source",
        {"rate_ratio": {"calls999": 0.8}},
        "bad.toml: services.cct.rate_ratio.calls999: unknown demand source 'calls999'; "
        "did you mean 'calls_999'?",
    ),
    (
        "negative_caseload",
        {"caseload": -5},
        "bad.toml: services.cct.caseload: must be >= 0, got -5",
    ),
    (
        "negative_staff",
        {"caseload": REMOVE, "staff": -1, "review_minutes": 60},
        "bad.toml: services.cct.staff: must be >= 0, got -1",
    ),
    (
        "no_capacity",
        {"caseload": REMOVE},
        "bad.toml: services.cct.caseload: is required (people on the caseload at once), "
        "unless staff (or a roster) and review_minutes are given",
    ),
    (
        "staff_without_review_time",
        {"caseload": REMOVE, "staff": 3},
        "bad.toml: services.cct.review_minutes: is required to size the caseload from the "
        "roster (or give caseload)",
    ),
    (
        "review_time_0",
        {"caseload": REMOVE, "staff": 3, "review_minutes": 0},
        "bad.toml: services.cct.review_minutes: must be > 0, got 0",
    ),
    (
        "unknown_priority",
        {"priority": "random"},
        "bad.toml: services.cct.priority: must be one of 'highest_risk' or 'proportional', "
        "got 'random'",
    ),
    (
        "negative_ramp",
        {"ramp_days": -1},
        "bad.toml: services.cct.ramp_days: must be >= 0, got -1",
    ),
    (
        "stays_of_no_time",
        {"stay_days": {"dist": "fixed", "mean": 0}},
        "bad.toml: services.cct.stay_days: must have a mean above 0 days (a stay of no time "
        "frees its place at once)",
    ),
    (
        "misspelt_key",
        {"rate_ratios": {"calls_999": 0.8}},
        "bad.toml: services.cct.rate_ratios: unknown key; did you mean 'rate_ratio'?",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"), [c[1:] for c in TEAM_CASES], ids=[c[0] for c in TEAM_CASES]
)
def test_bad_caseload_team(change: dict[str, Any], expected: str) -> None:
    assert problems(team(**change)) == [expected]


def test_no_route_may_send_patients_to_the_team() -> None:
    data = base()
    data["services"]["ucr"]["after_visit"] = {"home": 0.8, "cct": 0.2}
    assert problems(data) == [
        "bad.toml: services.ucr.after_visit.cct: 'cct' is a proactive_care service; expected "
        "one of kind: community_response, ambulance, virtual_ward, intermediate_care, ed, "
        "acute, outcome"
    ]
    data = base()
    data["demand"]["referrals"]["to"] = "cct"
    assert problems(data) == [
        "bad.toml: demand.referrals.to: 'cct' is a proactive_care service; expected one of "
        "kind: community_response, hub, ambulance, virtual_ward, intermediate_care, ed, "
        "acute, outcome"
    ]


def _with_advice_line(**line: Any) -> dict[str, Any]:
    data = base()
    data["demand"]["care_homes"] = {"to": "line", "rate_per_1000": {"rest": 0, "complex": 100}}
    data["services"]["line"] = {
        "kind": "hub",
        "staff": 1,
        "call_minutes": {"dist": "fixed", "mean": 15},
        "destinations": {"ucr": 0.5, "home": 0.5},
        "not_answered_to": "ambulance",
        **line,
    }
    return data


def test_a_hub_called_by_demand_needs_a_route_for_calls_not_answered() -> None:
    data = _with_advice_line()
    scenario_from_dict(data, "bad.toml")  # valid as it is
    del data["services"]["line"]["not_answered_to"]
    assert problems(data) == [
        "bad.toml: services.line.not_answered_to: is required: demand.care_homes call(s) the "
        "hub; say where a call goes when it is not answered in time or not accepted (e.g. "
        "'ambulance')"
    ]
    assert problems(_with_advice_line(not_answered_to="ambulanse")) == [
        "bad.toml: services.line.not_answered_to: unknown service 'ambulanse'; did you mean "
        "'ambulance'?"
    ]
    assert problems(_with_advice_line(not_answered_to="line")) == [
        "bad.toml: services.line.not_answered_to: a service cannot send patients to itself"
    ]


def test_bad_input_on_the_command_line_exits_2_with_no_traceback(tmp_path: Path) -> None:
    bad = write_toml(tmp_path / "bad.toml", team(rate_ratio={"calls_999": 0}))
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", "bad.toml", "--out", str(out)],
        cwd=bad.parent,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "bad.toml: services.cct.rate_ratio.calls_999: must be > 0, got 0"
    ]
    assert "Traceback" not in proc.stderr
    assert not out.exists()
