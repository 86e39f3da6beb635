"""Sweeps over an experiment's design (``nhsim sweep``, ``sim.runs.sweep``, ``sim.runs.experiment_file``).

- sweep.csv is tidy: one row per point and metric, the varied values, the interval and
  the paired difference from the base point, all recomputable from the point files;
- the results do not depend on the number of workers or on the backend (byte-identical
  sweep.csv with 1 and 2 local workers and with Dask on a local cluster of 2);
- one_at_a_time and latin_hypercube designs give the expected points;
- an output directory is never silently reused: a changed experiment file, or a
  completed directory without --resume, is refused;
- precision mode adds replications until the half-width target or the cap.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO_ROOT, write_toml
from scipy import stats

from sim.cli.main import main
from sim.runs.backends import Backend
from sim.runs.experiment_file import design_points, load_experiment
from sim.runs.replications import run
from sim.runs.sweep import point_scenario, run_sweep

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"
STAFF, BEDS = "services.ucr.staff", "services.virtual_ward.beds"
KEYS = [STAFF, BEDS]
COLUMNS = [
    "point",
    *KEYS,
    "metric",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "n",
    "difference_from_base",
    "difference_ci_low",
    "difference_ci_high",
]


def experiment_data(**changes) -> dict:
    """A 3 x 2 grid on the neighbourhood, shortened to 60 days, 4 replications a point."""
    data = {
        "name": "grid",
        "scenario": str(NEIGHBOURHOOD),
        "set": ["run.days=60", "run.warmup_days=10"],
        "replications": 4,
        "seed": 7,
        "report": ["ambulance.conveyances", "admissions.total"],
        "design": {"kind": "grid"},
        "vary": {STAFF: [1, 2, 3], BEDS: [10, 15]},  # point 0 is the base (1 clinician, 10 beds)
    }
    data.update(changes)
    return data


def sweep(exp: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(exp), "--out", str(out), "-q", "--no-plots", *extra])


def read_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def points_of(out: Path) -> dict[int, dict]:
    return {
        int(f.stem.split("-")[1]): json.loads(f.read_text())
        for f in sorted((out / "points").glob("point-*.json"))
    }


def same(a: list[dict[str, float]], b: list[dict[str, float]]) -> bool:
    """Replications equal value for value (NaN equals NaN)."""
    return len(a) == len(b) and all(
        list(x) == list(y)
        and all(x[k] == y[k] or (math.isnan(x[k]) and math.isnan(y[k])) for k in x)
        for x, y in zip(a, b)
    )


def as_float(text: str) -> float:
    return float(text)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """The grid experiment swept with 1 and 2 local workers and with Dask (2 workers)."""
    d = tmp_path_factory.mktemp("sweep")
    exp = write_toml(d / "grid.toml", experiment_data())
    outs = {}
    for label, extra in [
        ("w1", ["-w", "1"]),
        ("w2", ["-w", "2"]),
        ("dask", ["--backend", "dask", "-w", "2"]),
    ]:
        outs[label] = d / label
        assert sweep(exp, outs[label], *extra) == 0, label
    return exp, outs


# -- the table ------------------------------------------------------------------------------


def test_sweep_csv_is_tidy(grid) -> None:
    exp_path, outs = grid
    out = outs["w1"]
    text = (out / "sweep.csv").read_text()
    header = next(csv.reader(io.StringIO(text)))
    assert header == COLUMNS
    rows = read_rows(text)
    exp = load_experiment(exp_path)
    points = design_points(exp, exp.base_scenario())
    assert points == [{STAFF: s, BEDS: b} for s in (1, 2, 3) for b in (10, 15)]
    files = points_of(out)
    assert sorted(files) == list(range(6))
    metrics = list(files[0]["replications"][0])
    assert len(metrics) > 50
    assert len(rows) == 6 * len(metrics)
    assert len({(r["point"], r["metric"]) for r in rows}) == len(
        rows
    )  # one row per point and metric
    base_reps = files[0]["replications"]
    for r in rows:
        i = int(r["point"])
        assert files[i]["values"] == points[i]
        assert (int(r[STAFF]), int(r[BEDS])) == (points[i][STAFF], points[i][BEDS])
        values = np.array([rep[r["metric"]] for rep in files[i]["replications"]], dtype=float)
        assert len(values) == 4
        finite = values[~np.isnan(values)]  # an undefined ratio (NaN) is left out
        assert int(r["n"]) == finite.size
        if finite.size < 2:
            continue
        # the interval, recomputed from the point file (Student's t, 95%)
        mean, sd = finite.mean(), finite.std(ddof=1)
        half = stats.t.ppf(0.975, finite.size - 1) * sd / math.sqrt(finite.size)
        assert as_float(r["mean"]) == pytest.approx(mean, rel=1e-12, abs=1e-12)
        assert as_float(r["ci_low"]) == pytest.approx(mean - half, rel=1e-9, abs=1e-9)
        assert as_float(r["ci_high"]) == pytest.approx(mean + half, rel=1e-9, abs=1e-9)
        # the paired difference from the base point (point 0)
        diff = values - np.array([rep[r["metric"]] for rep in base_reps], dtype=float)
        if i == 0:
            assert (r["difference_from_base"], r["difference_ci_low"], r["difference_ci_high"]) == (
                "0.0",
            ) * 3
        elif not np.isnan(diff).any():
            assert as_float(r["difference_from_base"]) == pytest.approx(
                diff.mean(), rel=1e-9, abs=1e-9
            )
    # more staff: more referrals seen within two hours (the design really changes the scenario)
    seen = {
        int(r["point"]): as_float(r["mean"])
        for r in rows
        if r["metric"] == "ucr.seen_within_target"
    }
    assert seen[4] > seen[0]


def test_sweep_manifest_and_point_files(grid) -> None:
    _, outs = grid
    out = outs["w1"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["points"] == manifest["points_completed"] == 6
    assert manifest["points_run_now"] == list(range(6))
    assert manifest["failed_points"] == []
    assert json.loads((out / "experiment.json").read_text())["experiment"] == "grid"
    runs = {p["run"] for p in points_of(out).values()}
    assert len(runs) == 1  # one invocation computed every point
    replications = read_rows((out / "replications.csv").read_text())
    assert len(replications) == 6 * 4


@pytest.mark.parametrize("other", ["w2", "dask"])
def test_results_do_not_depend_on_workers_or_backend(grid, other) -> None:
    _, outs = grid
    for name in ("sweep.csv", "replications.csv"):
        assert (outs[other] / name).read_bytes() == (outs["w1"] / name).read_bytes(), name
    a, b = points_of(outs["w1"]), points_of(outs[other])
    assert a.keys() == b.keys()
    for i in a:
        assert a[i]["run"] != b[i]["run"]  # separate invocations ...
        assert {k: v for k, v in a[i].items() if k != "run"} == {
            k: v for k, v in b[i].items() if k != "run"
        }
    assert json.loads((outs[other] / "manifest.json").read_text())["backend"] == (
        "dask" if other == "dask" else "local"
    )


def test_sweep_points_are_the_runs_of_their_scenarios(grid) -> None:
    """A point's replications are those of ``run`` on the point's scenario with the experiment's seed."""
    exp_path, outs = grid
    exp = load_experiment(exp_path)
    files = points_of(outs["w1"])
    for i in (0, 5):
        want = run(point_scenario(exp, files[i]["values"]), 4, exp.seed, workers=1)
        assert same(files[i]["replications"], want.replications)
        assert files[i]["seeds"] == want.seeds


# -- designs -------------------------------------------------------------------------------------


def test_one_at_a_time_points(tmp_path) -> None:
    exp = load_experiment(
        write_toml(
            tmp_path / "oat.toml",
            experiment_data(
                design={"kind": "one_at_a_time"},
                vary={
                    STAFF: [1, 2, 3],
                    BEDS: [5, 10, 15],
                    "services.hub.accept_probability": [0.5, 0.7, 0.9],
                },
            ),
        )
    )
    base = exp.base_scenario()
    assert (base.services["ucr"].staff, base.services["virtual_ward"].beds) == (1, 10)
    points = design_points(exp, base)
    # the base, then each key alone at each of its values other than the base's
    assert points == [
        {},
        {STAFF: 2},
        {STAFF: 3},
        {BEDS: 5},
        {BEDS: 15},
        {"services.hub.accept_probability": 0.5},
        {"services.hub.accept_probability": 0.9},
    ]


def test_one_at_a_time_sweep_marks_the_base(tmp_path) -> None:
    exp_path = write_toml(
        tmp_path / "oat.toml",
        experiment_data(
            replications=2,
            design={"kind": "one_at_a_time"},
            vary={STAFF: [1, 3], BEDS: [10, 20]},
        ),
    )
    out = tmp_path / "out"
    assert sweep(exp_path, out, "-w", "1") == 0
    rows = read_rows((out / "sweep.csv").read_text())
    by_point = {int(r["point"]): (r[STAFF], r[BEDS]) for r in rows}
    assert by_point == {0: ("base", "base"), 1: ("3", "base"), 2: ("base", "20")}


def lhs_data(seed: int = 7, samples: int = 8) -> dict:
    return experiment_data(
        seed=seed,
        design={"kind": "latin_hypercube", "samples": samples},
        vary={
            STAFF: {"low": 1, "high": 4, "integer": True},
            "services.hub.accept_probability": {"low": 0.4, "high": 0.9},
        },
    )


def test_latin_hypercube_points(tmp_path) -> None:
    exp = load_experiment(write_toml(tmp_path / "lhs.toml", lhs_data()))
    points = design_points(exp, exp.base_scenario())
    assert len(points) == 8
    staff = [p[STAFF] for p in points]
    accept = [p["services.hub.accept_probability"] for p in points]
    assert all(type(s) is int and 1 <= s <= 4 for s in staff)  # whole numbers, rounded
    assert set(staff) == {1, 2, 3, 4}  # eight strata of [1, 4] round to every whole number in it
    assert all(type(a) is float and 0.4 <= a <= 0.9 for a in accept)
    # a Latin hypercube: one sample in each of the eight equal strata of the continuous range
    strata = sorted(int((a - 0.4) / (0.5 / 8)) for a in accept)
    assert strata == list(range(8))
    # deterministic in the experiment's seed
    assert design_points(exp, exp.base_scenario()) == points
    other = load_experiment(write_toml(tmp_path / "lhs2.toml", lhs_data(seed=8)))
    assert design_points(other, other.base_scenario()) != points


def test_latin_hypercube_sweep_runs_its_points(tmp_path) -> None:
    exp_path = write_toml(tmp_path / "lhs.toml", {**lhs_data(samples=3), "replications": 2})
    out = tmp_path / "out"
    assert sweep(exp_path, out, "-w", "2") == 0
    exp = load_experiment(exp_path)
    files = points_of(out)
    assert [f["values"] for f in files.values()] == design_points(exp, exp.base_scenario())


@pytest.mark.parametrize(
    "design,vary,key,message",
    [
        (
            {"kind": "latin_hypercube"},
            {STAFF: [1, 2]},
            f"vary.{STAFF}",
            "latin_hypercube design needs",
        ),
        (
            {"kind": "grid"},
            {"services.hub.accept_probability": {"low": 0.4, "high": 0.9}},
            "vary.services.hub.accept_probability",
            "integer = true",
        ),
    ],
)
def test_design_needs_the_right_kind_of_values(
    tmp_path, capsys, design, vary, key, message
) -> None:
    exp_path = write_toml(tmp_path / "bad.toml", experiment_data(design=design, vary=vary))
    out = tmp_path / "out"
    assert sweep(exp_path, out) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and key in err and message in err
    assert "Traceback" not in err
    assert not out.exists()


# -- the output directory is never silently reused ------------------------------------------------


@pytest.fixture
def completed(tmp_path):
    exp_path = write_toml(
        tmp_path / "small.toml", experiment_data(replications=2, vary={STAFF: [1, 3]})
    )
    out = tmp_path / "out"
    assert sweep(exp_path, out, "-w", "1") == 0
    return exp_path, out


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("resume", [False, True])
def test_changed_experiment_refuses_the_old_directory(completed, capsys, resume) -> None:
    exp_path, out = completed
    before = snapshot(out)
    write_toml(
        exp_path, experiment_data(replications=3, vary={STAFF: [1, 3]})
    )  # one more replication
    code = sweep(exp_path, out, "-w", "1", *(["--resume"] if resume else []))
    assert code == 2
    err = capsys.readouterr().err
    assert "another experiment" in err and "changed" in err and str(out) in err
    assert "Traceback" not in err
    assert snapshot(out) == before


def test_completed_directory_needs_resume(completed, capsys) -> None:
    exp_path, out = completed
    before = snapshot(out)
    assert sweep(exp_path, out, "-w", "1") == 2
    err = capsys.readouterr().err
    assert "already holds this experiment" in err and "--resume" in err
    assert snapshot(out) == before
    # with --resume, nothing is left to run and the table comes out the same
    assert sweep(exp_path, out, "-w", "1", "--resume") == 0
    assert json.loads((out / "manifest.json").read_text())["points_run_now"] == []
    assert (out / "sweep.csv").read_bytes() == before["sweep.csv"]
    assert {k: v for k, v in snapshot(out).items() if k.startswith("points/")} == {
        k: v for k, v in before.items() if k.startswith("points/")
    }


def test_directory_of_other_files_is_refused(tmp_path, capsys) -> None:
    exp_path = write_toml(
        tmp_path / "small.toml", experiment_data(replications=2, vary={STAFF: [1, 3]})
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert sweep(exp_path, out, "-w", "1") == 2
    assert "not an experiment's directory" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


# -- precision mode ----------------------------------------------------------------------------------

PRECISION = {
    "metrics": ["virtual_ward.occupancy", "acute.bed_days"],
    "relative_half_width": 0.08,
    "max_replications": 12,
    "step": 3,
}


def precise(reps: list[dict[str, float]]) -> bool:
    """Every precision metric's 95% half-width within 8% of its mean (computed here, independently)."""
    for m in PRECISION["metrics"]:
        values = np.array([r[m] for r in reps], dtype=float)
        n = values.size
        half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)
        if not half <= PRECISION["relative_half_width"] * abs(values.mean()):
            return False
    return True


def test_precision_mode_adds_replications_until_precise_or_the_cap(tmp_path) -> None:
    exp_path = write_toml(
        tmp_path / "precise.toml",
        experiment_data(precision=PRECISION, vary={STAFF: [1, 2, 3], BEDS: [5, 15]}),
    )
    out1, out2 = tmp_path / "w1", tmp_path / "w2"
    assert sweep(exp_path, out1, "-w", "1") == 0
    assert sweep(exp_path, out2, "-w", "2") == 0
    assert (out1 / "sweep.csv").read_bytes() == (out2 / "sweep.csv").read_bytes()  # deterministic
    exp = load_experiment(exp_path)
    files = points_of(out1)
    counts = {}
    for i, f in files.items():
        # the cap's replications of this point, run directly on the same seeds
        full = run(point_scenario(exp, f["values"]), 12, exp.seed, workers=1)
        want = next(n for n in (3, 6, 9, 12) if n == 12 or precise(full.replications[:n]))
        counts[i] = len(f["replications"])
        assert counts[i] == want, (i, f["values"])
        assert same(
            f["replications"], full.replications[:want]
        )  # the first n replications, in order
        assert f["seeds"] == full.seeds[:want]
    # the test can tell: some points stop before the cap (after more than one step),
    # and some run to the cap without reaching the precision
    assert any(3 < n < 12 for n in counts.values())
    assert any(n == 12 and not precise(files[i]["replications"]) for i, n in counts.items())
    rows = read_rows((out1 / "sweep.csv").read_text())
    assert {int(r["point"]): int(r["n"]) for r in rows if r["metric"] == "acute.bed_days"} == counts


def test_run_sweep_reports_totals_and_progress(tmp_path) -> None:
    exp = load_experiment(
        write_toml(tmp_path / "small.toml", experiment_data(replications=2, vary={STAFF: [1, 3]}))
    )
    totals: list[int] = []
    done: list[int] = []
    result = run_sweep(
        exp, tmp_path / "out", Backend("local", 1), progress=done.append, on_total=totals.append
    )
    assert totals == [4]
    assert sum(done) == 4
    assert sorted(result.ran_now) == [0, 1] and result.failures == {}
