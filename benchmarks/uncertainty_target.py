"""The target of ``nhsim uncertainty``, and how many sets and replications it needs.

    .venv/bin/python benchmarks/uncertainty_target.py [--out benchmarks/out/uncertainty_target.json] [--report FILE]

Run by hand (about ten minutes on two cores). Two runs of
``experiments/neighbourhood_uncertainty.toml`` (the neighbourhood investment of
``make run`` with its 13 uncertain inputs), each ``nhsim uncertainty`` in a fresh
process on 2 local workers:

1. **The target** — the shipped experiment as it is, 128 parameter sets × 5 paired
   replications (and 20 at the base values): wall time, target ≤ 10 minutes.
2. **Stable indices** — the same experiment with 256 sets. Sobol points are nested, so
   its first 64 and 128 sets are designs of their own: the Sobol indices of the
   reported metrics from 64, 128 and 256 sets, and from the first 2 and all 5
   replications of each set, show where they settle.

Prints Markdown tables and writes every figure, the machine (load average and the share
of the CPU that was busy) and the command to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import write_toml  # noqa: E402
from run import _cpu_jiffies, _load, _machine_cpu, machine_info  # noqa: E402

EXPERIMENT = ROOT / "experiments" / "neighbourhood_uncertainty.toml"
TARGET_SECONDS = 600.0
METRICS = ("avoided.ambulance.conveyances", "avoided.admissions.total", "avoided.cost.total")
TOP = 4


def timed_run(experiment: Path, out: Path) -> dict[str, Any]:
    """``nhsim uncertainty EXPERIMENT`` on 2 workers in a fresh process: wall time."""
    import subprocess

    cmd = [
        sys.executable,
        "-m",
        "sim",
        "uncertainty",
        str(experiment),
        "--out",
        str(out),
        "-w",
        "2",
        "-q",
        "--no-plots",
    ]
    load, cpu = _load(), _cpu_jiffies()
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return {
        "command": shlex.join(cmd),
        "seconds": seconds,
        "load_before": load,
        "load_after": _load(),
        "machine_cpu": _machine_cpu(cpu, _cpu_jiffies()),
    }


def read_back(experiment: Path, out: Path) -> Any:
    """The completed analysis, read from its folder (nothing runs)."""
    from sim.runs.experiment_file import load_experiment
    from sim.runs.uncertainty import plan, run_uncertainty

    return run_uncertainty(plan(load_experiment(experiment)), out, resume=True)


def first_replications(result: Any, n: int) -> Any:
    """The analysis as if each set had run only its first ``n`` replications."""
    from sim.runs.uncertainty import UncertaintyResult

    data = {i: {s: reps[:n] for s, reps in sides.items()} for i, sides in result.data.items()}
    return UncertaintyResult(result.plan, data)


def convergence(result: Any) -> list[dict[str, Any]]:
    from sim.runs.uncertainty_analysis import indices_for, psa_sets

    sets = psa_sets(result)
    rows = []
    for reps in (2, result.experiment.replications):
        trimmed = first_replications(result, reps)
        for n in (64, 128, 256):
            for metric in METRICS:
                ind = indices_for(trimmed, metric, sets[:n])
                for i in ind.indices:
                    rows.append(
                        {
                            "sets": n,
                            "replications": reps,
                            "metric": metric,
                            "input": i.input,
                            "first": i.first,
                            "first_low": i.first_low,
                            "first_high": i.first_high,
                            "total": i.total,
                            "total_low": i.total_low,
                            "total_high": i.total_high,
                            "explained": ind.explained,
                        }
                    )
    return rows


def markdown(results: dict[str, Any]) -> str:
    t = results["target"]
    lines = [
        "| run | parameter sets | wall time | load average before / after | CPU busy | target ≤ 10 min |",
        "|---|---:|---:|---|---:|---|",
    ]
    for name, run in (("the shipped experiment", t), ("256 sets", results["sets_256"])):
        lines.append(
            f"| {name} | {run['sets']} × 5 (+ 20 base) | {run['seconds'] / 60:.1f} min | "
            f"{run['load_before'][0]:.2f} / {run['load_after'][0]:.2f} | "
            f"{100 * run['machine_cpu'].get('busy_fraction', float('nan')):.0f}% | "
            + ("met" if name != "256 sets" and run["seconds"] <= TARGET_SECONDS else "")
            + " |"
        )
    rows = results["convergence"]
    for metric in METRICS:
        final = [
            r for r in rows if r["metric"] == metric and r["sets"] == 256 and r["replications"] == 5
        ]
        top = [r["input"] for r in sorted(final, key=lambda r: -r["total"])[:TOP]]
        lines += ["", f"**{metric}**: first-order index [95% interval] of the top inputs", ""]
        header = "| sets × replications | " + " | ".join(f"`{k}`" for k in top) + " |"
        lines += [header, "|---|" + "---:|" * len(top)]
        for reps in (2, 5):
            for n in (64, 128, 256):
                cells = []
                for k in top:
                    r = next(
                        r
                        for r in rows
                        if (r["metric"], r["input"], r["sets"], r["replications"])
                        == (metric, k, n, reps)
                    )
                    cells.append(f"{r['first']:.2f} [{r['first_low']:.2f}, {r['first_high']:.2f}]")
                lines.append(f"| {n} × {reps} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "out" / "uncertainty_target.json")
    parser.add_argument("--report", type=Path, help="print the tables of an earlier JSON file")
    args = parser.parse_args()
    if args.report:
        print(markdown(json.loads(args.report.read_text())))
        return
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        target = timed_run(EXPERIMENT, work / "r128")
        target["sets"] = 128
        data = tomllib.loads(EXPERIMENT.read_text(encoding="utf-8"))
        for key in ("scenario", "counterfactual"):
            data[key] = str((EXPERIMENT.parent / data[key]).resolve())
        data["sampling"]["sets"] = 256
        bigger = write_toml(work / "neighbourhood_uncertainty_256.toml", data)
        big = timed_run(bigger, work / "r256")
        big["sets"] = 256
        rows = convergence(read_back(bigger, work / "r256"))
    results = {
        "started": started.isoformat(timespec="seconds"),
        "command": shlex.join([sys.executable, *sys.argv]),
        "machine": machine_info(),
        "target": target,
        "sets_256": big,
        "convergence": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    print(f"\nWritten to {args.out}")


if __name__ == "__main__":
    main()
