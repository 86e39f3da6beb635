"""Write a run's results directory: CSV tables, the resolved scenario, a manifest.

Every file is written through :func:`sim.output.files.write_atomic` (a temporary name
renamed into place), so a run killed at any moment leaves whole files or none.
"""

from __future__ import annotations

import csv
import io
import json
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.output.files import write_atomic
from sim.runs.replications import Results
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    from sim.runs.compare import Comparison

__all__ = ["default_out_dir", "manifest", "scenario_json", "write_atomic", "write_run"]


def _csv(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows)
    return buf.getvalue()


def default_out_dir(scenario: Scenario, root: Path = Path("results"), suffix: str = "") -> Path:
    """``results/<scenario>[-<suffix>]-<timestamp>/``, made unique if that name is taken."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{scenario.name}-{suffix}" if suffix else scenario.name
    out = root / f"{base}-{stamp}"
    k = 1
    while out.exists():
        k += 1
        out = root / f"{base}-{stamp}-{k}"
    return out


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def manifest(
    results: Results, command: list[str], started: datetime, finished: datetime, **extra: Any
) -> dict[str, Any]:
    """Provenance of a run: what produced these numbers, with which software."""
    return {
        "nhsim_version": _version("nhsim"),
        "git_commit": _git_commit(),
        "command": command,
        "scenario": results.scenario.name,
        "seed": results.seed,
        "replications": results.n,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "versions": {
            "python": platform.python_version(),
            "simpy": _version("simpy"),
            "numpy": _version("numpy"),
            "scipy": _version("scipy"),
            "pydantic": _version("pydantic"),
        },
        "platform": platform.platform(),
        **extra,
    }


def scenario_json(scenario: Scenario) -> str:
    """The fully resolved scenario, as JSON with the keys of the scenario file."""
    return json.dumps(scenario.model_dump(mode="json", by_alias=True), indent=2) + "\n"


def replications_csv(results: Results) -> str:
    metrics = results.metric_names()
    rows: list[list[Any]] = [["replication", "seed", *metrics]]
    for idx, rep in zip(results.indices or range(results.n), results.replications):
        rows.append([idx, results.seeds[idx], *(rep.get(m, "") for m in metrics)])
    return _csv(rows)


def summary_csv(results: Results) -> str:
    rows: list[list[Any]] = [["metric", "mean", "std", "ci_low", "ci_high", "n"]]
    for metric, iv in results.summary().items():
        rows.append([metric, iv.mean, iv.std, iv.ci_low, iv.ci_high, iv.n])
    return _csv(rows)


def write_run(
    out: Path, results: Results, command: list[str], started: datetime, **extra: Any
) -> Path:
    """Write replications.csv, summary.csv, scenario.json and manifest.json into ``out``."""
    write_atomic(out / "scenario.json", scenario_json(results.scenario))
    write_atomic(out / "replications.csv", replications_csv(results))
    write_atomic(out / "summary.csv", summary_csv(results))
    finished = datetime.now(UTC)
    write_atomic(
        out / "manifest.json",
        json.dumps(manifest(results, command, started, finished, **extra), indent=2) + "\n",
    )
    return out


def comparison_csv(comparison: Comparison, confidence: float = 0.95) -> str:
    from sim.runs.compare import AVOIDED_METRICS

    rows_by_metric = {r.metric: r for r in comparison.rows(confidence)}
    order = [m for m in AVOIDED_METRICS if m in rows_by_metric] + [
        m for m in rows_by_metric if m not in AVOIDED_METRICS
    ]
    rows: list[list[Any]] = [
        [
            "metric",
            "counterfactual_mean",
            "scenario_mean",
            "difference",
            "ci_low",
            "ci_high",
            "pct_change",
        ]
    ]
    for m in order:
        r = rows_by_metric[m]
        rows.append(
            [
                m,
                r.counterfactual_mean,
                r.scenario_mean,
                r.difference.mean,
                r.difference.ci_low,
                r.difference.ci_high,
                r.pct_change,
            ]
        )
    return _csv(rows)


def write_comparison(
    out: Path, comparison: Comparison, command: list[str], started: datetime, **extra: Any
) -> Path:
    """comparison.csv, each side's replications/summary/scenario, and a manifest."""
    for side, results in (
        ("counterfactual", comparison.counterfactual),
        ("scenario", comparison.scenario),
    ):
        write_atomic(out / side / "scenario.json", scenario_json(results.scenario))
        write_atomic(out / side / "replications.csv", replications_csv(results))
        write_atomic(out / side / "summary.csv", summary_csv(results))
    write_atomic(out / "comparison.csv", comparison_csv(comparison))
    finished = datetime.now(UTC)
    info = manifest(comparison.scenario, command, started, finished, **extra)
    info["counterfactual"] = comparison.counterfactual.scenario.name
    info["paired"] = comparison.paired
    write_atomic(out / "manifest.json", json.dumps(info, indent=2) + "\n")
    return out
