"""One M/M/c workload, four implementations: the yardstick for nhsim's engine speed.

The workload: Poisson arrivals at ``LAM`` an hour, exponential service of mean
1/``MU`` hours, ``C`` servers, first come first served, no patience, an empty system
at time 0 and no warm-up. With the defaults (λ = 8/h, mean service 60 min, 10 servers)
the utilisation is 0.8 and the mean wait in queue (Erlang C) is about 0.2046 h.

Each implementation returns an :class:`EngineRun` (mean wait in hours, customers
served, wall seconds). Wall time covers building the model and running it, not
imports. Passing a list as ``waits`` collects every customer's wait in the order
service starts (used for batch means; not used when timing).

- :func:`nhsim_engine` — nhsim's own engine (:func:`sim.engine.run_replication`) on the
  one-team scenario :func:`sim.runs.verify.mmc_scenario` with 24/7 staff, over a horizon
  holding ``n`` arrivals on average (the count of arrivals is Poisson).
- :func:`simpy_idiomatic` — textbook SimPy: a process per customer,
  ``simpy.Resource.request()`` and ``env.timeout``.
- :func:`ciw_network` — Ciw (``ciw.create_network``, ``simulate_until_max_customers``).
- :func:`heapq_loop` — a minimal general event loop in pure Python: a binary heap of
  ``(time, sequence, callback)`` and callbacks for arrival and departure.
  No engine written in Python with callbacks can do much less work per event.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import deque
from itertools import count
from typing import NamedTuple

__all__ = [
    "ENGINES",
    "LAM",
    "MU",
    "VISIT_MINUTES",
    "C",
    "EngineRun",
    "N",
    "ciw_network",
    "heapq_loop",
    "nhsim_engine",
    "nhsim_scenario",
    "simpy_idiomatic",
    "theory_mean_wait",
]

LAM = 8.0  # arrivals an hour
MU = 1.0  # services an hour per server
VISIT_MINUTES = 60.0 / MU
C = 10  # servers: utilisation LAM / (C * MU) = 0.8
N = 200_000  # customers


class EngineRun(NamedTuple):
    mean_wait: float
    """Mean wait in queue (hours) of the customers who started service."""
    served: int
    """Customers whose service started (nhsim, SimPy, heapq) or ended (Ciw)."""
    seconds: float
    """Wall time to build and run the model."""


def theory_mean_wait(lam: float = LAM, mu: float = MU, c: int = C) -> float:
    """Erlang C mean wait in queue (hours)."""
    from sim.runs.theory import mmc_mean_wait

    return mmc_mean_wait(lam, mu, c)


# -- nhsim -------------------------------------------------------------------------
def nhsim_scenario(n: int = N, lam: float = LAM, mu: float = MU, c: int = C):  # type: ignore[no-untyped-def]
    """The one-team scenario equivalent to the workload: ``n / lam`` hours, no warm-up."""
    from sim.runs.verify import mmc_scenario

    return mmc_scenario(lam, 60.0 / mu, c, days=n / lam / 24.0, warmup_days=0)


def nhsim_engine(
    n: int = N, seed: int = 1, waits: list[float] | None = None, scenario=None
) -> EngineRun:  # type: ignore[no-untyped-def]
    """nhsim's engine; ``scenario`` may be passed in so that validating it is not timed."""
    from sim.engine import run_replication

    scenario = scenario if scenario is not None else nhsim_scenario(n)

    def record(t: float, pid: int, service: str, event: str, detail: str, cohort: int) -> None:
        if event == "visit_start":
            waits.append(float(detail))  # type: ignore[union-attr]

    t0 = time.perf_counter()
    tally = run_replication(scenario, seed, record if waits is not None else None)
    seconds = time.perf_counter() - t0
    ucr = tally.services["ucr"]
    seen = ucr.seen
    return EngineRun(ucr.wait_sum / seen if seen else math.nan, seen, seconds)


# -- idiomatic SimPy ---------------------------------------------------------------
def simpy_idiomatic(
    n: int = N,
    seed: int = 1,
    waits: list[float] | None = None,
    lam: float = LAM,
    mu: float = MU,
    c: int = C,
) -> EngineRun:
    """A process per customer, ``Resource.request()`` and ``env.timeout``, as SimPy's docs teach."""
    import simpy

    t0 = time.perf_counter()
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    stats = [0, 0.0]

    def customer(env: simpy.Environment):  # type: ignore[no-untyped-def]
        arrived = env.now
        with servers.request() as req:
            yield req
            wait = env.now - arrived
            stats[0] += 1
            stats[1] += wait
            if waits is not None:
                waits.append(wait)
            yield env.timeout(rng.expovariate(mu))

    def source(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(n):
            yield env.timeout(rng.expovariate(lam))
            env.process(customer(env))

    env.process(source(env))
    env.run()
    seconds = time.perf_counter() - t0
    return EngineRun(stats[1] / stats[0], stats[0], seconds)


# -- Ciw -----------------------------------------------------------------------------
def ciw_network(
    n: int = N,
    seed: int = 1,
    waits: list[float] | None = None,
    lam: float = LAM,
    mu: float = MU,
    c: int = C,
) -> EngineRun:
    """Ciw: one node, exponential arrivals and services, ``c`` servers, until ``n`` customers finish."""
    import ciw

    t0 = time.perf_counter()
    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=mu)],
        number_of_servers=[c],
    )
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(n, method="Finish")
    records = sim.get_all_records()
    total = 0.0
    for r in records:
        total += r.waiting_time
    seconds = time.perf_counter() - t0
    if waits is not None:
        waits.extend(r.waiting_time for r in sorted(records, key=lambda r: r.service_start_date))
    return EngineRun(total / len(records), len(records), seconds)


# -- a minimal heapq event loop ------------------------------------------------------
def heapq_loop(
    n: int = N,
    seed: int = 1,
    waits: list[float] | None = None,
    lam: float = LAM,
    mu: float = MU,
    c: int = C,
) -> EngineRun:
    """A general event loop (a heap of timed callbacks) with the M/M/c model as two callbacks."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    expo = rng.expovariate
    heap: list[tuple[float, int, object]] = []
    seq = count().__next__
    push, pop = heapq.heappush, heapq.heappop
    queue: deque[float] = deque()
    now = 0.0
    free = c
    arrivals = served = 0
    wait_sum = 0.0

    def start(arrived: float) -> None:
        nonlocal served, wait_sum
        wait = now - arrived
        served += 1
        wait_sum += wait
        if waits is not None:
            waits.append(wait)
        push(heap, (now + expo(mu), seq(), depart))

    def arrive() -> None:
        nonlocal arrivals, free
        arrivals += 1
        if arrivals < n:
            push(heap, (now + expo(lam), seq(), arrive))
        if free:
            free -= 1
            start(now)
        else:
            queue.append(now)

    def depart() -> None:
        nonlocal free
        if queue:
            start(queue.popleft())
        else:
            free += 1

    push(heap, (expo(lam), seq(), arrive))
    while heap:
        now, _, fn = pop(heap)
        fn()  # type: ignore[operator]
    seconds = time.perf_counter() - t0
    return EngineRun(wait_sum / served, served, seconds)


ENGINES = {
    "nhsim": nhsim_engine,
    "simpy": simpy_idiomatic,
    "ciw": ciw_network,
    "heapq": heapq_loop,
}
"""Name → implementation, in the order the benchmark reports them."""


if __name__ == "__main__":  # a quick look: python benchmarks/mmc_reference.py
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    print(f"theory (Erlang C): mean wait {theory_mean_wait():.4f} h")
    for name, fn in ENGINES.items():
        r = fn(N, 1)
        print(
            f"{name:6s} mean wait {r.mean_wait:.4f} h  served {r.served:,}  {r.seconds:.2f} s  "
            f"{r.served / r.seconds:,.0f} customers/s"
        )
