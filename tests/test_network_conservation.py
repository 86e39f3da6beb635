"""Conservation of patients through the whole network, and extreme values.

Every patient who enters leaves through exactly one way out (home or an outcome) or is
still somewhere in the network at the end: ``patients == exited + in_system_end``.
Within each service, what came in (plus what was there at the start) equals what went
out plus what is there at the end; between services, what one service sends equals
what the next one receives (only an ambulance's journey to the ED takes time). The
event log tells the same story patient by patient: each patient's first event is an
arrival and they have at most one way out, which is their last event.

These are exact identities on one replication (no statistics): a fixed seed, and
``==`` on integer counts.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
from conftest import REPO_ROOT, Recorder

from sim.engine.core import Tally, run_replication
from sim.engine.roster import StaffedTally
from sim.engine.service import ServiceTally
from sim.scenario.loader import load_scenario, read_scenario_data, scenario_from_dict
from sim.scenario.model import HOME, Scenario

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"
TEACHING = REPO_ROOT / "configs" / "teaching.toml"
SEED = 90210
BED_POOLS = ("virtual_ward", "intermediate_care")
WARMUP_0 = ["run.warmup_days=0"]

# Pools already (partly) full at the start, as well as the acute beds the file fills.
INITIAL = [
    "services.virtual_ward.initial_occupancy=8",
    "services.reablement.initial_occupancy=12",
    "services.ic_beds.initial_occupancy=10",
]


def neighbourhood_data() -> dict[str, Any]:
    """The neighbourhood scenario as plain data, to edit for the extreme-value variants."""
    data, _ = read_scenario_data(NEIGHBOURHOOD)
    return copy.deepcopy(data)


def holding_end(t: ServiceTally) -> int:
    """Patients with a service at the end, from its tally: a staffed queue reports its
    queue and its visits or calls in progress; every other kind its ``in_system_end``."""
    if isinstance(t, StaffedTally):
        return t.waiting_end + t.busy_end
    return t.in_system_end


def run(scenario: Scenario, log: Recorder | None = None) -> Tally:
    return run_replication(scenario, SEED, log)


# -- the flows between services, from the tallies -------------------------------------------


def sent(scenario: Scenario, tally: Tally) -> Counter[str]:
    """How many patients each service (and each demand source) sent to each target, "home"
    included, counted at the moment of sending. Ambulance conveyances are counted where
    they arrive (the ED's attendances by the ambulance route), since the journey takes time."""
    out: Counter[str] = Counter()
    for name, src in scenario.demand.items():
        out[src.to] += tally.arrivals[name]
    for name, spec in scenario.services.items():
        t = tally.services[name]
        kind = spec.kind
        if kind == "community_response":
            out.update(t.outcomes)
            out.update(t.escalated)
        elif kind == "hub":
            out.update(t.diverted)
        elif kind == "ambulance":
            out[HOME] += t.treated
            target = tally.services[spec.convey_to]
            if scenario.services[spec.convey_to].kind == "ed":
                out[spec.convey_to] += target.attendances_by_route.get(name, 0)
        elif kind in BED_POOLS:
            out.update(t.at_end)
            if t.blocked:
                out[spec.when_full] += t.blocked
        elif kind == "ed":
            out[spec.admit_to] += t.admitted
            out[HOME] += t.attendances - t.admitted
        elif kind == "acute":
            out.update(t.discharged)
    return out


def received(scenario: Scenario, tally: Tally, name: str) -> int:
    """How many patients service ``name`` took in, by its own count."""
    t = tally.services[name]
    kind = scenario.services[name].kind
    if kind == "community_response":
        return t.referrals
    if kind == "ambulance":
        return t.calls
    if kind in BED_POOLS:
        return t.step_ups + t.step_downs
    if kind == "ed":
        return t.attendances
    if kind == "acute":
        return t.admissions
    if kind == "outcome":
        return t.arrivals
    raise AssertionError(f"{name} ({kind}) is not a routing target")


def check_flows(scenario: Scenario, tally: Tally) -> None:
    """What each service received equals what was sent to it, and each service's own balance."""
    flows = sent(scenario, tally)
    services = scenario.services
    for name, spec in services.items():
        if spec.kind != "hub":
            assert received(scenario, tally, name) == flows[name], name
    for name, spec in services.items():
        t = tally.services[name]
        kind = spec.kind
        if kind == "community_response":
            out = sum(t.outcomes.values()) + sum(t.escalated.values())
            assert t.referrals + t.in_system_start == out + t.waiting_end + t.busy_end, name
            assert t.seen + t.in_system_start >= sum(t.outcomes.values()) + t.busy_end, name
        elif kind == "hub":
            callers = [n for n, s in services.items() if s.kind == "ambulance" and s.hub == name]
            assert t.calls == sum(tally.services[n].call_before_convey for n in callers)
            assert sum(tally.services[n].diverted for n in callers) == sum(t.diverted.values())
            out = t.declined + t.no_capacity + sum(t.diverted.values()) + t.gave_up
            assert t.calls + t.in_system_start == out + t.waiting_end + t.busy_end, name
        elif kind in BED_POOLS:
            assert t.admissions + t.in_system_start == sum(t.at_end.values()) + t.in_system_end, (
                name
            )
            assert t.blocked <= t.step_ups and t.waited <= t.step_downs, name
            acute = [n for n, s in services.items() if s.kind == "acute"]
            assert t.step_downs == sum(tally.services[a].discharged.get(name, 0) for a in acute), (
                name
            )
            if spec.beds is not None:
                assert t.in_system_end <= spec.beds, name
        elif kind == "ed":
            assert t.attendances == sum(t.attendances_by_route.values())
        elif kind == "outcome":
            assert t.in_system_end == 0


def check_warmup_0_balances(scenario: Scenario, tally: Tally) -> None:
    """Balances that need the counting to start with the run (``run.warmup_days = 0``)."""
    assert tally.clock.warmup_hours == 0
    services = scenario.services
    for name, spec in services.items():
        t = tally.services[name]
        if spec.kind in BED_POOLS:
            assert t.in_system_start == spec.initial_occupancy, name
            # step-ups took a slot or went by when_full; step-downs took a slot or still wait
            admitted = (t.step_ups - t.blocked) + (t.step_downs - t.waiting_end)
            assert t.admissions == admitted, name
        elif spec.kind == "community_response":
            assert t.in_system_start == 0
            assert t.seen == sum(t.outcomes.values()) + t.busy_end, name
        elif spec.kind == "acute":
            # still waiting in the bed for a step-down service: discharged, and still here
            waiting = sum(
                tally.services[n].waiting_end for n, s in services.items() if s.kind in BED_POOLS
            )
            assert t.in_system_start == spec.initial_occupancy
            assert (
                t.admissions + t.in_system_start
                == sum(t.discharged.values()) - waiting + t.in_system_end
            )
    # Tally.exited counts over the whole run, so with no warm-up it is every way out sent
    flows = sent(scenario, tally)
    outcomes = sum(tally.services[n].arrivals for n, s in services.items() if s.kind == "outcome")
    assert tally.exited == flows[HOME] + outcomes


# -- the event log --------------------------------------------------------------------------

ARRIVAL = {
    "community_response": {"referred"},
    "ambulance": {"call"},
    "ed": {"attended"},
    "acute": {"admitted"},
    "virtual_ward": {"admitted", "blocked"},
    "intermediate_care": {"admitted", "blocked"},
    "outcome": {"arrived"},
}


def goes_home(kind: str, event: str, detail: str) -> bool:
    """Whether this event sends the patient home (out of the network)."""
    if kind == "ambulance":
        return event == "treated_on_scene"
    if (kind, event) in {
        ("community_response", "visit_end"),
        ("community_response", "escalated"),
        ("hub", "diverted"),
        ("virtual_ward", "discharged"),
        ("virtual_ward", "blocked"),
        ("intermediate_care", "discharged"),
        ("intermediate_care", "blocked"),
        ("acute", "ready_for_discharge"),
        ("ed", "attended"),
    }:
        return detail == HOME
    return False


def terminal(kind: str, event: str, detail: str) -> bool:
    return goes_home(kind, event, detail) or (kind == "outcome" and event == "arrived")


def check_event_log(scenario: Scenario, tally: Tally, log: Recorder) -> None:
    kinds = {n: s.kind for n, s in scenario.services.items()}
    times = [e[0] for e in log.events]
    assert times == sorted(times), "events are logged in time order"
    patients = log.by_patient()
    assert sorted(patients) == list(range(1, tally.patients + 1)), (
        "every patient appears in the log"
    )
    first_at: Counter[str] = Counter()
    ended = 0
    for pid, events in patients.items():
        _, _, svc, event, _ = events[0]
        assert event in ARRIVAL[kinds[svc]], f"patient {pid} starts with {svc}:{event}"
        first_at[svc] += 1
        ends = [i for i, (_, _, s, ev, d) in enumerate(events) if terminal(kinds[s], ev, d)]
        assert len(ends) <= 1, f"patient {pid} leaves more than once: {events}"
        if ends:
            assert ends[0] == len(events) - 1, f"patient {pid} has events after leaving: {events}"
            ended += 1
    assert ended == tally.exited
    assert len(patients) - ended == tally.in_system_end
    # first events: demand arrivals at each source's first service, and the patients placed at the start
    expected: Counter[str] = Counter()
    for name, src in scenario.demand.items():
        expected[src.to] += tally.arrivals[name]  # with no warm-up, every arrival of the run
    for name, spec in scenario.services.items():
        expected[name] += getattr(spec, "initial_occupancy", 0)
    assert first_at == +expected


def in_transit(log: Recorder, ambulance: str, ed: str) -> int:
    """Patients conveyed by ``ambulance`` and not yet at ``ed`` at the end."""
    waiting: set[int] = set()
    for _, pid, svc, event, _ in log.events:
        if svc == ambulance and event == "conveyed":
            waiting.add(pid)
        elif svc == ed and event == "attended":
            waiting.discard(pid)
    return len(waiting)


# -- whole-network conservation -------------------------------------------------------------

SCENARIOS = {
    "neighbourhood": (NEIGHBOURHOOD, []),
    "neighbourhood, pools full at the start": (NEIGHBOURHOOD, INITIAL),
    "teaching": (TEACHING, []),
}


@pytest.mark.parametrize("label", list(SCENARIOS))
@pytest.mark.parametrize("warmup", ["shipped", "none"])
def test_every_patient_is_accounted_for(label: str, warmup: str) -> None:
    path, overrides = SCENARIOS[label]
    scenario = load_scenario(path, overrides + (WARMUP_0 if warmup == "none" else []))
    tally = run(scenario)
    assert tally.patients > 1000
    assert tally.patients == tally.exited + tally.in_system_end
    assert tally.in_system_end == sum(holding_end(t) for t in tally.services.values())
    check_flows(scenario, tally)
    if warmup == "none":
        check_warmup_0_balances(scenario, tally)


@pytest.mark.parametrize("label", list(SCENARIOS))
def test_event_log_tells_the_same_story(label: str) -> None:
    path, overrides = SCENARIOS[label]
    scenario = load_scenario(path, overrides + WARMUP_0)
    log = Recorder()
    tally = run(scenario, log)
    check_event_log(scenario, tally, log)
    # the log does not change the run
    assert run(scenario).services == tally.services


def test_initial_occupancy_patients_are_in_the_pools() -> None:
    scenario = load_scenario(NEIGHBOURHOOD, INITIAL + WARMUP_0)
    log = Recorder()
    tally = run(scenario, log)
    placed = [e for e in log.events if e[0] == 0.0 and e[3] == "admitted"]
    assert Counter(e[2] for e in placed) == {
        "virtual_ward": 8,
        "reablement": 12,
        "ic_beds": 10,
        "acute": 80,
    }
    assert tally.patients == sum(tally.arrivals.values()) + 8 + 12 + 10 + 80


def test_hospital_balances_with_no_warmup() -> None:
    """ED: attendances are admitted or sent home; acute admissions all come from the ED;
    ambulance calls end treated, diverted, at the ED, or are still on the way."""
    scenario = load_scenario(NEIGHBOURHOOD, WARMUP_0)
    log = Recorder()
    tally = run(scenario, log)
    ed, acute, amb, hub = (tally.services[n] for n in ("ed", "acute", "ambulance", "hub"))
    attended = Counter(e[4] for e in log.of("ed", "attended"))
    assert ed.attendances == attended["admitted"] + attended[HOME]
    assert ed.admitted == attended["admitted"]
    assert acute.admissions == ed.admitted  # no route sends patients to acute beds directly
    assert acute.admissions == len(log.of("acute", "admitted")) - 80  # 80 placed at the start

    transit = in_transit(log, "ambulance", "ed")
    assert amb.conveyances == ed.attendances_by_route["ambulance"] + transit
    assert 0 <= transit <= amb.in_system_end
    at_hub = hub.waiting_end + hub.busy_end
    assert (
        amb.calls
        == amb.treated
        + amb.diverted
        + ed.attendances_by_route["ambulance"]
        + amb.in_system_end
        + at_hub
    )
    assert (
        amb.calls
        == amb.treated + amb.diverted + amb.conveyances + (amb.in_system_end - transit) + at_hub
    )


def test_direct_admissions_are_added_to_those_from_the_ed() -> None:
    """A virtual ward that sends patients straight to acute beds when full."""
    data = neighbourhood_data()
    data["run"]["warmup_days"] = 0
    data["services"]["virtual_ward"]["when_full"] = "acute"
    scenario = scenario_from_dict(data)
    tally = run(scenario)
    vw = tally.services["virtual_ward"]
    assert vw.blocked > 0
    assert tally.services["acute"].admissions == tally.services["ed"].admitted + vw.blocked
    assert tally.services["ed"].attendances_by_route.get("virtual_ward", 0) == vw.at_end["ed"]
    check_flows(scenario, tally)
    check_warmup_0_balances(scenario, tally)
    assert tally.patients == tally.exited + tally.in_system_end


# -- extreme values -------------------------------------------------------------------------


def test_no_ucr_staff_everyone_escalates() -> None:
    scenario = load_scenario(NEIGHBOURHOOD, WARMUP_0 + ["services.ucr.staff=0"])
    tally = run(scenario)
    ucr = tally.services["ucr"]
    assert ucr.referrals > 0
    assert ucr.seen == 0 and sum(ucr.outcomes.values()) == 0
    # everyone escalates once their patience runs out; those referred in the last hours still wait
    assert sum(ucr.escalated.values()) + ucr.waiting_end == ucr.referrals
    assert ucr.busy_hours == 0.0
    hub = tally.services["hub"]
    assert hub.diverted["ucr"] == 0  # the hub never finds a free UCR clinician
    assert tally.patients == tally.exited + tally.in_system_end
    check_flows(scenario, tally)


def test_virtual_ward_with_no_beds_blocks_every_step_up() -> None:
    scenario = load_scenario(NEIGHBOURHOOD, WARMUP_0 + ["services.virtual_ward.beds=0"])
    tally = run(scenario)
    vw = tally.services["virtual_ward"]
    assert vw.step_ups > 0 and vw.step_downs > 0
    assert vw.blocked == vw.step_ups
    assert vw.admissions == 0 and vw.bed_hours == 0.0
    assert vw.waited == vw.step_downs == vw.waiting_end  # step-downs wait in acute for ever
    assert tally.services["hub"].diverted["virtual_ward"] == 0
    assert tally.patients == tally.exited + tally.in_system_end
    check_flows(scenario, tally)


def test_unlimited_step_down_pools_mean_no_delayed_discharges() -> None:
    data = neighbourhood_data()
    data["run"]["warmup_days"] = 0
    pools = [n for n, s in data["services"].items() if s["kind"] in BED_POOLS]
    for name in pools:
        del data["services"][name]["beds"]
        data["costs"]["capacity"].pop(name, None)  # unlimited beds have no price a bed day
    data["services"]["acute"]["discharge_delay_days"] = {}  # no time to arrange a discharge either
    scenario = scenario_from_dict(data)
    tally = run(scenario)
    for name in pools:
        t = tally.services[name]
        assert t.step_ups + t.step_downs > 0, name
        assert t.blocked == 0 and t.waited == 0 and t.waiting_end == 0, name
        assert t.admissions == t.step_ups + t.step_downs, name
    assert tally.services["acute"].delayed_hours == 0.0
    assert tally.patients == tally.exited + tally.in_system_end
    check_flows(scenario, tally)
    check_warmup_0_balances(scenario, tally)

    # the same pools with beds: some step-downs do wait (so the check above could fail)
    limited = run(load_scenario(NEIGHBOURHOOD, WARMUP_0)).services["acute"]
    assert limited.delayed_hours > limited.arranging_hours > 0.0


def test_discharge_home_only_means_no_step_downs() -> None:
    data = neighbourhood_data()
    data["run"]["warmup_days"] = 0
    services = data["services"]
    services["acute"]["discharge"] = {"home": 1.0}
    delays = services["acute"]["discharge_delay_days"]
    services["acute"]["discharge_delay_days"] = {"home": delays["home"]}
    # ic_beds and care_home are reached only by step-down: without it they are unreachable
    del services["ic_beds"], services["care_home"]
    del services["ed"]["admission_by_route"]["ic_beds"]
    scenario = scenario_from_dict(data)
    tally = run(scenario)
    acute = tally.services["acute"]
    assert acute.admissions > 0
    assert acute.discharged == {"home": sum(acute.discharged.values())}
    for name in ("virtual_ward", "reablement"):
        t = tally.services[name]
        assert t.step_downs == 0 and t.waited == 0, name
        assert t.admissions == t.step_ups - t.blocked, name
    # the only delay is arranging a discharge home: no one waits for a step-down service
    assert acute.delayed_hours == acute.arranging_hours > 0.0
    assert tally.patients == tally.exited + tally.in_system_end
    check_flows(scenario, tally)
    check_warmup_0_balances(scenario, tally)


def test_everyone_conveyed() -> None:
    data = neighbourhood_data()
    data["run"]["warmup_days"] = 0
    amb = data["services"]["ambulance"]
    amb["on_scene"] = {"convey": 1.0}
    del amb["on_scene_by_cohort"]
    scenario = scenario_from_dict(data)
    log = Recorder()
    tally = run(scenario, log)
    t = tally.services["ambulance"]
    assert t.treated == 0 and t.call_before_convey == 0 and t.diverted == 0
    assert tally.services["hub"].calls == 0
    # every call is conveyed once assessed: only calls still being assessed at the end are not
    assessing = {e[1] for e in log.of("ambulance", "call")} - {
        e[1] for e in log.of("ambulance", "conveyed")
    }
    assert t.conveyances == t.calls - len(assessing)
    assert len(assessing) <= t.in_system_end
    assert t.conveyances == len(log.of("ambulance", "conveyed"))
    assert tally.patients == tally.exited + tally.in_system_end
    check_flows(scenario, tally)
