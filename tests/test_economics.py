"""The economics of a comparison: Fieller's interval for a cost per thing avoided, the
verdict, and the package cost from the capacity a change buys."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import REPO_ROOT
from scipy import stats

from sim import load_scenario
from sim.runs.compare import Comparison, compare
from sim.runs.economics import (
    COST_SAVING,
    COSTS_MORE,
    NEUTRAL,
    economics,
    fieller,
    ratio_interval,
)
from sim.runs.replications import Results
from sim.runs.stats import t_interval

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"


def test_a_denominator_that_never_varies_gives_the_numerators_interval_scaled() -> None:
    """With y the same in every replication, mean(x)/y has exactly x's t-interval ÷ y."""
    x = np.random.default_rng(1).normal(500.0, 80.0, size=12)
    y = np.full(12, 4.0)
    est, iv = ratio_interval(x, y), t_interval(x)
    assert est.bounded
    assert est.mean == pytest.approx(iv.mean / 4.0, rel=1e-12)
    assert est.ci_low == pytest.approx(iv.ci_low / 4.0, rel=1e-12)
    assert est.ci_high == pytest.approx(iv.ci_high / 4.0, rel=1e-12)


def test_fieller_agrees_with_a_bootstrap_on_a_well_determined_ratio() -> None:
    """400 paired draws (correlated, denominator far from 0): the percentile bootstrap
    of the ratio of means (20,000 resamples) and Fieller's interval estimate the same
    sampling distribution, so their ends agree to within 3% of the interval's width
    (the t and normal quantiles alone differ by 0.3% at 399 degrees of freedom)."""
    rng = np.random.default_rng(11)
    n = 400
    cov = [[400.0**2, 0.5 * 400 * 3], [0.5 * 400 * 3, 3.0**2]]
    x, y = rng.multivariate_normal([1000.0, 10.0], cov, size=n).T
    est = ratio_interval(x, y)
    idx = rng.integers(0, n, size=(20_000, n))
    low, high = np.quantile(x[idx].mean(axis=1) / y[idx].mean(axis=1), [0.025, 0.975])
    width = est.ci_high - est.ci_low
    assert est.bounded and est.ci_low < est.mean < est.ci_high
    assert abs(est.ci_low - low) < 0.03 * width
    assert abs(est.ci_high - high) < 0.03 * width


def test_the_interval_is_unbounded_exactly_when_the_denominators_interval_includes_0() -> None:
    rng = np.random.default_rng(3)
    for shift in (0.0, 0.2, 0.5, 1.0, 2.0):
        x = rng.normal(100.0, 10.0, size=15)
        y = rng.normal(shift, 1.0, size=15)
        iv = t_interval(y)
        est = ratio_interval(x, y)
        assert est.bounded == (not iv.ci_low <= 0.0 <= iv.ci_high), shift
        if not est.bounded:
            assert (est.ci_low, est.ci_high) == (-math.inf, math.inf)


def test_95_percent_intervals_cover_the_true_ratio_95_percent_of_the_time() -> None:
    """2,000 synthetic data sets of 20 paired replications from a bivariate normal whose
    ratio of means is 12.5 (fixed seed): the share of Fieller intervals that contain it
    lies within the binomial 99% band around 0.95."""
    rng = np.random.default_rng(2024)
    sets, n, ratio = 2000, 20, 12.5
    mean = np.array([125_000.0, 10_000.0])
    sd = np.array([30_000.0, 1_500.0])
    corr = 0.6
    cov = np.array([[sd[0] ** 2, corr * sd[0] * sd[1]], [corr * sd[0] * sd[1], sd[1] ** 2]])
    draws = rng.multivariate_normal(mean, cov, size=(sets, n))
    x, y = draws[..., 0], draws[..., 1]
    c = np.array([np.cov(x[k], y[k], ddof=1) for k in range(sets)])
    t = stats.t.ppf(0.975, n - 1)
    low, high, bounded = fieller(
        x.mean(axis=1), y.mean(axis=1), c[:, 0, 0] / n, c[:, 1, 1] / n, c[:, 0, 1] / n, t
    )
    assert bounded.all()  # the denominator is 30 standard errors from 0
    covered = int(((low <= ratio) & (ratio <= high)).sum())
    lo, hi = stats.binom.ppf([0.005, 0.995], sets, 0.95)
    assert lo <= covered <= hi, covered / sets


def _comparison(cost_cf, cost_sc, adm_cf, adm_sc) -> Comparison:
    scenario = load_scenario(REPO_ROOT / "configs" / "teaching.toml")
    n = len(cost_cf)

    def results(cost, adm, cap):
        reps = [
            {
                "cost.total": c + cap,
                "cost.capacity": cap,
                "cost.activity": c,
                "admissions.total": a,
            }
            for c, a in zip(cost, adm)
        ]
        return Results(scenario, 1, list(range(n)), reps, list(range(n)))

    return Comparison(results(cost_cf, adm_cf, 1000.0), results(cost_sc, adm_sc, 5000.0))


@pytest.mark.parametrize(
    ("saving", "verdict"),
    [(10_000.0, COST_SAVING), (1_000.0, COSTS_MORE), (4_000.0, NEUTRAL)],
)
def test_the_verdict_follows_the_net_costs_interval(saving: float, verdict: str) -> None:
    """The package adds 4,000 a year; activity falls by ``saving`` give or take noise."""
    rng = np.random.default_rng(7)
    cost_cf = rng.normal(100_000.0, 500.0, size=10)
    cost_sc = cost_cf - saving + rng.normal(0.0, 300.0, size=10)
    adm = rng.normal(300.0, 10.0, size=10)
    econ = economics(_comparison(cost_cf, cost_sc, adm, adm - 20.0))
    assert econ is not None
    assert econ.package_cost.mean == econ.package_cost.ci_low == 4000.0
    net = t_interval((cost_sc + 5000.0) - (cost_cf + 1000.0))
    assert econ.net_cost.mean == pytest.approx(net.mean)
    assert (econ.net_cost.ci_low, econ.net_cost.ci_high) == pytest.approx((net.ci_low, net.ci_high))
    assert econ.verdict == verdict
    assert econ.cost_per_admission_avoided.mean == pytest.approx(net.mean / 20.0)
    assert econ.cost_per_conveyance_avoided.is_nan  # no ambulance.conveyances metric


def test_no_costs_no_economics() -> None:
    scenario = load_scenario(REPO_ROOT / "configs" / "teaching.toml", ["run.days=20"])
    assert economics(compare(scenario, scenario, 2, 5, workers=1)) is None


def test_the_package_costs_what_the_added_capacity_holds() -> None:
    """Two more UCR clinicians 8am-8pm and ten more virtual ward beds, priced per WTE and
    per bed day (the neighbourhood's own prices): the package is the price times the
    change in what the services hold."""
    prices = ["costs.capacity.ucr.per_wte_year=52000", "costs.capacity.virtual_ward.per_bed_day=68"]
    short = ["run.days=28", "run.warmup_days=7", *prices]
    cf = load_scenario(NEIGHBOURHOOD, short)
    sc = load_scenario(
        NEIGHBOURHOOD, [*short, "services.ucr.staff=3", "services.virtual_ward.beds=20"]
    )
    comparison = compare(cf, sc, 2, 9, workers=1)
    econ = economics(comparison)
    assert econ is not None
    wte = comparison.scenario.values("ucr.wte") - comparison.counterfactual.values("ucr.wte")
    staffed = 2 * 12 * 28 * (365 / 28)  # two clinicians, 12 hours a day, as a yearly figure
    assert wte == pytest.approx(staffed / (37.5 * 52.14 * 0.8), rel=1e-9)
    assert econ.package_cost.mean == pytest.approx(52000 * wte[0] + 68 * 10 * 365, rel=1e-9)
    assert econ.package_cost.ci_low == pytest.approx(econ.package_cost.mean)
    assert econ.net_cost.mean == pytest.approx(
        econ.package_cost.mean + econ.activity_cost.mean, rel=1e-9
    )
    assert econ.priced == ("home_visiting", "hub", "ucr", "virtual_ward")


def test_compare_writes_the_economics_the_board_paper_shows(tmp_path) -> None:
    """nhsim compare writes economics.csv from economics(); nhsim report shows its rows."""
    import csv

    from conftest import write_toml

    from sim.cli.appraisal import pounds
    from sim.cli.main import main

    out = tmp_path / "out"
    short = {"run": {"days": 60, "warmup_days": 30}}
    cf = write_toml(tmp_path / "cf.toml", {"extends": str(NEIGHBOURHOOD), **short})
    invest = write_toml(
        tmp_path / "sc.toml",
        {"extends": str(REPO_ROOT / "configs" / "neighbourhood_50k_invest.toml"), **short},
    )
    assert (
        main(
            [
                "compare",
                str(cf),
                str(invest),
                "-n",
                "3",
                "--out",
                str(out),
                "-q",
                "--no-plots",
            ]
        )
        == 0
    )
    with open(out / "economics.csv", newline="", encoding="utf-8") as fh:
        rows = {r["figure"]: r for r in csv.DictReader(fh)}
    assert list(rows) == [
        "package_cost",
        "activity_cost",
        "net_cost",
        "cost_per_conveyance_avoided",
        "cost_per_admission_avoided",
        "cost_per_bed_day_avoided",
        "cost_per_visit_avoided",
    ]
    assert {r["verdict"] for r in rows.values()} <= {COST_SAVING, COSTS_MORE, NEUTRAL}
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    package = float(rows["package_cost"]["mean"])
    assert f"£{pounds(package)}" in page
    assert rows["net_cost"]["verdict"] in page
