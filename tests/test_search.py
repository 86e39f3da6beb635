"""Capacity search (``nhsim search``, ``sim.runs.search.run_search``).

- On an M/M/c queue (a UCR team with Poisson referrals, exponential visits, staff on
  duty around the clock, nobody giving up) the least staff found equals Erlang C's least
  c meeting the 2-hour standard. The standard is chosen so that theory puts the
  probability at c* well above it and at c*-1 well below it, so the simulation's
  one-sided bound decides the same way.
- With two capacities the frontier is a staircase: non-increasing in the second
  capacity, every point meeting the standard (checked from the replications), each
  point's second capacity the least that does.
- A standard no capacity tried meets gives an empty frontier, not an error.
- Bad input (both at_least and at_most, an unknown key or metric, least > most) exits
  with code 2 and a message naming the key, without a traceback.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import write_toml
from scipy import stats

from sim.cli.main import main
from sim.engine.calendar import HOURS_PER_YEAR
from sim.runs.backends import Backend
from sim.runs.experiment_file import load_experiment
from sim.runs.search import run_search
from sim.runs.theory import least_servers, mmc_wait_within
from sim.runs.verify import mmc_scenario
from sim.scenario import load_scenario

STAFF, BEDS = "services.ucr.staff", "services.virtual_ward.beds"

# M/M/c: 3.5 referrals an hour, visits of 60 minutes on average (offered load 3.5 erlangs)
LAM, VISIT_MINUTES, MU = 3.5, 60.0, 1.0
TARGET = 0.85  # at least 85% seen within 2 hours
REPLICATIONS = 8


def mmc_data(staff: int, days: float = 60, warmup_days: float = 10) -> dict:
    """What :func:`sim.runs.verify.mmc_scenario` builds, as a scenario file's contents."""
    return {
        "name": "mmc",
        "run": {"days": days, "warmup_days": warmup_days},
        "population": {"size": 1000},
        "demand": {"referrals": {"to": "ucr", "rate_per_1000": LAM * HOURS_PER_YEAR}},
        "services": {
            "ucr": {
                "kind": "community_response",
                "staff": staff,
                "visit_minutes": {"dist": "exponential", "mean": VISIT_MINUTES},
                "target_hours": 2.0,
            }
        },
    }


def search(exp: Path, out: Path, *extra: str) -> int:
    return main(["search", str(exp), "--out", str(out), "-q", "--no-plots", *extra])


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


@pytest.fixture(scope="module")
def mmc_file(tmp_path_factory) -> Path:
    path = write_toml(tmp_path_factory.mktemp("mmc") / "mmc.toml", mmc_data(staff=4))
    # the file is the M/M/c scenario of sim.runs.verify (24/7 staff, no patience, exponential visits)
    loaded = load_scenario(path).model_dump()
    built = mmc_scenario(LAM, VISIT_MINUTES, 4, days=60, warmup_days=10).model_dump()
    loaded.pop("name"), built.pop("name")
    assert loaded == built
    ucr = load_scenario(path).services["ucr"]
    assert ucr.open_hours == "00-24" and ucr.open_days == "mon-sun" and ucr.patience_hours is None
    return path


# -- one capacity: the least staff of M/M/c ------------------------------------------------------


def test_theory_decides_clearly() -> None:
    """Before simulating: the standard is far from the theoretical values on both sides of c*."""
    c_star = least_servers(LAM, MU, 2.0, TARGET)
    above = mmc_wait_within(LAM, MU, c_star, 2.0) - TARGET
    below = TARGET - mmc_wait_within(LAM, MU, c_star - 1, 2.0)
    assert c_star == 5
    assert above >= 0.1 and below >= 0.1, (above, below)
    assert (
        LAM / (MU * (c_star - 1)) < 1
    )  # c* - 1 is stable too: it fails on waiting, not on overload


def test_search_finds_the_least_staff_of_erlang_c(mmc_file, tmp_path, capsys) -> None:
    c_star = least_servers(LAM, MU, 2.0, TARGET)
    # first, from theory: the standard is far from P(wait <= 2 h) at c* and at c* - 1
    assert mmc_wait_within(LAM, MU, c_star, 2.0) - TARGET >= 0.1
    assert TARGET - mmc_wait_within(LAM, MU, c_star - 1, 2.0) >= 0.1
    exp = write_toml(
        tmp_path / "least.toml",
        {
            "scenario": str(mmc_file),
            "replications": REPLICATIONS,
            "seed": 2024,
            "search": {
                "capacities": {STAFF: [c_star - 2, c_star + 2]},
                "constraints": [{"metric": "ucr.seen_within_target", "at_least": TARGET}],
            },
        },
    )
    out = tmp_path / "out"
    assert search(exp, out) == 0
    printed = capsys.readouterr().out
    assert (
        f"Least {STAFF} meeting ucr.seen_within_target >= 0.85 with 95% confidence: {c_star}"
        in printed
    )
    assert read_rows(out / "frontier.csv") == [{STAFF: str(c_star)}]
    rows = {int(r[STAFF]): r for r in read_rows(out / "search.csv")}
    assert sorted(rows) == list(range(c_star - 2, c_star + 3))  # every value tried
    for c, r in rows.items():
        assert int(r["n"]) == REPLICATIONS
        assert r["standard"] == "ucr.seen_within_target >= 0.85"
        assert (r["holds"] == "True") == (c >= c_star) == (float(r["bound_low"]) >= TARGET)
        assert float(r["bound_low"]) <= float(r["mean"]) <= float(r["bound_high"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["frontier"] == [{STAFF: c_star}]
    assert manifest["evaluations"] == 5


def test_one_sided_bound_is_the_student_t_bound(mmc_file, tmp_path) -> None:
    exp = load_experiment(
        write_toml(
            tmp_path / "least.toml",
            {
                "scenario": str(mmc_file),
                "replications": REPLICATIONS,
                "seed": 2024,
                "search": {
                    "capacities": {STAFF: [4, 5]},
                    "confidence": 0.9,
                    "constraints": [{"metric": "ucr.seen_within_target", "at_least": TARGET}],
                },
            },
        )
    )
    result = run_search(exp, Backend("local", 2))
    assert [e.capacities[STAFF] for e in result.evaluations] == [4, 5]
    for e in result.evaluations:
        values = e.results.values("ucr.seen_within_target")
        n = values.size
        half = stats.t.ppf(0.9, n - 1) * values.std(ddof=1) / math.sqrt(n)  # one-sided, 90%
        mean, low, high = e.bounds["ucr.seen_within_target"]
        assert mean == pytest.approx(values.mean(), rel=1e-12)
        assert low == pytest.approx(values.mean() - half, rel=1e-9)
        assert high == pytest.approx(values.mean() + half, rel=1e-9)
        assert e.holds == (low >= TARGET)
    assert result.frontier == [{STAFF: 5}]


# -- two capacities: a frontier --------------------------------------------------------------------


def network_data() -> dict:
    """UCR (gives up after 1.5 h, to the ED) stepping half its patients up to a virtual ward
    (full: to the ED). ED attendances fall with either more staff or more beds."""
    return {
        "name": "tiny-network",
        "run": {"days": 60, "warmup_days": 10},
        "population": {"size": 1000},
        "demand": {"referrals": {"to": "ucr", "rate_per_1000": 1.0 * HOURS_PER_YEAR}},
        "services": {
            "ucr": {
                "kind": "community_response",
                "staff": 2,
                "visit_minutes": {"dist": "exponential", "mean": 60.0},
                "patience_hours": 1.5,
                "escalation": {"ed": 1.0},
                "after_visit": {"virtual_ward": 0.5, "home": 0.5},
            },
            "virtual_ward": {
                "kind": "virtual_ward",
                "beds": 6,
                "los_days": {"dist": "exponential", "mean": 0.5},
                "when_full": "ed",
                "at_end": {"home": 1.0},
            },
            "ed": {"kind": "outcome"},
        },
    }


STANDARD = 1300.0  # ED attendances a year, at most


@pytest.fixture(scope="module")
def frontier_search(tmp_path_factory):
    d = tmp_path_factory.mktemp("network")
    write_toml(d / "network.toml", network_data())
    exp = load_experiment(
        write_toml(
            d / "frontier.toml",
            {
                "scenario": "network.toml",
                "replications": 6,
                "seed": 11,
                "search": {
                    "capacities": {STAFF: [1, 4], BEDS: [2, 12]},
                    "constraints": [{"metric": "ed.arrivals", "at_most": STANDARD}],
                },
            },
        )
    )
    return exp, run_search(exp, Backend("local", 2))


def upper_bound(values: np.ndarray, confidence: float = 0.95) -> float:
    n = values.size
    return float(values.mean() + stats.t.ppf(confidence, n - 1) * values.std(ddof=1) / math.sqrt(n))


def test_two_capacity_frontier(frontier_search) -> None:
    _exp, result = frontier_search
    frontier = result.frontier
    evaluated = {(e.capacities[STAFF], e.capacities[BEDS]): e for e in result.evaluations}
    assert len(evaluated) == len(result.evaluations)  # no combination run twice
    # the search is not trivial: at least two combinations, trading staff for beds
    assert len(frontier) >= 2
    assert len({f[BEDS] for f in frontier}) >= 2
    xs = [f[STAFF] for f in frontier]
    ys = [f[BEDS] for f in frontier]
    assert xs == sorted(set(xs))
    assert all(b <= a for a, b in itertools.pairwise(ys))  # non-increasing in the second capacity
    for f in frontier:
        x, y = f[STAFF], f[BEDS]
        e = evaluated[(x, y)]
        assert e.holds
        assert e.results.n == 6
        assert upper_bound(e.results.values("ed.arrivals")) <= STANDARD  # meets it, checked here
        if y > 2:  # one bed fewer does not (so y is the least that does)
            below = evaluated[(x, y - 1)]
            assert not below.holds
            assert upper_bound(below.results.values("ed.arrivals")) > STANDARD
    for x in range(1, 5):
        if x not in xs:
            # left off the frontier only if even the most beds are not enough, or if it
            # saves no beds over a smaller staff already on the frontier (dominated)
            smaller = [f[BEDS] for f in frontier if f[STAFF] < x]
            if smaller:
                assert evaluated[(x, min(smaller))].holds
                assert min(smaller) == 2 or not evaluated[(x, min(smaller) - 1)].holds
            else:
                assert not evaluated[(x, 12)].holds
    assert 1 not in xs  # one clinician: too many give up waiting, whatever the beds


def test_frontier_written_by_the_cli(frontier_search, tmp_path) -> None:
    exp, result = frontier_search
    out = tmp_path / "out"
    assert search(Path(exp.path), out, "-w", "1") == 0
    assert read_rows(out / "frontier.csv") == [
        {STAFF: str(f[STAFF]), BEDS: str(f[BEDS])} for f in result.frontier
    ]


# -- an impossible standard ----------------------------------------------------------------------


def test_impossible_standard_gives_no_frontier(mmc_file, tmp_path, capsys) -> None:
    exp = write_toml(
        tmp_path / "impossible.toml",
        {
            "scenario": str(mmc_file),
            "replications": 4,
            "seed": 1,
            "search": {
                "capacities": {STAFF: [4, 6]},
                "constraints": [{"metric": "ucr.seen_within_target", "at_least": 1.01}],
            },
        },
    )
    out = tmp_path / "out"
    assert search(exp, out) == 0
    captured = capsys.readouterr()
    assert "No capacities tried meet ucr.seen_within_target >= 1.01" in captured.out
    assert "Traceback" not in captured.err
    assert (out / "frontier.csv").read_text() == f"{STAFF}\n"
    rows = read_rows(out / "search.csv")
    assert [int(r[STAFF]) for r in rows] == [4, 5, 6]
    assert all(r["holds"] == "False" and r["all_constraints_hold"] == "False" for r in rows)
    assert json.loads((out / "manifest.json").read_text())["frontier"] == []


def test_switched_off_capacity_does_not_meet_the_standard(mmc_file, tmp_path, capsys) -> None:
    """With no staff the standard's metric is undefined (NaN) in every replication: that
    capacity cannot be shown to meet it, and the search goes on (no error)."""
    exp = write_toml(
        tmp_path / "from_zero.toml",
        {
            "scenario": str(mmc_file),
            "replications": 4,
            "seed": 1,
            "search": {
                "capacities": {STAFF: [0, 0]},
                "constraints": [{"metric": "ucr.seen_within_target", "at_least": 0.5}],
            },
        },
    )
    out = tmp_path / "out"
    assert search(exp, out) == 0
    assert "No capacities tried meet" in capsys.readouterr().out
    (row,) = read_rows(out / "search.csv")
    assert row[STAFF] == "0" and row["holds"] == "False" and row["n"] == "4"
    assert math.isnan(float(row["mean"]))


# -- bad input ---------------------------------------------------------------------------------------

BAD = {
    "both-bounds": (
        {
            "capacities": {STAFF: [3, 5]},
            "constraints": [{"metric": "ucr.seen_within_target", "at_least": 0.8, "at_most": 0.9}],
        },
        ["search.constraints[0]", "exactly one of at_least or at_most"],
    ),
    "unknown-key": (
        {
            "capacities": {"services.ucr.staf": [3, 5]},
            "constraints": [{"metric": "ucr.seen_within_target", "at_least": 0.8}],
        },
        ["search.capacities.services.ucr.staf", "not a key of the scenario", "staff"],
    ),
    "unknown-service": (
        {
            "capacities": {"services.urc.staff": [3, 5]},
            "constraints": [{"metric": "ucr.seen_within_target", "at_least": 0.8}],
        },
        ["search.capacities.services.urc.staff", "not a key of the scenario"],
    ),
    "least-above-most": (
        {
            "capacities": {STAFF: [5, 3]},
            "constraints": [{"metric": "ucr.seen_within_target", "at_least": 0.8}],
        },
        ["search", STAFF, "least <= most", "[5, 3]"],
    ),
    "unknown-metric": (
        {
            "capacities": {STAFF: [4, 5]},
            "constraints": [{"metric": "ucr.seen_within_targ", "at_least": 0.8}],
        },
        [
            "search.constraints[0].metric",
            "ucr.seen_within_targ",
            "did you mean 'ucr.seen_within_target'",
        ],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_search_input_exits_2_naming_the_key(mmc_file, tmp_path, capsys, case) -> None:
    table, expected = BAD[case]
    exp = write_toml(
        tmp_path / f"{case}.toml", {"scenario": str(mmc_file), "replications": 2, "search": table}
    )
    out = tmp_path / "out"
    assert search(exp, out) == 2
    err = capsys.readouterr().err
    assert f"{case}.toml" in err
    for text in expected:
        assert text in err, (text, err)
    assert "Traceback" not in err
    assert not out.exists()  # nothing written


def test_experiment_without_search_is_refused(mmc_file, tmp_path, capsys) -> None:
    exp = write_toml(
        tmp_path / "nosearch.toml", {"scenario": str(mmc_file), "vary": {STAFF: [3, 4]}}
    )
    out = tmp_path / "out"
    assert search(exp, out) == 2
    assert "has no [search] table" in capsys.readouterr().err
    assert not out.exists()
