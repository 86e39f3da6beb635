"""The figures written beside results: what a person would rather look at than read.

- a run: beds in use each day of the year, for every bed pool (one replication);
- a comparison: conveyances, admissions and bed days avoided, with 95% intervals,
  and the scenario's beds in use over the year.

Figures never change results: the occupancy trace comes from re-running replication 0
with a daily snapshot, which draws no random numbers of its own.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sim.engine import run_replication
from sim.output import plots
from sim.runs.compare import AVOIDED_METRICS, Comparison
from sim.runs.replications import Results
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    from sim.runs.search import SearchResult
    from sim.runs.sweep import SweepResult

__all__ = ["comparison_figures", "run_figures", "search_figures", "sweep_figures"]


def _skip() -> bool:
    if not plots.available():
        print(
            "(plots skipped: install matplotlib, e.g. pip install 'nhsim[plots]')", file=sys.stderr
        )
        return True
    return False


def occupancy_figure(scenario: Scenario, seed: int, path: Path) -> list[Path]:
    tally = run_replication(scenario, seed, trace=True)
    if not tally.occupancy_trace:
        return []
    capacity = {n: getattr(scenario.services[n], "beds", None) for n in tally.occupancy_trace}
    days = list(range(len(next(iter(tally.occupancy_trace.values())))))
    return plots.plot_occupancy_year(
        days,
        tally.occupancy_trace,
        capacity,
        f"{scenario.name}: beds in use at midnight (replication 0)",
        path,
    )


def run_figures(results: Results, out: Path) -> list[Path]:
    if _skip() or not results.n:
        return []
    return occupancy_figure(
        results.scenario,
        results.seeds[results.indices[0] if results.indices else 0],
        out / "plots" / "occupancy",
    )


def comparison_figures(comparison: Comparison, out: Path) -> list[Path]:
    if _skip() or not comparison.scenario.n:
        return []
    rows = []
    for m in AVOIDED_METRICS:
        iv = comparison.avoided(m)
        if not math.isnan(iv.mean):
            rows.append((m, iv.mean, iv.ci_low, iv.ci_high))
    written = []
    if rows:
        title = f"Avoided a year: {comparison.scenario.scenario.name} vs {comparison.counterfactual.scenario.name}"
        written += plots.plot_avoided(rows, title, out / "plots" / "avoided")
    written += occupancy_figure(
        comparison.scenario.scenario, comparison.scenario.seeds[0], out / "plots" / "occupancy"
    )
    return written


def _interval(values: list[float]) -> tuple[float, float, float]:
    from sim.runs.stats import t_interval

    iv = t_interval(values)
    return iv.mean, iv.ci_low, iv.ci_high


def sweep_figures(result: SweepResult, out: Path) -> list[Path]:
    """Outcome against capacity (one key), heatmaps (two keys), tornado (one at a time)."""
    if _skip():
        return []
    exp = result.experiment
    keys = list(exp.vary)
    done = sorted(result.replications)
    written: list[Path] = []
    kind = exp.design.kind
    for metric in exp.report:
        if not any(metric in r for i in done for r in result.replications[i]):
            continue
        stats = {i: _interval(result.values(i, metric)) for i in done}
        slug = metric.replace(".", "_")
        if kind == "grid" and len(keys) == 1:
            (k,) = keys
            order = sorted(done, key=lambda i: result.points[i][k])
            written += plots.plot_outcome_vs_capacity(
                [result.points[i][k] for i in order],
                [stats[i][0] for i in order],
                [stats[i][1] for i in order],
                [stats[i][2] for i in order],
                k,
                plots._label(metric),
                f"{exp.name}: {plots._label(metric)}",
                out / "plots" / slug,
                target=exp.target.get(metric),
            )
        elif kind == "grid" and len(keys) == 2:
            kx, ky = keys
            xs = sorted({result.points[i][kx] for i in done})
            ys = sorted({result.points[i][ky] for i in done})
            grid = [[math.nan] * len(xs) for _ in ys]
            for i in done:
                grid[ys.index(result.points[i][ky])][xs.index(result.points[i][kx])] = stats[i][0]
            written += plots.plot_heatmap(
                xs,
                ys,
                grid,
                kx,
                ky,
                f"{exp.name}: {plots._label(metric)} (mean)",
                out / "plots" / slug,
            )
        elif kind == "one_at_a_time" and 0 in stats:
            base = stats[0][0]
            bars = []
            for k in keys:
                mine = [i for i in done if list(result.points[i]) == [k]]
                if not mine:
                    continue
                lo_i = min(mine, key=lambda i: result.points[i][k])
                hi_i = max(mine, key=lambda i: result.points[i][k])
                bars.append(
                    (
                        k,
                        stats[lo_i][0],
                        stats[hi_i][0],
                        f"{result.points[lo_i][k]:g}",
                        f"{result.points[hi_i][k]:g}",
                    )
                )
            if bars:
                written += plots.plot_tornado(
                    base,
                    bars,
                    f"{plots._label(metric)} (base {plots._number(base)})",
                    f"{exp.name}: what {plots._label(metric)} rests on",
                    out / "plots" / f"tornado_{slug}",
                )
    return written


def search_figures(result: SearchResult, out: Path) -> list[Path]:
    """The standard's metric against capacity (one capacity), with the standard drawn in."""
    if _skip():
        return []
    exp = result.experiment
    assert exp.search is not None
    keys = list(exp.search.capacities)
    written: list[Path] = []
    for c in exp.search.constraints:
        slug = c.metric.replace(".", "_")
        standard = c.at_least if c.at_least is not None else c.at_most
        if len(keys) == 1:
            xs, means, lows, highs = result.curve(keys[0], c.metric)
            least = result.frontier[0][keys[0]] if result.frontier else None
            title = f"{plots._label(c.metric)} against {keys[0]}"
            if least is not None:
                title += f"\nleast meeting {c.describe()}: {least}"
            written += plots.plot_outcome_vs_capacity(
                xs,
                means,
                lows,
                highs,
                keys[0],
                plots._label(c.metric),
                title,
                out / "plots" / f"search_{slug}",
                target=standard,
                target_label=c.describe(),
            )
        else:
            kx, ky = keys
            xs = sorted({e.capacities[kx] for e in result.evaluations})
            ys = sorted({e.capacities[ky] for e in result.evaluations})
            grid = [[math.nan] * len(xs) for _ in ys]
            for e in result.evaluations:
                grid[ys.index(e.capacities[ky])][xs.index(e.capacities[kx])] = e.bounds[c.metric][0]
            written += plots.plot_heatmap(
                xs,
                ys,
                grid,
                kx,
                ky,
                f"{plots._label(c.metric)} at the capacities tried",
                out / "plots" / f"search_{slug}",
            )
    return written
