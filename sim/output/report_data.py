"""What a board paper is made from: a results folder, read and checked.

A results folder is what ``nhsim run`` or ``nhsim compare`` wrote: ``manifest.json``
(provenance), the resolved scenario(s) as ``scenario.json``, ``summary.csv`` and, for a
comparison, ``comparison.csv`` with each side in ``counterfactual/`` and ``scenario/``.
:func:`read_results` reads it into a :class:`ResultsFolder`; a folder that is missing,
is not a results folder, or has a damaged file raises :class:`ReportError` with a
message that names the file and what is wrong.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ReportError", "ResultsFolder", "Row", "read_results"]

SIDES = ("counterfactual", "scenario")


class ReportError(Exception):
    """A results folder that cannot be reported on; the message says why."""


@dataclass(frozen=True)
class Row:
    """One metric: a mean and its 95% interval (for a comparison, the difference
    scenario − counterfactual, with both means)."""

    metric: str
    mean: float
    ci_low: float
    ci_high: float
    counterfactual_mean: float = math.nan
    scenario_mean: float = math.nan
    n: float = math.nan

    def avoided(self) -> tuple[float, float, float]:
        """Counterfactual − scenario and its interval: what the scenario avoids."""
        return -self.mean, -self.ci_high, -self.ci_low


@dataclass
class ResultsFolder:
    """A run's or a comparison's results, as read from its folder."""

    path: Path
    manifest: dict[str, Any]
    scenarios: dict[str, dict[str, Any]]
    """The resolved scenario of each side: ``scenario`` (and ``counterfactual``)."""
    summaries: dict[str, dict[str, Row]]
    """Each side's ``summary.csv``, by metric."""
    comparison: dict[str, Row] = field(default_factory=dict)
    """``comparison.csv`` by metric (empty for a run)."""
    first_seeds: dict[str, int] = field(default_factory=dict)
    """Each side's replication 0 seed (the first row of ``replications.csv``)."""
    plots: list[Path] = field(default_factory=list)
    warnings: list[str] | None = None
    """From ``warnings.json``, if the folder has one."""
    economics: list[dict[str, str]] | None = None
    """``economics.csv`` (written by ``nhsim compare`` from
    :func:`sim.runs.economics.economics`), if the folder has one."""

    @property
    def is_comparison(self) -> bool:
        return bool(self.comparison)

    def side_dir(self, side: str) -> Path:
        return self.path / side if self.is_comparison else self.path

    def names(self) -> tuple[str, str]:
        """The scenario's name and the counterfactual's ("" for a run)."""
        sc = self.scenarios["scenario"].get("name") or self.manifest.get("scenario", "scenario")
        cf = ""
        if self.is_comparison:
            cf = self.scenarios["counterfactual"].get("name") or self.manifest.get(
                "counterfactual", "counterfactual"
            )
        return str(sc), str(cf)


def _number(text: str) -> float:
    try:
        return float(text) if text.strip() else math.nan
    except ValueError:
        return math.nan


def _read_csv(path: Path, needed: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in needed if c not in (reader.fieldnames or [])]
            if missing:
                raise ReportError(f"{path}: not a results table (no column {missing[0]!r})")
            return list(reader)
    except OSError as err:
        raise ReportError(f"{path}: cannot be read ({err.strerror or err})") from None
    except (csv.Error, UnicodeDecodeError) as err:
        raise ReportError(f"{path}: not a CSV file ({err})") from None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ReportError(f"{path}: cannot be read ({err.strerror or err})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ReportError(f"{path}: not valid JSON ({err})") from None


def _summary(path: Path) -> dict[str, Row]:
    rows = _read_csv(path, ("metric", "mean", "ci_low", "ci_high"))
    return {
        r["metric"]: Row(
            r["metric"],
            _number(r["mean"]),
            _number(r["ci_low"]),
            _number(r["ci_high"]),
            n=_number(r.get("n", "")),
        )
        for r in rows
    }


def _comparison(path: Path) -> dict[str, Row]:
    needed = ("metric", "counterfactual_mean", "scenario_mean", "difference", "ci_low", "ci_high")
    return {
        r["metric"]: Row(
            r["metric"],
            _number(r["difference"]),
            _number(r["ci_low"]),
            _number(r["ci_high"]),
            _number(r["counterfactual_mean"]),
            _number(r["scenario_mean"]),
        )
        for r in _read_csv(path, needed)
    }


def _first_seed(path: Path) -> int | None:
    if not path.is_file():
        return None
    rows = _read_csv(path, ("replication", "seed"))
    for r in rows:
        try:
            return int(r["seed"])
        except ValueError:
            raise ReportError(f"{path}: seed {r['seed']!r} is not a whole number") from None
    return None


def _warnings(path: Path) -> list[str] | None:
    """``warnings.json`` as lines of text: a list of strings or of objects with a
    ``message`` (or any fields), or an object of name: text."""
    if not path.is_file():
        return None
    data = _read_json(path)
    items = data.get("warnings", data) if isinstance(data, dict) else data
    if isinstance(items, dict):
        return [f"{k}: {v}" for k, v in items.items()]
    if not isinstance(items, list):
        return [str(items)]
    out = []
    for item in items:
        if isinstance(item, dict):
            text = item.get("message") or "; ".join(f"{k}: {v}" for k, v in item.items())
            where = item.get("metric") or item.get("service") or item.get("scenario")
            out.append(f"{where}: {text}" if where and "message" in item else str(text))
        else:
            out.append(str(item))
    return out


def read_results(path: Path) -> ResultsFolder:
    """Read a run's or a comparison's results folder (see the module's docstring)."""
    path = Path(path)
    if not path.exists():
        raise ReportError(f"{path}: no such folder")
    if not path.is_dir():
        raise ReportError(f"{path}: not a folder (give the results folder of a run or comparison)")
    if not (path / "manifest.json").is_file():
        raise ReportError(
            f"{path}: not a results folder (no manifest.json); give a folder written by "
            "nhsim run or nhsim compare"
        )
    manifest = _read_json(path / "manifest.json")
    if not isinstance(manifest, dict):
        raise ReportError(f"{path / 'manifest.json'}: not a manifest (expected a JSON object)")
    sides: tuple[str, ...]
    if (path / "comparison.csv").is_file():
        sides = SIDES
        dirs = {side: path / side for side in sides}
        comparison = _comparison(path / "comparison.csv")
    elif (path / "summary.csv").is_file():
        sides = ("scenario",)
        dirs = {"scenario": path}
        comparison = {}
    else:
        raise ReportError(
            f"{path}: has no comparison.csv or summary.csv; give the results folder of "
            "nhsim run or nhsim compare"
        )
    scenarios, summaries, seeds = {}, {}, {}
    for side in sides:
        scenario_file = dirs[side] / "scenario.json"
        if not scenario_file.is_file():
            raise ReportError(f"{scenario_file}: missing (the resolved scenario of the run)")
        data = _read_json(scenario_file)
        if not isinstance(data, dict) or "services" not in data:
            raise ReportError(f"{scenario_file}: not a resolved scenario (no services)")
        scenarios[side] = data
        summary_file = dirs[side] / "summary.csv"
        summaries[side] = _summary(summary_file) if summary_file.is_file() else {}
        seed = _first_seed(dirs[side] / "replications.csv")
        if seed is not None:
            seeds[side] = seed
    plots_dir = path / "plots"
    plots = sorted(plots_dir.glob("*.png")) if plots_dir.is_dir() else []
    return ResultsFolder(
        path,
        manifest,
        scenarios,
        summaries,
        comparison,
        seeds,
        plots,
        _warnings(path / "warnings.json"),
        economics=_read_csv(path / "economics.csv", ("figure", "description", "mean", "verdict"))
        if (path / "economics.csv").is_file()
        else None,
    )
