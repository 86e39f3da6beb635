"""Interruption keeps everything finished and stops at once; a lost Dask scheduler ends.

- Work goes to the workers in pieces of about half a second, so Ctrl-C keeps every
  replication whose piece came back, whatever the size of the tasks: ``nhsim run``
  interrupted once its progress bar shows replications done writes exactly the number
  it says, each row the same as that replication of an uninterrupted run.
- Ctrl-C in a terminal (SIGINT to the whole process group) ends a run of 100,000
  replications within seconds, with one message and no traceback; a second Ctrl-C
  exits at once; the pool's workers exit when the main process is killed.
- The pieces never change a result; the progress bar moves with replications.
- A Dask scheduler killed mid-sweep ends the sweep within a bounded time with the
  resume command; ``--resume`` on a new cluster completes it with the results of an
  uninterrupted sweep.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, SMALL_SCENARIO

from sim.cli.main import main
from sim.output.files import LOCK_NAME
from sim.runs import tasks
from sim.runs.replications import Interrupted, run
from sim.scenario import load_scenario

SCENARIO = 'name = "small"\n' + SMALL_SCENARIO
TINY = ["--set", "run.days=1", "--set", "run.warmup_days=0"]


@pytest.fixture
def here(tmp_path: Path) -> Path:
    (tmp_path / "small.toml").write_text(SCENARIO, encoding="utf-8")
    return tmp_path


STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _end_children():
    """Whatever a test's outcome, the process groups it started do not outlive it."""
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


class Child:
    """``python -m sim ...`` in its own process group, with a terminal (a pseudo-terminal)
    for its stderr, as in a shell, so that it shows its progress bar; read as it comes."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        master, terminal = pty.openpty()
        size = struct.pack("HHHH", 24, 120, 0, 0)  # rows, columns: a bar needs a width
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, size)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sim", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            start_new_session=True,
        )
        STARTED.append(self.proc)
        os.close(terminal)
        self._master = master
        self.err = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            while chunk := os.read(self._master, 4096):
                self.err += chunk
        except OSError:  # the terminal closes when the process ends
            pass
        finally:
            os.close(self._master)

    def done_so_far(self, total: int) -> int:
        """Replications done, as the progress bar last showed them."""
        found = re.findall(rf"(\d+)/{total} ".encode(), self.err)
        return int(found[-1]) if found else 0

    def wait_for_progress(self, total: int, least: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.done_so_far(total) < least:
            if self.proc.poll() is not None:
                pytest.fail(f"ended before it could be interrupted:\n{self.text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no progress to {least} in {timeout} s:\n{self.text()}")
            time.sleep(0.02)

    def finish(self, timeout: float) -> float:
        """Wait for the end; returns how long it took."""
        started = time.monotonic()
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:  # only the process this test started
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._reader.join(5)
        return time.monotonic() - started

    def text(self) -> str:
        return self.err.decode(errors="replace")


def csv_rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {r["replication"]: r for r in csv.DictReader(fh)}


def test_an_interrupted_run_keeps_each_replication_it_finished(here: Path) -> None:
    n = 20_000
    child = Child(["run", "small.toml", "-n", str(n), "-w", "2", "--seed", "11", "--out", "out",
                   "--no-plots", *TINY], here)  # fmt: skip
    child.wait_for_progress(n, 20)
    shown = child.done_so_far(n)
    child.proc.send_signal(signal.SIGINT)
    took = child.finish(30)
    err = child.text()
    assert child.proc.returncode == 130, err
    assert took < 5, f"took {took:.1f} s to stop"
    assert "Traceback" not in err
    kept = re.search(rf"Interrupted: (\d+) of {n} replications kept in out/", err)
    assert kept, err
    k = int(kept.group(1))
    assert shown <= k < n  # at least what the progress bar had shown
    rows = csv_rows(here / "out" / "replications.csv")
    assert len(rows) == k
    manifest = json.loads((here / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["interrupted"] is True and manifest["replications"] == k
    assert manifest["replications_requested"] == n
    assert not (here / "out" / LOCK_NAME).exists()
    # every row is that replication of an uninterrupted run (replication r uses seed r)
    last = max(int(r) for r in rows) + 1
    assert main(["run", str(here / "small.toml"), "-n", str(last), "-w", "2", "--seed", "11", "-q",
                 "--no-plots", "--out", str(here / "whole"), *TINY]) == 0  # fmt: skip
    whole = csv_rows(here / "whole" / "replications.csv")
    for r, row in rows.items():
        assert row == whole[r], f"replication {r} differs"


@pytest.mark.parametrize("backend", ["local", "dask"])
def test_ctrl_c_ends_a_large_run_at_once_with_one_message(here: Path, backend: str) -> None:
    if backend == "dask":
        pytest.importorskip("dask.distributed")
    n = 100_000
    child = Child(["run", "small.toml", "-n", str(n), "--out", "out", "--no-plots", "-w", "2",
                   "--backend", backend, *TINY], here)  # fmt: skip
    child.wait_for_progress(n, 10)
    os.killpg(child.proc.pid, signal.SIGINT)  # as a terminal does: workers and all
    took = child.finish(30)
    err = child.text()
    assert child.proc.returncode == 130, err
    assert took < (5 if backend == "local" else 10), f"took {took:.1f} s to stop"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert len(re.findall(r"Interrupted", err)) == 1, err
    assert re.search(rf"Interrupted: \d+ of {n} replications kept in out/", err)


def test_a_second_ctrl_c_stops_at_once(here: Path) -> None:
    n = 100_000
    child = Child(["run", "small.toml", "-n", str(n), "--out", "out", "--no-plots", *TINY], here)
    child.wait_for_progress(n, 10)
    os.killpg(child.proc.pid, signal.SIGINT)
    time.sleep(0.05)
    os.killpg(child.proc.pid, signal.SIGINT)
    took = child.finish(30)
    err = child.text()
    assert child.proc.returncode == 130, err
    assert took < 5
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    # either the first Ctrl-C had finished its work, or the second stopped it at once
    assert ("Interrupted again: stopped at once." in err) != bool(
        re.search(rf"Interrupted: \d+ of {n} replications kept", err)
    ), err


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_workers_exit_when_the_main_process_is_killed(here: Path) -> None:
    n = 100_000
    child = Child(["run", "small.toml", "-n", str(n), "-w", "2", "--out", "out", "--no-plots",
                   *TINY], here)  # fmt: skip
    child.wait_for_progress(n, 10)
    workers = _children(child.proc.pid)
    assert len(workers) >= 2, workers
    child.proc.kill()
    child.finish(10)
    deadline = time.monotonic() + 5
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [w for w in workers if _running(w)]
    for w in alive:  # do not leave them behind, whatever the result
        os.kill(w, signal.SIGKILL)
    assert not alive, f"workers {alive} still running 5 s after their parent was killed"


# -- in this process: pieces, progress and what an interruption keeps ---------------------


@pytest.fixture(scope="module")
def small():
    return load_scenario(REPO_ROOT / "configs" / "teaching.toml", ["run.days=20"])


def same(reps: list[dict[str, float]]) -> list[str]:
    """Replications as text, so that two NaNs (a wait with no one seen) compare equal."""
    return [json.dumps(r) for r in reps]


def test_pieces_never_change_a_result(small, monkeypatch: pytest.MonkeyPatch) -> None:
    straight = run(small, 24, 9, workers=1)
    monkeypatch.setattr(tasks, "TARGET_PIECE_SECONDS", 1e-9)  # a replication a piece
    one_by_one = run(small, 24, 9, workers=2)
    monkeypatch.setattr(tasks, "TARGET_PIECE_SECONDS", 1e9)  # a whole task a piece
    whole = run(small, 24, 9, workers=2)
    assert same(one_by_one.replications) == same(straight.replications) == same(whole.replications)
    assert one_by_one.indices == whole.indices == list(range(24))


def test_the_progress_bar_moves_with_replications(small, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "TARGET_PIECE_SECONDS", 1e-9)
    steps: list[int] = []
    seeds = tuple(range(12))
    work = [tasks.Task(k, small, seeds[6 * k : 6 * k + 6], tuple(range(6 * k, 6 * k + 6)))
            for k in range(2)]  # fmt: skip
    tasks.run_tasks(work, tasks.Backend("local", 2), progress=steps.append)
    assert steps == [1] * 12  # one step a replication, not one a task


@pytest.mark.parametrize("workers", [1, 2], ids=["here", "pool"])
def test_an_interruption_keeps_replications_of_unfinished_tasks(
    small, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (raised here from the progress callback) once 3 replications are done: the
    run keeps those 3, though their task (of 10 here, of 5 in the pool) had not finished."""
    monkeypatch.setattr(tasks, "TARGET_PIECE_SECONDS", 1e-9)  # the pool sends one at a time
    reported: list[int] = []

    def progress(k: int) -> None:
        reported.append(k)
        if sum(reported) >= 3:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as stop:
        run(small, 40, 4, workers=workers, progress=progress)
    kept = stop.value.results
    assert reported == [1, 1, 1]
    assert kept is not None and kept.n == 3
    whole = run(small, 40, 4, workers=1)
    assert same(kept.replications) == same([whole.replications[i] for i in kept.indices])


# -- a Dask scheduler that goes away ---------------------------------------------------------

CLUSTER = """\
import time
from dask.distributed import LocalCluster
cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                       scheduler_port=0, dashboard_address=":0")
print(cluster.scheduler_address, flush=True)
while True:
    time.sleep(1)
"""

SWEEP = """\
name = "lost"
scenario = "small.toml"
set = ["run.days=20"]
replications = 3
seed = 8
[vary]
"services.ucr.staff" = [1, 2, 3, 4]
"services.ucr.visit_minutes.mean" = [60, 70, 80, 90, 100]
"""


class Cluster:
    """A LocalCluster (scheduler and one worker) in a process of its own, to kill."""

    def __init__(self, cwd: Path) -> None:
        self.proc: subprocess.Popen[str] = subprocess.Popen(
            [sys.executable, "-c", CLUSTER],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        STARTED.append(self.proc)
        assert self.proc.stdout is not None
        self.address = self.proc.stdout.readline().strip()
        assert self.address.startswith("tcp://"), self.address

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def test_a_lost_scheduler_ends_the_sweep_and_resume_completes_it(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("dask.distributed")
    (here / "sweep.toml").write_text(SWEEP, encoding="utf-8")
    points = here / "out" / "points"
    cluster = Cluster(here)
    try:
        child = Child(["sweep", "sweep.toml", "--out", "out", "-q", "--no-plots", "--backend",
                       "dask", "--scheduler", cluster.address], here)  # fmt: skip
        deadline = time.monotonic() + 60
        while len(list(points.glob("point-*.json"))) < 2:
            if child.proc.poll() is not None:
                pytest.fail(f"the sweep ended before its scheduler was lost:\n{child.text()}")
            assert time.monotonic() < deadline, "no two points in 60 s"
            time.sleep(0.02)
        cluster.kill()
        took = child.finish(60)
    finally:
        cluster.kill()
    err = child.text()
    assert child.proc.returncode == 3, err
    assert took < 30, f"took {took:.0f} s after the scheduler was killed"
    assert "Traceback" not in err
    kept = len(list(points.glob("point-*.json")))
    assert 2 <= kept < 20, "the scheduler must be lost with points to do"
    assert f"nhsim: lost the Dask scheduler {cluster.address}" in err
    assert f"{kept} completed point(s) kept in out/points/" in err
    assert (
        f"continue, once the cluster is running again, with: nhsim sweep sweep.toml --out out "
        f"--backend dask --scheduler {cluster.address} --resume"
    ) in err
    assert not (here / "out" / "sweep.csv").exists()
    assert not (here / "out" / LOCK_NAME).exists()

    again = Cluster(here)
    try:
        resumed = Child(["sweep", "sweep.toml", "--out", "out", "-q", "--no-plots", "--backend",
                         "dask", "--scheduler", again.address, "--resume"], here)  # fmt: skip
        resumed.finish(120)
    finally:
        again.kill()
    assert resumed.proc.returncode == 0, resumed.text()
    monkeypatch.chdir(here)
    assert main(["sweep", "sweep.toml", "--out", "local", "-q", "--no-plots", "-w", "2"]) == 0
    for name in ("sweep.csv", "replications.csv"):
        assert (here / "out" / name).read_bytes() == (here / "local" / name).read_bytes(), name
    manifest = json.loads((here / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["points_run_now"]) == 20 - kept
