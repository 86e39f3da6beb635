"""nhsim calibrate: known parameters are recovered, bad input is refused clearly, and the
calibrated scenario it writes reproduces the fit.

Recovery: the targets are the model's own means at known values (the same replications
and seed the calibration uses), the optimiser starts at the middle of each range, far
from the truth, and each known value must lie inside the 95% interval reported for its
fitted value. Everything is seeded, so nothing here depends on chance.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from sim.runs.backends import Backend
from sim.runs.calibrate import Calibration, FreeParameter, Target, calibrate
from sim.runs.compare import compare
from sim.runs.replications import run
from sim.scenario.loader import load_scenario

NHSIM = [sys.executable, "-m", "sim"]
SERIAL = Backend("local", 1)  # replications run in this process: small runs, no pool start-up

# A town of 60,000 with one urgent community response team. Referrals come round the
# clock but the team works 8am-8pm, so a good share escalate: both the escalation shares
# and the visit length leave a clear mark on the metrics. Outcomes only, so it is fast.
TOWN = """\
name = "town"
[run]
days = 365
warmup_days = 7
replications = 5
seed = 7

[population]
size = 60000
cohorts = { under_65 = 0.80, fit = 0.10, mild = 0.07, moderate = 0.024, severe = 0.006 }

[demand.urgent_referrals]
to = "ucr"
rate_per_1000 = { under_65 = 10, fit = 60, mild = 120, moderate = 250, severe = 500 }

[services.ucr]
kind = "community_response"
staff = 3
open_hours = "08-20"
open_days = "mon-sun"
visit_minutes = { dist = "lognormal", mean = 90, sd = 40 }
target_hours = 2.0
patience_hours = 4.0
escalation = { ambulance = 0.4, ed = 0.2, home = "rest" }
after_visit = { home = 0.7, ed = 0.3 }

[services.ambulance]
kind = "outcome"

[services.ed]
kind = "outcome"
"""

# The same town without the team: every referral escalates.
TOWN_CF = """\
extends = "town.toml"
name = "town_without_ucr"
[services.ucr]
staff = 0
"""

ESC_AMB = "services.ucr.escalation.ambulance"
VISIT_MEAN = "services.ucr.visit_minutes.mean"
AFTER_ED = "services.ucr.after_visit.ed"


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``scenarios/town.toml`` and ``scenarios/town_cf.toml`` in a fresh directory."""
    root = tmp_path_factory.mktemp("calibrate")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "town.toml").write_text(TOWN, encoding="utf-8")
    (root / "scenarios" / "town_cf.toml").write_text(TOWN_CF, encoding="utf-8")
    return root / "scenarios" / "town.toml"


def _model_means(
    scenario: Path,
    settings: list[str],
    metrics: list[str],
    replications: int,
    seed: int,
    counterfactual: Path | None = None,
) -> dict[str, float]:
    """The model's mean of each metric at ``settings`` (``avoided.x``: counterfactual minus scenario, paired)."""
    sc = load_scenario(scenario, settings)
    if counterfactual is None:
        res = run(sc, replications, seed, backend=SERIAL)
        return {m: float(res.values(m).mean()) for m in metrics}
    comp = compare(load_scenario(counterfactual, settings), sc, replications, seed, backend=SERIAL)
    out = {}
    for m in metrics:
        base = m.removeprefix("avoided.")
        out[m] = float(
            (comp.counterfactual.values(base) - comp.scenario.values(base)).mean()
            if m.startswith("avoided.")
            else comp.scenario.values(m).mean()
        )
    return out


def _assert_recovered(result, truth: dict[str, float], free: list[FreeParameter]) -> None:
    assert result.converged, result.message
    for p in free:
        lo, hi = result.interval(p.key)
        assert lo < hi, f"{p.key}: no interval ({lo}, {hi})"
        assert lo <= truth[p.key] <= hi, (
            f"{p.key}: true value {truth[p.key]} outside the 95% interval [{lo:.4g}, {hi:.4g}] "
            f"of the fitted {result.values[p.key]:.4g}"
        )
        # the start (middle of the range) is far from the truth: the fit really moved
        start = (p.low + p.high) / 2
        assert not lo <= start <= hi, (
            f"{p.key}: the interval [{lo:.4g}, {hi:.4g}] still holds the start {start}"
        )
    for target, _mean, ci_low, ci_high in result.fit:
        assert ci_low <= target.value <= ci_high, (
            f"{target.metric}: {target.value} outside [{ci_low}, {ci_high}]"
        )


def test_setting_the_mean_of_a_distribution_keeps_the_rest_of_it(town: Path) -> None:
    """A free parameter inside a distribution changes that one key, not the distribution."""
    dumped = load_scenario(town, [f"{VISIT_MEAN}=70"]).model_dump(mode="json", by_alias=True)
    assert dumped["services"]["ucr"]["visit_minutes"] == {
        "dist": "lognormal",
        "mean": 70.0,
        "sd": 40.0,
    }
    # and a share of a split with a "rest" destination keeps the split summing to 1
    split = load_scenario(town, [f"{ESC_AMB}=0.15"]).model_dump(mode="json", by_alias=True)[
        "services"
    ]["ucr"]["escalation"]
    assert split["ambulance"] == 0.15 and split["ed"] == 0.2
    assert split["home"] == pytest.approx(0.65, abs=1e-12)


def test_recovers_an_escalation_share_and_a_visit_length_from_absolute_targets(town: Path) -> None:
    truth = {ESC_AMB: 0.15, VISIT_MEAN: 70.0}
    reps, seed = 5, 11
    metrics = ["ambulance.arrivals", "ucr.utilisation"]
    observed = _model_means(town, [f"{k}={v}" for k, v in truth.items()], metrics, reps, seed)
    free = [
        FreeParameter(ESC_AMB, 0.05, 0.75),
        FreeParameter(VISIT_MEAN, 40.0, 200.0),
    ]  # start 0.40, 120
    cal = Calibration(
        town, [Target(m, observed[m]) for m in metrics], free, replications=reps, seed=seed
    )
    result = calibrate(cal, SERIAL)
    _assert_recovered(result, truth, free)


def test_recovers_two_shares_from_avoided_targets_against_a_counterfactual(town: Path) -> None:
    counterfactual = town.parent / "town_cf.toml"
    rest = [
        "services.ucr.after_visit.home=rest"
    ]  # so that fitting the ED share keeps the split whole
    truth = {ESC_AMB: 0.65, AFTER_ED: 0.08}
    reps, seed = 4, 5
    metrics = ["avoided.ambulance.arrivals", "avoided.ed.arrivals"]
    observed = _model_means(
        town, [*rest, *(f"{k}={v}" for k, v in truth.items())], metrics, reps, seed, counterfactual
    )
    assert observed["avoided.ambulance.arrivals"] > 0 and observed["avoided.ed.arrivals"] > 0
    free = [
        FreeParameter(ESC_AMB, 0.05, 0.75),
        FreeParameter(AFTER_ED, 0.0, 0.5),
    ]  # start 0.40, 0.25
    cal = Calibration(
        town,
        [Target(m, observed[m]) for m in metrics],
        free,
        counterfactual,
        rest,
        replications=reps,
        seed=seed,
    )
    result = calibrate(cal, SERIAL)
    _assert_recovered(result, truth, free)

    # The observed figure's own uncertainty (value±sd) adds to the simulation's: the same
    # fit, with a wider interval for the ED share. The ambulance target does not depend on
    # the ED share, so the ambulance share's interval is exactly as before.
    sd = 0.1 * observed["avoided.ed.arrivals"]
    cal_sd = Calibration(
        town,
        [Target(metrics[0], observed[metrics[0]]), Target(metrics[1], observed[metrics[1]], sd)],
        free,
        counterfactual,
        rest,
        replications=reps,
        seed=seed,
    )
    with_sd = calibrate(cal_sd, SERIAL)
    assert with_sd.values == pytest.approx(result.values, rel=1e-12)
    assert with_sd.stderr[ESC_AMB] == pytest.approx(result.stderr[ESC_AMB], rel=1e-9)
    assert with_sd.stderr[AFTER_ED] > result.stderr[AFTER_ED]
    (lo_sd, hi_sd), (lo, hi) = with_sd.interval(AFTER_ED), result.interval(AFTER_ED)
    assert lo_sd < lo and hi < hi_sd


# -- the command line -------------------------------------------------------------------


def _nhsim(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NHSIM, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300
    )


TEACHING = "configs/teaching.toml"
STAFF_FREE = "services.ucr.staff=1:3:int"
BAD_INPUT = {
    "unknown metric": (
        ["--target", "ucr.seen_x=100", "--free", STAFF_FREE],
        "--target: ucr.seen_x: unknown metric; did you mean 'ucr.seen'?",
    ),
    "free key not in the scenario": (
        ["--target", "ucr.seen=100", "--free", "services.ucr.nonexistent=1:3"],
        "--free: services.ucr.nonexistent: not a key of the scenario: unknown key; valid keys here: staff, "
        "open_hours, open_days, roster, visit_minutes, target_hours, patience_hours, escalation, after_visit",
    ),
    "low >= high": (
        ["--target", "ucr.seen=100", "--free", "services.ucr.staff=3:1:int"],
        "--free: services.ucr.staff: needs low < high, got 3:1",
    ),
    "low == high": (
        ["--target", "ucr.seen=100", "--free", "services.ucr.visit_minutes.mean=90:90"],
        "--free: services.ucr.visit_minutes.mean: needs low < high, got 90:90",
    ),
    "malformed target": (
        ["--target", "ucr.seen100", "--free", STAFF_FREE],
        "--target: 'ucr.seen100' must look like metric=value",
    ),
    "target not a number": (
        ["--target", "ucr.seen=lots", "--free", STAFF_FREE],
        "--target: ucr.seen: the value 'lots' is not a number",
    ),
    "malformed free": (
        ["--target", "ucr.seen=100", "--free", "services.ucr.staff=1-3"],
        "--free: 'services.ucr.staff=1-3' must look like key.path=low:high (or low:high:int)",
    ),
    "avoided without a counterfactual": (
        ["--target", "avoided.ambulance.arrivals=100", "--free", STAFF_FREE],
        "--target: avoided.* targets need a --counterfactual scenario",
    ),
    "whole number without :int": (
        ["--target", "ucr.seen=100", "--free", "services.ucr.staff=1:3"],
        "--free: services.ucr.staff: the scenario is not valid with services.ucr.staff=1.0: must be a whole "
        "number, got 1; add :int for whole numbers (key.path=low:high:int)",
    ),
    "share of a split without rest": (
        ["--target", "ucr.seen=100", "--free", "services.ucr.escalation.ambulance=0.1:0.6"],
        "--free: services.ucr.escalation.ambulance: the scenario is not valid with "
        "services.ucr.escalation.ambulance=0.1: services.ucr.escalation: must sum to 1, got 0.6 (ambulance=0.1, "
        'ed=0.3, home=0.2); give another share of the split as "rest" (--set <split>.<destination>=rest)',
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_refused_with_a_message_naming_it(case: str, tmp_path: Path) -> None:
    args, message = BAD_INPUT[case]
    out = tmp_path / "out"
    proc = _nhsim(
        "calibrate", TEACHING, *args, "-n", "2", "-w", "1", "-q", "--out", out, cwd=REPO_ROOT
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == message + "\n"
    assert proc.stdout == ""
    assert not out.exists()


def test_infeasible_target_reports_the_parameter_at_the_edge_and_still_writes_the_file(
    town: Path, tmp_path: Path
) -> None:
    # No ambulance share up to 0.5 sends 5,000 of about 1,900 referrals a year to 999.
    out = tmp_path / "cal"
    proc = _nhsim(
        "calibrate",
        town,
        "--target",
        "ambulance.arrivals=5000",
        "--free",
        f"{ESC_AMB}=0.05:0.5",
        "-n",
        "3",
        "-w",
        "1",
        "-q",
        "--set",
        "run.days=120",
        "--out",
        out,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    assert (
        "did not converge: the model cannot meet every target within the ranges given"
        in proc.stdout
    )
    assert f"(at the edge of its range: {ESC_AMB})" in proc.stdout
    assert "Traceback" not in proc.stderr
    with open(out / "parameters.csv", newline="") as f:
        (row,) = csv.DictReader(f)
    assert row["parameter"] == ESC_AMB and float(row["fitted"]) >= 0.5 - 0.01 * 0.45
    with open(out / "fit.csv", newline="") as f:
        (fit,) = csv.DictReader(f)
    assert float(fit["observed"]) == 5000 and float(fit["ci_high"]) < 5000
    calibrated = load_scenario(out / "calibrated.toml")
    assert calibrated.services["ucr"].escalation["ambulance"] == pytest.approx(
        float(row["fitted"]), abs=1e-9
    )


def test_experiment_calibration_writes_a_scenario_that_extends_the_original_and_reproduces_the_fit(
    town: Path, tmp_path: Path
) -> None:
    """Through an experiment's [calibration] table (with --set to shorten the runs): the
    calibrated.toml extends the scenario by a relative path and holds the fitted values."""
    root = town.parent.parent
    short = ["run.days=120"]
    truth = {ESC_AMB: 0.2, VISIT_MEAN: 60.0}
    reps, seed = 4, 3
    metrics = ["avoided.ambulance.arrivals", "ucr.utilisation"]
    observed = _model_means(
        town,
        [*short, *(f"{k}={v}" for k, v in truth.items())],
        metrics,
        reps,
        seed,
        town.parent / "town_cf.toml",
    )
    experiments = root / "experiments"
    experiments.mkdir(exist_ok=True)
    experiment = experiments / "fit_town.toml"
    experiment.write_text(
        'scenario = "../scenarios/town.toml"\n'
        'counterfactual = "../scenarios/town_cf.toml"\n'
        f"replications = {reps}\nseed = {seed}\n\n"
        "[calibration]\n"
        f'targets = {{ "avoided.ambulance.arrivals" = {observed[metrics[0]]!r}, '
        f'"ucr.utilisation" = {observed[metrics[1]]!r} }}\n\n'
        "[calibration.free]\n"
        f'"{ESC_AMB}" = {{ low = 0.05, high = 0.75 }}\n'
        f'"{VISIT_MEAN}" = {{ low = 40, high = 200 }}\n',
        encoding="utf-8",
    )
    out = tmp_path / "results" / "fit"

    proc = _nhsim(
        "calibrate", experiment, "--set", short[0], "-w", "1", "-q", "--out", out, cwd=root
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "converged." in proc.stdout

    with open(out / "parameters.csv", newline="") as f:
        params = {r["parameter"]: r for r in csv.DictReader(f)}
    assert set(params) == set(truth)
    for key, value in truth.items():  # recovered, from the file as written
        assert float(params[key]["ci_low"]) <= value <= float(params[key]["ci_high"]), params[key]
    fitted = {k: float(r["fitted"]) for k, r in params.items()}

    text = (out / "calibrated.toml").read_text(encoding="utf-8")
    extends = [line for line in text.splitlines() if line.startswith("extends")]
    assert extends == [
        f'extends = "{Path(os.path.relpath(town.resolve(), out.resolve())).as_posix()}"'
    ]
    parent = extends[0].split('"')[1]
    assert not Path(parent).is_absolute() and (out / parent).resolve() == town.resolve()

    calibrated = load_scenario(out / "calibrated.toml")
    ucr = calibrated.services["ucr"]
    assert ucr.escalation["ambulance"] == pytest.approx(fitted[ESC_AMB], abs=1e-9)
    assert ucr.visit_minutes.mean == pytest.approx(fitted[VISIT_MEAN], abs=1e-8)
    assert ucr.escalation["ed"] == 0.2 and sum(ucr.escalation.values()) == pytest.approx(1.0)
    assert (
        ucr.visit_minutes.sd == 40.0 and calibrated.run.days == 120
    )  # the rest as it was; --set kept
    # the calibrated scenario gives the model values reported in fit.csv
    with open(out / "fit.csv", newline="") as f:
        fit = {r["target"]: r for r in csv.DictReader(f)}
    without_team = out / "calibrated_cf.toml"  # the calibrated scenario without the team
    without_team.write_text(
        'extends = "calibrated.toml"\nname = "cf"\n[services.ucr]\nstaff = 0\n', encoding="utf-8"
    )
    again = _model_means(out / "calibrated.toml", [], metrics, reps, seed, without_team)
    for m in metrics:
        assert float(fit[m]["observed"]) == pytest.approx(observed[m])
        assert again[m] == pytest.approx(float(fit[m]["model_mean"]), rel=1e-9)
    with open(out / "evaluations.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [ESC_AMB, VISIT_MEAN, *metrics] and len(rows) > 4


def test_a_parameter_the_targets_do_not_move_gets_no_interval_and_a_note(tmp_path: Path) -> None:
    """The visit length does not change the number of referrals: nothing pins it down."""
    referrals = _model_means(REPO_ROOT / TEACHING, ["run.days=60"], ["ucr.referrals"], 2, 42)[
        "ucr.referrals"
    ]
    out = tmp_path / "out"
    proc = _nhsim(
        "calibrate",
        TEACHING,
        "--target",
        f"ucr.referrals={referrals!r}",
        "--free",
        f"{VISIT_MEAN}=40:200",
        "-n",
        "2",
        "-w",
        "1",
        "-q",
        "--set",
        "run.days=60",
        "--out",
        out,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        f"Note: the targets do not move {VISIT_MEAN} near its fitted value, so they do not pin it down "
        "(no interval): add a target it moves, or fix it with --set."
    ) in proc.stdout
    with open(out / "parameters.csv", newline="") as f:
        (row,) = csv.DictReader(f)
    assert row["stderr"] == "nan" and row["ci_low"] == "nan"


def test_an_experiment_takes_its_targets_from_its_calibration_table(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _nhsim(
        "calibrate",
        "experiments/team_up.toml",
        "--target",
        "ucr.seen=1",
        "--out",
        out,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "experiments/team_up.toml: an experiment's [calibration] table gives the targets, free "
        "parameters and counterfactual: drop --target, --free and --counterfactual (or give a "
        "scenario file)\n"
    )
    assert not out.exists()
