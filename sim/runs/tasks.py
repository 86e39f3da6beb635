"""The task scheduler: units of work sent to a local pool or Dask, retried when a worker dies.

Callers cut work into tasks (some replications of one scenario, keyed as they like).
The scheduler sends each task to the workers in pieces of about
:data:`TARGET_PIECE_SECONDS` of work (timed on the workers), a few pieces a worker at a
time, so that:

- each replication is counted as its piece comes back: the progress bar moves with
  replications, and Ctrl-C keeps every piece that finished (:class:`Interrupted` holds
  them), losing at most the last half second of each worker's work;
- Ctrl-C stops at once: the pieces not yet sent are dropped and the workers ended;
- the cost of sending work to a process stays small, however cheap a replication is.

A piece whose worker dies is retried; one that fails repeatedly fails its task, which
is reported while the rest completes. Replication ``r`` always carries its own seed,
so results never depend on the pieces, the backend or the number of workers; they come
back keyed by task, in the task's replication order.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sim.runs.backends import Backend, BackendLost, Session
from sim.runs.eventlog import EventLogWriter, event_log_path
from sim.runs.simulate import Metrics, simulate
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    from sim.runs.replications import Results

__all__ = [
    "TARGET_PIECE_SECONDS",
    "Interrupted",
    "RunFailed",
    "SchedulerLost",
    "Task",
    "chunk_ranges",
    "execute_task",
    "run_tasks",
]

TARGET_PIECE_SECONDS = 0.5
"""Work sent to a worker at a time, in seconds of simulation (at least one replication)."""

POLL_SECONDS = 1.0
"""How often the scheduler looks at the backend's health while it waits."""


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
        path = event_log_path(task.event_log_dir, index)
        with EventLogWriter(path, list(task.scenario.population.cohorts)) as log:
            out.append(simulate(task.scenario, seed, log))
    return out


def run_piece(task: Task) -> tuple[list[Metrics], float]:
    """:func:`execute_task`, and how long it took (to size the next pieces)."""
    start = time.perf_counter()
    reps = execute_task(task)
    return reps, time.perf_counter() - start


Partial = dict[Hashable, dict[int, Metrics]]
"""Replications of unfinished tasks: task key → replication index → metrics."""


class Interrupted(Exception):
    """Stopped by Ctrl-C. ``done`` holds the tasks that completed (key → replications),
    ``partial`` the replications that completed of the others (key → index → metrics)."""

    def __init__(
        self,
        done: dict[Hashable, list[Metrics]],
        results: Results | None = None,
        partial: Partial | None = None,
    ) -> None:
        super().__init__("interrupted")
        self.done = done
        self.results = results
        self.partial = partial or {}


class SchedulerLost(Interrupted):
    """The Dask scheduler went away mid-run; what completed is kept, as for Ctrl-C."""

    def __init__(
        self,
        reason: str,
        done: dict[Hashable, list[Metrics]] | None = None,
        results: Results | None = None,
        partial: Partial | None = None,
    ) -> None:
        super().__init__(done or {}, results, partial)
        self.reason = reason
        self.args = (reason,)

    def __str__(self) -> str:
        return self.reason


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


@dataclass(eq=False)
class _Piece:
    """Replications ``start:stop`` of a task, as sent to a worker."""

    task: Task
    start: int
    stop: int
    attempts: int = 0

    def as_task(self) -> Task:
        t = self.task
        if self.start == 0 and self.stop == len(t.indices):
            return t
        return Task(
            t.key,
            t.scenario,
            t.seeds[self.start : self.stop],
            t.indices[self.start : self.stop],
            t.event_log_dir,
        )


class _Runner:
    """The state of one :func:`run_tasks`: what came back, what failed, what is left."""

    def __init__(
        self,
        tasks: Sequence[Task],
        progress: Callable[[int], None] | None,
        on_result: Callable[[Task, list[Metrics]], None] | None,
        max_attempts: int,
    ) -> None:
        self.tasks = list(tasks)
        self.progress = progress
        self.on_result = on_result
        self.max_attempts = max_attempts
        self.done: dict[Hashable, list[Metrics]] = {}
        self.failures: dict[Hashable, str] = {}
        self.got: Partial = {}
        self._seconds = 0.0
        self._timed = 0

    # bookkeeping
    def piece_size(self, remaining: int) -> int:
        """Replications for the next piece: about TARGET_PIECE_SECONDS of work (one until
        a piece has been timed)."""
        if self._timed == 0:
            return 1
        per = self._seconds / self._timed
        fit = int(TARGET_PIECE_SECONDS / per) if per > 0 else remaining
        return max(1, min(remaining, fit))

    def record(self, piece: _Piece, reps: list[Metrics], seconds: float) -> None:
        task = piece.task
        if task.key in self.failures or task.key in self.done:
            return
        self._seconds += seconds
        self._timed += len(reps)
        got = self.got.setdefault(task.key, {})
        new = 0
        for index, rep in zip(task.indices[piece.start : piece.stop], reps):
            if index not in got:
                got[index] = rep
                new += 1
        if self.progress and new:
            self.progress(new)
        if len(got) == len(task.indices):
            del self.got[task.key]
            reps_all = [got[i] for i in task.indices]
            self.done[task.key] = reps_all
            if self.on_result:
                self.on_result(task, reps_all)

    def fail(self, task: Task, message: str) -> None:
        self.failures[task.key] = message
        self.got.pop(task.key, None)

    def partial(self) -> Partial:
        return {k: dict(v) for k, v in self.got.items() if v}

    # running here, one replication at a time
    def run_here(self) -> None:
        for task in self.tasks:
            for j in range(len(task.indices)):
                piece = _Piece(task, j, j + 1)
                start = time.perf_counter()
                try:
                    reps = execute_task(piece.as_task())
                except Exception as exc:
                    self.fail(task, f"{type(exc).__name__}: {exc}")
                    break
                self.record(piece, reps, time.perf_counter() - start)

    # running on a pool or a cluster
    def run_on(self, session: Session) -> None:
        todo: deque[Task] = deque(self.tasks)
        offset = 0  # replications of todo[0] already cut into pieces
        retry: deque[_Piece] = deque()
        # Pieces that used up their attempts in pool breaks shared with other pieces: each
        # is retried alone, so that only a piece that kills its own worker is failed.
        solo: list[_Piece] = []
        pending: dict[Future[tuple[list[Metrics], float]], _Piece] = {}
        window = 2 * session.slots

        def next_piece() -> _Piece | None:
            nonlocal offset
            while retry:
                piece = retry.popleft()
                if piece.task.key not in self.failures:
                    return piece
            while todo:
                task = todo[0]
                if task.key in self.failures:
                    todo.popleft()
                    offset = 0
                    continue
                start = offset
                stop = start + self.piece_size(len(task.indices) - start)
                if stop >= len(task.indices):
                    todo.popleft()
                    offset = 0
                else:
                    offset = stop
                return _Piece(task, start, stop)
            return None

        def submit(piece: _Piece) -> None:
            piece.attempts += 1
            pending[session.submit(run_piece, piece.as_task())] = piece

        def fill() -> None:
            while len(pending) < window and session.ready():
                piece = next_piece()
                if piece is None:
                    break
                submit(piece)
            if not pending and solo and session.ready():
                submit(solo.pop(0))

        fill()
        while pending or solo or retry or todo:
            if not pending:
                session.check()  # nothing could be sent: a scheduler away (raises when lost)
                time.sleep(0.1)
                fill()
                continue
            completed, _ = wait(list(pending), timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            session.check()
            lost: list[_Piece] = []
            for fut in completed:
                piece = pending.pop(fut)
                if piece.task.key in self.failures:
                    continue
                try:
                    reps, seconds = fut.result()
                except BrokenProcessPool:
                    lost.append(piece)
                    continue
                except CancelledError:
                    piece.attempts -= 1  # not its fault: a cluster that lost it
                    retry.append(piece)
                    continue
                except Exception as exc:
                    if not session.ready():  # the cluster went away under it
                        piece.attempts -= 1
                        retry.append(piece)
                    elif piece.attempts < self.max_attempts:
                        retry.append(piece)
                    else:
                        self.fail(piece.task, f"{type(exc).__name__}: {exc}")
                    continue
                self.record(piece, reps, seconds)
            if lost:
                # a worker died: the pool is gone, with everything still in it
                lost.extend(pending.values())
                pending.clear()
                session.renew()
                alone = len(lost) == 1  # then it is the piece that killed its worker
                again = False
                for piece in lost:
                    if piece.attempts < self.max_attempts:
                        retry.append(piece)
                        again = True
                    elif alone:
                        self.fail(piece.task, f"a worker process died ({piece.attempts} attempts)")
                    else:
                        solo.append(piece)
                if alone and not again:  # the culprit is out: the others run in parallel again
                    retry.extend(solo)
                    solo.clear()
            fill()


def run_tasks(
    tasks: Sequence[Task],
    backend: Backend | None = None,
    progress: Callable[[int], None] | None = None,
    on_result: Callable[[Task, list[Metrics]], None] | None = None,
    max_attempts: int = 3,
    raise_on_failure: bool = True,
) -> tuple[dict[Hashable, list[Metrics]], dict[Hashable, str]]:
    """Run every task; returns (results by key, failures by key).

    ``progress`` is called with the number of replications just completed;
    ``on_result`` in this process as each task completes (to write it to disk at once).
    Ctrl-C raises :class:`Interrupted` with what completed, having ended the workers; a
    Dask scheduler lost for good raises :class:`SchedulerLost`, the same way.
    """
    backend = backend or Backend()
    runner = _Runner(tasks, progress, on_result, max_attempts)
    replications = sum(len(t.indices) for t in tasks)
    if backend.kind == "local" and (backend.n_workers <= 1 or replications <= 1):
        try:
            runner.run_here()
        except KeyboardInterrupt:
            raise Interrupted(runner.done, partial=runner.partial()) from None
    else:
        session = backend.open()
        try:
            runner.run_on(session)
        except KeyboardInterrupt:
            session.terminate()
            raise Interrupted(runner.done, partial=runner.partial()) from None
        except BackendLost as err:
            session.terminate()
            raise SchedulerLost(str(err), runner.done, partial=runner.partial()) from None
        except BaseException:
            session.terminate()
            raise
        session.close()
    if runner.failures and raise_on_failure:
        raise RunFailed(runner.failures, runner.done)
    return runner.done, runner.failures
