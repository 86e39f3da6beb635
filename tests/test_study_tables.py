"""The sweep and search tables in the console show each point's paired difference.

- ``nhsim sweep`` prints, beside each point's mean, its difference from the base point
  with the interval: the same numbers as ``sweep.csv``'s ``difference_from_base``;
- ``nhsim search`` prints each capacity's difference from the base scenario's capacity
  (a reference row), equal to the paired difference of two separate runs on the seeds.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO_ROOT, write_toml

from sim.cli.format import fmt_value
from sim.cli.main import main
from sim.runs.replications import run
from sim.scenario import load_scenario

TEACHING = REPO_ROOT / "configs" / "teaching.toml"
SHORT = ["run.days=90", "run.warmup_days=5"]


def _signed(x: float) -> str:
    text = fmt_value(x)
    return text if text.startswith("-") or text == "0.000" else f"+{text}"


def _rows(printed: str, header_start: str) -> list[list[str]]:
    lines = printed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    out = []
    for line in lines[start + 2 :]:
        if not line.strip() or line.startswith("("):
            break
        out.append(line.split())
    return out


def test_sweep_table_shows_the_difference_from_the_base(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    exp = write_toml(
        tmp_path / "grid.toml",
        {
            "name": "grid",
            "scenario": str(TEACHING),
            "set": SHORT,
            "replications": 3,
            "report": ["admissions.total"],
            "vary": {"services.ucr.staff": [1, 2, 3]},
        },
    )
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "vs base" in printed and "paired difference from point 0" in printed
    rows = {r[0]: r for r in _rows(printed, "point")}
    assert rows["0"][6] == "base"  # point, key, metric, mean, [low, high], vs base, [low, high]
    table = list(csv.DictReader(io.StringIO((out / "sweep.csv").read_text())))
    for r in table:
        if r["metric"] != "admissions.total" or r["point"] == "0":
            continue
        shown = rows[r["point"]]
        assert shown[6] == _signed(float(r["difference_from_base"]))
        low, high = float(r["difference_ci_low"]), float(r["difference_ci_high"])
        assert " ".join(shown[7:9]) == f"[{_signed(low)}, {_signed(high)}]"


def test_search_table_shows_the_difference_from_the_base_capacity(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    exp = write_toml(
        tmp_path / "search.toml",
        {
            "name": "s",
            "scenario": str(TEACHING),
            "set": SHORT,
            "replications": 3,
            "seed": 9,
            "search": {
                "capacities": {"services.ucr.staff": [1, 3]},
                "constraints": [{"metric": "ucr.seen_within_target", "at_least": 0.7}],
            },
        },
    )
    assert main(["search", str(exp), "--out", str(tmp_path / "o"), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    rows = {r[0]: r for r in _rows(printed, "services.ucr.staff")}
    assert rows["1"][4] == "reference"  # teaching has 1 UCR clinician: the base scenario
    assert "the base scenario" in printed
    m = "ucr.seen_within_target"
    base = run(load_scenario(TEACHING, [*SHORT, "services.ucr.staff=1"]), 3, 9).values(m)
    three = run(load_scenario(TEACHING, [*SHORT, "services.ucr.staff=3"]), 3, 9).values(m)
    assert rows["3"][4] == _signed(float(np.mean(three - base)))
