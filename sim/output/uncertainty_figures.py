"""Figures of an uncertainty analysis (PNG and SVG in ``plots/``).

- ``intervals.png``: each avoided figure's 95% uncertainty interval over parameter sets
  beside its stochastic-only interval at the base values;
- ``sobol_<metric>.png``: what a reported metric rests on: each input's first-order and
  total Sobol index with its interval, ranked (this replaces a one-at-a-time tornado:
  every input moves at once, over its whole range, and the bars have intervals);
- ``chance_avoided.png``: the chance that the scenario avoids at least x, against x;
- ``chance_cost_effective.png``: the chance that its net benefit is positive, against
  the willingness to pay for an admission avoided (an acceptability curve);
- ``chance_standard.png``: the chance that each side meets a standard's level, against it;
- ``evppi.png``: the value of perfect information on each input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.output import plots
from sim.output.labels import interval_text, key_label, label, number, unit_of
from sim.output.plots import BLUE, DARK, GREY, ORANGE, PALE, RED, _formatter, _note, _plt, save

__all__ = ["plot_chance", "plot_indices", "plot_intervals", "uncertainty_figures"]


def plot_intervals(
    rows: Sequence[tuple[str, float, float, float, float, float, float]],
    title: str,
    path: Path,
    scenario: Any = None,
    note: str = "",
) -> list[Path]:
    """For each metric: (metric, mean, uncertainty low, high, base mean, ci low, ci high),
    one panel a metric (each on its own scale)."""
    plt = _plt()
    fig, axes = plt.subplots(len(rows), 1, figsize=(10, 1.25 * len(rows) + 1.6), squeeze=False)
    for ax, (m, mean, lo, hi, bmean, blo, bhi) in zip(axes[:, 0], rows):
        unit = unit_of(m, scenario)
        ax.plot([lo, hi], [1, 1], color=BLUE, linewidth=9, solid_capstyle="butt", alpha=0.85)
        ax.plot([mean], [1], "o", color=DARK, ms=6)
        if not math.isnan(blo):
            ax.plot([blo, bhi], [0, 0], color=ORANGE, linewidth=9, solid_capstyle="butt")
            ax.plot([bmean], [0], "o", color=DARK, ms=6)
        ax.set_yticks(
            [1, 0], ["parameters and\nreplications", "replications\nonly (base)"], fontsize=10
        )
        ax.set_ylim(-0.7, 1.7)
        zero = (0.0,) if m.startswith("avoided.") else ()
        finite = [v for v in (lo, hi, blo, bhi, *zero) if not math.isnan(v)]
        span = (max(finite) - min(finite)) or 1.0
        ax.set_xlim(min(finite) - 0.05 * span, max(finite) + 0.45 * span)
        if zero:
            ax.axvline(0, color=GREY, linewidth=0.8)
        ax.xaxis.set_major_formatter(_formatter(unit))
        ax.grid(axis="x", alpha=0.25)
        ax.set_title(label(m, scenario), fontsize=12)
        for y, (c, a, b) in ((1, (mean, lo, hi)), (0, (bmean, blo, bhi))):
            if math.isnan(a):
                continue
            ax.annotate(
                f"{number(c, unit)}  {interval_text(a, b, unit)}",
                (max(finite), y),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=10,
                color=DARK,
            )
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    _note(fig, note)
    return save(fig, path)


def plot_indices(
    bars: Sequence[tuple[str, float, float, float, float, float, float]],
    title: str,
    path: Path,
    note: str = "",
) -> list[Path]:
    """Ranked Sobol indices: (input label, first, low, high, total, low, high), drawn
    largest total first: a pale bar for the total index, a dark one for the first order."""
    plt = _plt()
    bars = sorted(bars, key=lambda b: (-(b[4] if not math.isnan(b[4]) else -1.0), b[0]))
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(bars) + 2.0))
    y = list(range(len(bars)))

    def err(centre: Sequence[float], lo: Sequence[float], hi: Sequence[float]) -> list[list[float]]:
        return [
            [max(c - a, 0.0) if not math.isnan(a) else 0.0 for c, a in zip(centre, lo)],
            [max(b - c, 0.0) if not math.isnan(b) else 0.0 for c, b in zip(centre, hi)],
        ]

    total = [0.0 if math.isnan(b[4]) else b[4] for b in bars]
    first = [0.0 if math.isnan(b[1]) else b[1] for b in bars]
    ax.barh(
        [v - 0.17 for v in y],
        total,
        height=0.34,
        color=PALE,
        edgecolor=BLUE,
        xerr=err(total, [b[5] for b in bars], [b[6] for b in bars]),
        ecolor=GREY,
        capsize=3,
        label="total (with its interactions)",
    )
    ax.barh(
        [v + 0.17 for v in y],
        first,
        height=0.34,
        color=BLUE,
        xerr=err(first, [b[2] for b in bars], [b[3] for b in bars]),
        ecolor=DARK,
        capsize=3,
        label="first order (the input alone)",
    )
    ax.set_yticks(y, [b[0] for b in bars])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.0)
    ax.xaxis.set_major_formatter(_formatter("share"))
    ax.set_xlabel("Share of the parameter variance")
    ax.grid(axis="x", alpha=0.25)
    ax.legend(frameon=False, loc="lower right", fontsize=10)
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    _note(fig, note)
    return save(fig, path)


Line = tuple[str, Sequence[float], Sequence[float], Sequence[float], Sequence[float]]
"""A curve of a chance figure: (label, x, probability, marks, the probability at each mark)."""


def plot_chance(
    panels: Sequence[tuple[str, str, Sequence[Line]]],
    title: str,
    path: Path,
    note: str = "",
) -> list[Path]:
    """Probability curves, one panel each: (panel title, x unit, lines). Each mark (a
    threshold of the experiment) is drawn as a dashed line, with the chance there: beside
    it for a panel of one line, in the legend for several."""
    plt = _plt()
    n = len(panels)
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    width = 5.6 * cols if cols > 1 else 9.0
    fig, axes = plt.subplots(rows, cols, figsize=(width, 4.0 * rows + 0.8), squeeze=False)
    colours = (BLUE, ORANGE, GREY)
    for k, (name, unit, lines) in enumerate(panels):
        ax = axes[k // cols, k % cols]
        for x in lines[0][3] if lines else []:
            ax.axvline(x, color=RED, linestyle="--", linewidth=1.2)
        for j, (text, xs, ps, marks, at) in enumerate(lines):
            chances = ", ".join(
                f"{number(p, 'share')} at {number(x, unit)}" for x, p in zip(marks, at)
            )
            legend = f"{text} ({chances})" if text and chances else text or None
            ax.plot(xs, ps, color=colours[j % len(colours)], linewidth=2, label=legend)
            if len(lines) == 1:
                for x, p in zip(marks, at):
                    ax.annotate(
                        f"{number(p, 'share')} at {number(x, unit)}",
                        (x, p),
                        xytext=(6, -16 if p > 0.85 else 6),
                        textcoords="offset points",
                        fontsize=10,
                        color=RED,
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1},
                    )
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(_formatter("share"))
        ax.xaxis.set_major_formatter(_formatter(unit))
        ax.set_title(name, fontsize=12)
        ax.grid(alpha=0.25)
        if len(lines) > 1:
            ax.legend(frameon=False, fontsize=10, loc="lower left")
    for k in range(n, rows * cols):
        axes[k // cols, k % cols].set_axis_off()
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    _note(fig, note)
    return save(fig, path)


def plot_evppi(
    bars: Sequence[tuple[str, float]], evpi: float, title: str, path: Path, note: str = ""
) -> list[Path]:
    """EVPPI of each input (£ a year), ranked, with the EVPI of all inputs as a line."""
    plt = _plt()
    bars = sorted(bars, key=lambda b: (-(b[1] if not math.isnan(b[1]) else -1.0), b[0]))
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(bars) + 2.0))
    y = list(range(len(bars)))
    ax.barh(y, [0.0 if math.isnan(b[1]) else b[1] for b in bars], color=BLUE, height=0.6)
    ax.set_yticks(y, [b[0] for b in bars])
    ax.invert_yaxis()
    if not math.isnan(evpi):
        ax.axvline(
            evpi,
            color=RED,
            linestyle="--",
            linewidth=1.3,
            label=f"all inputs (EVPI) {number(evpi, '£')}",
        )
        ax.legend(frameon=False, loc="lower right", fontsize=10)
    ax.xaxis.set_major_formatter(_formatter("£"))
    ax.set_xlabel("Expected value of perfect information (£ a year)")
    ax.grid(axis="x", alpha=0.25)
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    _note(fig, note)
    return save(fig, path)


COST_ITEMS = {
    "per_wte_year": "cost a WTE a year",
    "per_bed_day": "cost a bed a day",
    "per_vehicle_day": "cost a vehicle a day",
}


def input_label(key: str, scenario: Any = None) -> str:
    """An uncertain input as a figure shows it: a distribution's parameter as "mean of"
    its key, a capacity cost by its service and item."""
    parts = key.split(".")
    if parts[0] == "costs" and len(parts) == 4 and parts[1] == "capacity":
        item = COST_ITEMS.get(parts[3], parts[3].replace("_", " "))
        return f"{key_label(f'services.{parts[2]}.x', scenario).split(':')[0]}: {item}"
    if parts[0] == "costs":
        return "Cost: " + " ".join(p.replace("_", " ") for p in parts[1:])
    if parts[-1] == "mean" and len(parts) > 3:
        text = f"{key_label('.'.join(parts[:-1]), scenario)} (mean)"
    else:
        text = key_label(key, scenario)
    for words, plain in WORDS.items():
        text = text.replace(words, plain)
    return text


WORDS = {
    "los days": "length of stay, days",
    "visit minutes": "visit, minutes",
    "call minutes": "call, minutes",
    "discharge delay days": "days to discharge to",
    "on scene by cohort ": "",
    "call before convey": "share phoned to the hub",
}
"""Words of a key that read better otherwise on a figure."""


def _labels(result: Any, scenario: Any) -> dict[str, str]:
    """Each input's label; one set on several keys (``also``) says how many more."""
    out = {}
    for inp in result.plan.inputs:
        more = len(inp.spec.also)
        out[inp.key] = input_label(inp.key, scenario) + (
            f" (and {more} more cohort{'s' * (more != 1)})" if more else ""
        )
    return out


def _design_note(analysis: Any) -> str:
    exp = analysis.result.experiment
    return (
        f"{len(analysis.sets)} parameter sets ({exp.sampling.method}), "
        f"{exp.replications} {'paired ' if exp.counterfactual else ''}replications each, seed {exp.seed}."
    )


def uncertainty_figures(analysis: Any, out: Path) -> list[Path]:
    """Every figure of an analysis that has data; none without matplotlib."""
    if not plots.available():
        import sys

        print(
            "note: matplotlib is not installed: no figures (pip install 'nhsim[plots]')",
            file=sys.stderr,
        )
        return []
    result = analysis.result
    exp = result.experiment
    scenario = result.plan.scenarios[(-1, "scenario")]
    written: list[Path] = []
    design = _design_note(analysis)
    names = _labels(result, scenario)
    rows = [
        (
            m.metric,
            m.spread.mean,
            m.spread.low,
            m.spread.high,
            m.base.mean if m.base else math.nan,
            m.base.ci_low if m.base else math.nan,
            m.base.ci_high if m.base else math.nan,
        )
        for m in analysis.metrics
        if m.metric in exp.report and not math.isnan(m.spread.mean)
    ]
    if rows:
        written += plot_intervals(
            rows,
            f"{exp.name}: what is known",
            out / "plots" / "intervals",
            scenario,
            f"Blue: 95% uncertainty interval over the parameter sets' means (the inputs' "
            f"uncertainty and the replications' randomness); orange: the stochastic-only 95% "
            f"interval at the base values ({exp.sampling.base_replications} replications). {design}",
        )
    for metric in exp.report:
        ind = analysis.indices.get(metric)
        if ind is None or all(math.isnan(i.total) for i in ind.indices):
            continue
        share = next(
            (m.spread.parameter_share for m in analysis.metrics if m.metric == metric), math.nan
        )
        how = (
            "model-free (Saltelli design)"
            if ind.method == "saltelli"
            else "from a polynomial chaos metamodel"
        )
        extra = (
            ""
            if math.isnan(share)
            else f" The parameters make {number(share, 'share')} of the spread of the set means."
        )
        written += plot_indices(
            [
                (
                    key_label(i.input, scenario),
                    i.first,
                    i.first_low,
                    i.first_high,
                    i.total,
                    i.total_low,
                    i.total_high,
                )
                for i in ind.indices
            ],
            f"{exp.name}: what {label(metric, scenario, per_year=False).lower()} rests on",
            out / "plots" / f"sobol_{metric.replace('.', '_')}",
            f"Sobol indices {how}, with 95% bootstrap intervals. {design}{extra}",
        )
    avoided = [c for c in analysis.curves if c.name == "avoided"]
    if avoided:
        written += plot_chance(
            [
                (
                    "Chance of avoiding at least x "
                    + label(c.metric.removeprefix("avoided."), scenario, per_year=False).lower(),
                    unit_of(c.metric, scenario),
                    [("", c.x, c.probability, c.marks, c.at_marks)],
                )
                for c in avoided
            ],
            f"{exp.name}: the chance of avoiding at least so many a year",
            out / "plots" / "chance_avoided",
            f"Share of the parameter sets whose mean avoids at least x a year. {design}",
        )
    ceac = [c for c in analysis.curves if c.name == "net_benefit"]
    if ceac:
        c = ceac[0]
        written += plot_chance(
            [
                (
                    "Chance that the net benefit is positive",
                    "£",
                    [("", c.x, c.probability, c.marks, c.at_marks)],
                )
            ],
            f"{exp.name}: the chance that the investment is worth it",
            out / "plots" / "chance_cost_effective",
            "Net benefit = willingness to pay (x) × admissions avoided − net cost (cost.total "
            f"of the scenario − the counterfactual's). At x = 0: the chance of saving money. {design}",
        )
    by_metric: dict[str, list[Any]] = {}
    for c in analysis.curves:
        if c.name == "standard":
            by_metric.setdefault(c.metric.removeprefix("counterfactual."), []).append(c)
    if by_metric:
        written += plot_chance(
            [
                (
                    label(metric, scenario, per_year=False),
                    unit_of(metric, scenario),
                    [
                        (
                            "Counterfactual"
                            if c.metric.startswith("counterfactual.")
                            else "Scenario",
                            c.x,
                            c.probability,
                            c.marks,
                            c.at_marks,
                        )
                        for c in sorted(
                            curves,
                            key=lambda c: not c.metric.startswith("counterfactual."),
                            reverse=True,
                        )
                    ],
                )
                for metric, curves in by_metric.items()
            ],
            f"{exp.name}: the chance of reaching each level of the standard",
            out / "plots" / "chance_standard",
            f"Share of the parameter sets whose mean is at least x; the dashed line is the "
            f"standard. {design}",
        )
    v = analysis.value
    if v is not None and any(not math.isnan(x) for x in v.evppi.values()):
        written += plot_evppi(
            [(names[k], x) for k, x in v.evppi.items()],
            v.evpi,
            f"{exp.name}: the value of knowing each input",
            out / "plots" / "evppi",
            f"What the decision would gain a year, on average, from knowing the input's true value "
            f"(net benefit at £{v.willingness_to_pay:,.0f} an admission avoided; regression on each "
            f"input, Strong, Oakley & Brennan 2014). {design}",
        )
    return written
