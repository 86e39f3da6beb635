"""Paired comparisons on common random numbers (``sim.runs.compare`` and ``nhsim compare``).

- Common random numbers make the interval of a difference narrower than comparing
  two independent runs of the same size.
- A scenario compared with itself differs by exactly nothing, metric by metric, also
  with a service switched off.
- ``nhsim compare`` writes comparison.csv (the avoided metrics first), each side's
  tables and a manifest, and its numbers are those of ``sim.runs.compare.compare``.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO_ROOT, write_toml

from sim.cli.main import main
from sim.runs.compare import AVOIDED_METRICS, compare
from sim.scenario import load_scenario

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"
INVEST = REPO_ROOT / "configs" / "neighbourhood_50k_invest.toml"
COLUMNS = [
    "metric",
    "counterfactual_mean",
    "scenario_mean",
    "difference",
    "ci_low",
    "ci_high",
    "pct_change",
]


def same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal replication by replication (NaN, an undefined ratio, equals NaN)."""
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def read_csv(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# -- common random numbers ----------------------------------------------------------------


@pytest.fixture(scope="module")
def invest_comparisons():
    # half a year after the warm-up, to keep the test quick
    cf, sc = load_scenario(NEIGHBOURHOOD, ["run.days=180"]), load_scenario(INVEST, ["run.days=180"])
    paired = compare(cf, sc, 10, 2024, workers=2, paired=True)
    independent = compare(cf, sc, 10, 2024, workers=2, paired=False)
    return paired, independent


@pytest.mark.parametrize("metric", ["ambulance.conveyances", "admissions.total"])
def test_common_random_numbers_narrow_the_interval(invest_comparisons, metric) -> None:
    paired, independent = invest_comparisons
    d_paired, d_indep = paired.difference(metric), independent.difference(metric)
    assert d_paired.n == d_indep.n == 10
    assert d_paired.half_width < d_indep.half_width, (d_paired, d_indep)


def test_paired_and_independent_runs_share_the_counterfactual(invest_comparisons) -> None:
    """Only the scenario's seeds change without pairing: the counterfactual is the same run."""
    paired, independent = invest_comparisons
    assert paired.paired and not independent.paired
    assert paired.counterfactual.seeds == independent.counterfactual.seeds == paired.scenario.seeds
    assert set(independent.scenario.seeds).isdisjoint(independent.counterfactual.seeds)
    assert paired.counterfactual.replications == independent.counterfactual.replications
    # the paired interval is that of the replication-by-replication differences
    m = "ambulance.conveyances"
    diffs = paired.scenario.values(m) - paired.counterfactual.values(m)
    assert paired.difference(m).mean == pytest.approx(float(diffs.mean()), rel=1e-12)
    avoided = paired.avoided(m)
    assert (avoided.mean, avoided.ci_low, avoided.ci_high) == (
        -paired.difference(m).mean,
        -paired.difference(m).ci_high,
        -paired.difference(m).ci_low,
    )


# -- a scenario against itself ----------------------------------------------------------------


@pytest.mark.parametrize("overrides", [[], ["services.ucr.staff=0"]], ids=["as-is", "ucr-off"])
def test_scenario_against_itself_differs_by_exactly_nothing(overrides) -> None:
    # two separate loads: equal scenarios, not the same object
    a = load_scenario(NEIGHBOURHOOD, ["run.days=120", "run.warmup_days=20", *overrides])
    b = load_scenario(NEIGHBOURHOOD, ["run.days=120", "run.warmup_days=20", *overrides])
    comparison = compare(a, b, 4, 11, workers=2)
    rows = comparison.rows()
    assert len(rows) == len(comparison.counterfactual.metric_names()) > 50
    defined = 0
    for row in rows:
        cf, sc = (
            comparison.counterfactual.values(row.metric),
            comparison.scenario.values(row.metric),
        )
        assert same_values(cf, sc), row.metric
        d = row.difference
        if np.isnan(cf).all():  # undefined in every replication (e.g. utilisation of no staff)
            assert d.n == 0 and math.isnan(d.mean)
            continue
        defined += 1
        assert (d.mean, d.ci_low, d.ci_high) == (0.0, 0.0, 0.0), row.metric
        assert row.counterfactual_mean == row.scenario_mean
    assert defined > 50
    values = comparison.counterfactual
    if overrides:  # the service is really off: nobody seen, everybody escalated
        assert values.values("ucr.seen").sum() == 0
        assert values.values("ucr.escalated").sum() > 0
    else:
        assert values.values("ucr.seen").sum() > 0


# -- the command line ----------------------------------------------------------------------------

SHORT = {"run": {"days": 120, "warmup_days": 30}}


@pytest.fixture(scope="module")
def short_files(tmp_path_factory):
    """The neighbourhood and its investment, shortened to 120 days (to keep the tests quick)."""
    d = tmp_path_factory.mktemp("scenarios")
    cf = write_toml(d / "cf.toml", {"extends": str(NEIGHBOURHOOD), **SHORT})
    sc = write_toml(d / "sc.toml", {"extends": str(INVEST), **SHORT})
    return cf, sc


@pytest.fixture(scope="module")
def cli_comparison(tmp_path_factory, short_files):
    cf, sc = short_files
    out = tmp_path_factory.mktemp("compare") / "out"
    code = main(["compare", str(cf), str(sc), "-n", "4", "--out", str(out), "-q", "--no-plots"])
    assert code == 0
    return out


def test_cli_compare_writes_its_tables(cli_comparison) -> None:
    out = cli_comparison
    with open(out / "comparison.csv", newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == COLUMNS
    rows = read_csv(out / "comparison.csv")
    metrics = [r["metric"] for r in rows]
    assert len(metrics) == len(set(metrics)) > 50
    avoided_present = [m for m in AVOIDED_METRICS if m in metrics]
    assert avoided_present[:4] == [
        "ambulance.conveyances",
        "admissions.total",
        "admissions.short_stay",
        "acute.bed_days",
    ]
    assert (
        metrics[: len(avoided_present)] == avoided_present
    )  # the avoided metrics come first, in order
    for side in ("counterfactual", "scenario"):
        for name in ("scenario.json", "replications.csv", "summary.csv"):
            assert (out / side / name).is_file(), f"{side}/{name}"
        assert len(read_csv(out / side / "replications.csv")) == 4
    assert (
        json.loads((out / "counterfactual" / "scenario.json").read_text())["services"]["ucr"][
            "staff"
        ]
        == 1
    )
    assert (
        json.loads((out / "scenario" / "scenario.json").read_text())["services"]["ucr"]["staff"]
        == 3
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == 4
    assert manifest["paired"] is True
    assert manifest["counterfactual"] == "neighbourhood_50k"
    assert manifest["scenario"] == "neighbourhood_50k_invest"
    assert not (out / "plots").exists()  # --no-plots


def test_cli_difference_is_scenario_minus_counterfactual(cli_comparison) -> None:
    rows = read_csv(cli_comparison / "comparison.csv")
    checked = 0
    for r in rows:
        cf, sc, d = (
            float(r["counterfactual_mean"]),
            float(r["scenario_mean"]),
            float(r["difference"]),
        )
        lo, hi = float(r["ci_low"]), float(r["ci_high"])
        if math.isnan(d):
            continue
        checked += 1
        # mean of the differences against difference of the means: equal up to rounding
        assert d == pytest.approx(sc - cf, rel=1e-9, abs=1e-9), r["metric"]
        assert lo <= d <= hi, r["metric"]
        if cf != 0:
            assert float(r["pct_change"]) == pytest.approx(100 * d / cf, rel=1e-9)
    assert checked == len(rows)
    conveyances = next(r for r in rows if r["metric"] == "ambulance.conveyances")
    assert float(conveyances["difference"]) < 0  # more community capacity: fewer conveyances


def test_cli_numbers_equal_the_library(cli_comparison, short_files) -> None:
    cf, sc = load_scenario(short_files[0]), load_scenario(short_files[1])
    assert cf.run.days == 120 and sc.services["ucr"].staff == 3
    comparison = compare(cf, sc, 4, sc.run.seed, workers=1)
    want = {r.metric: r for r in comparison.rows()}
    rows = read_csv(cli_comparison / "comparison.csv")
    assert {r["metric"] for r in rows} == set(want)
    for r in rows:
        w = want[r["metric"]]
        got = [float(r[c]) for c in COLUMNS[1:]]
        exp = [
            w.counterfactual_mean,
            w.scenario_mean,
            w.difference.mean,
            w.difference.ci_low,
            w.difference.ci_high,
            w.pct_change,
        ]
        assert all(g == e or (math.isnan(g) and math.isnan(e)) for g, e in zip(got, exp)), r[
            "metric"
        ]


def test_cli_compare_with_set_and_no_second_file(tmp_path, short_files) -> None:
    """Through the real command (a subprocess), not only ``main``."""
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "compare",
            str(short_files[0]),
            "--set",
            "services.ucr.staff=3",
            "-n",
            "4",
            "--seed",
            "5",
            "--out",
            str(out),
            "-q",
            "--no-plots",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"Results written to {out}/" in proc.stdout
    assert (
        json.loads((out / "counterfactual" / "scenario.json").read_text())["services"]["ucr"][
            "staff"
        ]
        == 1
    )
    variant = json.loads((out / "scenario" / "scenario.json").read_text())
    assert variant["services"]["ucr"]["staff"] == 3
    assert variant["services"]["virtual_ward"]["beds"] == 10  # only the --set change
    cf = load_scenario(short_files[0])
    comparison = compare(
        cf, load_scenario(short_files[0], ["services.ucr.staff=3"]), 4, 5, workers=1
    )
    want = {r.metric: r for r in comparison.rows()}
    rows = read_csv(out / "comparison.csv")
    assert [r["metric"] for r in rows][:2] == ["ambulance.conveyances", "admissions.total"]
    for r in rows:
        d = float(r["difference"])
        assert d == want[r["metric"]].difference.mean or (
            math.isnan(d) and math.isnan(want[r["metric"]].difference.mean)
        )
    seen = next(r for r in rows if r["metric"] == "ucr.seen")
    assert float(seen["difference"]) > 0  # three clinicians see more referrals than one


def test_cli_compare_without_scenario_or_set_is_refused(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert (
        main(["compare", str(NEIGHBOURHOOD), "-n", "2", "--out", str(out), "-q", "--no-plots"]) == 2
    )
    assert "--set" in capsys.readouterr().err
    assert not out.exists()


def test_cli_compare_refuses_an_occupied_out_dir(cli_comparison, short_files, capsys) -> None:
    before = (cli_comparison / "comparison.csv").read_bytes()
    code = main(
        [
            "compare",
            str(short_files[0]),
            str(short_files[1]),
            "-n",
            "2",
            "--out",
            str(cli_comparison),
            "-q",
            "--no-plots",
        ]
    )
    assert code == 2
    assert "already exists" in capsys.readouterr().err
    assert (cli_comparison / "comparison.csv").read_bytes() == before
