"""The figures written beside results: what a person would rather look at than read.

- a run: beds in use over the year for every bed pool, as the median and 10–90% band
  of a handful of replications;
- a comparison: what the scenario avoids (counts, bed days and money in separate
  panels) with 95% intervals; counterfactual and scenario occupancy side by side; and,
  when the scenarios have costs, the investment summary;
- a sweep: a metric against one key, a heatmap of the difference from the base point
  (or from the counterfactual) over two keys with its interval and the standard's
  line, a tornado for one at a time, scatter plots for a Latin hypercube;
- a search: the standard's metric against the capacities tried.

Figures never change results: occupancy traces come from re-running the run's first
replications (on their own seeds) with a daily snapshot, which draws no random
numbers of its own.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.engine import run_replication
from sim.output import plots
from sim.output.labels import key_label, label, number, unit_of
from sim.runs.compare import AVOIDED_METRICS, Comparison
from sim.runs.replications import Results
from sim.runs.stats import t_interval
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    from sim.runs.search import SearchResult
    from sim.runs.sweep import SweepResult

__all__ = [
    "TRACE_REPLICATIONS",
    "comparison_figures",
    "investment_figure",
    "occupancy_bands",
    "occupancy_figure",
    "run_figures",
    "search_figures",
    "sweep_figures",
]

TRACE_REPLICATIONS = 5
"""Replications re-run for an occupancy figure: enough for a median and a 10–90% band."""


def _skip() -> bool:
    if not plots.available():
        print(
            "(plots skipped: install matplotlib, e.g. pip install 'nhsim[plots]')", file=sys.stderr
        )
        return True
    return False


# --------------------------------------------------------------------------- occupancy


def _trace(job: tuple[Scenario, int]) -> dict[str, list[int]]:
    scenario, seed = job
    return run_replication(scenario, seed, trace=True).occupancy_trace


def _traces(
    jobs: Sequence[tuple[Scenario, int]], meanwhile: Callable[[], object] | None = None
) -> list[dict[str, list[int]]]:
    """Daily occupancy of each (scenario, seed), in processes when there is more than one
    CPU; ``meanwhile`` (drawing another figure) runs here while they do."""
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers <= 1:
        if meanwhile is not None:
            meanwhile()
        return [_trace(j) for j in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_trace, j) for j in jobs]
        if meanwhile is not None:
            meanwhile()
        return [f.result() for f in futures]


def _bands(scenario: Scenario, traces: list[dict[str, list[int]]]) -> dict[str, plots.Band]:
    import numpy as np

    out: dict[str, plots.Band] = {}
    for name in traces[0] if traces else {}:
        arr = np.array([t[name] for t in traces], dtype=float)
        lo, mid, hi = np.percentile(arr, [10, 50, 90], axis=0)
        beds = getattr(scenario.services[name], "beds", None)
        out[name] = plots.Band(list(mid), list(lo), list(hi), beds, len(traces))
    return out


def occupancy_bands(scenario: Scenario, seeds: Sequence[int]) -> dict[str, plots.Band]:
    """Beds in use each day in every bed pool over the replications of ``seeds``."""
    return _bands(scenario, _traces([(scenario, s) for s in seeds]))


def _first_seeds(results: Results, n: int = TRACE_REPLICATIONS) -> list[int]:
    """The seeds of the run's first ``n`` replications (those it kept)."""
    indices = results.indices or list(range(results.n))
    return [results.seeds[i] for i in indices[:n]]


def occupancy_figure(scenario: Scenario, seeds: int | Sequence[int], path: Path) -> list[Path]:
    """One scenario's occupancy over the year (bands over the replications of ``seeds``)."""
    seeds = [seeds] if isinstance(seeds, int) else list(seeds)
    bands = occupancy_bands(scenario, seeds)
    if not bands:
        return []
    return plots.plot_occupancy_bands({scenario.name: bands}, "Beds in use over the year", path)


def run_figures(results: Results, out: Path) -> list[Path]:
    if _skip() or not results.n:
        return []
    return occupancy_figure(results.scenario, _first_seeds(results), out / "plots" / "occupancy")


# --------------------------------------------------------------------------- comparisons


def avoided_rows(comparison: Comparison) -> list[tuple[str, float, float, float]]:
    """(metric, avoided mean, ci low, ci high) of the headline avoided metrics, and, when
    the scenarios have costs, the activity costs avoided (the total cost where activity
    and capacity are not told apart; the investment figure weighs the capacity bought)."""
    names = set(comparison.counterfactual.metric_names())
    money = "cost.activity" if "cost.activity" in names else "cost.total"
    rows = []
    for m in (*AVOIDED_METRICS, money):
        iv = comparison.avoided(m)
        if not math.isnan(iv.mean):
            rows.append((m, iv.mean, iv.ci_low, iv.ci_high))
    return rows


def comparison_figures(comparison: Comparison, out: Path) -> list[Path]:
    """``avoided``, ``occupancy`` (both scenarios side by side) and ``investment``."""
    if _skip() or not comparison.scenario.n:
        return []
    sc, cf = comparison.scenario, comparison.counterfactual
    rows = avoided_rows(comparison)
    written: list[Path] = []

    def avoided() -> None:
        if rows:
            written.extend(
                plots.plot_avoided(
                    rows,
                    f"What {sc.scenario.name} avoids against {cf.scenario.name}",
                    out / "plots" / "avoided",
                    sc.scenario,
                    subtitle=f"{sc.n} paired replications, seed {sc.seed}.",
                )
            )

    k = min(TRACE_REPLICATIONS, sc.n, cf.n)
    jobs = [(cf.scenario, s) for s in _first_seeds(cf, k)]
    jobs += [(sc.scenario, s) for s in _first_seeds(sc, k)]
    traces = _traces(jobs, meanwhile=avoided)  # the traces run while avoided is drawn
    columns = {
        f"Counterfactual: {cf.scenario.name}": _bands(cf.scenario, traces[:k]),
        f"Scenario: {sc.scenario.name}": _bands(sc.scenario, traces[k:]),
    }
    if any(columns.values()):
        written += plots.plot_occupancy_bands(
            columns, "Beds in use over the year", out / "plots" / "occupancy"
        )
    written += investment_figure(comparison, out / "plots" / "investment")
    return written


def _economics(comparison: Comparison) -> Any | None:
    """The comparison's economics (:func:`sim.runs.economics.economics`), or None."""
    from sim.runs.economics import economics

    return economics(comparison)


def _bar(
    text: str, estimate: Any, colour: str = plots.BLUE, sign: float = 1.0, unit: str = "£"
) -> plots.Bar:
    """A figure of :mod:`sim.runs.economics` as a bar (``sign=-1`` turns a change into a saving)."""
    low, high = sign * estimate.ci_low, sign * estimate.ci_high
    if not getattr(estimate, "bounded", True):
        low, high = -math.inf, math.inf
    return plots.Bar(text, sign * estimate.mean, min(low, high), max(low, high), unit, colour)


def investment_figure(comparison: Comparison, path: Path) -> list[Path]:
    """What the package costs, what it saves, its net cost, what it avoids and its net cost
    per admission avoided, each with its 95% interval, under the verdict
    (:mod:`sim.runs.economics`). Nothing is drawn when no capacity is priced."""
    econ = _economics(comparison)
    if econ is None or not econ.priced or econ.package_cost.is_nan:
        return []
    money = [_bar("Cost of the\npackage", econ.package_cost, plots.GREY)]
    if not econ.activity_cost.is_nan:
        money.append(_bar("Activity costs\nsaved", econ.activity_cost, sign=-1.0))
    net_colour = plots.ORANGE if econ.net_cost.mean > 0 else plots.BLUE
    money.append(_bar("Net cost", econ.net_cost, net_colour))
    avoided = []
    for metric, text in (
        ("admissions.total", "Admissions"),
        ("ambulance.conveyances", "Conveyances"),
    ):
        iv = comparison.avoided(metric)
        if not math.isnan(iv.mean):
            avoided.append(plots.Bar(text, iv.mean, iv.ci_low, iv.ci_high, "admissions"))
    panels: list[tuple[str, Sequence[plots.Bar]]] = [("£ a year", money)]
    if avoided:
        panels.append(("Avoided a year", avoided))
    per = econ.cost_per_admission_avoided
    if not per.is_nan:
        panels.append(
            ("Net cost per\nadmission avoided", [_bar("£ per\nadmission", per, plots.ORANGE)])
        )
    verdict = econ.verdict[:1].upper() + econ.verdict[1:]
    return plots.plot_investment(
        panels,
        f"Investment summary: {econ.scenario} against {econ.counterfactual}",
        f"{verdict} (net cost {number(econ.net_cost.mean, '£')} a year)",
        path,
        note=f"{econ.n} paired replications; the net cost per admission avoided is a ratio "
        "of paired means with Fieller's interval.",
    )


# --------------------------------------------------------------------------- sweeps


def _num(value: Any) -> float:
    """A varied value as a number (a design's values are numbers; text counts as NaN)."""
    return float(value) if isinstance(value, int | float) else math.nan


def _interval(values: Sequence[float]) -> tuple[float, float, float]:
    iv = t_interval(values)
    return iv.mean, iv.ci_low, iv.ci_high


def _paired(values: Sequence[float], base: Sequence[float]) -> tuple[float, float, float]:
    k = min(len(values), len(base))
    return _interval([values[j] - base[j] for j in range(k)])


def _standard_label(metric: str, level: float, scenario: Any, at_least: bool = True) -> str:
    sign = "≥" if at_least else "≤"
    return f"Standard: {label(metric, scenario)} {sign} {number(level, unit_of(metric, scenario))}"


def sweep_figures(result: SweepResult, out: Path) -> list[Path]:
    """Outcome against capacity (one key), heatmaps of the difference (two keys), tornado
    (one at a time; not where an [uncertainty] table exists: the ranked Sobol indices of
    ``nhsim uncertainty`` replace it), scatter plots (Latin hypercube)."""
    if _skip():
        return []
    from sim.runs.sweep import base_point

    exp = result.experiment
    keys = list(exp.vary)
    done = sorted(result.replications)
    if not done:
        return []
    scenario = exp.base_scenario()
    written: list[Path] = []
    kind = exp.design.kind
    base = base_point(result) if exp.compare_to_base else None
    produced = {m for i in done for r in result.replications[i] for m in r}
    if kind == "one_at_a_time" and exp.uncertainty:
        print(
            "note: no tornado charts: this experiment has an [uncertainty] table, whose inputs "
            f"`nhsim uncertainty {exp.path}` ranks by Sobol indices (plots/sobol_<metric>.png)",
            file=sys.stderr,
        )
    for metric in exp.report:
        if metric not in produced:
            continue
        stats = {i: _interval(result.values(i, metric)) for i in done}
        unit = unit_of(metric, scenario)
        name = label(metric, scenario)
        slug = metric.replace(".", "_")
        if kind == "grid" and len(keys) == 1:
            (k,) = keys
            order = sorted(done, key=lambda i: result.points[i][k])
            target = exp.target.get(metric)
            written += plots.plot_outcome_vs_capacity(
                [_num(result.points[i][k]) for i in order],
                [stats[i][0] for i in order],
                [stats[i][1] for i in order],
                [stats[i][2] for i in order],
                key_label(k, scenario),
                name,
                f"{exp.name}: {name}",
                out / "plots" / slug,
                target=target,
                target_label=_standard_label(metric, target, scenario) if target else "",
                unit=unit,
                note=f"{exp.replications} replications a point on the same seeds; band: 95% interval.",
            )
        elif kind == "grid" and len(keys) == 2:
            written += _sweep_heatmap(result, metric, scenario, base, out / "plots" / slug)
        elif kind == "one_at_a_time" and 0 in stats and not exp.uncertainty:
            written += _tornado(result, metric, scenario, stats, out / "plots" / f"tornado_{slug}")
        elif kind == "latin_hypercube":
            order = done
            written += plots.plot_scatter(
                [
                    (key_label(k, scenario), [_num(result.points[i][k]) for i in order])
                    for k in keys
                ],
                [stats[i][0] for i in order],
                [stats[i][1] for i in order],
                [stats[i][2] for i in order],
                name,
                f"{exp.name}: {name} at each sampled point",
                out / "plots" / f"scatter_{slug}",
                unit=unit,
                target=exp.target.get(metric),
                target_label=_standard_label(metric, exp.target[metric], scenario)
                if metric in exp.target
                else "",
            )
    return written


def _sweep_heatmap(
    result: SweepResult, metric: str, scenario: Any, base: int | None, path: Path
) -> list[Path]:
    """The difference from the counterfactual (``avoided.<metric>``) or from the base
    point, with its paired interval, over two keys; the standards' lines on top."""
    exp = result.experiment
    kx, ky = list(exp.vary)
    done = sorted(result.replications)
    xs = sorted({_num(result.points[i][kx]) for i in done})
    ys = sorted({_num(result.points[i][ky]) for i in done})

    def cell(i: int) -> tuple[int, int]:
        return ys.index(_num(result.points[i][ky])), xs.index(_num(result.points[i][kx]))

    def grid() -> list[list[float]]:
        return [[math.nan] * len(xs) for _ in ys]

    means, lows, highs = grid(), grid(), grid()
    avoided = f"avoided.{metric}"
    has_avoided = any(avoided in r for i in done for r in result.replications[i])
    unit = unit_of(metric, scenario)
    name = label(metric, scenario)
    if has_avoided:
        title = f"{name}: avoided against the counterfactual"
        colour = "avoided (counterfactual − point)"
        difference = True
    elif base is not None:
        title = f"{name}: difference from the base point"
        colour = "difference from the base (point − base)"
        difference = True
    else:
        title = f"{name} (mean)"
        colour = ""
        difference = False
    base_values = result.values(base, metric) if base is not None else []
    for i in done:
        row, col = cell(i)
        if has_avoided:
            stat = _interval(result.values(i, avoided))
        elif base is not None:
            stat = _paired(result.values(i, metric), base_values)
        else:
            stat = _interval(result.values(i, metric))
        means[row][col], lows[row][col], highs[row][col] = stat
    contours = []
    for target_metric, level in exp.target.items():
        values = grid()
        for i in done:
            row, col = cell(i)
            values[row][col] = _interval(result.values(i, target_metric))[0]
        contours.append(
            plots.Contour(values, level, _standard_label(target_metric, level, scenario))
        )
    base_cell = None
    if base is not None:
        base_cell = (_num(result.points[base][kx]), _num(result.points[base][ky]))
    base_text = ""
    if base is not None and difference:
        base_text = "base\n" + number(_interval(result.values(base, metric))[0], unit)
    note = (
        f"{exp.replications} replications a point, paired on the same seeds; under each value "
        "its 95% interval."
    )
    if contours:
        note += " A red line, where drawn, is where the mean reaches the standard."
    return plots.plot_heatmap(
        xs,
        ys,
        means,
        key_label(kx, scenario),
        key_label(ky, scenario),
        f"{exp.name}\n{title}",
        path,
        lows=lows,
        highs=highs,
        unit=unit,
        difference=difference,
        base=base_cell,
        contours=contours,
        note=note,
        colour_label=colour,
        base_text=base_text,
    )


def _tornado(
    result: SweepResult,
    metric: str,
    scenario: Any,
    stats: dict[int, tuple[float, float, float]],
    path: Path,
) -> list[Path]:
    base = stats[0][0]
    unit = unit_of(metric, scenario)
    name = label(metric, scenario)
    bars = []
    done = sorted(result.replications)
    for k in result.experiment.vary:
        mine = [i for i in done if list(result.points[i]) == [k]]
        if not mine:
            continue
        lo_i = min(mine, key=lambda i: result.points[i][k])
        hi_i = max(mine, key=lambda i: result.points[i][k])
        bars.append(
            (
                key_label(k, scenario),
                stats[lo_i][0],
                stats[hi_i][0],
                number(_num(result.points[lo_i][k])),
                number(_num(result.points[hi_i][k])),
            )
        )
    if not bars:
        return []
    return plots.plot_tornado(
        base,
        bars,
        f"{name} (base {number(base, unit)})",
        f"{result.experiment.name}: {name}\neach key moved alone to its low and high value",
        path,
        unit=unit,
    )


# --------------------------------------------------------------------------- searches


def search_figures(result: SearchResult, out: Path) -> list[Path]:
    """The standard's metric against capacity (one capacity), with the standard drawn in;
    over two capacities, a heatmap of the combinations tried with the standard's line."""
    if _skip() or not result.evaluations:
        return []
    exp = result.experiment
    assert exp.search is not None
    scenario = exp.base_scenario()
    keys = list(exp.search.capacities)
    written: list[Path] = []
    conf = f"{exp.search.confidence:.0%}"
    for c in exp.search.constraints:
        slug = c.metric.replace(".", "_")
        standard = c.at_least if c.at_least is not None else c.at_most
        assert standard is not None
        unit = unit_of(c.metric, scenario)
        name = label(c.metric, scenario)
        rule = f"{'at least' if c.at_least is not None else 'at most'} {number(standard, unit)}"
        if len(keys) == 1:
            xs, means, lows, highs = result.curve(keys[0], c.metric)
            least = result.frontier[0][keys[0]] if result.frontier else None
            title = f"{name}, by {key_label(keys[0], scenario)}"
            title += (
                f"\nleast meeting {rule} with {conf} confidence: {least}"
                if least is not None
                else f"\nno value tried meets {rule} with {conf} confidence"
            )
            written += plots.plot_outcome_vs_capacity(
                xs,
                means,
                lows,
                highs,
                key_label(keys[0], scenario),
                name,
                title,
                out / "plots" / f"search_{slug}",
                target=standard,
                target_label=f"standard: {rule}",
                unit=unit,
            )
        else:
            kx, ky = keys
            gx = sorted({e.capacities[kx] for e in result.evaluations})
            gy = sorted({e.capacities[ky] for e in result.evaluations})
            g_mean = [[math.nan] * len(gx) for _ in gy]
            g_low = [[math.nan] * len(gx) for _ in gy]
            g_high = [[math.nan] * len(gx) for _ in gy]
            meets = [[False] * len(gx) for _ in gy]
            for e in result.evaluations:
                i, j = gy.index(e.capacities[ky]), gx.index(e.capacities[kx])
                g_mean[i][j], g_low[i][j], g_high[i][j] = e.bounds[c.metric]
                meets[i][j] = c.holds(g_low[i][j], g_high[i][j])
            written += plots.plot_heatmap(
                gx,
                gy,
                g_mean,
                key_label(kx, scenario),
                key_label(ky, scenario),
                f"{name} at the capacities tried",
                out / "plots" / f"search_{slug}",
                lows=g_low,
                highs=g_high,
                unit=unit,
                marks=meets,
                mark_label=f"meets the standard ({rule}) with {conf} confidence",
                note=f"Under each mean, its one-sided {conf} bounds; –: not tried (the search "
                "walks down the second capacity for each value of the first).",
            )
    return written
