"""The experiments shipped in ``experiments/``: every one loads, and every one runs end
to end through the command line (shortened: 30 days, 2 replications a point) and
writes its tables and its figures as PNG and SVG."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path

import pytest
from conftest import REPO_ROOT, write_toml

from sim.cli.main import main
from sim.runs.experiment_file import design_points, load_experiment

EXPERIMENTS = sorted((REPO_ROOT / "experiments").glob("*.toml"))
# those run by ``nhsim sweep`` or ``nhsim search`` (others, such as a reproduction, have their own commands)


def _runnable(path: Path) -> bool:
    try:
        return bool({"vary", "search"} & set(tomllib.loads(path.read_text(encoding="utf-8"))))
    except tomllib.TOMLDecodeError:
        return True  # let the run fail, naming the file


RUNNABLE = [p for p in EXPERIMENTS if _runnable(p)]


def test_there_are_experiments() -> None:
    assert len(EXPERIMENTS) >= 3
    assert len(RUNNABLE) >= 3


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.name)
def test_experiment_loads(path: Path) -> None:
    exp = load_experiment(path)
    assert exp.name == path.stem
    assert exp.description
    assert exp.vary or exp.search or exp.calibration or exp.published or exp.uncertainty, (
        "an experiment asks something"
    )
    base = exp.base_scenario()
    points = design_points(exp, base)
    assert points and all(set(p) <= set(exp.vary) for p in points)
    if exp.vary:
        assert len(points) > 1
    if exp.search:
        for key, (least, most) in exp.search.capacities.items():
            assert least <= most, key


def shortened(path: Path, tmp_path: Path) -> Path:
    """A copy of a shipped experiment: 30 days after 5 days' warm-up, 2 replications a point."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["name"] = path.stem
    for key in ("scenario", "counterfactual"):
        if key in data:
            data[key] = str((path.parent / data[key]).resolve())
    data["set"] = [*data.get("set", []), "run.days=30", "run.warmup_days=5"]
    data["replications"] = 2
    return write_toml(tmp_path / path.name, data)


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def check_figures(out: Path, expected: int) -> None:
    pngs = sorted((out / "plots").glob("*.png"))
    svgs = sorted((out / "plots").glob("*.svg"))
    assert len(pngs) == expected, [p.name for p in pngs]
    assert [p.stem for p in svgs] == [p.stem for p in pngs]
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for svg in svgs:
        assert b"<svg" in svg.read_bytes()[:2000]


@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: p.name)
def test_experiment_runs_end_to_end(path: Path, tmp_path: Path) -> None:
    short = shortened(path, tmp_path)
    exp = load_experiment(short)
    out = tmp_path / "out"
    if exp.vary:
        assert main(["sweep", str(short), "--out", str(out / "sweep"), "-q", "-w", "2"]) == 0
        d = out / "sweep"
        points = design_points(exp, exp.base_scenario())
        rows = csv_rows(d / "sweep.csv")
        assert {int(r["point"]) for r in rows} == set(range(len(points)))
        assert all(int(r["n"]) <= 2 for r in rows)  # fewer where a ratio is undefined (NaN)
        assert all(int(r["n"]) == 2 for r in rows if r["metric"] in exp.report)
        assert {r["metric"] for r in rows} >= set(exp.report)
        assert len(csv_rows(d / "replications.csv")) == 2 * len(points)
        manifest = json.loads((d / "manifest.json").read_text())
        assert manifest["points_completed"] == len(points) and manifest["failed_points"] == []
        check_figures(
            d, expected=len(exp.report)
        )  # a heatmap or a tornado for each reported metric
    if exp.search:
        assert main(["search", str(short), "--out", str(out / "search"), "-q", "-w", "2"]) == 0
        d = out / "search"
        least, most = next(iter(exp.search.capacities.values()))
        rows = csv_rows(d / "search.csv")
        assert len(rows) >= (most - least + 1) * len(exp.search.constraints)
        assert (d / "frontier.csv").read_text().splitlines()[0] == ",".join(exp.search.capacities)
        assert json.loads((d / "manifest.json").read_text())["evaluations"] >= 1
        check_figures(d, expected=len(exp.search.constraints))
