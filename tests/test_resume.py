"""An interrupted sweep resumes to the same results, running no point twice.

``python -m sim sweep`` runs in a subprocess (one worker, so points complete one after
another, a few tenths of a second each). Once at least two point files exist it is
interrupted: by SIGINT (Ctrl-C: exit code 130, the completed points kept and a message
on how to resume) or by SIGKILL (no chance to clean up). ``--resume`` then finishes
the sweep. The final sweep.csv must be byte-identical to an uninterrupted run's, the
point files written before the interruption untouched (same content, same ``run`` id),
and the manifest's ``points_run_now`` must list only the other points.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, write_toml

from sim.cli.main import main

POINTS = 12  # 3 x 4 grid
EXPERIMENT = {
    "name": "resume",
    "scenario": str(REPO_ROOT / "configs" / "neighbourhood_50k.toml"),
    "set": ["run.days=200", "run.warmup_days=30"],
    "replications": 4,
    "seed": 3,
    "vary": {"services.ucr.staff": [1, 2, 3], "services.virtual_ward.beds": [5, 10, 15, 20]},
}


def point_files(out: Path) -> dict[str, bytes]:
    d = out / "points"
    return {p.name: p.read_bytes() for p in sorted(d.glob("point-*.json"))} if d.exists() else {}


def sweep_process(exp: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "sweep",
            str(exp),
            "--out",
            str(out),
            "-q",
            "-w",
            "1",
            "--no-plots",
            *extra,
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def interrupt_after_two_points(proc: subprocess.Popen[str], out: Path, sig: int) -> tuple[str, str]:
    """Wait until two points are on disk, send ``sig``, and return the process's output."""
    deadline = time.monotonic() + 300
    try:
        while len(point_files(out)) < 2:
            if proc.poll() is not None:
                _stdout, stderr = proc.communicate()
                pytest.fail(
                    f"the sweep ended before it could be interrupted (exit {proc.returncode}):\n{stderr}"
                )
            if time.monotonic() > deadline:
                pytest.fail("no two points were written in 300 s")
            time.sleep(0.01)
        proc.send_signal(sig)
        return proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:  # only the process this test started
            proc.kill()
            proc.communicate()


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    return write_toml(tmp_path_factory.mktemp("resume") / "resume.toml", EXPERIMENT)


@pytest.fixture(scope="module")
def uninterrupted(experiment, tmp_path_factory) -> Path:
    """The sweep run straight through (in this process, two workers: results do not depend on them)."""
    out = tmp_path_factory.mktemp("straight") / "out"
    assert main(["sweep", str(experiment), "--out", str(out), "-q", "-w", "2", "--no-plots"]) == 0
    assert len(point_files(out)) == POINTS
    return out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_sweep_resumes_to_the_same_results(
    experiment, uninterrupted, tmp_path, sig
) -> None:
    out = tmp_path / "out"
    proc = sweep_process(experiment, out)
    _, stderr = interrupt_after_two_points(proc, out, sig)
    assert proc.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL), stderr
    before = point_files(out)
    assert 2 <= len(before) < POINTS, "the interruption must leave some points to do"

    if sig == signal.SIGINT:
        assert "Traceback" not in stderr
        assert f"Interrupted: {len(before)} completed point(s) kept in {out}/points/" in stderr
        assert "--resume" in stderr and str(experiment) in stderr
    assert not (out / "sweep.csv").exists()  # no table from a partial sweep
    runs = {json.loads(b)["run"] for b in before.values()}
    assert len(runs) == 1
    (old_run,) = runs

    resumed = sweep_process(experiment, out, "--resume")
    _r_stdout, r_stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, r_stderr

    assert (out / "sweep.csv").read_bytes() == (uninterrupted / "sweep.csv").read_bytes()
    assert (out / "replications.csv").read_bytes() == (
        uninterrupted / "replications.csv"
    ).read_bytes()
    after = point_files(out)
    assert len(after) == POINTS
    for name, content in before.items():
        assert after[name] == content, f"{name} changed on resume"
    rest = sorted(set(after) - set(before))
    new_runs = {json.loads(after[name])["run"] for name in rest}
    assert len(new_runs) == 1 and old_run not in new_runs  # the rest, all by the resumed invocation
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["points_run_now"] == [int(name[6:10]) for name in rest]
    assert manifest["points_completed"] == POINTS and manifest["failed_points"] == []
