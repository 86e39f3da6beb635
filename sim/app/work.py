"""Work the app sends to its worker processes, and the pool they run in.

Kept apart from the pages so that a worker process imports only the engine, never
Streamlit. :class:`SharedPool` is one process pool for the whole server (every
browser session uses it); :class:`SharedBackend` lets :func:`sim.runs.compare.compare`
run its tasks in that pool instead of starting a pool of its own for each run, with
the same tasks, seeds and results.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from sim.engine import run_replication
from sim.runs.backends import Backend, Session
from sim.scenario import Scenario

__all__ = [
    "SMOOTHING_DAYS",
    "SharedBackend",
    "SharedPool",
    "bands",
    "occupancy_traces",
    "rolling_mean",
    "warm",
]


def _worker_start() -> None:
    """Each worker ignores Ctrl-C: stopping the server is the server's to handle, and a
    worker that died of it would print a traceback for each CPU."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def warm() -> int:
    """Nothing but importing the engine: sent once to each worker when the pool starts."""
    return os.getpid()


def occupancy_traces(scenario: Scenario, seeds: tuple[int, ...]) -> list[dict[str, list[int]]]:
    """Beds in use at each midnight of the measured period, per bed pool, per seed.

    The daily snapshot draws no random numbers, so these are the occupancy of the very
    replications a comparison ran."""
    return [run_replication(scenario, s, trace=True).occupancy_trace for s in seeds]


SMOOTHING_DAYS = 7
"""Beds in use are averaged over this many days before the bands are taken: a pool of a
few beds jumps between whole numbers from one midnight to the next."""


def rolling_mean(values: np.ndarray, days: int = SMOOTHING_DAYS) -> np.ndarray:
    """Mean of each row over a window of ``days`` ending on each day (shorter at the start)."""
    csum = np.cumsum(values, axis=-1)
    out = np.empty_like(csum)
    out[..., :days] = csum[..., :days] / np.arange(1, min(days, values.shape[-1]) + 1)
    if values.shape[-1] > days:
        out[..., days:] = (csum[..., days:] - csum[..., :-days]) / days
    return out


def bands(
    traces: list[dict[str, list[int]]], days: int = SMOOTHING_DAYS
) -> dict[str, dict[str, list[float]]]:
    """Median and 10th and 90th percentiles over replications, day by day, per bed pool,
    of the beds in use averaged over the last ``days`` days."""
    out: dict[str, dict[str, list[float]]] = {}
    if not traces:
        return out
    for name in traces[0]:
        rows = [t[name] for t in traces if name in t]
        length = min(len(r) for r in rows)
        arr = rolling_mean(np.array([r[:length] for r in rows], dtype=float), days)
        lo, mid, hi = np.percentile(arr, [10, 50, 90], axis=0)
        out[name] = {"p10": lo.tolist(), "median": mid.tolist(), "p90": hi.tolist()}
    return out


def _context() -> multiprocessing.context.BaseContext:
    """Fork is unsafe in a threaded web server; forkserver (POSIX) or spawn is not."""
    if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.app.work", "sim.runs.tasks"])
        return ctx
    return multiprocessing.get_context("spawn")


class SharedPool:
    """One process pool kept for the life of the server, replaced if a worker dies."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._lock = threading.Lock()
        self.executor = self._make()

    def _make(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=_context(), initializer=_worker_start
        )
        for _ in range(self.workers):  # start the workers now, not at the first Run
            pool.submit(warm)
        return pool

    def renew(self, broken: Executor) -> None:
        """Replace the pool if it is still the broken one (another session may have already)."""
        with self._lock:
            if self.executor is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self.executor = self._make()

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


class _SharedSession(Session):
    """A session on the shared pool: closing it leaves the pool running for others.

    The base class sets up everything a session has and asks :meth:`_make` for its
    executor, which here is the shared pool's; closing or terminating a session ends
    only an executor of its own, should it have one."""

    def __init__(self, backend: Backend, pool: SharedPool) -> None:
        self._pool = pool
        self._shared = False
        super().__init__(backend)

    def _make(self) -> Executor:
        self._shared = True
        return self._pool.executor

    def renew(self) -> None:
        if self._shared:
            self._pool.renew(self.executor)
            self.executor = self._pool.executor
        else:  # pragma: no cover - the base class made an executor of its own
            super().renew()

    def close(self, wait: bool = True) -> None:
        if not self._shared:  # pragma: no cover
            super().close(wait)

    def terminate(self) -> None:
        if not self._shared:  # pragma: no cover
            super().terminate()


@dataclass(frozen=True)
class SharedBackend(Backend):
    """The local backend, on the server's shared pool."""

    pool: SharedPool | None = field(default=None, compare=False, hash=False)

    def open(self) -> Session:
        if self.pool is None:
            return Session(self)
        return _SharedSession(self, self.pool)
