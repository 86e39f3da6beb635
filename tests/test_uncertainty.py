"""``nhsim uncertainty``: inputs validated, designs drawn, results that can be checked.

- A team whose utilisation is known in closed form (offered load / clinicians) with two
  uncertain inputs, the demand and the visit length: the Sobol indices of utilisation
  recovered within their intervals, from a metamodel and from a Saltelli design.
- An input of zero range reproduces ``nhsim compare`` exactly: every set's replications
  are the comparison's, and ``base/comparison.csv`` is the file ``nhsim compare`` writes.
- Bad input exits with code 2 and the message naming the file and the experiment's key,
  with nothing written; a folder of another experiment, or a complete one without
  ``--resume``, is refused.
- The shipped uncertainty experiments run end to end (shortened) and write their tables
  and figures.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import REPO_ROOT, write_toml

from sim.cli.main import main
from sim.engine.calendar import HOURS_PER_YEAR
from sim.output.results import comparison_csv
from sim.runs.compare import compare
from sim.runs.experiment_file import load_experiment
from sim.runs.uncertainty import BASE, plan
from sim.runs.uncertainty_design import parameter_sets, resolve_inputs
from sim.scenario import load_scenario
from sim.scenario.loader import display_path
from sim.scenario.uncertain import (
    UncertainBeta,
    UncertainDirichlet,
    UncertainGamma,
    UncertainLognormal,
    UncertainTriangular,
)

CONFIGS = REPO_ROOT / "configs"
SHORT = ["run.days=30", "run.warmup_days=5"]


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def neighbourhood(tmp_path: Path, uncertainty: dict[str, Any], **extra: Any) -> Path:
    data: dict[str, Any] = {
        "name": "u",
        "scenario": str(CONFIGS / "neighbourhood_50k_invest.toml"),
        "counterfactual": str(CONFIGS / "neighbourhood_50k.toml"),
        "set": SHORT,
        "replications": 3,
        "seed": 11,
        "sampling": {"sets": 8, "base_replications": 3, "bootstrap": 100},
        "uncertainty": uncertainty,
    }
    data.update(extra)
    data = {k: v for k, v in data.items() if v is not None}  # None: left out
    return write_toml(tmp_path / "u.toml", data)


# --------------------------------------------------------------------------- the inputs


def test_inverse_distributions_match_their_definitions() -> None:
    from scipy import stats

    tri = UncertainTriangular(dist="triangular", low=2, mode=4, high=8, source="a")
    for p in (0.1, 0.5, 0.9):
        assert tri.value([p]) == pytest.approx(stats.triang(1 / 3, loc=2, scale=6).ppf(p))
    beta = UncertainBeta.model_validate({"dist": "beta", "mean": 0.7, "sd": 0.08, "source": "a"})
    a, b = beta.shapes() or (0, 0)
    assert stats.beta(a, b).mean() == pytest.approx(0.7)
    assert stats.beta(a, b).std() == pytest.approx(0.08)
    logn = UncertainLognormal.model_validate(
        {"dist": "lognormal", "mean": 6, "sd": 3, "source": "a"}
    )
    gam = UncertainGamma.model_validate({"dist": "gamma", "mean": 6, "sd": 3, "source": "a"})
    u = (np.arange(4000) + 0.5) / 4000
    for dist in (logn, gam):
        values = np.array([dist.value([p]) for p in u])
        assert values.mean() == pytest.approx(6, rel=0.01)
        assert values.std() == pytest.approx(3, rel=0.05)
    assert UncertainTriangular(dist="triangular", low=3, mode=3, high=3, source="a").fixed


def test_dirichlet_shares_sum_to_one_around_their_means() -> None:
    d = UncertainDirichlet.model_validate(
        {
            "dist": "dirichlet",
            "mean": {"a": 0.5, "b": 0.3, "c": 0.2},
            "concentration": 30,
            "source": "x",
        }
    )
    rng = np.random.default_rng(4)
    draws = [d.value(rng.random(3)) for _ in range(3000)]
    assert all(sum(v.values()) == pytest.approx(1.0) for v in draws)
    for k, m in (("a", 0.5), ("b", 0.3), ("c", 0.2)):
        shares = np.array([v[k] for v in draws])
        sd = math.sqrt(m * (1 - m) / 31)  # Dirichlet: Var = m(1 - m) / (concentration + 1)
        assert shares.mean() == pytest.approx(m, abs=4 * sd / math.sqrt(len(draws)))
        assert shares.std() == pytest.approx(sd, rel=0.1)


def test_parameter_sets_set_splits_and_shared_keys(tmp_path: Path) -> None:
    exp = load_experiment(
        neighbourhood(
            tmp_path,
            {
                "services.ambulance.on_scene_by_cohort.mild.call_before_convey": {
                    "dist": "uniform",
                    "low": 0.05,
                    "high": 0.2,
                    "rest": "convey",
                    "also": ["services.ambulance.on_scene_by_cohort.severe.call_before_convey"],
                    "source": "assumption",
                },
                "services.hub.destinations": {
                    "dist": "dirichlet",
                    "mean": {"ucr": 0.45, "virtual_ward": 0.2, "reablement": 0.05, "home": 0.3},
                    "concentration": 40,
                    "source": "assumption",
                },
                "services.virtual_ward.beds": {
                    "dist": "uniform",
                    "low": 5,
                    "high": 9,
                    "source": "a whole number: rounded",
                },
            },
            counterfactual=None,
            scenario=str(CONFIGS / "neighbourhood_50k.toml"),
        )
    )
    the_plan = plan(exp)
    assert len(the_plan.sets) == 8
    for pset in the_plan.sets:
        sc = the_plan.scenarios[(pset.index, "scenario")]
        share = pset.values["services.ambulance.on_scene_by_cohort.mild.call_before_convey"]
        cohorts = sc.services["ambulance"].on_scene_by_cohort
        for c in ("mild", "severe"):
            assert cohorts[c]["call_before_convey"] == share
            assert sum(cohorts[c].values()) == pytest.approx(1.0)
        assert cohorts["moderate"]["call_before_convey"] == 0.12  # not named: unchanged
        assert sc.services["hub"].destinations == pytest.approx(
            pset.values["services.hub.destinations"]
        )
        beds = pset.values["services.virtual_ward.beds"]
        assert isinstance(beds, int) and 5 <= beds <= 9 and sc.services["virtual_ward"].beds == beds
    assert len({p.values["services.hub.destinations"]["ucr"] for p in the_plan.sets}) == 8


def test_designs_are_nested_and_saltelli_sets_differ_in_one_input(tmp_path: Path) -> None:
    unc = {
        "services.ucr.patience_hours": {"dist": "uniform", "low": 2, "high": 8, "source": "a"},
        "services.hub.accept_probability": {
            "dist": "uniform",
            "low": 0.5,
            "high": 0.8,
            "source": "a",
        },
    }
    small = load_experiment(neighbourhood(tmp_path, unc))
    big = load_experiment(
        neighbourhood(tmp_path, unc, sampling={"sets": 32, "base_replications": 3})
    )
    first = parameter_sets(small, resolve_inputs(small))
    more = parameter_sets(big, resolve_inputs(big))
    assert [p.values for p in first] == [p.values for p in more[:8]]  # Sobol points are nested
    salt = load_experiment(
        neighbourhood(
            tmp_path, unc, sampling={"method": "saltelli", "sets": 8, "base_replications": 3}
        )
    )
    sets = parameter_sets(salt, resolve_inputs(salt))
    assert len(sets) == 8 * (2 + 2) and [p.role for p in sets[:4]] == ["A", "B", "AB", "AB"]
    a, b = sets[0].values, sets[1].values
    for ab in sets[2:4]:
        assert ab.values[ab.swapped] == b[ab.swapped]
        other = next(k for k in a if k != ab.swapped)
        assert ab.values[other] == a[other]


# --------------------------------------------------------------------------- a known answer


def team(tmp_path: Path) -> Path:
    """A UCR team open around the clock with exponential visits and no escalation: its
    utilisation is the offered load over the clinicians, λ m / (60 c)."""
    return write_toml(
        tmp_path / "team.toml",
        {
            "run": {"days": 60, "warmup_days": 3},
            "population": {"size": 1000},
            "demand": {"referrals": {"to": "ucr", "rate_per_1000": 1.5 * HOURS_PER_YEAR}},
            "services": {
                "ucr": {
                    "kind": "community_response",
                    "staff": 3,
                    "visit_minutes": {"dist": "exponential", "mean": 40.0},
                    "target_hours": 2.0,
                }
            },
        },
    )


# utilisation = X1 X2 / 180 with X1 = referrals an hour ~ U(1, 2), X2 = visit minutes ~ U(30, 45)
_V1 = (1 / 12) * 37.5**2
_V2 = (225 / 12) * 1.5**2
_V12 = (1 / 12) * (225 / 12)
_V = _V1 + _V2 + _V12
KNOWN_FIRST = {
    "demand.referrals.rate_per_1000": _V1 / _V,
    "services.ucr.visit_minutes.mean": _V2 / _V,
}
KNOWN_TOTAL = {
    "demand.referrals.rate_per_1000": (_V1 + _V12) / _V,
    "services.ucr.visit_minutes.mean": (_V2 + _V12) / _V,
}


@pytest.mark.parametrize(
    ("method", "sets"), [("sobol", 64), ("saltelli", 32)], ids=["metamodel", "saltelli"]
)
def test_indices_of_a_team_whose_utilisation_is_known(
    tmp_path: Path, method: str, sets: int
) -> None:
    exp = write_toml(
        tmp_path / "known.toml",
        {
            "scenario": str(team(tmp_path)),
            "replications": 2,
            "seed": 5,
            "report": ["ucr.utilisation"],
            "sampling": {"method": method, "sets": sets, "base_replications": 2, "bootstrap": 500},
            "uncertainty": {
                "demand.referrals.rate_per_1000": {
                    "dist": "uniform",
                    "low": HOURS_PER_YEAR,
                    "high": 2 * HOURS_PER_YEAR,
                    "source": "test",
                },
                "services.ucr.visit_minutes.mean": {
                    "dist": "uniform",
                    "low": 30,
                    "high": 45,
                    "source": "test",
                },
            },
        },
    )
    out = tmp_path / "out"
    assert main(["uncertainty", str(exp), "--out", str(out), "-q", "-w", "2", "--no-plots"]) == 0
    found = {r["input"]: r for r in rows(out / "indices.csv") if r["metric"] == "ucr.utilisation"}
    for key, first in KNOWN_FIRST.items():
        r = found[key]
        assert float(r["first_low"]) <= first <= float(r["first_high"]), (key, r)
        assert float(r["total_low"]) <= KNOWN_TOTAL[key] <= float(r["total_high"]), (key, r)
        assert r["method"] == ("saltelli" if method == "saltelli" else "metamodel")
    # the mean utilisation over the inputs' distributions: E[X1] E[X2] / 180 = 0.3125
    util = next(r for r in rows(out / "uncertainty.csv") if r["metric"] == "ucr.utilisation")
    sd, n = float(util["sd"]), int(util["sets"])
    assert abs(float(util["mean"]) - 1.5 * 37.5 / 180) < 4 * sd / math.sqrt(n)
    assert float(util["parameter_share"]) > 0.95  # a year's utilisation hardly varies by seed


# --------------------------------------------------------------------------- compare


def test_an_input_of_zero_range_reproduces_compare(tmp_path: Path) -> None:
    exp = neighbourhood(
        tmp_path,
        {
            "services.ucr.patience_hours": {
                "dist": "uniform",
                "low": 4.0,
                "high": 4.0,
                "source": "a",
            }
        },
    )
    out = tmp_path / "out"
    assert main(["uncertainty", str(exp), "--out", str(out), "-q", "-w", "2", "--no-plots"]) == 0
    cf = load_scenario(CONFIGS / "neighbourhood_50k.toml", SHORT)
    sc = load_scenario(CONFIGS / "neighbourhood_50k_invest.toml", SHORT)
    comparison = compare(cf, sc, 3, 11, workers=2)
    assert (out / "base" / "comparison.csv").read_text() == comparison_csv(comparison)
    for i in range(8):
        record = json.loads((out / "sets" / f"set-{i:04d}.json").read_text())
        assert record["replications"]["counterfactual"] == comparison.counterfactual.replications
        assert record["replications"]["scenario"] == comparison.scenario.replications
    table = {r["metric"]: r for r in rows(out / "uncertainty.csv")}
    for m in ("ambulance.conveyances", "admissions.total"):
        r, iv = table[f"avoided.{m}"], comparison.avoided(m)
        assert float(r["mean"]) == pytest.approx(iv.mean, rel=1e-12)
        assert float(r["base_mean"]) == pytest.approx(iv.mean, rel=1e-12)
        assert (float(r["base_ci_low"]), float(r["base_ci_high"])) == pytest.approx(
            (iv.ci_low, iv.ci_high)
        )
        assert float(r["ui_low"]) == pytest.approx(float(r["ui_high"]))  # every set the same
        assert r["parameter_share"] == ""  # no spread to share out


# --------------------------------------------------------------------------- bad input

BAD = {
    "unknown key": (
        {"services.ucr.patience_hour": {"dist": "uniform", "low": 2, "high": 8, "source": "a"}},
        "uncertainty.services.ucr.patience_hour: not a key of the scenario: unknown key; did you mean 'patience_hours'?",
    ),
    "bad parameters": (
        {
            "services.ucr.patience_hours": {
                "dist": "triangular",
                "low": 5,
                "mode": 4,
                "high": 8,
                "source": "a",
            }
        },
        "uncertainty.services.ucr.patience_hours: needs low <= mode <= high, got low=5, mode=4, high=8",
    ),
    "beta too wide": (
        {
            "services.hub.accept_probability": {
                "dist": "beta",
                "mean": 0.7,
                "sd": 0.5,
                "source": "a",
            }
        },
        "uncertainty.services.hub.accept_probability: needs sd < sqrt(mean × (1 - mean)) = 0.4583 for a beta distribution, got mean=0.7, sd=0.5",
    ),
    "unknown distribution": (
        {"services.hub.accept_probability": {"dist": "normal", "mean": 0.7, "source": "a"}},
        "uncertainty.services.hub.accept_probability: unknown distribution 'normal'; choose one of: uniform, triangular, beta, lognormal, gamma, dirichlet",
    ),
    "no source": (
        {"services.hub.accept_probability": {"dist": "uniform", "low": 0.5, "high": 0.8}},
        'uncertainty.services.hub.accept_probability: needs a source: where the range comes from (a publication, local data, or "assumption")',
    ),
    "not a number": (
        {"services.ucr.open_hours": {"dist": "uniform", "low": 1, "high": 2, "source": "a"}},
        "uncertainty.services.ucr.open_hours: holds '08-20', not a number: only a number (or a split, with a dirichlet) can be uncertain",
    ),
    "a distribution table": (
        {"services.ucr.visit_minutes": {"dist": "uniform", "low": 50, "high": 80, "source": "a"}},
        "uncertainty.services.ucr.visit_minutes: holds a distribution table: make one of its parameters uncertain, e.g. services.ucr.visit_minutes.mean",
    ),
    "defines the option": (
        {"services.ucr.staff": {"dist": "uniform", "low": 1, "high": 3, "source": "a"}},
        "uncertainty.services.ucr.staff: the scenario (3) and the counterfactual (1) differ at services.ucr.staff: a key that defines an option cannot be an uncertain fact about the place",
    ),
    "beyond the key's bounds": (
        {
            "services.hub.accept_probability": {
                "dist": "uniform",
                "low": 0.5,
                "high": 1.2,
                "source": "a",
            }
        },
        "uncertainty.services.hub.accept_probability: the distribution's largest value, 1.2, is not allowed here: must be <= 1, got 1.2",
    ),
    "a split without rest": (
        {
            "services.ucr.after_visit.ed": {
                "dist": "uniform",
                "low": 0.5,
                "high": 0.9,
                "source": "a",
            }
        },
        'uncertainty.services.ucr.after_visit.ed: the distribution\'s smallest value, 0.5, is not allowed here: must sum to 1, got 1.3 (home=0.63, virtual_ward=0.12, reablement=0.05, ed=0.5); name the share that takes the rest of the split, e.g. rest = "home"',
    ),
    "rest not a share": (
        {
            "services.ucr.after_visit.ed": {
                "dist": "uniform",
                "low": 0.1,
                "high": 0.3,
                "rest": "nowhere",
                "source": "a",
            }
        },
        "uncertainty.services.ucr.after_visit.ed.rest: 'nowhere' is not a share of services.ucr.after_visit; its other shares: home, virtual_ward, reablement",
    ),
    "dirichlet shares": (
        {
            "services.hub.destinations": {
                "dist": "dirichlet",
                "alpha": {"ucr": 1.0, "home": 2.0},
                "source": "a",
            }
        },
        "uncertainty.services.hub.destinations: the dirichlet's shares (ucr, home) must be the split's destinations (ucr, virtual_ward, reablement, home)",
    ),
    "also misspelt": (
        {
            "services.ucr.patience_hours": {
                "dist": "uniform",
                "low": 2,
                "high": 8,
                "source": "a",
                "also": ["services.ucr.patiense"],
            }
        },
        "uncertainty.services.ucr.patience_hours.also: 'services.ucr.patiense': not a key of the scenario: unknown key; did you mean 'patience_hours'?",
    ),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_inputs_are_named_and_nothing_is_written(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unc, message = BAD[case]
    exp = neighbourhood(tmp_path, unc)
    out = tmp_path / "out"
    assert main(["uncertainty", str(exp), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"{display_path(exp)}: {message}" in err.splitlines(), err
    assert "Traceback" not in err
    assert not out.exists()


def test_a_design_that_is_not_balanced_and_no_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unc = {"services.ucr.patience_hours": {"dist": "uniform", "low": 2, "high": 8, "source": "a"}}
    exp = neighbourhood(tmp_path, unc, sampling={"sets": 100})
    assert main(["uncertainty", str(exp), "--out", str(tmp_path / "o"), "-q"]) == 2
    assert (
        f"{display_path(exp)}: sampling.sets: a sobol design needs a power of 2 (e.g. 64 or 128), got 100; "
        'or use method = "latin_hypercube"'
    ) in capsys.readouterr().err
    exp = neighbourhood(tmp_path, {})
    assert main(["uncertainty", str(exp), "--out", str(tmp_path / "o"), "-q"]) == 2
    assert f"{display_path(exp)}: uncertainty: is required" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_folder_of_another_experiment_or_complete_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unc = {"services.ucr.patience_hours": {"dist": "uniform", "low": 2, "high": 8, "source": "a"}}
    exp = neighbourhood(tmp_path, unc, replications=1, sampling={"sets": 8, "base_replications": 2})
    out = tmp_path / "out"
    args = ["uncertainty", str(exp), "--out", str(out), "-q", "-w", "2", "--no-plots"]
    assert main(args) == 0
    before = (out / "uncertainty.csv").read_bytes()
    assert main(args) == 2
    assert "already holds this experiment: use --resume" in capsys.readouterr().err
    # a complete folder with --resume: read again (another willingness to pay is allowed)
    assert main([*args, "--resume", "--willingness-to-pay", "2500"]) == 0
    assert (out / "uncertainty.csv").read_bytes() == before
    assert json.loads((out / "manifest.json").read_text())["sets_run_now"] == []
    assert {float(r["willingness_to_pay"]) for r in rows(out / "evppi.csv")} == {2500.0}
    other = neighbourhood(
        tmp_path, unc, replications=1, seed=12, sampling={"sets": 8, "base_replications": 2}
    )
    assert main(["uncertainty", str(other), "--out", str(out), "-q", "--resume"]) == 2
    assert "holds another experiment's results" in capsys.readouterr().err


# --------------------------------------------------------------------------- shipped

SHIPPED = sorted(
    p
    for p in (REPO_ROOT / "experiments").glob("*.toml")
    if "uncertainty" in tomllib.loads(p.read_text(encoding="utf-8"))
)


def test_the_neighbourhood_team_up_and_place_have_uncertainty_experiments() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"neighbourhood_uncertainty", "place_uncertainty", "team_up_uncertainty"} <= names
    exp = load_experiment(REPO_ROOT / "experiments" / "neighbourhood_uncertainty.toml")
    assert exp.scenario_path().name == "neighbourhood_50k_invest.toml"
    assert exp.counterfactual_path() is not None
    assert exp.counterfactual_path().name == "neighbourhood_50k.toml"  # the make run comparison
    for p in SHIPPED:
        for key, spec in load_experiment(p).uncertainty.items():
            assert spec.source.strip(), f"{p.name}: {key} gives no source"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_uncertainty_experiment_runs_end_to_end(path: Path, tmp_path: Path) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for key in ("scenario", "counterfactual"):
        if key in data:
            data[key] = str((path.parent / data[key]).resolve())
    data["set"] = [*data.get("set", []), *SHORT]
    data["replications"] = 2
    data["sampling"] = {
        **data.get("sampling", {}),
        "sets": 8,
        "base_replications": 2,
        "bootstrap": 100,
    }
    short = write_toml(tmp_path / path.name, data)
    out = tmp_path / "out"
    assert main(["uncertainty", str(short), "--out", str(out), "-q", "-w", "2"]) == 0
    exp = load_experiment(short)
    table = rows(out / "uncertainty.csv")
    assert {r["metric"] for r in table} >= set(exp.report)
    assert all(int(r["sets"]) <= 8 for r in table)
    assert len(rows(out / "sets.csv")) == 8
    assert len(rows(out / "inputs.csv")) == len(exp.uncertainty)
    indexed = {(r["metric"], r["input"]) for r in rows(out / "indices.csv")}
    assert indexed >= {(m, k) for m in exp.report for k in exp.uncertainty}
    pngs = sorted(p.stem for p in (out / "plots").glob("*.png"))
    assert "intervals" in pngs
    assert pngs == sorted(p.stem for p in (out / "plots").glob("*.svg"))
    assert (out / "base" / "comparison.csv").exists() == bool(exp.counterfactual)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sets_completed"] == 8 and manifest["failed_sets"] == []
    assert BASE == -1


def test_the_ranked_indices_replace_the_tornado_of_a_sweep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A one-at-a-time sweep of an experiment with an [uncertainty] table draws no tornado."""
    unc = {"services.ucr.patience_hours": {"dist": "uniform", "low": 2, "high": 8, "source": "a"}}
    exp = neighbourhood(
        tmp_path,
        unc,
        replications=1,
        report=["admissions.total"],
        design={"kind": "one_at_a_time"},
        vary={"services.hub.max_wait_minutes": [15.0, 20.0, 30.0]},
        counterfactual=None,
    )
    out = tmp_path / "sweep"
    assert main(["sweep", str(exp), "--out", str(out), "-q", "-w", "2"]) == 0
    assert not list((out / "plots").glob("tornado_*"))  # none drawn (a missing folder globs empty)
    assert (
        "no tornado charts: this experiment has an [uncertainty] table" in capsys.readouterr().err
    )


@pytest.mark.parametrize("value", ["-5", "lots", "nan", "2e7"])
def test_a_bad_willingness_to_pay_is_refused(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["uncertainty", "x.toml", "--willingness-to-pay", value, "--out", str(tmp_path / "o")])
    assert stop.value.code == 2
    assert "--willingness-to-pay" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
