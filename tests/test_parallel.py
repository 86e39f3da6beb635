"""Parallel runs survive failures: a task whose worker process dies is retried, and a
task that keeps failing is reported while every other task completes.

The task function is replaced (``sim.runs.tasks.execute_task``) by a module-level
function that misbehaves for chosen task keys. The pool's worker processes are forked
from this process after the patch, so they inherit it (and so does the pool that
replaces one broken by a dead worker).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from sim.engine.streams import replication_seeds
from sim.runs import tasks as experiment
from sim.runs.backends import Backend
from sim.runs.replications import RunFailed, Task, run, run_tasks
from sim.scenario import load_scenario

real_execute_task = experiment.execute_task

pytestmark = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="the patched task function reaches the workers only through fork",
)

# Set by a test (before any pool starts): the replication-0 task dies once, leaving this marker.
DIE_ONCE_MARKER: Path | None = None


def _note(log_dir: str, name: str) -> None:
    """Append one line per attempt (O_APPEND: concurrent writers do not interleave)."""
    with open(Path(log_dir) / f"{name}.attempts", "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\n")


def attempts(log_dir: Path, name: str) -> int:
    f = log_dir / f"{name}.attempts"
    return len(f.read_text().splitlines()) if f.exists() else 0


def misbehaving_execute_task(task: Task) -> list[dict[str, float]]:
    """``execute_task``, except for keys ``(behaviour, log_dir, name)`` and DIE_ONCE_MARKER."""
    key = task.key
    if (
        isinstance(key, tuple)
        and len(key) == 3
        and key[0] in ("dies-once", "always-raises", "always-dies")
    ):
        behaviour, log_dir, name = key
        _note(log_dir, name)
        if behaviour == "always-raises":
            raise RuntimeError(f"task {name} always fails")
        if behaviour == "always-dies":
            os._exit(1)
        marker = Path(log_dir) / f"{name}.died"
        if not marker.exists():
            marker.touch()
            os._exit(1)  # the worker process dies: no exception, no clean-up
    if (
        DIE_ONCE_MARKER is not None
        and task.indices
        and task.indices[0] == 0
        and not DIE_ONCE_MARKER.exists()
    ):
        DIE_ONCE_MARKER.touch()
        os._exit(1)
    return real_execute_task(task)


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(
        REPO_ROOT / "configs" / "teaching.toml", ["run.days=30", "run.warmup_days=5"]
    )


@pytest.fixture
def patched(monkeypatch):
    monkeypatch.setattr(experiment, "execute_task", misbehaving_execute_task)


def make_tasks(scenario, tmp_path: Path, special: dict[str, str], normal: int = 5) -> list[Task]:
    """``normal`` ordinary tasks of two replications each, plus one task per ``special`` name."""
    seeds = replication_seeds(99, 2 * (normal + len(special)))
    tasks = []
    for i in range(normal):
        tasks.append(Task(("ok", i), scenario, tuple(seeds[2 * i : 2 * i + 2]), (2 * i, 2 * i + 1)))
    for j, (name, behaviour) in enumerate(special.items(), start=normal):
        tasks.append(
            Task(
                (behaviour, str(tmp_path), name),
                scenario,
                tuple(seeds[2 * j : 2 * j + 2]),
                (2 * j, 2 * j + 1),
            )
        )
    return tasks


def expected(tasks: list[Task]) -> dict:
    """Every task's replications, computed here with the real task function."""
    return {t.key: real_execute_task(t) for t in tasks}


# -- a worker process dies ------------------------------------------------------------------


def test_task_whose_worker_dies_is_retried(patched, scenario, tmp_path) -> None:
    tasks = make_tasks(scenario, tmp_path, {"victim": "dies-once"})
    want = expected(tasks)
    done, failures = run_tasks(tasks, Backend("local", 2))
    assert (tmp_path / "victim.died").exists()  # the worker really died
    assert attempts(tmp_path, "victim") == 2  # died once, succeeded on the retry
    assert failures == {}
    assert done == want


def test_run_completes_with_right_results_after_a_worker_dies(
    monkeypatch, patched, scenario, tmp_path
) -> None:
    want = run(scenario, 12, 5, workers=1)  # in this process: nothing dies
    marker = tmp_path / "replication-0.died"
    monkeypatch.setattr(sys.modules[__name__], "DIE_ONCE_MARKER", marker)
    got = run(scenario, 12, 5, workers=2)
    assert marker.exists()
    assert got.indices == list(range(12))
    assert got.seeds == want.seeds
    assert got.replications == want.replications


def test_on_result_sees_every_task_once_despite_a_death(patched, scenario, tmp_path) -> None:
    tasks = make_tasks(scenario, tmp_path, {"victim": "dies-once"}, normal=7)
    seen: list = []
    done, _ = run_tasks(tasks, Backend("local", 2), on_result=lambda t, reps: seen.append(t.key))
    assert (tmp_path / "victim.died").exists()
    assert sorted(seen, key=repr) == sorted((t.key for t in tasks), key=repr)
    assert set(done) == {t.key for t in tasks}


# -- a task keeps failing ----------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2], ids=["serial", "pool"])
def test_failing_task_is_reported_and_the_rest_complete(
    patched, scenario, tmp_path, workers
) -> None:
    tasks = make_tasks(scenario, tmp_path, {"bad": "always-raises"})
    bad = tasks[-1].key
    want = {k: v for k, v in expected(tasks[:-1]).items()}
    done, failures = run_tasks(
        tasks, Backend("local", workers), raise_on_failure=False, max_attempts=3
    )
    assert list(failures) == [bad]
    assert "RuntimeError" in failures[bad] and "task bad always fails" in failures[bad]
    assert done == want
    if workers > 1:
        assert attempts(tmp_path, "bad") == 3  # retried up to max_attempts
    else:
        assert attempts(tmp_path, "bad") >= 1


@pytest.mark.parametrize("workers", [1, 2], ids=["serial", "pool"])
def test_failing_task_raises_run_failed_by_default(patched, scenario, tmp_path, workers) -> None:
    tasks = make_tasks(scenario, tmp_path, {"bad": "always-raises"})
    bad = tasks[-1].key
    with pytest.raises(RunFailed) as info:
        run_tasks(tasks, Backend("local", workers))
    err = info.value
    assert list(err.failures) == [bad]
    assert "1 task(s) failed" in str(err) and "task bad always fails" in str(err)
    assert set(err.done) == {t.key for t in tasks[:-1]}
    assert err.done == expected(tasks[:-1])


def test_run_raises_run_failed_when_a_replication_keeps_failing(monkeypatch, scenario) -> None:
    def broken(task: Task):
        if 3 in task.indices:
            raise ValueError("replication 3 is broken")
        return real_execute_task(task)

    monkeypatch.setattr(experiment, "execute_task", broken)
    with pytest.raises(RunFailed) as info:
        run(scenario, 8, 1, workers=1)
    assert "replication 3 is broken" in str(info.value)
    assert len(info.value.failures) == 1


@pytest.mark.parametrize("poisons", [1, 2])
def test_task_whose_worker_always_dies_is_reported(patched, scenario, tmp_path, poisons) -> None:
    """Only the tasks that kill their own workers fail, though every worker death also
    takes down the tasks running beside them."""
    names = [f"poison{k}" for k in range(poisons)]
    tasks = make_tasks(scenario, tmp_path, dict.fromkeys(names, "always-dies"), normal=6)
    bad = {t.key for t in tasks if t.key[0] == "always-dies"}
    done, failures = run_tasks(tasks, Backend("local", 2), raise_on_failure=False, max_attempts=3)
    assert failures.keys() == bad
    assert all("worker process died" in failures[k] for k in bad)
    for name in names:
        # Attempts are counted when a task is sent. With one poison task, each pool break
        # is its doing, so it runs three times, and perhaps once more alone (if other
        # tasks were lost with it the third time). With two, one may be lost in a break
        # the other caused before it started, so it may have run fewer times; either way
        # a task is failed only after it killed its worker running alone.
        runs = attempts(tmp_path, name)
        assert (3 if poisons == 1 else 1) <= runs <= 4
    # every other task completes, with the right results
    assert done == expected([t for t in tasks if t.key not in bad])
