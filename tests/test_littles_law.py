"""Little's law for every bed pool of the full neighbourhood network.

Time-average beds in use (``<svc>.mean_occupancy``) = admission rate × mean time in a
bed. What "time in a bed" means differs:

- a virtual ward or intermediate care pool: a patient holds a slot for the length of
  stay drawn at admission (``mean_los_days``); admissions are counted as they take the
  slot, so λW = admissions a year × mean_los_days / 365;
- acute beds: a patient holds the bed for the clinical length of stay (the drawn one,
  ``mean_los_days``) and then, if the step-down service they go to is full, for the
  delayed discharge; boarding in the ED holds no bed. So λW = (admissions a year ×
  mean_los_days + delayed_discharge_days a year) / 365.

Within one replication the two sides differ by edge effects (patients in a bed when
the measured year starts or ends), so the check is statistical: the 99% t-interval of
(occupancy − λW) over replications must contain 0. A second, exact check follows each
pool's patients through the event log: the bed-hours the pool reports equal the sum of
its stays clipped to the measured period.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from conftest import REPO_ROOT, Recorder

from sim.engine.core import run_replication
from sim.runs.replications import run
from sim.runs.stats import t_interval
from sim.scenario.loader import load_scenario

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"
CONFIDENCE = 0.99
REPLICATIONS = 20
SEED = 31415
POOLS = ["virtual_ward", "reablement", "ic_beds"]


@pytest.fixture(scope="module")
def results():  # type: ignore[no-untyped-def]
    scenario = load_scenario(NEIGHBOURHOOD)  # the shipped warm-up
    assert [
        n for n, s in scenario.services.items() if s.kind in ("virtual_ward", "intermediate_care")
    ] == POOLS
    return run(scenario, REPLICATIONS, SEED, workers=2)


def test_the_run_measures_a_year_after_warm_up(results) -> None:  # type: ignore[no-untyped-def]
    assert results.n == REPLICATIONS
    assert results.scenario.run.warmup_days > 0 and results.scenario.run.days == 365


@pytest.mark.parametrize("pool", POOLS)
def test_bed_pool_occupancy_is_admissions_times_stay(results, pool: str) -> None:  # type: ignore[no-untyped-def]
    occupancy = results.values(f"{pool}.mean_occupancy")
    lam_w = results.values(f"{pool}.admissions") * results.values(f"{pool}.mean_los_days") / 365.0
    assert np.all(occupancy > 1.0)  # a pool in use, so the law says something
    iv = t_interval(occupancy - lam_w, CONFIDENCE)
    assert iv.contains(0.0), f"{pool}: occupancy − λW in [{iv.ci_low:.3f}, {iv.ci_high:.3f}]"
    # the interval is narrow next to the occupancy: an error of a tenth would show
    assert iv.half_width < 0.1 * occupancy.mean()


def test_acute_occupancy_is_admissions_times_stay_plus_delayed_days(results) -> None:  # type: ignore[no-untyped-def]
    occupancy = results.values("acute.mean_occupancy")
    clinical = results.values("acute.admissions") * results.values("acute.mean_los_days") / 365.0
    delayed = results.values("acute.delayed_discharge_days") / 365.0
    iv = t_interval(occupancy - (clinical + delayed), CONFIDENCE)
    assert iv.contains(0.0), f"acute: occupancy − λW in [{iv.ci_low:.3f}, {iv.ci_high:.3f}]"
    # delayed discharges hold beds: leaving them out breaks the law, so the check has power
    assert np.all(delayed > 0.0)
    assert t_interval(occupancy - clinical, CONFIDENCE).ci_low > 0.0
    assert iv.half_width < 0.1 * occupancy.mean()


def test_bed_hours_are_the_stays_in_the_measured_period() -> None:
    """Sample-path Little's law: ∫ beds in use dt = Σ over stays of their time inside the
    measured period, each stay followed from ``admitted`` to ``discharged`` in the log."""
    scenario = load_scenario(
        NEIGHBOURHOOD,
        [
            "services.virtual_ward.initial_occupancy=5",
            "services.reablement.initial_occupancy=6",
        ],
    )
    log = Recorder()
    tally = run_replication(scenario, SEED, log)
    start, end = float(tally.clock.warmup_hours), float(tally.clock.horizon_hours)
    for pool in POOLS:
        open_stays: dict[int, float] = {}
        stays: list[tuple[float, float]] = []
        admitted_in_period = 0
        for time, pid, svc, event, _ in log.events:
            if svc != pool:
                continue
            if event == "admitted":
                assert pid not in open_stays
                open_stays[pid] = time
                admitted_in_period += time >= start
            elif event == "discharged":
                stays.append((open_stays.pop(pid), time))
        stays += [(t, end) for t in open_stays.values()]
        inside = sum(max(0.0, min(b, end) - max(a, start)) for a, b in stays)
        t = tally.services[pool]
        assert t.bed_hours == pytest.approx(inside, rel=1e-9, abs=1e-6), pool
        assert t.admissions == admitted_in_period, pool
        assert t.in_system_end == len(open_stays), pool
        # and the occupancy never exceeded the beds
        changes: dict[float, int] = defaultdict(int)
        for a, b in stays:
            changes[a] += 1
            changes[b] -= 1
        level = np.cumsum([changes[k] for k in sorted(changes)])
        assert level.max() <= scenario.services[pool].beds, pool
