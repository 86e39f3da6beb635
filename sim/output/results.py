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

__all__ = [
    "default_out_dir",
    "manifest",
    "provenance",
    "published_csv",
    "scenario_json",
    "write_atomic",
    "write_calibration",
    "write_experiment_manifest",
    "write_run",
]


def csv_text(rows: list[list[Any]]) -> str:
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


def git_commit() -> str | None:
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


def package_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def manifest(
    results: Results, command: list[str], started: datetime, finished: datetime, **extra: Any
) -> dict[str, Any]:
    """Provenance of a run: what produced these numbers, with which software."""
    return {
        "nhsim_version": package_version("nhsim"),
        "git_commit": git_commit(),
        "command": command,
        "scenario": results.scenario.name,
        "seed": results.seed,
        "replications": results.n,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "versions": {
            "python": platform.python_version(),
            "simpy": package_version("simpy"),
            "numpy": package_version("numpy"),
            "scipy": package_version("scipy"),
            "pydantic": package_version("pydantic"),
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
    return csv_text(rows)


def summary_csv(results: Results) -> str:
    rows: list[list[Any]] = [["metric", "mean", "std", "ci_low", "ci_high", "n"]]
    for metric, iv in results.summary().items():
        rows.append([metric, iv.mean, iv.std, iv.ci_low, iv.ci_high, iv.n])
    return csv_text(rows)


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
    return csv_text(rows)


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


def provenance(command: list[str], started: datetime, **extra: Any) -> dict[str, Any]:
    """What produced a results folder, with which software: the part every manifest shares."""
    return {
        "nhsim_version": package_version("nhsim"),
        "git_commit": git_commit(),
        "command": command,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {
            "python": platform.python_version(),
            **{k: package_version(k) for k in ("simpy", "numpy", "scipy", "pydantic")},
        },
        "platform": platform.platform(),
        **extra,
    }


def write_experiment_manifest(
    out: Path, exp: Any, command: list[str], started: datetime, **extra: Any
) -> None:
    """manifest.json of an experiment's results folder (sweep, search, reproduce)."""
    info = provenance(
        command,
        started,
        experiment=exp.name,
        seed=exp.seed,
        replications=exp.replications,
        **extra,
    )
    write_atomic(out / "manifest.json", json.dumps(info, indent=2) + "\n")


def write_calibration(out: Path, result: Any) -> Path:
    """calibrated.toml, parameters.csv, fit.csv and evaluations.csv of a calibration;
    returns the calibrated scenario's path."""
    from sim.runs.calibrate import calibrated_toml

    cal = result.calibration
    out_file = out / "calibrated.toml"
    write_atomic(out_file, calibrated_toml(result, out_file))
    rows: list[list[Any]] = [["parameter", "fitted", "stderr", "ci_low", "ci_high", "low", "high"]]
    for p in cal.free:
        lo, hi = result.interval(p.key)
        rows.append([p.key, result.values[p.key], result.stderr[p.key], lo, hi, p.low, p.high])
    write_atomic(out / "parameters.csv", csv_text(rows))
    fit = [["target", "observed", "model_mean", "ci_low", "ci_high"]] + [
        [t.metric, t.value, m, lo, hi] for t, m, lo, hi in result.fit
    ]
    write_atomic(out / "fit.csv", csv_text(fit))
    hist = [[p.key for p in cal.free] + [t.metric for t in cal.targets]] + [
        [*(h[0][p.key] for p in cal.free), *h[1]] for h in result.history
    ]
    write_atomic(out / "evaluations.csv", csv_text(hist))
    return out_file


def published_csv(figures: list[Any]) -> str:
    """published.csv of ``nhsim reproduce``: each published figure against the model."""
    rows: list[list[Any]] = [
        [
            "figure",
            "published",
            "model_mean",
            "ci_low",
            "ci_high",
            "relative_error",
            "published_in_ci",
        ]
    ]
    for f in figures:
        rows.append(
            [f.figure, f.published, f.model_mean, f.ci_low, f.ci_high, f.relative_error, f.inside]
        )
    return csv_text(rows)
