"""The task scheduler: units of work sent to a local pool or Dask, retried when a worker dies.

Work is cut into tasks of several replications so that the cost of sending work to a
process stays small. A task whose worker dies is retried; one that fails repeatedly
is reported, and the rest completes. Results come back keyed by task, so callers put
them in replication order whatever the backend and the number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sim.runs.backends import Backend
from sim.runs.eventlog import EventLogWriter, event_log_path
from sim.runs.simulate import Metrics, simulate
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    from sim.runs.replications import Results

__all__ = ["Interrupted", "RunFailed", "Task", "chunk_ranges", "execute_task", "run_tasks"]


@dataclass(frozen=True)
class Task:
    """Some replications of one scenario: the unit of work sent to a worker."""

    key: Hashable
    scenario: Scenario
    seeds: tuple[int, ...]
    indices: tuple[int, ...]
    event_log_dir: Path | None = None


def execute_task(task: Task) -> list[Metrics]:
    """Run a task's replications (in a worker process, or here)."""
    if task.event_log_dir is None:
        return [simulate(task.scenario, s) for s in task.seeds]
    out = []
    for seed, index in zip(task.seeds, task.indices):
        with EventLogWriter(event_log_path(task.event_log_dir, index)) as log:
            out.append(simulate(task.scenario, seed, log))
    return out


class Interrupted(Exception):
    """Stopped by Ctrl-C; ``done`` holds the tasks that completed (key → replications)."""

    def __init__(self, done: dict[Hashable, list[Metrics]], results: Results | None = None) -> None:
        super().__init__("interrupted")
        self.done = done
        self.results = results


class RunFailed(Exception):
    """Some tasks failed repeatedly; ``failures`` maps task key → the last error."""

    def __init__(self, failures: dict[Hashable, str], done: dict[Hashable, list[Metrics]]) -> None:
        first = next(iter(failures.values()))
        super().__init__(f"{len(failures)} task(s) failed; first error: {first}")
        self.failures = failures
        self.done = done


def chunk_ranges(n: int, workers: int, start: int = 0) -> list[range]:
    """Replications ``start..start+n`` cut into about four chunks a worker."""
    size = max(1, math.ceil(n / (workers * 4)))
    return [range(i, min(i + size, start + n)) for i in range(start, start + n, size)]


def run_tasks(
    tasks: Sequence[Task],
    backend: Backend | None = None,
    progress: Callable[[int], None] | None = None,
    on_result: Callable[[Task, list[Metrics]], None] | None = None,
    max_attempts: int = 3,
    raise_on_failure: bool = True,
) -> tuple[dict[Hashable, list[Metrics]], dict[Hashable, str]]:
    """Run every task; returns (results by key, failures by key).

    ``on_result`` is called in this process as each task completes (to write it to
    disk at once). Ctrl-C raises :class:`Interrupted` with what completed.
    """
    backend = backend or Backend()
    done: dict[Hashable, list[Metrics]] = {}
    failures: dict[Hashable, str] = {}

    def finished(task: Task, reps: list[Metrics]) -> None:
        done[task.key] = reps
        if on_result:
            on_result(task, reps)
        if progress:
            progress(len(reps))

    serial = backend.kind == "local" and (backend.n_workers <= 1 or len(tasks) <= 1)
    if serial:
        try:
            for task in tasks:
                try:
                    reps = execute_task(task)
                except Exception as exc:
                    failures[task.key] = f"{type(exc).__name__}: {exc}"
                    continue
                finished(task, reps)
        except KeyboardInterrupt:
            raise Interrupted(done) from None
    else:
        session = backend.open()
        attempts = {t.key: 0 for t in tasks}
        pending: dict[Future[list[Metrics]], Task] = {}

        def submit(task: Task) -> None:
            attempts[task.key] += 1
            pending[session.executor.submit(execute_task, task)] = task

        # Tasks that used up their attempts in pool breaks shared with other tasks: each
        # is retried alone, so that only a task that kills its own worker is failed.
        solo: list[Task] = []
        try:
            for task in tasks:
                submit(task)
            while pending or solo:
                if not pending:
                    submit(solo.pop(0))
                completed, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                lost: list[Task] = []
                for fut in completed:
                    task = pending.pop(fut)
                    try:
                        reps = fut.result()
                    except BrokenProcessPool:
                        lost.append(task)
                        continue
                    except Exception as exc:
                        if attempts[task.key] < max_attempts:
                            submit(task)
                        else:
                            failures[task.key] = f"{type(exc).__name__}: {exc}"
                        continue
                    finished(task, reps)
                if lost:
                    # a worker died: the pool is gone, with everything still in it
                    lost.extend(pending.values())
                    pending.clear()
                    session.renew()
                    alone = len(lost) == 1  # then it is the task that killed its worker
                    for task in lost:
                        if attempts[task.key] < max_attempts:
                            submit(task)
                        elif alone:
                            failures[task.key] = (
                                f"a worker process died ({attempts[task.key]} attempts)"
                            )
                        else:
                            solo.append(task)
                    if alone and not pending:
                        for task in solo:  # the culprit is out: the others run in parallel again
                            submit(task)
                        solo.clear()
        except KeyboardInterrupt:
            for fut in pending:
                fut.cancel()
            session.close(wait=False)
            raise Interrupted(done) from None
        session.close()
    if failures and raise_on_failure:
        raise RunFailed(failures, done)
    return done, failures
