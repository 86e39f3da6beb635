"""The app's model work: a paired comparison on the server's shared pool, cached.

A :class:`Request` is everything that determines a result: both scenarios (their
resolved content), the seed, the number of replications and nhsim's version. Its
:meth:`Request.key` names the result in a cache shared by every browser session, so
the same question asked twice, by one person or by a whole class, runs the model once.
The comparison itself is :func:`sim.runs.compare.compare`, the function behind
``nhsim compare``, so the numbers are the command line's; the occupancy bands re-run
the same replications with a daily snapshot, which draws no random numbers.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib import metadata

from sim.app.work import SharedBackend, SharedPool, bands, occupancy_traces
from sim.runs import compare as compare_module
from sim.runs.compare import Comparison
from sim.runs.tasks import chunk_ranges
from sim.scenario import Scenario

__all__ = [
    "TRACED_REPLICATIONS",
    "Outcome",
    "Request",
    "RunCache",
    "execute",
    "nhsim_version",
    "run_cached",
]

POOL_KINDS = ("virtual_ward", "intermediate_care", "acute")
TRACED_REPLICATIONS = 5
"""The occupancy bands come from the first this many replications of each side, as in
``nhsim compare``'s occupancy figure: a median and a 10-90% band of the daily beds in
use, at a fraction of the cost of tracing every replication."""


def nhsim_version() -> str:
    try:
        return metadata.version("nhsim")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        from sim import __version__

        return __version__


@dataclass(frozen=True)
class Request:
    """A paired comparison to run: the unchanged scenario against the changed one."""

    counterfactual: Scenario
    scenario: Scenario
    replications: int
    seed: int

    def key(self) -> str:
        """A digest of everything that determines the result."""
        text = json.dumps(
            {
                "counterfactual": self.counterfactual.model_dump(mode="json", by_alias=True),
                "scenario": self.scenario.model_dump(mode="json", by_alias=True),
                "replications": self.replications,
                "seed": self.seed,
                "nhsim": nhsim_version(),
            },
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Outcome:
    """What a Run gives the page: the comparison and the occupancy bands of each side."""

    key: str
    comparison: Comparison
    bands: dict[str, dict[str, dict[str, list[float]]]] = field(default_factory=dict)
    """``bands[side][pool]`` with ``median``, ``p10`` and ``p90`` by day; side is
    ``counterfactual`` or ``scenario``."""
    seconds: float = 0.0


class RunCache:
    """The most recent results by request key, shared by every session (thread safe)."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._items: OrderedDict[str, Outcome] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0
        """How many requests were run rather than found here."""

    def get(self, key: str) -> Outcome | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, outcome: Outcome) -> None:
        with self._lock:
            self._items[outcome.key] = outcome
            self._items.move_to_end(outcome.key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


Progress = Callable[[float], None]
"""Told the share of the work done so far, from 0 to 1."""


def _has_pools(scenario: Scenario) -> bool:
    return any(getattr(s, "kind", "") in POOL_KINDS for s in scenario.services.values())


def _traces(
    comparison: Comparison, pool: SharedPool, step: Callable[[int], None]
) -> dict[str, dict[str, dict[str, list[float]]]]:
    """Occupancy bands of both sides from their first :data:`TRACED_REPLICATIONS`
    replications, cut into chunks for the pool."""
    sides = {"counterfactual": comparison.counterfactual, "scenario": comparison.scenario}
    futures: dict[Future[list[dict[str, list[int]]]], tuple[str, int]] = {}
    chunks: dict[tuple[str, int], tuple[int, ...]] = {}
    for side, results in sides.items():
        if not _has_pools(results.scenario):
            continue
        for c in chunk_ranges(min(results.n, TRACED_REPLICATIONS), pool.workers):
            seeds = tuple(results.seeds[i] for i in c)
            chunks[(side, c.start)] = seeds
    done: dict[tuple[str, int], list[dict[str, list[int]]]] = {}
    for attempt in range(2):
        executor = pool.executor
        futures = {
            executor.submit(occupancy_traces, sides[k[0]].scenario, seeds): k
            for k, seeds in chunks.items()
            if k not in done
        }
        try:
            while futures:
                finished, _ = wait(list(futures), return_when=FIRST_COMPLETED)
                for fut in finished:
                    k = futures.pop(fut)
                    done[k] = fut.result()
                    step(len(done[k]))
            break
        except BrokenProcessPool:
            pool.renew(executor)
            if attempt:
                raise
    out: dict[str, dict[str, dict[str, list[float]]]] = {}
    for side in sides:
        ordered = [t for k in sorted(k for k in done if k[0] == side) for t in done[k]]
        if ordered:
            out[side] = bands(ordered)
    return out


def execute(request: Request, pool: SharedPool, progress: Progress | None = None) -> Outcome:
    """Run the request on the shared pool (no cache)."""
    started = time.perf_counter()
    n = request.replications
    traced = _has_pools(request.counterfactual) + _has_pools(request.scenario)
    total = 2 * n + traced * min(n, TRACED_REPLICATIONS)
    count = 0

    def step(k: int) -> None:
        nonlocal count
        count += k
        if progress is not None:
            progress(min(1.0, count / total))

    backend = SharedBackend("local", pool.workers, None, pool)
    comparison = compare_module.compare(
        request.counterfactual,
        request.scenario,
        n,
        request.seed,
        backend=backend,
        progress=step,
    )
    outcome = Outcome(request.key(), comparison)
    outcome.bands = _traces(comparison, pool, step)
    outcome.seconds = time.perf_counter() - started
    return outcome


def run_cached(
    request: Request, pool: SharedPool, cache: RunCache, progress: Progress | None = None
) -> tuple[Outcome, bool]:
    """The request's outcome, from the cache if it holds it; True if it did."""
    key = request.key()
    found = cache.get(key)
    if found is not None:
        if progress is not None:
            progress(1.0)
        return found, True
    outcome = execute(request, pool, progress)
    cache.put(outcome)
    cache.computed += 1
    return outcome, False
