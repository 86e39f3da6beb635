"""Where the engine's time goes: SimPy's event loop, random numbers, the engine's own code.

    .venv/bin/python benchmarks/profile_engine.py [--rounds 5] [--pyinstrument]

For the M/M/c workload (:mod:`mmc_reference`) and one replication-year of
``configs/neighbourhood_50k.toml``, the time of a replication is split by measuring
its parts separately (medians over rounds, run alternately):

- **set-up and arrivals**: building the engine (services, routes, and every arrival
  time and cohort, generated in NumPy before the clock starts);
- **block draws**: the NumPy calls that refill the per-stream blocks of durations and
  choices (timed by wrapping ``BlockSampler._refill`` and ``ChoiceSampler._refill``);
- **SimPy's loop**: SimPy alone processing the same number of events, each a
  ``Timeout`` with one callback that schedules the next, with as many pending as the
  replication had at its end (the heap's depth);
- **the engine's own code**: the rest — callbacks, queues, counters, patients.

``--pyinstrument`` also prints a sampling profile (``pip install pyinstrument``;
not needed otherwise). Nothing here changes a draw or a result.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def _workloads() -> dict[str, tuple[Any, int]]:
    from mmc_reference import nhsim_scenario

    from sim.engine.streams import replication_seeds
    from sim.scenario import load_scenario

    n50 = load_scenario(ROOT / "configs" / "neighbourhood_50k.toml")
    return {
        "mmc": (nhsim_scenario(), 1),
        "neighbourhood_50k": (n50, replication_seeds(n50.run.seed, 1)[0]),
    }


def _simpy_floor(events: int, chains: int) -> float:
    """SimPy processing ``events`` timeouts, ``chains`` pending at a time."""
    import simpy

    env = simpy.Environment()
    left = [events - chains]

    def tick(ev: simpy.Event) -> None:
        if left[0] > 0:
            left[0] -= 1
            env.timeout(0.37).callbacks.append(tick)

    for k in range(chains):
        env.timeout(0.01 * k).callbacks.append(tick)
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0


def decompose(scenario: Any, seed: int, rounds: int) -> dict[str, float]:
    from sim.engine import core
    from sim.engine.streams import BlockSampler, ChoiceSampler, Streams

    refill_time = [0.0]
    originals = (BlockSampler._refill, ChoiceSampler._refill)

    def timed(fn):  # type: ignore[no-untyped-def]
        def wrapper(self):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            block = fn(self)
            refill_time[0] += time.perf_counter() - t0
            return block

        return wrapper

    rows: dict[str, list[float]] = {
        k: [] for k in ("total", "setup", "refills", "simpy", "events", "pending")
    }
    for _ in range(rounds):
        # the replication as run_replication runs it, with its parts timed
        gc.collect()
        refill_time[0] = 0.0
        BlockSampler._refill, ChoiceSampler._refill = timed(originals[0]), timed(originals[1])  # type: ignore[method-assign]
        try:
            t0 = time.perf_counter()
            engine = core._Engine(scenario, Streams(seed), None)
            t1 = time.perf_counter()
            engine.run()
            t2 = time.perf_counter()
        finally:
            BlockSampler._refill, ChoiceSampler._refill = originals  # type: ignore[method-assign]
        events = next(engine.env._eid)  # events scheduled (SimPy's counter)
        pending = max(1, len(engine.env._queue))
        gc.collect()
        rows["total"].append(t2 - t0)
        rows["setup"].append(t1 - t0)
        rows["refills"].append(refill_time[0])
        rows["simpy"].append(_simpy_floor(events, pending))
        rows["events"].append(events)
        rows["pending"].append(pending)
    med = {k: statistics.median(v) for k, v in rows.items()}
    med["engine_code"] = med["total"] - med["setup"] - med["refills"] - med["simpy"]
    return med


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pyinstrument", action="store_true", help="also print a sampling profile")
    args = parser.parse_args()
    workloads = _workloads()
    print(
        "| workload | total s | set-up and arrivals | block draws | SimPy's loop | engine's own code | events | µs/event |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, (scenario, seed) in workloads.items():
        d = decompose(scenario, seed, args.rounds)
        tot = d["total"]

        def pct(x: float, tot: float = tot) -> str:
            return f"{x:.3f} s ({x / tot:.0%})"

        print(
            f"| {name} | {tot:.3f} | {pct(d['setup'])} | {pct(d['refills'])} | {pct(d['simpy'])} | "
            f"{pct(d['engine_code'])} | {d['events']:,.0f} | {1e6 * tot / d['events']:.2f} |"
        )
    if args.pyinstrument:
        from pyinstrument import Profiler

        from sim.engine import run_replication

        for name, (scenario, seed) in workloads.items():
            profiler = Profiler(interval=0.0005)
            profiler.start()
            for _ in range(3 if name == "mmc" else 10):
                run_replication(scenario, seed)
            profiler.stop()
            print(f"\n==== {name}")
            print(profiler.output_text(unicode=False, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
