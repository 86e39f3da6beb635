"""An interrupted uncertainty analysis resumes to the same results, running no set twice;
the local pool and Dask give the same results for one seed.

``python -m sim uncertainty`` runs in a subprocess (one worker, so parameter sets
complete one after another). Once at least two set files exist it is sent SIGINT
(Ctrl-C: exit code 130, the completed sets kept and a message on how to resume) or
SIGKILL (no chance to clean up). ``--resume`` then finishes it. Every table and every
set file must be byte-identical to an uninterrupted run's, the set files written before
the interruption untouched, and the manifest's ``sets_run_now`` only the others.
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

SETS = 8
TABLES = (
    "uncertainty.csv",
    "indices.csv",
    "decision.csv",
    "evppi.csv",
    "curves.csv",
    "convergence.csv",
    "inputs.csv",
    "sets.csv",
    "base/comparison.csv",
)
EXPERIMENT = {
    "name": "resume",
    "scenario": str(REPO_ROOT / "configs" / "neighbourhood_50k_invest.toml"),
    "counterfactual": str(REPO_ROOT / "configs" / "neighbourhood_50k.toml"),
    "set": ["run.days=60", "run.warmup_days=10"],
    "replications": 2,
    "seed": 3,
    "sampling": {"sets": SETS, "base_replications": 2, "bootstrap": 200},
    "decision": {"willingness_to_pay": 500.0, "avoided_at_least": {"admissions.total": 10.0}},
    "uncertainty": {
        "services.ucr.patience_hours": {
            "dist": "triangular",
            "low": 2,
            "mode": 4,
            "high": 8,
            "source": "assumption",
        },
        "services.virtual_ward.los_days.mean": {
            "dist": "uniform",
            "low": 4,
            "high": 9,
            "source": "assumption",
        },
    },
}


def set_files(out: Path) -> dict[str, bytes]:
    d = out / "sets"
    return {p.name: p.read_bytes() for p in sorted(d.glob("set-*.json"))} if d.exists() else {}


def process(exp: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "uncertainty",
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


def interrupt_after_two_sets(proc: subprocess.Popen[str], out: Path, sig: int) -> str:
    """Wait until two sets are on disk, send ``sig``, and return the process's stderr."""
    deadline = time.monotonic() + 300
    try:
        while len(set_files(out)) < 2:
            if proc.poll() is not None:
                _stdout, stderr = proc.communicate()
                pytest.fail(
                    f"ended before it could be interrupted (exit {proc.returncode}):\n{stderr}"
                )
            if time.monotonic() > deadline:
                pytest.fail("no two parameter sets were written in 300 s")
            time.sleep(0.01)
        proc.send_signal(sig)
        return proc.communicate(timeout=120)[1]
    finally:
        if proc.poll() is None:  # only the process this test started
            proc.kill()
            proc.communicate()


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_toml(tmp_path_factory.mktemp("uresume") / "resume.toml", EXPERIMENT)


@pytest.fixture(scope="module")
def uninterrupted(experiment: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run straight through, in this process, on two workers (results do not depend on them)."""
    out = tmp_path_factory.mktemp("ustraight") / "out"
    args = ["uncertainty", str(experiment), "--out", str(out), "-q", "-w", "2", "--no-plots"]
    assert main(args) == 0
    assert len(set_files(out)) == SETS
    return out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_analysis_resumes_to_the_same_results(
    experiment: Path, uninterrupted: Path, tmp_path: Path, sig: int
) -> None:
    out = tmp_path / "out"
    proc = process(experiment, out)
    stderr = interrupt_after_two_sets(proc, out, sig)
    assert proc.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL), stderr
    before = set_files(out)
    assert 2 <= len(before) < SETS, "the interruption must leave some sets to do"
    if sig == signal.SIGINT:
        assert "Traceback" not in stderr
        assert (
            f"Interrupted: {len(before)} completed parameter set(s) kept in {out}/sets/" in stderr
        )
        assert "--resume" in stderr and str(experiment) in stderr
    assert not (out / "uncertainty.csv").exists()  # no table from a partial analysis

    resumed = process(experiment, out, "--resume")
    _stdout, r_stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, r_stderr
    for name in TABLES:
        assert (out / name).read_bytes() == (uninterrupted / name).read_bytes(), name
    after = set_files(out)
    assert after == set_files(uninterrupted)
    for name, content in before.items():
        assert after[name] == content, f"{name} changed on resume"
    rest = sorted(set(after) - set(before))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sets_run_now"] == [int(name[4:8]) for name in rest]
    assert manifest["sets_completed"] == SETS and manifest["failed_sets"] == []


def test_dask_gives_the_results_of_the_local_pool(
    experiment: Path, uninterrupted: Path, tmp_path: Path
) -> None:
    pytest.importorskip("dask.distributed")
    out = tmp_path / "dask"
    args = ["uncertainty", str(experiment), "--out", str(out), "-q", "-w", "2", "--no-plots"]
    assert main([*args, "--backend", "dask"]) == 0
    for name in TABLES:
        assert (out / name).read_bytes() == (uninterrupted / name).read_bytes(), name
    assert set_files(out) == set_files(uninterrupted)
