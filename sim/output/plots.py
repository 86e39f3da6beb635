"""Figures for board papers: plain labels, intervals always shown, PNG and SVG.

Every function draws one kind of chart and saves it with :func:`save`. Labels come
from :mod:`sim.output.labels` (never a metric's internal name), numbers are written
with thousands separators, shares as percentages and pounds with £, and no figure
writes "-0". Counts, bed days and money go in separate panels, since one axis cannot
show 30 admissions beside 3,000 bed days. A year runs along its months.

matplotlib is imported only when a figure is drawn (it is an optional extra:
``pip install 'nhsim[plots]'``); without it, plotting is skipped with a note.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.output.labels import COUNT_UNITS, interval_text, label, number, unit_of

__all__ = [
    "Band",
    "Bar",
    "available",
    "plot_avoided",
    "plot_heatmap",
    "plot_investment",
    "plot_occupancy_bands",
    "plot_outcome_vs_capacity",
    "plot_published",
    "plot_scatter",
    "plot_tornado",
    "save",
]

BLUE, ORANGE, GREY, RED = "#005EB8", "#ED8B00", "#768692", "#DA291C"  # NHS identity colours
GREEN = "#009639"
DARK, PALE = "#231F20", "#E8EDEE"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 12,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 12,
            "axes.edgecolor": GREY,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.unicode_minus": True,
            "xtick.color": DARK,
            "ytick.color": DARK,
            "figure.dpi": 100,
            "figure.titlesize": 15,
            "figure.titleweight": "bold",
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "svg.fonttype": "none",  # text stays text in the SVG (searchable, editable)
        }
    )
    return plt


def save(fig: Any, path: Path) -> list[Path]:
    """Save as ``path``.png and ``path``.svg (each written whole, then moved into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for ext in ("png", "svg"):
        target = path.with_suffix(f".{ext}")
        tmp = target.with_name(f".{target.name}.tmp")
        fig.savefig(tmp, format=ext, metadata=_metadata(ext))
        tmp.replace(target)
        out.append(target)
    _plt().close(fig)
    return out


def _metadata(ext: str) -> dict[str, Any]:
    """No creation date in the files: the same figure gives the same bytes."""
    return {"Date": None} if ext == "svg" else {"Software": "nhsim (matplotlib)"}


def _tick(value: float, unit: str, signed: bool = False) -> str:
    """An axis tick: as :func:`number`, but pounds in thousands or millions ("£200k"),
    so that the ticks of a money axis do not run into each other."""
    a = abs(value)
    if unit == "£" and a >= 1000:
        body = f"£{a / 1e6:,.3g}m" if a >= 1e6 else f"£{a / 1e3:,.0f}k"
        sign = "\u2212" if value < 0 else ("+" if signed else "")
        return sign + body
    return number(value, unit, signed=signed)


def _formatter(unit: str, signed: bool = False) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: _tick(v, unit, signed))


def _note(fig: Any, text: str, y: float = -0.01) -> None:
    """A footnote under the figure (what the interval is, what is marked)."""
    fig.text(0.01, y, text, ha="left", va="top", fontsize=10, color=GREY, wrap=True)


# --------------------------------------------------------------------------- avoided


def _panel_of(unit: str) -> str:
    if unit in COUNT_UNITS:
        return "people"
    if unit in ("bed days", "£"):
        return unit
    return unit or "other"


PANEL_TITLES = {
    "people": "Patients, calls and attendances avoided a year",
    "bed days": "Bed days avoided a year",
    "£": "Cost avoided a year (£)",
}


def plot_avoided(
    rows: Sequence[tuple[str, float, float, float]],
    title: str,
    path: Path,
    scenario: Any = None,
    subtitle: str = "",
) -> list[Path]:
    """What a scenario avoids a year, with 95% intervals: counts, bed days and money in
    separate panels (each on its own scale).

    ``rows``: (metric, avoided mean, ci low, ci high); ``scenario`` gives the labels'
    service kinds."""
    plt = _plt()
    panels: dict[str, list[tuple[str, float, float, float]]] = {}
    for row in rows:
        panels.setdefault(_panel_of(unit_of(row[0], scenario)), []).append(row)
    heights = [len(p) + 1.2 for p in panels.values()]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(10, 0.62 * sum(heights) + 1.4),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for ax, (panel, items) in zip(axes[:, 0], panels.items()):
        unit = unit_of(items[0][0], scenario)
        labels = [label(r[0], scenario, per_year=False) for r in items]
        means = [r[1] for r in items]
        err = [[max(r[1] - r[2], 0) for r in items], [max(r[3] - r[1], 0) for r in items]]
        colours = [BLUE if m >= 0 else RED for m in means]
        unclear = [r[2] <= 0 <= r[3] for r in items]
        y = list(range(len(items)))
        bars = ax.barh(y, means, xerr=err, color=colours, capsize=5, height=0.55, ecolor=DARK)
        for bar, pale in zip(bars, unclear):
            if pale:  # not distinguishable from no change
                bar.set_alpha(0.4)
        ax.set_yticks(y, labels)
        ax.set_ylim(len(items) - 0.35, -0.65)  # top to bottom, bars of one thickness
        ax.axvline(0, color=DARK, linewidth=0.9)
        ax.xaxis.set_major_formatter(_formatter(unit))
        ax.grid(axis="x", alpha=0.25)
        ax.set_title(PANEL_TITLES.get(panel, f"Avoided a year ({panel})"), fontsize=12)
        lo = min(min(r[2] for r in items), 0.0)
        hi = max(max(r[3] for r in items), 0.0)
        span = (hi - lo) or 1.0
        ax.set_xlim(lo - 0.05 * span, hi + 0.55 * span)
        for yi, r in zip(y, items):
            ax.annotate(
                f"{number(r[1], unit)}  {interval_text(r[2], r[3], unit)}",
                (max(r[3], 0.0), yi),
                xytext=(8, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=11,
                fontweight="bold",
                color=DARK,
            )
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    _note(
        fig,
        (subtitle + "\n" if subtitle else "")
        + "Avoided = counterfactual − scenario, a year: blue is a reduction, red an increase. "
        "Bars show the mean, lines and brackets the 95% interval over paired replications; "
        "a pale bar's interval crosses zero: it cannot be told apart from no change.",
    )
    return save(fig, path)


# --------------------------------------------------------------------------- occupancy


@dataclass(frozen=True)
class Band:
    """Beds in use each day over replications: the median and the 10th and 90th percentiles."""

    median: Sequence[float]
    p10: Sequence[float]
    p90: Sequence[float]
    beds: float | None
    replications: int


def month_axis(ax: Any, days: int) -> None:
    """Ticks at the first of each month of the measured period (which starts on 1 January)."""
    ticks, names, start = [], [], 0
    year = 0
    while start < days:
        for m, length in enumerate(DAYS_IN_MONTH):
            if start >= days:
                break
            ticks.append(start)
            names.append(MONTHS[m] if year == 0 or m else f"Jan\nyear {year + 1}")
            start += length
        year += 1
    step = 1 if days <= 400 else 3 if days <= 1100 else 6
    ax.set_xticks(ticks[::step], names[::step])
    ax.set_xlim(0, max(days - 1, 1))


def plot_occupancy_bands(
    columns: Mapping[str, Mapping[str, Band]],
    title: str,
    path: Path,
) -> list[Path]:
    """Beds in use at midnight over the year, one row a bed pool and one column a scenario
    (e.g. counterfactual and scenario side by side), as the median and 10–90% band over
    replications, with the number of beds."""
    plt = _plt()
    pools = list(dict.fromkeys(p for col in columns.values() for p in col))
    ncol = len(columns)
    fig, axes = plt.subplots(
        len(pools),
        ncol,
        figsize=(6.2 * ncol + 1.0, 2.5 * len(pools) + 1.2),
        sharex=True,
        squeeze=False,
    )
    n_reps = 0
    for j, (column, bands) in enumerate(columns.items()):
        axes[0, j].set_title(column, fontsize=12)
        for i, pool in enumerate(pools):
            ax = axes[i, j]
            band = bands.get(pool)
            if band is None:
                ax.set_axis_off()
                continue
            n_reps = max(n_reps, band.replications)
            days = list(range(len(band.median)))
            ax.fill_between(days, band.p10, band.p90, color=BLUE, alpha=0.22, linewidth=0)
            ax.plot(days, band.median, color=BLUE, linewidth=1.6)
            if band.beds is not None:
                ax.axhline(band.beds, color=RED, linestyle="--", linewidth=1.3)
                ax.annotate(
                    f"{number(band.beds, 'beds')} beds",
                    (1.0, band.beds),
                    xycoords=("axes fraction", "data"),
                    xytext=(-4, 3),
                    textcoords="offset points",
                    ha="right",
                    va="bottom",
                    fontsize=10,
                    color=RED,
                )
            ax.set_ylim(bottom=0)
            ax.yaxis.set_major_formatter(_formatter("beds"))
            ax.grid(axis="y", alpha=0.25)
            month_axis(ax, len(days))
            if j == 0:
                ax.set_ylabel(_pool_label(pool), fontsize=11)
    for i in range(len(pools)):  # a pool's row shares one scale across the columns
        top = max(axes[i, j].get_ylim()[1] for j in range(ncol) if axes[i, j].axison)
        for j in range(ncol):
            if axes[i, j].axison:
                axes[i, j].set_ylim(0, top)
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    _note(
        fig,
        f"Beds (or caseload slots) in use at midnight. Line: median of {n_reps} replications; "
        "shaded: 10th to 90th percentile; dashed: the beds available.",
    )
    return save(fig, path)


def _pool_label(pool: str) -> str:
    from sim.output.labels import pretty_name

    name = pretty_name(pool)
    return f"{name}\nin use" if name.lower().endswith("beds") else f"{name}\nbeds in use"


# --------------------------------------------------------------------------- sweeps


def plot_outcome_vs_capacity(
    x: Sequence[float],
    means: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    xlabel: str,
    ylabel: str,
    title: str,
    path: Path,
    target: float | None = None,
    target_label: str = "standard",
    unit: str = "",
    note: str = "",
) -> list[Path]:
    """An outcome against a capacity, with its 95% interval as a band (and a standard)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.5, 5))
    ax.fill_between(x, lows, highs, color=BLUE, alpha=0.2, label="95% interval", linewidth=0)
    ax.plot(x, means, "-o", color=BLUE, linewidth=2, label="mean")
    if target is not None:
        ax.axhline(target, color=RED, linestyle="--", linewidth=1.5, label=target_label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.yaxis.set_major_formatter(_formatter(unit))
    if all(float(v).is_integer() for v in x):
        ax.set_xticks(list(x), [number(v) for v in x])
    ax.legend(frameon=False)
    ax.grid(axis="y", alpha=0.25)
    fig.tight_layout()
    if note:
        _note(fig, note)
    return save(fig, path)


@dataclass(frozen=True)
class Contour:
    """A standard drawn on a heatmap: where ``values`` (by cell) cross ``level``."""

    values: Sequence[Sequence[float]]
    level: float
    label: str
    at_least: bool = True


def plot_heatmap(
    xs: Sequence[float],
    ys: Sequence[float],
    values: Sequence[Sequence[float]],
    xlabel: str,
    ylabel: str,
    title: str,
    path: Path,
    lows: Sequence[Sequence[float]] | None = None,
    highs: Sequence[Sequence[float]] | None = None,
    unit: str = "",
    difference: bool = False,
    base: tuple[float, float] | None = None,
    contours: Sequence[Contour] = (),
    note: str = "",
    colour_label: str = "",
    base_text: str = "",
    marks: Sequence[Sequence[bool]] | None = None,
    mark_label: str = "",
) -> list[Path]:
    """A metric over two capacities; ``values[i][j]`` at ``ys[i]``, ``xs[j]``.

    With ``difference``: a diverging scale centred on zero, each cell's interval
    written under its value, and cells whose interval contains zero hatched (not
    distinguishable from no change). ``base`` marks the base cell (``base_text`` is
    written in it instead of its zero difference); each :class:`Contour` draws a
    standard's line across the grid (a full grid); ``marks`` outlines cells (those that
    meet a standard, in a search's sparse grid), described by ``mark_label``."""
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    plt = _plt()
    z = np.array(values, dtype=float)
    fig, ax = plt.subplots(figsize=(1.55 * len(xs) + 3.6, 1.05 * len(ys) + 2.6))
    finite = z[np.isfinite(z)]
    if difference:
        m = float(np.max(np.abs(finite))) if finite.size else 1.0
        m = m or 1.0
        im = ax.imshow(z, origin="lower", cmap="PuOr", aspect="auto", norm=TwoSlopeNorm(0, -m, m))
    else:
        im = ax.imshow(z, origin="lower", cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(xs)), [number(v) for v in xs])
    ax.set_yticks(range(len(ys)), [number(v) for v in ys])
    lo_c, hi_c = im.norm.vmin, im.norm.vmax
    unclear = False
    base_cell = None
    if base is not None and base[0] in xs and base[1] in ys:
        base_cell = (list(ys).index(base[1]), list(xs).index(base[0]))
    for i in range(len(ys)):
        for j in range(len(xs)):
            v = z[i, j]
            if math.isnan(v):
                ax.text(j, i, "–", ha="center", va="center", color=GREY)
                continue
            share = (v - lo_c) / (hi_c - lo_c) if hi_c > lo_c else 0.5
            dark_cell = share > 0.75 or (difference and share < 0.25)
            colour = "white" if dark_cell else DARK
            if (i, j) == base_cell and base_text:
                ax.text(j, i, base_text, ha="center", va="center", color=colour, fontsize=9.5)
                continue
            text = number(v, unit, signed=difference)
            exact = lows is not None and highs is not None and lows[i][j] == highs[i][j] == v
            if difference and exact and v == 0:
                text = "no change"
            elif lows is not None and highs is not None and not math.isnan(lows[i][j]):
                text += "\n" + interval_text(lows[i][j], highs[i][j], unit, signed=difference)
            if lows is not None and highs is not None and not math.isnan(lows[i][j]):
                if difference and lows[i][j] <= 0 <= highs[i][j]:
                    unclear = True
                    ax.add_patch(
                        Rectangle(
                            (j - 0.5, i - 0.5),
                            1,
                            1,
                            fill=False,
                            hatch="///",
                            edgecolor=GREY,
                            linewidth=0,
                        )
                    )
            ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=9.5)
    handles: list[Any] = []
    if base_cell is not None:
        bi, bj = base_cell
        ax.add_patch(
            Rectangle((bj - 0.5, bi - 0.5), 1, 1, fill=False, edgecolor=DARK, linewidth=2.5)
        )
        handles.append(Patch(facecolor="none", edgecolor=DARK, linewidth=2.5, label="base"))
    if marks is not None:
        for i in range(len(ys)):
            for j in range(len(xs)):
                if marks[i][j]:
                    ax.add_patch(
                        Rectangle(
                            (j - 0.46, i - 0.46), 0.92, 0.92, fill=False, edgecolor=GREEN, lw=3
                        )
                    )
        handles.append(Patch(facecolor="none", edgecolor=GREEN, linewidth=3, label=mark_label))
    if unclear:
        handles.append(
            Patch(facecolor="none", edgecolor=GREY, hatch="///", label="interval includes 0")
        )
    styles: list[Any] = ["--", ":", "-."]
    for k, c in enumerate(contours):
        cz = np.array(c.values, dtype=float)
        meets = cz >= c.level if c.at_least else cz <= c.level
        ok = np.isfinite(cz)
        style = styles[k % len(styles)]
        text = c.label
        if ok.any() and meets[ok].all():
            text += ": met at every point (no line)"
        elif ok.any() and not meets[ok].any():
            text += ": met at no point (no line)"
        elif len(xs) > 1 and len(ys) > 1:
            filled = np.where(ok, cz, c.level)
            ax.contour(
                np.arange(len(xs)),
                np.arange(len(ys)),
                filled,
                levels=[c.level],
                colors=[RED],
                linewidths=2.2,
                linestyles=style,
            )
        handles.append(Line2D([], [], color=RED, linewidth=2.2, linestyle=style, label=text))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=12.5)
    bar = fig.colorbar(im, ax=ax, shrink=0.85, format=_formatter(unit, signed=difference))
    if colour_label:
        bar.set_label(colour_label)
    fig.tight_layout()
    legend = None
    if handles:
        legend = ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0, -0.12),
            frameon=False,
            ncol=1,
            fontsize=10,
        )
    if note:
        _note_under(fig, ax if legend is None else legend, note)
    return save(fig, path)


def _note_under(fig: Any, artist: Any, text: str) -> None:
    """A footnote just under ``artist`` (an axes' labels, or its legend)."""
    renderer = fig.canvas.get_renderer()
    box = artist.get_tightbbox(renderer) if hasattr(artist, "get_tightbbox") else None
    box = box or artist.get_window_extent(renderer)
    y = box.y0 / fig.bbox.height - 0.015
    fig.text(0.01, y, text, ha="left", va="top", fontsize=10, color=GREY, wrap=True)


def plot_tornado(
    base: float,
    bars: Sequence[tuple[str, float, float, str, str]],
    xlabel: str,
    title: str,
    path: Path,
    unit: str = "",
) -> list[Path]:
    """One-at-a-time sensitivity: for each parameter, the metric at its low and high value.

    ``bars``: (parameter label, value at low, value at high, low label, high label),
    drawn widest first."""
    plt = _plt()
    bars = sorted(bars, key=lambda b: abs(b[2] - b[1]), reverse=True)
    fig, ax = plt.subplots(figsize=(10, 0.62 * len(bars) + 2.0))
    for i, (_name, lo, hi, lo_lab, hi_lab) in enumerate(bars):
        ax.barh(
            i, lo - base, left=base, color=ORANGE, height=0.6, label="low value" if i == 0 else None
        )
        ax.barh(
            i, hi - base, left=base, color=BLUE, height=0.6, label="high value" if i == 0 else None
        )
        same_side = (lo < base) == (hi < base)
        for value, text, dy in (
            (lo, lo_lab, 0.18 if same_side else 0.0),
            (hi, hi_lab, -0.18 if same_side else 0.0),
        ):
            right = value >= base
            ax.annotate(
                text,
                (value, i + dy),
                xytext=(4 if right else -4, 0),
                textcoords="offset points",
                ha="left" if right else "right",
                va="center",
                fontsize=10,
            )
    ax.set_yticks(range(len(bars)), [b[0] for b in bars])
    ax.invert_yaxis()
    ax.axvline(base, color=DARK, linewidth=1)
    ax.xaxis.set_major_formatter(_formatter(unit))
    ax.margins(x=0.15)
    ax.set_xlabel(xlabel)
    fig.suptitle(title, x=0.01, ha="left")
    ax.legend(frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.25)
    fig.tight_layout()
    return save(fig, path)


def plot_scatter(
    params: Sequence[tuple[str, Sequence[float]]],
    means: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    ylabel: str,
    title: str,
    path: Path,
    unit: str = "",
    target: float | None = None,
    target_label: str = "standard",
) -> list[Path]:
    """A Latin hypercube: the metric at each sampled point against each parameter (one
    panel a parameter), with each point's 95% interval."""
    plt = _plt()
    n = len(params)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.6 * cols, 3.8 * rows + 0.8), sharey=True, squeeze=False
    )
    err = [
        [max(m - lo, 0) if not math.isnan(lo) else 0 for m, lo in zip(means, lows)],
        [max(hi - m, 0) if not math.isnan(hi) else 0 for m, hi in zip(means, highs)],
    ]
    for k, (name, xs) in enumerate(params):
        ax = axes[k // cols, k % cols]
        ax.errorbar(xs, means, yerr=err, fmt="o", color=BLUE, ecolor=GREY, capsize=3, ms=5)
        if target is not None:
            ax.axhline(target, color=RED, linestyle="--", linewidth=1.3, label=target_label)
        ax.set_xlabel(name)
        ax.yaxis.set_major_formatter(_formatter(unit))
        if all(float(v).is_integer() for v in xs):  # a capacity: whole numbers on the axis
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.25)
        if k % cols == 0:
            ax.set_ylabel(ylabel)
    for k in range(n, rows * cols):
        axes[k // cols, k % cols].set_axis_off()
    if target is not None:
        axes[0, 0].legend(frameon=False, fontsize=10)
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    _note(fig, "Each dot is one sampled point (its mean over replications), with its 95% interval.")
    return save(fig, path)


# --------------------------------------------------------------------------- reproduce


def plot_published(
    rows: Sequence[tuple[str, float, float, float, float]],
    title: str,
    path: Path,
    scenario: Any = None,
) -> list[Path]:
    """Published figures against the model's, with the model's 95% interval.

    ``rows``: (metric, published, model mean, ci low, ci high), the metric labelled from
    the metric-name table; one panel a figure, since figures differ in size."""
    import textwrap

    plt = _plt()
    fig, axes = plt.subplots(1, len(rows), figsize=(4.4 * len(rows), 5.0), squeeze=False)
    for ax, (metric, published, mean, lo, hi) in zip(axes[0], rows):
        name = "\n".join(textwrap.wrap(label(metric, scenario), 30))
        ax.bar([0], [published], color=GREY, width=0.6, label="published")
        ax.bar(
            [1],
            [mean],
            yerr=[[max(mean - lo, 0)], [max(hi - mean, 0)]],
            color=BLUE,
            width=0.6,
            capsize=8,
            label="model (95% interval)",
        )
        ax.set_xticks([0, 1], ["published", "model"])
        ax.set_title(name, fontsize=11, wrap=True)
        ax.yaxis.set_major_formatter(_formatter(""))
        for x, v in ((0, published), (1, mean)):
            ax.annotate(
                number(v),
                (x, v),
                xytext=(0, 4 if x == 0 else 14),
                textcoords="offset points",
                ha="center",
                fontsize=11,
                fontweight="bold",
            )
        ax.set_ylim(0, max(published, hi if not math.isnan(hi) else mean) * 1.2)
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, frameon=False, loc="upper right", ncol=2, fontsize=10)
    return save(fig, path)


# --------------------------------------------------------------------------- economics


@dataclass(frozen=True)
class Bar:
    """One bar of a summary: a label, its mean and 95% interval, and its unit."""

    label: str
    mean: float
    low: float
    high: float
    unit: str = "£"
    colour: str = BLUE


def plot_investment(
    panels: Sequence[tuple[str, Sequence[Bar]]],
    title: str,
    verdict: str,
    path: Path,
    note: str = "",
) -> list[Path]:
    """The investment summary on one page: what the package costs, what it avoids, the net
    cost and the cost per admission avoided, each with its 95% interval, under the verdict.

    ``panels``: (panel title, bars) drawn side by side, each on its own scale."""
    plt = _plt()
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(5.0 * len(panels), 5.4),
        squeeze=False,
        gridspec_kw={"width_ratios": [max(len(b), 1) + 0.6 for _, b in panels]},
    )
    for ax, (panel, bars) in zip(axes[0], panels):
        xs = list(range(len(bars)))
        for x, b in zip(xs, bars):
            finite = not (math.isnan(b.low) or math.isnan(b.high))
            bounded = finite and not (math.isinf(b.low) or math.isinf(b.high))
            err = [[max(b.mean - b.low, 0)], [max(b.high - b.mean, 0)]] if bounded else None
            ax.bar([x], [b.mean], yerr=err, color=b.colour, width=0.62, capsize=7, ecolor=DARK)
            text = number(b.mean, b.unit)
            if not bounded:
                text += "\n(interval unbounded)"
            elif b.high > b.low:
                text += "\n" + interval_text(b.low, b.high, b.unit)
            top = max(b.mean, b.high if bounded else b.mean, 0.0)
            ax.annotate(
                text,
                (x, top),
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=10.5,
                fontweight="bold",
            )
        ax.set_xticks(xs, [b.label for b in bars], fontsize=10.5)
        ax.axhline(0, color=DARK, linewidth=0.9)
        ax.yaxis.set_major_formatter(_formatter(bars[0].unit if bars else ""))
        ax.grid(axis="y", alpha=0.25)
        ax.set_title(panel, fontsize=12)
        ax.margins(y=0.25)
        ax.set_xlim(-0.6, len(bars) - 0.4)
    fig.suptitle(f"{title}\n{verdict}", x=0.01, ha="left")
    fig.tight_layout()
    _note(
        fig,
        (note + " " if note else "")
        + "Bars: means a year over paired replications; brackets and lines: 95% intervals.",
    )
    return save(fig, path)
