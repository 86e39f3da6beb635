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

from sim import plots
from sim.compare import AVOIDED_METRICS, Comparison
from sim.engine import run_replication
from sim.experiment import Results
from sim.scenario.model import Scenario

__all__ = ["run_figures", "comparison_figures"]


def _skip() -> bool:
    if not plots.available():
        print("(plots skipped: install matplotlib, e.g. pip install 'nhsim[plots]')", file=sys.stderr)
        return True
    return False


def occupancy_figure(scenario: Scenario, seed: int, path: Path) -> list[Path]:
    tally = run_replication(scenario, seed, trace=True)
    if not tally.occupancy_trace:
        return []
    capacity = {n: getattr(scenario.services[n], "beds", None) for n in tally.occupancy_trace}
    days = list(range(len(next(iter(tally.occupancy_trace.values())))))
    return plots.plot_occupancy_year(
        days, tally.occupancy_trace, capacity,
        f"{scenario.name}: beds in use at midnight (replication 0)", path,
    )


def run_figures(results: Results, out: Path) -> list[Path]:
    if _skip() or not results.n:
        return []
    return occupancy_figure(results.scenario, results.seeds[results.indices[0] if results.indices else 0],
                            out / "plots" / "occupancy")


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
    written += occupancy_figure(comparison.scenario.scenario, comparison.scenario.seeds[0], out / "plots" / "occupancy")
    return written
