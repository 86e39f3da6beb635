"""Reproducibility and common random numbers.

- The same seed gives the same replications, whatever the number of workers, and
  replication r does not depend on how many replications were asked for.
- ``nhsim run`` twice gives byte-identical results files.
- Common random numbers: changing one team's capacity leaves every referral's
  arrival time, visit length and routes unchanged; adding an unrelated demand source
  and service leaves the first team's whole history unchanged.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.engine import run_replication
from sim.engine.streams import Streams, replication_seeds
from sim.runs.replications import run
from sim.scenario import load_scenario, scenario_from_dict

REPO_ROOT = Path(__file__).resolve().parent.parent
TEACHING = REPO_ROOT / "configs" / "teaching.toml"


def same(a: list[dict[str, float]], b: list[dict[str, float]]) -> bool:
    """Replications equal value for value (NaN, for an undefined ratio, equals NaN)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if list(x) != list(y):
            return False
        for k in x:
            if not (x[k] == y[k] or (math.isnan(x[k]) and math.isnan(y[k]))):
                return False
    return True


@pytest.fixture(scope="module")
def short_teaching():
    return load_scenario(TEACHING, ["run.days=120", "run.warmup_days=7"])


# -- replications -------------------------------------------------------------------------


def test_same_seed_same_replications(short_teaching) -> None:
    a = run(short_teaching, 4, 11, workers=1)
    b = run(short_teaching, 4, 11, workers=1)
    assert a.seeds == b.seeds
    assert same(a.replications, b.replications)
    c = run(short_teaching, 4, 12, workers=1)
    assert not same(a.replications, c.replications)  # the comparison can fail
    assert len({r["ucr.referrals"] for r in a.replications}) > 1  # replications differ


def test_workers_do_not_change_results(short_teaching) -> None:
    one = run(short_teaching, 6, 5, workers=1)
    two = run(short_teaching, 6, 5, workers=2)
    assert one.seeds == two.seeds
    assert one.indices == two.indices == list(range(6))
    assert same(one.replications, two.replications)


def test_replication_r_does_not_depend_on_how_many(short_teaching) -> None:
    few = run(short_teaching, 2, 3, workers=1)
    many = run(short_teaching, 5, 3, workers=1)
    assert same(few.replications, many.replications[:2])


@pytest.mark.parametrize("seed", [0, 7, 2024, 2**40 + 3])
def test_replication_seeds_prefix_property(seed: int) -> None:
    long = replication_seeds(seed, 50)
    for n in (1, 2, 7, 49):
        assert replication_seeds(seed, n) == long[:n]
    assert len(set(long)) == 50
    assert replication_seeds(seed, 5) == replication_seeds(seed, 5)
    assert replication_seeds(seed + 1, 5) != long[:5]


def test_named_streams_do_not_depend_on_order() -> None:
    first = Streams(42)
    a1 = first.generator("demand.x.arrivals").random(5)
    b1 = first.generator("ucr.visit").random(5)
    second = Streams(42)
    b2 = second.generator("ucr.visit").random(5)
    a2 = second.generator("demand.x.arrivals").random(5)
    assert np.array_equal(a1, a2) and np.array_equal(b1, b2)
    assert not np.array_equal(a1, b1)
    assert not np.array_equal(Streams(43).generator("ucr.visit").random(5), b1)
    assert first.generator("ucr.visit") is first.generator("ucr.visit")


def test_block_sampler_hands_out_the_block_draws_in_order() -> None:
    streams = Streams(9)
    sampler = streams.sampler("s", lambda rng, n: rng.exponential(60.0, n), 1.0 / 60.0)
    got = np.array([sampler() for _ in range(10_000)])  # crosses block boundaries
    again = Streams(9).generator("s")
    blocks = []
    while sum(b.size for b in blocks) < got.size:
        blocks.append(again.exponential(60.0, 4096) / 60.0)
    np.testing.assert_allclose(got, np.concatenate(blocks)[: got.size], rtol=1e-15)


# -- the command line -----------------------------------------------------------------------


def _cli(out: Path, *extra: str) -> None:
    cmd = [
        sys.executable,
        "-m",
        "sim",
        "run",
        "configs/teaching.toml",
        "-n",
        "4",
        "--seed",
        "7",
        "--out",
        str(out),
        "-q",
        *extra,
    ]
    done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


FILES = ("replications.csv", "summary.csv", "scenario.json")


def _manifest(path: Path, *ignore: str) -> dict:
    data = json.loads((path / "manifest.json").read_text())
    for key in ("started", "finished", *ignore):
        assert key in data
        data.pop(key)
    return data


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """Four CLI runs: two identical (default workers), then --workers 1 and --workers 2.

    The identical pair write to the same --out path (the first is moved away before the
    second), so even the command recorded in the manifest is the same."""
    root = tmp_path_factory.mktemp("cli")
    out = root / "out"
    runs = {}
    for name, extra in [
        ("a", ()),
        ("b", ()),
        ("w1", ("--workers", "1")),
        ("w2", ("--workers", "2")),
    ]:
        _cli(out, *extra)
        runs[name] = out.rename(root / name)
    return runs


def test_cli_runs_are_byte_identical(cli_runs) -> None:
    a, b = cli_runs["a"], cli_runs["b"]
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert _manifest(a) == _manifest(b)
    rows = (a / "replications.csv").read_text().splitlines()
    assert len(rows) == 1 + 4


def test_cli_workers_do_not_change_results(cli_runs) -> None:
    for name in FILES:
        reference = (cli_runs["a"] / name).read_bytes()
        assert (cli_runs["w1"] / name).read_bytes() == reference, name
        assert (cli_runs["w2"] / name).read_bytes() == reference, name
    assert _manifest(cli_runs["w1"], "command") == _manifest(cli_runs["w2"], "command")


def test_cli_results_match_the_library(cli_runs) -> None:
    """The CLI's replications are those of sim.runs.replications.run with the same seed."""
    results = run(load_scenario(TEACHING), 4, 7, workers=1)
    lines = (cli_runs["a"] / "replications.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header[:2] == ["replication", "seed"]
    for i, line in enumerate(lines[1:]):
        cells = line.split(",")
        assert int(cells[0]) == i and int(cells[1]) == results.seeds[i]
        for metric, cell in zip(header[2:], cells[2:]):
            value = results.replications[i][metric]
            assert (math.isnan(value) and cell == "nan") or float(cell) == value, metric


# -- common random numbers ------------------------------------------------------------------


def ucr_scenario(staff: int, extra_source: bool = False):
    data = {
        "run": {"days": 60, "warmup_days": 5},
        "population": {"size": 50_000, "cohorts": {"younger": 0.8, "older": 0.2}},
        "demand": {
            "referrals": {
                "to": "ucr",
                "rate_per_1000": {"younger": 60, "older": 480},
                "hour_of_day": [0.1] * 7 + [1.5] * 12 + [0.3] * 5,
            }
        },
        "services": {
            "ucr": {
                "kind": "community_response",
                "staff": staff,
                "open_hours": "08-20",
                "visit_minutes": {"dist": "lognormal", "mean": 90, "sd": 40},
                "patience_hours": 5.0,
                "escalation": {"ambulance": 0.6, "home": 0.4},
                "after_visit": {"home": 0.7, "ambulance": 0.3},
            },
            "ambulance": {"kind": "outcome"},
        },
    }
    if extra_source:
        data["demand"]["falls"] = {"to": "falls_team", "rate_per_1000": 40}
        data["services"]["falls_team"] = {
            "kind": "community_response",
            "staff": 1,
            "visit_minutes": {"dist": "exponential", "mean": 45},
            "after_visit": {"home": 0.5, "ambulance": 0.5},
        }
    return scenario_from_dict(data)


def _log(scen, seed: int = 21):
    events: list = []
    tally = run_replication(scen, seed, log=lambda *e: events.append(e[:5]))
    return tally, events


def _per_patient(events, service: str = "ucr") -> dict[int, dict[str, tuple[float, str]]]:
    out: dict[int, dict[str, tuple[float, str]]] = {}
    for t, pid, svc, event, detail in events:
        if svc == service:
            out.setdefault(pid, {})[event] = (t, detail)
    return out


def test_capacity_change_keeps_arrivals_and_visit_lengths() -> None:
    t1, e1 = _log(ucr_scenario(staff=1))
    t3, e3 = _log(ucr_scenario(staff=3))
    ref1 = [(t, pid) for t, pid, svc, ev, _ in e1 if svc == "ucr" and ev == "referred"]
    ref3 = [(t, pid) for t, pid, svc, ev, _ in e3 if svc == "ucr" and ev == "referred"]
    assert len(ref1) > 1000
    assert ref1 == ref3  # the same referrals at exactly the same times, with the same ids
    # The capacity change did change what happened...
    assert t1.services["ucr"].seen < t3.services["ucr"].seen
    p1, p3 = _per_patient(e1), _per_patient(e3)
    both_visited = [p for p in p1 if "visit_end" in p1[p] and "visit_end" in p3.get(p, {})]
    both_escalated = [p for p in p1 if "escalated" in p1[p] and "escalated" in p3.get(p, {})]
    assert len(both_visited) > 500 and len(both_escalated) > 0
    # ...but not the draws that belong to each referral.
    for p in both_visited:
        d1 = p1[p]["visit_end"][0] - p1[p]["visit_start"][0]
        d3 = p3[p]["visit_end"][0] - p3[p]["visit_start"][0]
        horizon = float(t1.clock.horizon_hours)
        assert d1 == pytest.approx(
            d3, rel=1e-12, abs=4 * np.finfo(float).eps * horizon
        )  # float round-off
        assert p1[p]["visit_end"][1] == p3[p]["visit_end"][1]  # after-visit route
    for p in both_escalated:
        assert p1[p]["escalated"][1] == p3[p]["escalated"][1]  # escalation route


def test_unrelated_source_and_service_change_nothing_for_the_first() -> None:
    base_tally, base = _log(ucr_scenario(staff=2))
    more_tally, more = _log(ucr_scenario(staff=2, extra_source=True))
    assert any(svc == "falls_team" for _, _, svc, _, _ in more)
    # Patient ids interleave with the new source's, so compare everything else.
    assert [(t, ev, d) for t, _, svc, ev, d in base if svc == "ucr"] == [
        (t, ev, d) for t, _, svc, ev, d in more if svc == "ucr"
    ]
    assert base_tally.services["ucr"] == more_tally.services["ucr"]
    assert base_tally.arrivals["referrals"] == more_tally.arrivals["referrals"]
