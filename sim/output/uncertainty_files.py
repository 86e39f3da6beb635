"""The tables of an uncertainty analysis, as tidy CSV (one row per thing, every row
self-describing), and the base values' comparison as ``nhsim compare`` writes it.

- ``uncertainty.csv``: each metric's mean, 95% uncertainty interval and variance shares
  over parameter sets, beside the stochastic-only interval at the base values;
- ``indices.csv``: each metric × input's first-order and total Sobol indices;
- ``decision.csv``: the chance of each decision question, with its interval;
- ``evppi.csv``: the value of perfect information on all inputs and each one;
- ``curves.csv``: the probability curves drawn in ``plots/``;
- ``convergence.csv``: the indices from the first quarter, half and all of the sets;
- ``inputs.csv``: each uncertain input, its distribution, source and 95% range;
- ``sets.csv``: each parameter set's values and its metrics' means;
- ``base/comparison.csv``: the comparison at the base values, the file ``nhsim compare``
  writes for the same seed and replications.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from sim.output.files import write_atomic
from sim.output.results import comparison_csv, csv_text
from sim.runs.uncertainty import BASE, UncertaintyResult
from sim.runs.uncertainty_analysis import Analysis
from sim.runs.uncertainty_stats import Indices

__all__ = ["base_comparison", "write_tables"]


def _num(x: Any) -> Any:
    """A float as the CSV writes it (NaN left empty)."""
    if isinstance(x, (float, np.floating)):
        return "" if math.isnan(float(x)) else float(x)
    return x


def uncertainty_csv(analysis: Analysis) -> str:
    exp = analysis.result.experiment
    rows: list[list[Any]] = [
        [
            "metric",
            "mean",
            "ui_low",
            "ui_high",
            "sd",
            "parameter_share",
            "replication_share",
            "sets",
            "replications",
            "base_mean",
            "base_ci_low",
            "base_ci_high",
            "base_replications",
        ]
    ]
    for m in analysis.metrics:
        sp, b = m.spread, m.base
        rows.append(
            [
                m.metric,
                sp.mean,
                sp.low,
                sp.high,
                math.sqrt(sp.total_variance) if sp.total_variance >= 0 else math.nan,
                sp.parameter_share,
                sp.noise_share,
                sp.sets,
                sp.replications,
                b.mean if b else math.nan,
                b.ci_low if b else math.nan,
                b.ci_high if b else math.nan,
                b.n if b else exp.sampling.base_replications,
            ]
        )
    return csv_text([[_num(c) for c in r] for r in rows])


def _index_rows(metric: str, ind: Indices, extra: list[Any]) -> list[list[Any]]:
    return [
        [
            metric,
            *extra,
            i.input,
            i.first,
            i.first_low,
            i.first_high,
            i.total,
            i.total_low,
            i.total_high,
            ind.method,
            ind.sets,
            ind.explained,
        ]
        for i in ind.indices
    ]


_INDEX_HEADER = [
    "input",
    "first_order",
    "first_low",
    "first_high",
    "total",
    "total_low",
    "total_high",
    "method",
    "sets",
    "explained",
]


def indices_csv(analysis: Analysis) -> str:
    rows: list[list[Any]] = [["metric", *_INDEX_HEADER]]
    for metric, ind in analysis.indices.items():
        rows += _index_rows(metric, ind, [])
    return csv_text([[_num(c) for c in r] for r in rows])


def convergence_csv(analysis: Analysis) -> str:
    rows: list[list[Any]] = [["metric", *_INDEX_HEADER]]
    for metric, levels in analysis.convergence.items():
        for ind in levels:
            rows += _index_rows(metric, ind, [])
    return csv_text([[_num(c) for c in r] for r in rows])


def decision_csv(analysis: Analysis) -> str:
    rows: list[list[Any]] = [
        ["question", "metric", "side", "threshold", "probability", "ci_low", "ci_high", "sets"]
    ]
    for p in analysis.probabilities:
        rows.append(
            [p.question, p.metric, p.side, p.threshold, p.probability, p.low, p.high, p.sets]
        )
    return csv_text([[_num(c) for c in r] for r in rows])


def evppi_csv(analysis: Analysis) -> str:
    rows: list[list[Any]] = [["input", "evppi", "share_of_evpi", "willingness_to_pay"]]
    v = analysis.value
    if v is not None:
        rows.append(
            ["all inputs (EVPI)", v.evpi, 1.0 if v.evpi > 0 else math.nan, v.willingness_to_pay]
        )
        for k, x in v.evppi.items():
            rows.append([k, x, x / v.evpi if v.evpi > 0 else math.nan, v.willingness_to_pay])
    return csv_text([[_num(c) for c in r] for r in rows])


def curves_csv(analysis: Analysis) -> str:
    rows: list[list[Any]] = [["curve", "metric", "x", "probability"]]
    for c in analysis.curves:
        rows += [[c.name, c.metric, x, p] for x, p in zip(c.x, c.probability)]
    return csv_text([[_num(c) for c in r] for r in rows])


def inputs_csv(analysis: Analysis) -> str:
    rows: list[list[Any]] = [
        ["input", "distribution", "low_2_5", "high_97_5", "base", "rest", "also", "source"]
    ]
    for inp in analysis.result.plan.inputs:
        lo, hi = inp.spec.central_range()
        base = inp.base if not isinstance(inp.base, dict) else ""
        rows.append(
            [
                inp.key,
                inp.spec.describe(),
                lo,
                hi,
                base,
                inp.spec.rest or "",
                " ".join(inp.spec.also),
                inp.spec.source,
            ]
        )
    return csv_text([[_num(c) for c in r] for r in rows])


def _value_columns(result: UncertaintyResult) -> list[tuple[str, str, str | None]]:
    """(column, input key, share) for each input value: a Dirichlet gives one a share."""
    out: list[tuple[str, str, str | None]] = []
    for inp in result.plan.inputs:
        if isinstance(inp.base, dict):
            out += [(f"{inp.key}.{k}", inp.key, k) for k in inp.base]
        else:
            out.append((inp.key, inp.key, None))
    return out


def sets_csv(analysis: Analysis) -> str:
    result = analysis.result
    columns = _value_columns(result)
    metrics = [m.metric for m in analysis.metrics]
    rows: list[list[Any]] = [
        ["set", "role", "row", "swapped", *(c for c, _, _ in columns), *metrics]
    ]
    for pset in result.plan.sets:
        if pset.index not in result.data:
            continue
        values = []
        for _, key, part in columns:
            v = pset.values[key]
            values.append(v[part] if part is not None else v)
        means = [float(np.mean(result.values(pset.index, m))) for m in metrics]
        rows.append([pset.index, pset.role, pset.row, pset.swapped or "", *values, *means])
    return csv_text([[_num(c) for c in r] for r in rows])


def base_comparison(result: UncertaintyResult) -> Any:
    """The base values' replications as a :class:`~sim.runs.compare.Comparison`, or None."""
    from sim.engine.streams import replication_seeds
    from sim.runs.compare import Comparison
    from sim.runs.replications import Results

    exp = result.experiment
    if BASE not in result.data or not exp.counterfactual:
        return None
    n = exp.sampling.base_replications
    seeds = replication_seeds(exp.seed, n)
    sides = {}
    for side in ("counterfactual", "scenario"):
        scenario = result.plan.scenarios[(BASE, side)]
        sides[side] = Results(
            scenario, exp.seed, seeds, list(result.data[BASE][side]), list(range(n))
        )
    return Comparison(sides["counterfactual"], sides["scenario"])


def write_tables(analysis: Analysis, out: Path) -> list[Path]:
    """Write every table of the analysis into ``out``; returns the files written."""
    files = {
        "uncertainty.csv": uncertainty_csv(analysis),
        "indices.csv": indices_csv(analysis),
        "decision.csv": decision_csv(analysis),
        "evppi.csv": evppi_csv(analysis),
        "curves.csv": curves_csv(analysis),
        "convergence.csv": convergence_csv(analysis),
        "inputs.csv": inputs_csv(analysis),
        "sets.csv": sets_csv(analysis),
    }
    comparison = base_comparison(analysis.result)
    if comparison is not None:
        files["base/comparison.csv"] = comparison_csv(comparison)
    written = []
    for name, text in files.items():
        write_atomic(out / name, text)
        written.append(out / name)
    return written
