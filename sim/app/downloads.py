"""What the page's download buttons hand over, built in plain Python.

- the changed scenario as a TOML file that loads back to the very scenario that ran;
- ``comparison.csv``, the same text ``nhsim compare`` writes;
- the figures ``nhsim compare`` draws (PNG);
- the board paper (HTML and PDF) from a results folder written as ``nhsim compare``
  writes it, in a private temporary folder that is removed afterwards.

The report and the animation come from their own modules; where those are missing,
:func:`report_available` and :func:`animation_available` say so and the page tells
the person instead of failing.
"""

from __future__ import annotations

import importlib
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.app.sources import Source
from sim.app.tomlwriter import dumps
from sim.output.results import comparison_csv, write_comparison
from sim.runs.compare import Comparison

__all__ = [
    "animation_available",
    "animation_html",
    "figure_pngs",
    "report",
    "report_available",
    "results_csv",
    "scenario_toml",
]


def scenario_toml(
    source: Source, overrides: list[str], version: str, changes: list[str] | None = None
) -> str:
    """The changed scenario as TOML: the file's data, ``extends`` resolved, with the changes.

    Loading it with :func:`sim.load_scenario` gives the scenario the page ran."""
    lines = [
        f"Written by the nhsim {version} app from {source.label}, with these changes",
        "(the same as nhsim compare with --set):",
        *[f"  --set {o}" for o in overrides],
    ]
    if not overrides:
        lines[0] = f"Written by the nhsim {version} app from {source.label}, unchanged."
        lines.pop(1)
    if changes:
        lines += ["In words:", *[f"  {c}" for c in changes]]
    return dumps(source.resolved_data(overrides, rename=bool(overrides)), "\n".join(lines))


def results_csv(comparison: Comparison) -> str:
    """``comparison.csv`` as ``nhsim compare`` writes it."""
    return comparison_csv(comparison)


def figure_pngs(comparison: Comparison) -> dict[str, bytes]:
    """The comparison's figures as PNG bytes by name (``avoided``, ``occupancy``)."""
    from sim.output import plots
    from sim.output.figures import comparison_figures

    if not plots.available():
        return {}
    with tempfile.TemporaryDirectory(prefix="nhsim-figures-") as tmp:
        written = comparison_figures(comparison, Path(tmp))
        return {p.stem: p.read_bytes() for p in written if p.suffix == ".png"}


def _module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def report_available() -> bool:
    """Whether this nhsim can write the board paper (``sim.output.report``)."""
    mod = _module("sim.output.report")
    return mod is not None and hasattr(mod, "render_html") and hasattr(mod, "render_pdf")


def animation_available() -> bool:
    """Whether this nhsim can animate a replication (``sim.output.animation``)."""
    mod = _module("sim.output.animation")
    return mod is not None and hasattr(mod, "animate") and hasattr(mod, "standalone_html")


def report(comparison: Comparison, kind: str, command: list[str] | None = None) -> bytes:
    """The board paper of ``comparison``: ``kind`` is ``"html"`` or ``"pdf"``."""
    from sim.output.figures import comparison_figures

    report_module = importlib.import_module("sim.output.report")

    with tempfile.TemporaryDirectory(prefix="nhsim-report-") as tmp:
        out = Path(tmp) / "results"
        write_comparison(
            out, comparison, command or ["nhsim", "app"], datetime.now(UTC), backend="local"
        )
        comparison_figures(comparison, out)
        if kind == "pdf":
            return bytes(report_module.render_pdf(out))
        return str(report_module.render_html(out)).encode("utf-8")


def animation_html(fig: Any) -> bytes:
    """The animation as one self-contained HTML page (plotly.js inlined)."""
    from sim.output import animation

    return str(animation.standalone_html(fig)).encode("utf-8")
