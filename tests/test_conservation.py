"""Conservation: every referral is accounted for, exactly, in the tallies and the event log.

A referral to a community response team ends in exactly one way — a visit that ends
(after-visit route), an escalation (escalation route) — or is still in the system at
the end (waiting or being visited). With a warm-up, those in the system when
measurement starts are counted in ``in_system_start``, so

    in_system_start + referrals == sum(escalated) + sum(outcomes) + waiting_end + busy_end

holds exactly, as integers. The event log, replayed here, must tell the same story.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import run_replication
from sim.scenario import scenario_from_dict

PATIENCE = 4.0
TARGET = 2.0


def network(
    team: dict | None = None,
    *,
    days: float = 42,
    warmup_days: float = 0,
    rate_per_1000: float = 6000,
    drop: tuple[str, ...] = (),
):
    """A UCR team open 08-20 with patience, escalating to 999 / ED / home; visits end at
    home, ED or (rarely) 999. 10,000 people at 6,000 referrals per 1,000 a year ≈ 6.8 an hour."""
    ucr = {
        "kind": "community_response",
        "staff": 4,
        "open_hours": "08-20",
        "visit_minutes": {"dist": "lognormal", "mean": 45, "sd": 20},
        "target_hours": TARGET,
        "patience_hours": PATIENCE,
        "escalation": {"ambulance": 0.5, "ed": 0.3, "home": 0.2},
        "after_visit": {"home": 0.6, "ed": 0.3, "ambulance": 0.1},
    }
    ucr.update(team or {})
    for key in drop:
        ucr.pop(key)
    return scenario_from_dict(
        {
            "run": {"days": days, "warmup_days": warmup_days},
            "population": {"size": 10_000},
            "demand": {
                "referrals": {
                    "to": "ucr",
                    "rate_per_1000": rate_per_1000,
                    "hour_of_day": [0.2] * 7 + [1.0] * 13 + [0.5] * 4,
                }
            },
            "services": {
                "ucr": ucr,
                "ambulance": {"kind": "outcome"},
                "ed": {"kind": "outcome"},
            },
        }
    )


def simulate(scen, seed: int):
    events: list = []
    tally = run_replication(scen, seed, log=lambda *e: events.append(e[:5]))
    return tally, events


def assert_conserved(t: dict) -> None:
    assert t.in_system_start + t.referrals == (
        sum(t.escalated.values()) + sum(t.outcomes.values()) + t.waiting_end + t.busy_end
    )


def assert_outcomes_routed(tally) -> None:
    ucr = tally.services["ucr"]
    for name in ("ambulance", "ed"):
        routed = ucr.escalated.get(name, 0) + ucr.outcomes.get(name, 0)
        assert tally.services[name].arrivals == routed, name


def replay(events, warmup_hours: float, patience: float = PATIENCE) -> dict:
    """The tallies of ``ucr`` recomputed from the log, with the per-patient checks."""
    by_patient: dict[int, list] = defaultdict(list)
    for e in events:
        if e[2] == "ucr":
            by_patient[e[1]].append(e)
    arrived = [e for e in events if e[3] == "arrived"]
    arrived_at = {(e[1], e[2]): e[0] for e in arrived}
    assert len(arrived_at) == len(arrived)  # nobody arrives at the same outcome twice
    arrived_anywhere = Counter(e[1] for e in arrived)

    out = Counter()
    escalated: Counter = Counter()
    outcomes: Counter = Counter()
    wait_sum = 0.0
    routed_to_outcome = 0
    for pid, evs in by_patient.items():
        kinds = [e[3] for e in evs]
        assert kinds in (
            ["referred"],
            ["referred", "visit_start"],
            ["referred", "visit_start", "visit_end"],
            ["referred", "escalated"],
        ), (pid, kinds)
        ref = evs[0][0]
        times = [e[0] for e in evs]
        assert times == sorted(times)
        if ref >= warmup_hours:
            out["referrals"] += 1
        left = None
        if "visit_start" in kinds:
            start = evs[1][0]
            wait = start - ref
            assert wait >= 0
            assert float(evs[1][4]) >= 0
            assert abs(float(evs[1][4]) - wait) <= 5e-7 + 1e-9 * start  # logged to 6 decimals
            assert wait <= patience + 1e-9 * max(1.0, start)
            if start >= warmup_hours:
                out["seen"] += 1
                out["within_target"] += wait <= TARGET
                wait_sum += wait
            if kinds[-1] == "visit_end":
                left, dest = evs[2][0], evs[2][4]
                if left >= warmup_hours:
                    outcomes[dest] += 1
        elif "escalated" in kinds:
            left, dest = evs[1][0], evs[1][4]
            assert left - ref == pytest.approx(patience, abs=1e-9 * max(1.0, left))
            if left >= warmup_hours:
                escalated[dest] += 1
        if left is not None:
            if dest != "home":
                assert arrived_at[(pid, dest)] == left  # routed at the same moment
                assert arrived_anywhere[pid] == 1
                routed_to_outcome += 1
            else:
                assert pid not in arrived_anywhere
        else:
            assert pid not in arrived_anywhere  # still with the team: nowhere else
        if ref < warmup_hours and (left is None or left >= warmup_hours):
            out["in_system_start"] += 1
            started_before = "visit_start" in kinds and evs[1][0] < warmup_hours
            out["visiting_start"] += started_before
        out["waiting_end"] += kinds == ["referred"]
        out["busy_end"] += kinds == ["referred", "visit_start"]
    assert routed_to_outcome == len(arrived)  # every outcome arrival came from the team
    out["escalated"] = dict(escalated)
    out["outcomes"] = dict(outcomes)
    out["wait_sum"] = wait_sum
    return out


RUNS = {
    # Measurement always starts at calendar Monday 00:00: a team open then has visits
    # in progress and a queue at the end of the warm-up.
    "no warm-up, 08-20": (0, "08-20"),
    "7-day warm-up, 24/7": (7, "00-24"),
    "60-hour warm-up, 20-08": (2.5, "20-08"),
    "7-day warm-up, 08-20": (7, "08-20"),
}


@pytest.fixture(scope="module", params=list(RUNS), ids=list(RUNS))
def run(request):
    warmup_days, open_hours = RUNS[request.param]
    scen = network({"open_hours": open_hours}, warmup_days=warmup_days)
    tally, events = simulate(scen, seed=17)
    return tally, events, open_hours


def test_referrals_are_conserved(run) -> None:
    tally, _, _ = run
    t = tally.services["ucr"]
    assert t.referrals > 1000
    assert sum(t.escalated.values()) > 0 and t.seen > 0  # both ways out are exercised
    assert_conserved(t)
    if tally.clock.warmup_hours == 0:
        assert t.in_system_start == 0


def test_outcome_arrivals_equal_the_routes_to_them(run) -> None:
    tally, _, _ = run
    assert_outcomes_routed(tally)
    assert tally.arrivals["referrals"] == tally.services["ucr"].referrals


def test_whole_network_accounts_for_every_patient(run) -> None:
    """Over the whole run (warm-up included) every patient created has left or is still in."""
    tally, events, _ = run
    t = tally.services["ucr"]
    assert tally.in_system_end == t.waiting_end + t.busy_end
    assert tally.patients == tally.exited + tally.in_system_end
    left = sum(1 for e in events if e[2] == "ucr" and e[3] in ("visit_end", "escalated"))
    assert tally.exited == left


def test_event_log_accounts_for_every_patient(run) -> None:
    tally, events, open_hours = run
    t = tally.services["ucr"]
    r = replay(events, tally.clock.warmup_hours)
    for key in (
        "referrals",
        "seen",
        "within_target",
        "in_system_start",
        "waiting_end",
        "busy_end",
    ):
        assert r[key] == getattr(t, key), key
    assert r["escalated"] == {k: v for k, v in t.escalated.items() if v}
    assert r["outcomes"] == {k: v for k, v in t.outcomes.items() if v}
    assert t.wait_sum == pytest.approx(r["wait_sum"], rel=1e-9)
    assert tally.patients == len({e[1] for e in events})
    if open_hours != "08-20" and tally.clock.warmup_hours:
        assert r["visiting_start"] > 0  # in_system_start really counts visits in progress


def test_no_staff_means_everyone_escalates() -> None:
    tally, events = simulate(network({"staff": 0}, days=14, warmup_days=2), seed=3)
    t = tally.services["ucr"]
    assert t.seen == 0 and t.busy_end == 0 and sum(t.outcomes.values()) == 0
    assert not any(e[3] in ("visit_start", "visit_end") for e in events)
    assert sum(t.escalated.values()) == t.in_system_start + t.referrals - t.waiting_end > 0
    # Those still waiting were referred within the last patience interval.
    last = tally.clock.horizon_hours - PATIENCE
    assert t.waiting_end == sum(1 for e in events if e[3] == "referred" and e[0] > last)
    assert_conserved(t)
    assert_outcomes_routed(tally)
    replay(events, tally.clock.warmup_hours)


@pytest.mark.parametrize(
    "keep_escalation", [False, True], ids=["no escalation", "escalation but no patience"]
)
def test_no_patience_means_nobody_escalates(keep_escalation: bool) -> None:
    # One clinician and heavy demand: a long queue, yet nobody leaves it.
    drop = ("patience_hours",) if keep_escalation else ("patience_hours", "escalation")
    tally, events = simulate(network({"staff": 1}, days=14, warmup_days=3, drop=drop), seed=4)
    t = tally.services["ucr"]
    assert sum(t.escalated.values()) == 0
    assert not any(e[3] == "escalated" for e in events)
    assert t.waiting_end > 100
    assert_conserved(t)
    assert_outcomes_routed(tally)


def test_all_visits_end_at_home() -> None:
    tally, events = simulate(
        network({"after_visit": {"home": 1.0}}, days=21, warmup_days=3), seed=6
    )
    t = tally.services["ucr"]
    assert t.outcomes == {"home": t.outcomes["home"]} and t.outcomes["home"] > 0
    ends = [e for e in events if e[3] == "visit_end"]
    assert ends and all(e[4] == "home" for e in ends)
    assert t.escalated["ed"] > 0 and t.escalated["ambulance"] > 0
    assert tally.services["ed"].arrivals == t.escalated["ed"]
    assert tally.services["ambulance"].arrivals == t.escalated["ambulance"]
    assert_conserved(t)
    replay(events, tally.clock.warmup_hours)


def test_waits_are_never_negative() -> None:
    tally, events = simulate(network(days=21, warmup_days=1), seed=9)
    waits = [float(e[4]) for e in events if e[3] == "visit_start"]
    assert waits and min(waits) >= 0
    assert tally.services["ucr"].wait_sum >= 0


@settings(derandomize=True, database=None, deadline=None, max_examples=100)
@given(
    staff=st.integers(0, 3),
    patience=st.one_of(st.none(), st.floats(0.25, 12)),
    open_hours=st.sampled_from(["00-24", "08-20", "20-08", "09-17"]),
    warmup_days=st.sampled_from([0, 0.5, 1, 2.25]),
    rate=st.floats(100, 20_000),
    visit_mean=st.floats(10, 240),
    seed=st.integers(0, 2**32 - 1),
)
def test_conservation_property(
    staff, patience, open_hours, warmup_days, rate, visit_mean, seed
) -> None:
    team = {
        "staff": staff,
        "open_hours": open_hours,
        "visit_minutes": {"dist": "exponential", "mean": visit_mean},
    }
    drop: tuple[str, ...] = ()
    if patience is None:
        drop = ("patience_hours",)
    else:
        team["patience_hours"] = patience
    tally, events = simulate(
        network(team, days=5, warmup_days=warmup_days, rate_per_1000=rate, drop=drop), seed
    )
    t = tally.services["ucr"]
    assert_conserved(t)
    assert_outcomes_routed(tally)
    assert tally.patients == tally.exited + tally.in_system_end
    if staff == 0:
        assert t.seen == 0
    if patience is None:
        assert sum(t.escalated.values()) == 0
    r = replay(events, tally.clock.warmup_hours, math.inf if patience is None else patience)
    for key in (
        "referrals",
        "seen",
        "within_target",
        "in_system_start",
        "waiting_end",
        "busy_end",
    ):
        assert r[key] == getattr(t, key), key
