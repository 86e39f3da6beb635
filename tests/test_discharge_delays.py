"""Time to arrange a discharge: a patient ready to leave on a pathway with a
``discharge_delay_days`` stays in the acute bed for that long (a delayed discharge),
then leaves or waits for a full step-down service.

Exact checks on one replication of the neighbourhood: each patient's delay in the event
log is the one drawn, and the arranging time the acute beds report is the sum of those
delays inside the run; delayed days are arranging plus waits for step-down services.
"""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT, Recorder

from sim.engine.core import run_replication
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"
SEED = 4242
SHORT = ["run.days=90", "run.warmup_days=0"]


def test_each_patient_waits_the_fixed_delay_and_the_beds_count_it() -> None:
    # one day to arrange a discharge home; no delay on the other pathways
    scenario = load_scenario(
        NEIGHBOURHOOD,
        SHORT
        + [
            'services.acute.discharge_delay_days={ home = { dist = "fixed", mean = 1.0 } }',
        ],
    )
    log = Recorder()
    tally = run_replication(scenario, SEED, log)
    acute = tally.services["acute"]
    end = float(tally.clock.measured_hours)

    started = {
        pid: t
        for t, pid, _, _, detail in log.of("acute", "arranging_discharge")
        if detail == "home"
    }
    assert len(started) > 500
    assert {d for *_, d in log.of("acute", "arranging_discharge")} == {"home"}
    left = {
        pid: t for t, pid, _, _, detail in log.of("acute", "ready_for_discharge") if pid in started
    }
    for pid, t in started.items():
        if t + 24.0 <= end - 1e-9:
            assert left[pid] == pytest.approx(t + 24.0, abs=1e-9), pid
        else:
            assert pid not in left, pid  # still arranging at the end: still in the bed
    # the arranging time the beds report is the sum of those delays, cut at the end
    expected = sum(min(end, t + 24.0) - t for t in started.values())
    assert acute.arranging_hours == pytest.approx(expected, rel=1e-9)
    # the patients still arranging are still in the acute beds at the end
    still = sum(1 for pid in started if pid not in left)
    assert still > 0 and acute.in_system_end >= still


def test_delayed_days_are_arranging_plus_step_down_waits() -> None:
    scenario = load_scenario(NEIGHBOURHOOD, SHORT)
    log = Recorder()
    tally = run_replication(scenario, SEED, log)
    acute = tally.services["acute"]
    end = float(tally.clock.measured_hours)

    # waits for full step-down services, from the log: waiting_in_acute to the service's admitted
    waits = 0.0
    open_waits: dict[tuple[int, str], float] = {}
    for t, pid, svc, event, _detail in log.events:
        if event == "waiting_in_acute":
            open_waits[(pid, svc)] = t
        elif event == "admitted" and (pid, svc) in open_waits:
            waits += t - open_waits.pop((pid, svc))
    waits += sum(end - t for t in open_waits.values())
    assert waits > 0.0 and acute.arranging_hours > 0.0
    assert acute.delayed_hours == pytest.approx(acute.arranging_hours + waits, rel=1e-9)


def test_a_delay_for_a_pathway_the_beds_do_not_have_is_an_error() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(
            NEIGHBOURHOOD,
            ['services.acute.discharge_delay_days.reablment={ dist = "fixed", mean = 2 }'],
        )
    assert str(err.value) == (
        "--set: services.acute.discharge_delay_days.reablment: "
        "unknown discharge pathway 'reablment'; did you mean 'reablement'?"
    )
