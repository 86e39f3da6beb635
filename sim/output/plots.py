"""Figures for board papers: large type, intervals always shown, PNG and SVG.

matplotlib is imported only when a figure is drawn (it is an optional extra:
``pip install 'nhsim[plots]'``); without it, plotting is skipped with a note.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "available",
    "plot_avoided",
    "plot_heatmap",
    "plot_occupancy_year",
    "plot_outcome_vs_capacity",
    "plot_tornado",
    "save",
]

BLUE, ORANGE, GREY, RED = "#005EB8", "#ED8B00", "#768692", "#DA291C"  # NHS identity colours


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
            "font.size": 12,
            "axes.titlesize": 14,
            "axes.labelsize": 12,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
        }
    )
    return plt


def save(fig: Any, path: Path) -> list[Path]:
    """Save as ``path``.png and ``path``.svg; returns both paths."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for ext in ("png", "svg"):
        target = path.with_suffix(f".{ext}")
        tmp = target.with_name(f".{target.name}.tmp")
        fig.savefig(tmp, format=ext)
        tmp.replace(target)
        out.append(target)
    _plt().close(fig)
    return out


def _number(v: float) -> str:
    text = f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return text.lstrip("-") if text.lstrip("-").strip("0.,") == "" else text  # never "-0"


def _label(metric: str) -> str:
    return metric.replace("_", " ").replace(".", ": ", 1)


def plot_avoided(
    rows: Sequence[tuple[str, float, float, float]], title: str, path: Path
) -> list[Path]:
    """Horizontal bars of what a scenario avoids, a year, with 95% intervals.

    ``rows``: (metric, avoided mean, ci low, ci high)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 0.7 * len(rows) + 1.5))
    labels = [_label(r[0]) for r in rows]
    means = [r[1] for r in rows]
    err = [[r[1] - r[2] for r in rows], [r[3] - r[1] for r in rows]]
    colours = [BLUE if m >= 0 else RED for m in means]
    y = range(len(rows))
    ax.barh(list(y), means, xerr=err, color=colours, capsize=6, height=0.6)
    ax.set_yticks(list(y), labels)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    for yi, r in zip(y, rows):
        ax.annotate(
            f"{r[1]:,.0f}",
            (max(r[3], 0.0), yi),
            xytext=(8, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=11,
            fontweight="bold",
        )
    ax.set_xlabel("avoided a year (counterfactual − scenario), with 95% interval")
    ax.set_title(title)
    return save(fig, path)


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
) -> list[Path]:
    """An outcome against a capacity, with its 95% interval as a band."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.fill_between(x, lows, highs, color=BLUE, alpha=0.2, label="95% interval")
    ax.plot(x, means, "-o", color=BLUE, linewidth=2, label="mean")
    if target is not None:
        ax.axhline(target, color=RED, linestyle="--", linewidth=1.5, label=target_label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if all(float(v).is_integer() for v in x):
        ax.set_xticks(list(x))
    ax.legend(frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return save(fig, path)


def plot_heatmap(
    xs: Sequence[float],
    ys: Sequence[float],
    values: Sequence[Sequence[float]],
    xlabel: str,
    ylabel: str,
    title: str,
    path: Path,
) -> list[Path]:
    """A metric over two capacities; ``values[i][j]`` at ``ys[i]``, ``xs[j]``."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 6))
    im = ax.imshow(values, origin="lower", cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
    ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
    finite = [v for row in values for v in row if not math.isnan(v)]
    mid = (min(finite) + max(finite)) / 2 if finite else 0
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            ax.text(
                j,
                i,
                "-" if math.isnan(v) else _number(v),
                ha="center",
                va="center",
                color="white" if v > mid else "black",
                fontsize=11,
            )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, shrink=0.85)
    return save(fig, path)


def plot_tornado(
    base: float,
    bars: Sequence[tuple[str, float, float, str, str]],
    xlabel: str,
    title: str,
    path: Path,
) -> list[Path]:
    """One-at-a-time sensitivity: for each parameter, the metric at its low and high value.

    ``bars``: (parameter, value at low, value at high, low label, high label), drawn
    widest first."""
    plt = _plt()
    bars = sorted(bars, key=lambda b: abs(b[2] - b[1]), reverse=True)
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(bars) + 1.8))
    for i, (_name, lo, hi, lo_lab, hi_lab) in enumerate(bars):
        ax.barh(
            i, lo - base, left=base, color=ORANGE, height=0.6, label="low value" if i == 0 else None
        )
        ax.barh(
            i, hi - base, left=base, color=BLUE, height=0.6, label="high value" if i == 0 else None
        )
        same_side = (lo < base) == (hi < base)
        for value, label, dy in (
            (lo, lo_lab, 0.18 if same_side else 0.0),
            (hi, hi_lab, -0.18 if same_side else 0.0),
        ):
            right = value >= base
            ax.annotate(
                label,
                (value, i + dy),
                xytext=(4 if right else -4, 0),
                textcoords="offset points",
                ha="left" if right else "right",
                va="center",
                fontsize=10,
            )
    ax.set_yticks(range(len(bars)), [b[0] for b in bars])
    ax.invert_yaxis()
    ax.axvline(base, color="black", linewidth=1)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(frameon=False, loc="lower right")
    return save(fig, path)


def plot_occupancy_year(
    days: Sequence[float],
    occupied: dict[str, Sequence[float]],
    capacity: dict[str, float | None],
    title: str,
    path: Path,
) -> list[Path]:
    """Beds in use each day of the measured year, one line a bed pool, with capacity."""
    plt = _plt()
    names = list(occupied)
    fig, axes = plt.subplots(
        len(names), 1, figsize=(10, 2.6 * len(names) + 0.6), sharex=True, squeeze=False
    )
    for ax, name in zip(axes[:, 0], names):
        ax.plot(days, occupied[name], color=BLUE, linewidth=1.5)
        cap = capacity.get(name)
        if cap is not None:
            ax.axhline(cap, color=RED, linestyle="--", linewidth=1.2, label=f"{cap:g} beds")
            ax.legend(frameon=False, loc="lower right")
        ax.set_ylabel(name.replace("_", " "))
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", alpha=0.3)
    axes[-1, 0].set_xlabel("day of the measured year")
    fig.suptitle(title)
    return save(fig, path)


def plot_published(
    rows: Sequence[tuple[str, float, float, float, float]], title: str, path: Path
) -> list[Path]:
    """Published figures against the model's, with the model's 95% interval.

    ``rows``: (figure, published, model mean, ci low, ci high); one panel a figure,
    since figures differ in size."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(rows), figsize=(4.2 * len(rows), 4.6), squeeze=False)
    for ax, (name, published, mean, lo, hi) in zip(axes[0], rows):
        ax.bar([0], [published], color=GREY, width=0.6, label="published")
        ax.bar(
            [1],
            [mean],
            yerr=[[mean - lo], [hi - mean]],
            color=BLUE,
            width=0.6,
            capsize=8,
            label="model (95% interval)",
        )
        ax.set_xticks([0, 1], ["published", "model"])
        ax.set_title(name, fontsize=12)
        for x, v in ((0, published), (1, mean)):
            ax.annotate(
                f"{v:,.0f}",
                (x, v),
                xytext=(0, 4 if x == 0 else 14),
                textcoords="offset points",
                ha="center",
                fontsize=11,
                fontweight="bold",
            )
        ax.set_ylim(0, max(published, hi) * 1.18)
    axes[0][0].legend(frameon=False, loc="lower left", fontsize=10)
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)
