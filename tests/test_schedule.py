"""The team that works each start out at arrival agrees with an event-driven team.

``sim.engine.community.CommunityResponseTeam`` books each referral's visit when the
referral arrives (:class:`sim.engine.schedule.FcfsSchedule`) and spends an event on
a visit's end only when the patient goes on somewhere. ``event_driven_team`` is the
same team built the straightforward way, on the hub's event-driven queue: every
visit's end is an event that hands the clinician to the next in the queue. With the
same seed both draw the same numbers, so they must see the same patients start at
the same moments, escalate the same patients, and report the same tallies — exact
counts, and time integrals equal up to floating-point rounding.

Checked on the roster cases of ``test_roster.py``, with patience, on the full
neighbourhood network (as shipped, and with shifts that hand over to a shift with
someone on), and on random rosters, loads and patiences (hypothesis).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import REPO_ROOT, Recorder
from event_driven_team import CommunityResponseTeam as EventDrivenTeam
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_roster import CASES, EXPLICIT_ROSTER, team_scenario

from sim import registry
from sim.engine.core import Tally, run_replication
from sim.engine.service import ServiceTally
from sim.scenario import load_scenario, scenario_from_dict
from sim.scenario.loader import read_scenario_data
from sim.scenario.model import Scenario

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"


@contextmanager
def event_driven_teams() -> Iterator[None]:
    """Community teams built as the event-driven reference team, through the registry."""
    engine_team = registry.get("community_response")
    registry.register(dataclasses.replace(engine_team, engine=EventDrivenTeam.build), replace=True)
    try:
        yield
    finally:
        registry.register(engine_team, replace=True)


def both(scenario: Scenario, seed: int) -> tuple[tuple[Tally, Recorder], tuple[Tally, Recorder]]:
    runs = []
    for reference in (False, True):
        log = Recorder()
        if reference:
            with event_driven_teams():
                tally = run_replication(scenario, seed, log)
        else:
            tally = run_replication(scenario, seed, log)
        runs.append((tally, log))
    return runs[0], runs[1]


def team_events(log: Recorder, teams: set[str]) -> dict[tuple[int, str], list[tuple[str, str]]]:
    """Each patient's rows at the teams: (event, detail), in order."""
    out: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for _, pid, svc, event, detail in log.events:
        if svc in teams:
            out.setdefault((pid, svc), []).append((event, detail))
    return out


def starts(log: Recorder, teams: set[str]) -> dict[tuple[int, str], float]:
    return {
        (pid, svc): t
        for t, pid, svc, event, _ in log.events
        if svc in teams and event == "visit_start"
    }


def assert_same_tallies(a: ServiceTally, b: ServiceTally, where: str) -> None:
    assert type(a) is type(b), where
    x_fields, y_fields = dataclasses.asdict(a), dataclasses.asdict(b)
    for key in x_fields:
        x, y = x_fields[key], y_fields[key]
        if isinstance(x, float):
            assert x == pytest.approx(y, rel=1e-12, abs=1e-9), (where, key)
        else:
            assert x == y, (where, key)


def assert_agree(scenario: Scenario, seed: int) -> int:
    """The two teams agree on this scenario; returns how many visits started."""
    (engine, engine_log), (reference, reference_log) = both(scenario, seed)
    teams = {n for n, s in scenario.services.items() if s.kind == "community_response"}
    assert engine.patients == reference.patients
    assert engine.exited == reference.exited and engine.in_system_end == reference.in_system_end
    for name in engine.services:
        assert_same_tallies(engine.services[name], reference.services[name], name)
    assert team_events(engine_log, teams) == team_events(reference_log, teams)
    got, want = starts(engine_log, teams), starts(reference_log, teams)
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-9), key
    # with the log on or off, the engine's team reports the same
    assert run_replication(scenario, seed).services == engine.services
    return len(want)


@pytest.mark.parametrize("case", list(CASES))
def test_roster_cases_agree(case: str) -> None:
    spec = CASES[case]
    assert assert_agree(team_scenario(spec["team"], spec["lam"], spec["visit"]), seed=31) > 100


@pytest.mark.parametrize("patience", [0.5, 3.0])
def test_patience_and_escalation_agree(patience: float) -> None:
    scenario = scenario_from_dict(
        {
            "run": {"days": 28, "warmup_days": 2},
            "population": {"size": 1000},
            "demand": {"referrals": {"to": "ucr", "rate_per_1000": 0.9 * 8760}},
            "services": {
                "ucr": {
                    "kind": "community_response",
                    "roster": EXPLICIT_ROSTER,
                    "visit_minutes": {"dist": "lognormal", "mean": 90, "sd": 40},
                    "patience_hours": patience,
                    "escalation": {"ed": 0.6, "home": 0.4},
                    "after_visit": {"home": 0.7, "ed": 0.3},
                },
                "ed": {"kind": "outcome"},
            },
        }
    )
    assert assert_agree(scenario, seed=5) > 100


def test_the_neighbourhood_agrees() -> None:
    # both teams, the hub asking whether UCR can take a patient now, escalations to 999
    scenario = load_scenario(NEIGHBOURHOOD, ["run.days=90", "run.warmup_days=10"])
    assert assert_agree(scenario, seed=2024) > 300


def test_the_neighbourhood_with_shifts_that_hand_over_agrees() -> None:
    # UCR and the hub never close: each shift change hands over to a shift with someone
    # on, while the hub asks whether UCR can take a patient now
    data, provenance = read_scenario_data(NEIGHBOURHOOD)
    for name, day in (("ucr", [1] * 8 + [3] * 12 + [2] * 4), ("hub", [1] * 8 + [2] * 14 + [1] * 2)):
        spec = data["services"][name]
        for key in ("staff", "open_hours", "open_days"):
            spec.pop(key, None)
        spec["roster"] = day * 7
    data["run"] |= {"days": 90, "warmup_days": 10}
    scenario = scenario_from_dict(data, "<neighbourhood, shifts handing over>", provenance)
    assert assert_agree(scenario, seed=2024) > 300


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    day=st.lists(st.integers(0, 3), min_size=24, max_size=24),
    weekend=st.lists(st.integers(0, 2), min_size=24, max_size=24),
    load=st.floats(0.2, 1.5),
    visit=st.floats(20, 240),
    patience=st.one_of(st.none(), st.floats(0.25, 12)),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_rosters_agree(
    day: list[int], weekend: list[int], load: float, visit: float, patience: float | None, seed: int
) -> None:
    roster = day * 5 + weekend * 2
    staffed = sum(roster) / 168
    rate = load * max(staffed, 0.5) * 60 / visit  # referrals an hour
    team: dict[str, Any] = {
        "kind": "community_response",
        "roster": roster,
        "visit_minutes": {"dist": "exponential", "mean": visit},
        "after_visit": {"home": 0.8, "gp": 0.2},
    }
    if patience is not None:
        team |= {"patience_hours": patience, "escalation": {"gp": 1.0}}
    scenario = scenario_from_dict(
        {
            "run": {"days": 14, "warmup_days": 1},
            "population": {"size": 1000},
            "demand": {"referrals": {"to": "ucr", "rate_per_1000": rate * 8760}},
            "services": {"ucr": team, "gp": {"kind": "outcome"}},
        }
    )
    assert_agree(scenario, seed)
    assert not math.isnan(rate)
