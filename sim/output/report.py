"""A board paper from a results folder, as a self-contained HTML page and as a PDF.

``nhsim report RESULTS_DIR`` (and the web app) call :func:`write_report`, which writes
``report.html`` and ``report.pdf``. The paper states the question (the scenarios
compared, or the one run), the scenario in a short table, the headline figures with
95% intervals, the investment and its cost per admission avoided when the scenario
has costs, the figures, warnings, the assumptions and their sources, and a STRESS-DES
reporting checklist filled from the manifest and the resolved scenario.

The figures are those in ``plots/``; a folder written with ``--no-plots`` gets them
drawn here (:mod:`sim.output.figures`), in a temporary folder: the report writes
nothing into the results folder but its two files. The PDF is made by weasyprint from
the same HTML (system fonts, no network).
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from sim.output.report_data import ReportError, ResultsFolder, read_results
from sim.output.report_html import Figure, render
from sim.output.results import write_atomic

__all__ = ["ReportError", "render_html", "render_pdf", "write_report"]

CAPTIONS = {
    "avoided": "What the scenario avoids a year, with 95% intervals (paired replications).",
    "occupancy": "Beds in use at midnight over the measured period: the median and 10th to "
    "90th percentiles of the first five replications (a comparison: both scenarios side by side).",
    "investment": "The investment: its cost, the activity costs it saves, its net cost, what it "
    "avoids and its net cost per admission avoided, with 95% intervals.",
}


def _caption(path: Path) -> str:
    return CAPTIONS.get(path.stem, path.stem.replace("_", " ").capitalize() + ".")


def _draw_figures(folder: ResultsFolder, into: Path) -> list[Path]:
    """Draw a results folder's figures (as ``nhsim run`` or ``compare`` would) into ``into``."""
    from sim.output import plots
    from sim.output.figures import occupancy_figure
    from sim.runs.compare import AVOIDED_METRICS
    from sim.scenario.model import validate_scenario

    if not plots.available():
        return []
    written: list[Path] = []
    if folder.is_comparison:
        rows = []
        for metric in AVOIDED_METRICS:
            row = folder.comparison.get(metric)
            if row is not None and math.isfinite(row.mean):
                rows.append((metric, *row.avoided()))
        if rows:
            names = (
                folder.scenarios["scenario"].get("name"),
                folder.scenarios["counterfactual"].get("name"),
            )
            title = f"Avoided a year: {names[0]} vs {names[1]}"
            written += plots.plot_avoided(rows, title, into / "avoided")
    seed = folder.first_seeds.get("scenario")
    if seed is not None:
        try:
            scenario = validate_scenario(folder.scenarios["scenario"])
        except ValueError:
            scenario = None  # a scenario.json this version cannot read: no occupancy figure
        if scenario is not None:
            written += occupancy_figure(scenario, seed, into / "occupancy")
    return [p for p in written if p.suffix == ".png"]


def _figures(folder: ResultsFolder) -> list[Figure]:
    if folder.plots:
        return [(_caption(p), p.read_bytes()) for p in folder.plots]
    with tempfile.TemporaryDirectory(prefix="nhsim-report-") as tmp:
        return [(_caption(p), p.read_bytes()) for p in _draw_figures(folder, Path(tmp))]


def render_html(results_dir: Path) -> str:
    """The board paper of a results folder as one self-contained HTML page.

    Raises :class:`ReportError` if the folder is missing or not a results folder."""
    folder = read_results(Path(results_dir))
    return render(folder, _figures(folder))


def _pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except ImportError as err:  # pragma: no cover - the app extra installs it
        raise ReportError(
            f"the PDF needs weasyprint (pip install 'nhsim[app]'), which could not be loaded: {err}"
        ) from None
    pdf: bytes = HTML(string=html, base_url=None).write_pdf()
    return pdf


def render_pdf(results_dir: Path) -> bytes:
    """The board paper as PDF (weasyprint, from :func:`render_html`'s page)."""
    return _pdf(render_html(results_dir))


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary name and a rename: whole or not at
    all (readable by all, like the other files of a results folder)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(results_dir: Path, out: Path | None = None) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.pdf`` into ``out`` (default: the results folder)
    and return their paths. Both are rendered before either is written."""
    results_dir = Path(results_dir)
    html = render_html(results_dir)
    pdf = _pdf(html)
    target = Path(out) if out is not None else results_dir
    if target.exists() and not target.is_dir():
        raise ReportError(f"{target}: not a folder")
    html_path, pdf_path = target / "report.html", target / "report.pdf"
    try:
        target.mkdir(parents=True, exist_ok=True)
        write_atomic(html_path, html)
        _write_bytes_atomic(pdf_path, pdf)
    except OSError as err:
        raise ReportError(f"{target}: cannot write the report ({err.strerror or err})") from None
    return html_path, pdf_path
