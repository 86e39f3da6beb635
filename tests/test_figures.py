"""Figures a board can read (``sim/output/figures.py``, ``sim/output/plots.py``).

Each figure file is written (PNG and SVG), its words come from the metric-name table
(read back from the SVG's text: the plain labels appear, no internal name does, no
"-0"), the occupancy figure draws both sides of a comparison over the run's own
replication seeds, and a sweep's heatmap shows each point's paired difference from the
base point with the standard's line.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import REPO_ROOT, write_toml

from sim.engine.streams import replication_seeds
from sim.output import figures, plots
from sim.runs.compare import compare
from sim.runs.experiment_file import load_experiment
from sim.runs.search import run_search
from sim.runs.sweep import run_sweep
from sim.scenario import load_scenario

pytestmark = pytest.mark.skipif(not plots.available(), reason="matplotlib is not installed")

TEACHING = REPO_ROOT / "configs" / "teaching.toml"
SHORT = ["run.days=120", "run.warmup_days=5"]
INTERNAL = re.compile(
    r"\b(ambulance\.conveyances|admissions\.total|acute\.bed_days|ucr\.seen_within_target"
    r"|acute: bed days|admissions: total|ambulance: conveyances|services\.ucr\.staff"
    r"|services\.virtual_ward\.beds|seen_within_target|virtual_ward)\b"
)


def svg_text(path: Path) -> list[str]:
    """Every piece of text drawn in an SVG figure (nhsim writes text as text)."""
    root = ET.parse(path).getroot()
    return [
        "".join(el.itertext()).strip()
        for el in root.iter()
        if el.tag.endswith("}text") and "".join(el.itertext()).strip()
    ]


def check_board_text(path: Path, expected: list[str]) -> list[str]:
    """The figure is PNG and SVG, shows each expected label, no internal name and no -0."""
    png, svg = path.with_suffix(".png"), path.with_suffix(".svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    texts = svg_text(svg)
    joined = "\n".join(texts)
    for want in expected:
        assert want in joined, f"{svg.name}: no {want!r} in {texts}"
    assert not INTERNAL.search(joined), f"{svg.name}: internal name in {INTERNAL.findall(joined)}"
    zero = [t for t in texts if re.fullmatch(r"[\u2212+-]£?0(\.0+)?(%| pts)?", t)]
    assert not zero, f"{svg.name}: -0 written: {zero}"
    return texts


@pytest.fixture(scope="module")
def comparison() -> Any:
    cf = load_scenario(TEACHING, SHORT)
    sc = load_scenario(TEACHING, [*SHORT, "services.ucr.staff=2", "services.virtual_ward.beds=4"])
    sc = sc.model_copy(update={"name": "teaching-invest"})
    return compare(cf, sc, replications=3, seed=11)


def test_comparison_figures_are_written_with_plain_labels(
    comparison: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs: list[tuple[str, int]] = []
    traces = figures._traces

    def record(batch: list[Any], **kwargs: Any) -> list[Any]:
        jobs.extend((s.name, seed) for s, seed in batch)
        return traces(batch, **kwargs)

    monkeypatch.setattr(figures, "_traces", record)
    written = figures.comparison_figures(comparison, tmp_path)
    names = sorted(p.name for p in written)
    assert {"avoided.png", "avoided.svg", "occupancy.png", "occupancy.svg"} <= set(names)
    check_board_text(
        tmp_path / "plots" / "avoided",
        ["Ambulance conveyances", "Emergency admissions", "Acute bed days", "Bed days avoided"],
    )
    texts = check_board_text(
        tmp_path / "plots" / "occupancy",
        ["Counterfactual: teaching", "Scenario: teaching-invest", "Virtual ward", "Jan", "Apr"],
    )
    assert "4 beds" in texts and "2 beds" in texts  # each side's own capacity
    # the bands are drawn over the run's own replications, on the run's seeds
    seeds = replication_seeds(11, 3)
    assert jobs == [("teaching", s) for s in seeds] + [("teaching-invest", s) for s in seeds]


def test_avoided_panels_keep_counts_and_bed_days_apart(comparison: Any) -> None:
    rows = figures.avoided_rows(comparison)
    panels = {plots._panel_of(plots.unit_of(m)) for m, *_ in rows}
    assert {"people", "bed days"} <= panels
    assert plots._panel_of(plots.unit_of("acute.bed_days")) != plots._panel_of(
        plots.unit_of("admissions.total")
    )


def test_occupancy_bands_are_the_percentiles_of_the_traces() -> None:
    scenario = load_scenario(TEACHING, SHORT)
    seeds = replication_seeds(3, 4)
    bands = figures.occupancy_bands(scenario, seeds)
    from sim.engine import run_replication

    traces = np.array(
        [run_replication(scenario, s, trace=True).occupancy_trace["virtual_ward"] for s in seeds]
    )
    band = bands["virtual_ward"]
    assert band.replications == 4 and band.beds == 2
    assert np.allclose(band.median, np.percentile(traces, 50, axis=0))
    assert np.allclose(band.p10, np.percentile(traces, 10, axis=0))
    assert np.allclose(band.p90, np.percentile(traces, 90, axis=0))


def experiment(tmp_path: Path, **changes: Any) -> Path:
    data: dict[str, Any] = {
        "name": "fig",
        "scenario": str(TEACHING),
        "set": SHORT,
        "replications": 3,
        "seed": 5,
        "report": ["ambulance.conveyances", "ucr.seen_within_target"],
        "design": {"kind": "grid"},
        "vary": {"services.ucr.staff": [1, 2], "services.virtual_ward.beds": [2, 4]},
        "target": {"ucr.seen_within_target": 0.7},
    }
    data.update(changes)
    return write_toml(tmp_path / "fig.toml", data)


def test_sweep_heatmap_shows_the_paired_difference_from_the_base_and_the_standard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = load_experiment(experiment(tmp_path))
    result = run_sweep(exp, tmp_path / "out")
    drawn: dict[str, dict[str, Any]] = {}
    heatmap = plots.plot_heatmap

    def capture(*args: Any, **kwargs: Any) -> list[Path]:
        drawn[args[6].stem] = {"values": args[2], **kwargs}
        return heatmap(*args, **kwargs)

    monkeypatch.setattr(plots, "plot_heatmap", capture)
    written = figures.sweep_figures(result, tmp_path / "out")
    assert len([p for p in written if p.suffix == ".png"]) == 2
    grid = drawn["ambulance_conveyances"]
    assert grid["difference"] and grid["base"] == (1.0, 2.0)
    # cell (beds 4, staff 2) is that point's paired difference from the base point
    point = next(
        i
        for i, p in enumerate(result.points)
        if p == {"services.ucr.staff": 2, "services.virtual_ward.beds": 4}
    )
    base = result.values(0, "ambulance.conveyances")
    mine = result.values(point, "ambulance.conveyances")
    diff = [a - b for a, b in zip(mine, base)]
    assert grid["values"][1][1] == pytest.approx(float(np.mean(diff)))
    assert grid["lows"][1][1] < grid["values"][1][1] < grid["highs"][1][1] or np.std(diff) == 0
    assert grid["values"][0][0] == 0.0
    assert [c.level for c in grid["contours"]] == [0.7]
    texts = check_board_text(
        tmp_path / "out" / "plots" / "ambulance_conveyances",
        [
            "Ambulance conveyances (a year): difference from the base point",
            "UCR clinicians on duty",
            "Virtual ward beds",
            "Standard: UCR: seen within 2 hours ≥ 70%",
        ],
    )
    assert any(t.startswith("base") for t in texts)
    check_board_text(tmp_path / "out" / "plots" / "ucr_seen_within_target", ["pts"])


def test_latin_hypercube_gets_a_scatter_per_metric(tmp_path: Path) -> None:
    exp = load_experiment(
        experiment(
            tmp_path,
            design={"kind": "latin_hypercube", "samples": 4},
            vary={
                "services.ucr.staff": {"low": 1, "high": 3, "integer": True},
                "services.ucr.patience_hours": {"low": 2.0, "high": 8.0},
            },
        )
    )
    result = run_sweep(exp, tmp_path / "out")
    written = figures.sweep_figures(result, tmp_path / "out")
    assert sorted(p.name for p in written if p.suffix == ".png") == [
        "scatter_ambulance_conveyances.png",
        "scatter_ucr_seen_within_target.png",
    ]
    check_board_text(
        tmp_path / "out" / "plots" / "scatter_ucr_seen_within_target",
        ["UCR clinicians on duty", "UCR: hours before a patient escalates", "70%"],
    )


def test_tornado_and_search_figures_have_plain_labels(tmp_path: Path) -> None:
    exp = load_experiment(
        experiment(
            tmp_path,
            design={"kind": "one_at_a_time"},
            vary={"services.ucr.staff": [1, 2, 3], "services.virtual_ward.beds": [1, 2, 4]},
            report=["admissions.total"],
        )
    )
    result = run_sweep(exp, tmp_path / "out")
    figures.sweep_figures(result, tmp_path / "out")
    check_board_text(
        tmp_path / "out" / "plots" / "tornado_admissions_total",
        ["Emergency admissions", "UCR clinicians on duty", "Virtual ward beds", "low value"],
    )
    path = write_toml(
        tmp_path / "search.toml",
        {
            "name": "s",
            "scenario": str(TEACHING),
            "set": SHORT,
            "replications": 3,
            "search": {
                "capacities": {"services.ucr.staff": [1, 3]},
                "constraints": [{"metric": "ucr.seen_within_target", "at_least": 0.7}],
            },
        },
    )
    found = run_search(load_experiment(path))
    figures.search_figures(found, tmp_path / "search")
    check_board_text(
        tmp_path / "search" / "plots" / "search_ucr_seen_within_target",
        ["UCR: seen within 2 hours", "UCR clinicians on duty", "standard: at least 70%"],
    )


def test_heatmap_marks_cells_whose_interval_contains_zero(tmp_path: Path) -> None:
    plots.plot_heatmap(
        [1, 2],
        [5, 10],
        [[0.0, -3.0], [-40.0, 12.0]],
        "UCR clinicians on duty",
        "Virtual ward beds",
        "Emergency admissions (a year): difference from the base point",
        tmp_path / "h",
        lows=[[0.0, -9.0], [-60.0, 4.0]],
        highs=[[0.0, 2.5], [-20.0, 20.0]],
        unit="admissions",
        difference=True,
        base=(1, 5),
        base_text="base\n1,234",
    )
    texts = check_board_text(
        tmp_path / "h", ["interval includes 0", "+12", "(+4 to +20)", "(−9 to +2.5)"]
    )
    assert "−3" in texts and "1,234" in texts  # the base cell shows the base, not its 0


def test_investment_summary_from_the_economics(comparison: Any, tmp_path: Path) -> None:
    from sim.runs.economics import economics

    assert figures.investment_figure(comparison, tmp_path / "none") == []  # nothing priced
    priced = [
        "costs.capacity.ucr.per_staffed_hour=45",
        "costs.capacity.virtual_ward.per_bed_day=120",
    ]
    cf = load_scenario(TEACHING, [*SHORT, *priced])
    sc = load_scenario(
        TEACHING, [*SHORT, *priced, "services.ucr.staff=2", "services.virtual_ward.beds=4"]
    )
    c = compare(cf, sc.model_copy(update={"name": "teaching-invest"}), replications=3, seed=11)
    written = figures.investment_figure(c, tmp_path / "investment")
    assert [p.suffix for p in written] == [".png", ".svg"]
    econ = economics(c)
    assert econ is not None
    texts = check_board_text(
        tmp_path / "investment",
        ["Investment summary: teaching-invest against teaching", "Cost of the", "Net cost"],
    )
    joined = "\n".join(texts)
    assert econ.verdict[1:] in joined  # the verdict, as economics() gives it
    assert plots.number(econ.package_cost.mean, "£") in texts


def test_published_figure_names_each_figure_in_plain_words(tmp_path: Path) -> None:
    rows = [
        ("home_visiting.seen", 24_259.0, 24_283.0, 24_201.0, 24_366.0),
        ("avoided.ambulance.calls", 2_367.0, 2_351.0, 2_321.0, 2_380.0),
    ]
    plots.plot_published(rows, "team_up: published against model (a year)", tmp_path / "p")
    texts = check_board_text(tmp_path / "p", ["published", "model (95% interval)", "24,259"])
    joined = " ".join(texts)
    assert "Home visiting: patients" in joined and "999 calls avoided" in joined
    assert "home_visiting.seen" not in joined and "avoided." not in joined


def test_search_heatmap_outlines_the_combinations_that_meet_the_standard(tmp_path: Path) -> None:
    nan = math.nan
    plots.plot_heatmap(
        [12, 13],
        [10, 11],
        [[nan, 1_285.0], [nan, 873.7]],
        "Reablement beds",
        "IC beds",
        "Bed days waiting for step-down care (a year) at the capacities tried",
        tmp_path / "s",
        lows=[[nan, 845.0], [nan, 600.0]],
        highs=[[nan, 1_725.0], [nan, 1_148.0]],
        unit="bed days",
        marks=[[False, False], [False, True]],
        mark_label="meets the standard (at most 1,200) with 95% confidence",
    )
    texts = check_board_text(tmp_path / "s", ["meets the standard (at most 1,200)", "1,285"])
    assert texts.count("–") == 2  # the combinations not tried
