"""The benchmark suite's own code still runs and its yardsticks model the same queue.

Not timings (those are benchmarks, in ``benchmarks/``): a small M/M/c workload through
the four implementations, and the profiler's split of a replication, so that a change
to the engine cannot quietly break ``make bench``.
"""

from __future__ import annotations

import sys

import pytest
from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

import mmc_reference as mmc
import profile_engine

N = 3000


def test_simpy_and_the_heapq_loop_follow_the_same_sample_path() -> None:
    # the same random.Random(seed) drawn in the same order: the same customers, the same waits
    simpy_run, heapq_run = mmc.simpy_idiomatic(N, seed=3), mmc.heapq_loop(N, seed=3)
    assert simpy_run.served == heapq_run.served == N
    assert simpy_run.mean_wait == pytest.approx(heapq_run.mean_wait, rel=1e-12)


def test_every_engine_serves_the_workload() -> None:
    runs = {
        "nhsim": mmc.nhsim_engine(N, seed=3),
        "ciw": mmc.ciw_network(N, seed=3),
    }
    for name, run in runs.items():
        assert run.served > 0.9 * N, name
        assert run.mean_wait > 0.0 and run.seconds > 0.0, name


def test_the_profiler_splits_a_replication_into_parts_that_add_up() -> None:
    scenario = mmc.nhsim_scenario(N)
    parts = profile_engine.decompose(scenario, 1, rounds=1)
    # an event per arrival; visits that end at home cost none
    assert 0.9 * N < parts["events"] < 1.1 * N
    for key in ("setup", "refills", "simpy"):
        assert 0.0 <= parts[key] <= parts["total"], key
    total = parts["setup"] + parts["refills"] + parts["simpy"] + parts["engine_code"]
    assert total == pytest.approx(parts["total"], rel=1e-9)
