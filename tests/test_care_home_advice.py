"""Care home staff calling a clinical advice line (a hub a demand source calls directly):
every call ends in exactly one outcome, and patients are conserved.

A call is diverted (advice at home, or a UCR visit) or sent on to ``not_answered_to``
(here the ambulance service: not answered in time, declined, UCR with no one free, or
the line closed), or is still with the line at the end. Exact identities on one
replication with no warm-up, from the tallies and, patient by patient, from the event log.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from conftest import REPO_ROOT, Recorder
from test_network_conservation import ARRIVAL, check_event_log

from sim import compare, load_scenario
from sim.engine.core import run_replication

EXAMPLE = REPO_ROOT / "configs" / "examples" / "care_home_advice.toml"
LINE = "care_home_line"


@pytest.fixture(scope="module")
def logged():  # type: ignore[no-untyped-def]
    scenario = load_scenario(EXAMPLE, ["run.days=90", "run.warmup_days=0"])
    log = Recorder()
    return scenario, run_replication(scenario, 11, log), log


def test_every_call_ends_in_exactly_one_outcome(logged) -> None:  # type: ignore[no-untyped-def]
    _, tally, log = logged
    t = tally.services[LINE]
    assert t.demand_calls == tally.arrivals["care_home_calls"] > 0
    # only care homes call this line: every call is the demand's
    assert t.demand_diverted == sum(t.diverted.values())
    assert t.demand_calls == t.demand_diverted + t.demand_sent_on + t.waiting_end + t.busy_end
    # answered or not: the calls queued are those made while the line was open
    assert t.calls + t.demand_closed == t.demand_calls
    assert t.declined + t.no_capacity + t.gave_up + t.demand_closed == t.demand_sent_on
    assert min(t.demand_diverted, t.demand_sent_on, t.demand_closed, t.declined) > 0
    # patient by patient: one decision each, and a call sent on is a 999 call at once
    outcome: Counter[int] = Counter()
    for _, pid, svc, event, _ in log.events:
        if svc == LINE and event in ("diverted", "not_diverted"):
            outcome[pid] += 1
    calls = {pid for _, pid, svc, event, _ in log.events if svc == LINE and event == "hub_call"}
    assert len(calls) == t.demand_calls
    assert set(outcome) <= calls and max(outcome.values()) == 1
    assert len(calls) - len(outcome) == t.waiting_end + t.busy_end
    by_patient = log.by_patient()
    for pid in outcome:
        events = by_patient[pid]
        i = next(
            k for k, e in enumerate(events) if e[2] == LINE and e[3] in ("diverted", "not_diverted")
        )
        if events[i][3] == "not_diverted":
            assert events[i + 1][2:4] == ("ambulance", "call") and events[i + 1][0] == events[i][0]


def test_the_network_conserves_patients(logged, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    scenario, tally, log = logged
    assert tally.patients == tally.exited + tally.in_system_end
    # a care home's call begins its patient's journey at the line
    monkeypatch.setitem(ARRIVAL, "hub", {"hub_call"})
    check_event_log(scenario, tally, log)
    t = tally.services[LINE]
    amb, ucr = tally.services["ambulance"], tally.services["ucr"]
    teams = [n for n, s in scenario.services.items() if s.kind == "community_response"]
    escalated = sum(tally.services[n].escalated.get("ambulance", 0) for n in teams)
    after = sum(tally.services[n].outcomes.get("ambulance", 0) for n in teams)
    assert amb.calls == tally.arrivals["calls_999"] + t.demand_sent_on + escalated + after
    hub = tally.services["hub"]
    assert ucr.referrals == (
        tally.arrivals["urgent_referrals"] + hub.diverted["ucr"] + t.diverted["ucr"]
    )


def test_without_a_clinician_every_call_is_a_999_call() -> None:
    short = ["run.days=60", "run.warmup_days=10"]
    with_line = load_scenario(EXAMPLE, short)
    closed = load_scenario(EXAMPLE, [*short, f"services.{LINE}.staff=0"])
    c = compare(closed, with_line, 3, 5, workers=1)
    cf = c.counterfactual
    assert np.array_equal(cf.values(f"{LINE}.demand_sent_on"), cf.values(f"{LINE}.demand_calls"))
    assert np.all(cf.values(f"{LINE}.demand_closed") == cf.values(f"{LINE}.demand_calls"))
    # the line takes some calls off the ambulance service, on the same calls
    assert np.array_equal(
        cf.values("demand.care_home_calls.arrivals"),
        c.scenario.values("demand.care_home_calls.arrivals"),
    )
    assert c.avoided("ambulance.calls").ci_low > 0
