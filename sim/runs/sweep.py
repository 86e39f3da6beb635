"""Sweeps: run every point of an experiment's design, paired on common random numbers.

Every point uses the same replication seeds, so differences between points (and from
the base) are paired. Each point is written to ``points/point-NNNN.json`` atomically
as soon as it completes; ``resume=True`` reads those back and runs only the rest, so
an interrupted sweep (Ctrl-C, a killed process) loses no completed point and runs
none twice. The tables are assembled from the point files at the end.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sim.engine.streams import replication_seeds
from sim.output.files import folder_is_empty
from sim.output.results import csv_text, write_atomic
from sim.runs.backends import Backend, BackendError
from sim.runs.experiment_file import (
    Experiment,
    Point,
    base_value,
    design_points,
    experiment_error,
)
from sim.runs.stats import t_interval
from sim.runs.tasks import Task, chunk_ranges, run_tasks
from sim.scenario.errors import ScenarioError
from sim.scenario.files import UnreadableFile, read_text
from sim.scenario.model import Scenario

__all__ = [
    "SweepError",
    "SweepResult",
    "check_design",
    "point_scenario",
    "run_sweep",
    "sweep_csv",
]

Metrics = dict[str, float]


class SweepError(Exception):
    """The output directory belongs to another experiment, is complete without --resume,
    or holds a record (the stamp, a point file) that cannot be read."""


@dataclass
class SweepResult:
    experiment: Experiment
    points: list[Point]
    replications: dict[int, list[Metrics]] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    ran_now: list[int] = field(default_factory=list)
    """Points run in this invocation (the others were read back by --resume)."""

    def values(self, point: int, metric: str) -> list[float]:
        return [r.get(metric, math.nan) for r in self.replications.get(point, [])]


def point_scenario(exp: Experiment, point: Point, counterfactual: bool = False) -> Scenario:
    """The base scenario (or the counterfactual) with a point's values set."""
    if not counterfactual:
        return exp.source().scenario(point)
    # the counterfactual keeps the keys that define it (where it differs from the base)
    source = exp.counterfactual_source()
    base, cf = exp.base_scenario(), source.scenario()
    shared = {k: v for k, v in point.items() if base_value(base, k) == base_value(cf, k)}
    return source.scenario(shared)


def _checked_scenario(exp: Experiment, point: Point, counterfactual: bool = False) -> Scenario:
    """:func:`point_scenario`, with a bad value named as the experiment's ``vary`` key."""
    try:
        return point_scenario(exp, point, counterfactual)
    except ScenarioError as err:
        raise experiment_error(exp, err, point) from None


def check_design(exp: Experiment) -> list[Point]:
    """The design's points, once every point's scenario (and counterfactual) has loaded:
    a bad value is found before the sweep's folder is made or any work is done."""
    points = design_points(exp, exp.base_scenario())
    for point in points:
        _checked_scenario(exp, point)
        if exp.counterfactual:
            _checked_scenario(exp, point, True)
    return points


def with_avoided(scenario: list[Metrics], counterfactual: list[Metrics]) -> list[Metrics]:
    """Each replication's metrics plus ``avoided.<metric>`` = counterfactual − scenario (paired)."""
    out = []
    for sc, cf in zip(scenario, counterfactual):
        row = dict(sc)
        for m, v in cf.items():
            if m in sc:
                row[f"avoided.{m}"] = v - sc[m]
        out.append(row)
    return out


def _point_file(out: Path, i: int) -> Path:
    return out / "points" / f"point-{i:04d}.json"


_RECOVER = "delete it, or run without --resume into a new --out"


def _read_record(path: Path, what: str, recover: str = _RECOVER) -> dict[str, Any]:
    """A sweep's own JSON record (the stamp, a point file); one that cannot be read is a
    SweepError naming it and saying how to go on."""
    try:
        found = json.loads(read_text(path, "a file"))
    except UnreadableFile as err:
        raise SweepError(f"{path}: {err.reason}: {what} cannot be read; {recover}") from None
    except json.JSONDecodeError as exc:
        raise SweepError(f"{path}: not valid JSON ({exc}): {what} is damaged; {recover}") from None
    if not isinstance(found, dict):
        raise SweepError(f"{path}: not a JSON object: {what} is damaged; {recover}")
    return found


def _check_out(out: Path, exp: Experiment, resume: bool) -> None:
    """The folder is this experiment's (to resume) or empty; nothing is written here."""
    stamp = out / "experiment.json"
    if stamp.exists():
        found = _read_record(stamp, "the sweep's stamp (experiment.json)")
        if found.get("digest") != exp.digest():
            raise SweepError(
                f"{out}/ holds another experiment's results (or this file has changed since); "
                "remove it or use --out"
            )
        if not resume:
            raise SweepError(
                f"{out}/ already holds this experiment: use --resume to continue it, or --out"
            )
    elif not folder_is_empty(out):
        raise SweepError(
            f"{out}/ already exists and is not an experiment's directory; remove it or use --out"
        )


def _write_stamp(out: Path, exp: Experiment) -> None:
    write_atomic(
        out / "experiment.json",
        json.dumps(
            {
                "experiment": exp.name,
                "digest": exp.digest(),
                "definition": exp.model_dump(mode="json"),
            },
            indent=2,
        )
        + "\n",
    )


def run_sweep(
    exp: Experiment,
    out: Path,
    backend: Backend | None = None,
    resume: bool = False,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> SweepResult:
    """Run (or finish) the sweep, writing each point as it completes."""
    backend = backend or Backend()
    base = exp.base_scenario()
    points = design_points(exp, base)
    result = SweepResult(exp, points)
    _check_out(out, exp, resume)
    for i in range(len(points)):
        f = _point_file(out, i)
        if f.exists():
            result.replications[i] = _read_point(f)
    todo = [i for i in range(len(points)) if i not in result.replications]
    scenarios = {(i, "scenario"): _checked_scenario(exp, points[i]) for i in todo}
    if exp.counterfactual:
        scenarios.update(
            {(i, "counterfactual"): _checked_scenario(exp, points[i], True) for i in todo}
        )
    _write_stamp(out, exp)  # only once the design is known to be valid
    run_id = uuid.uuid4().hex[:12]
    sides = 2 if exp.counterfactual else 1

    try:
        _run_all(exp, out, backend, progress, on_total, result, scenarios, todo, run_id, sides)
    except BackendError:
        if not any((out / "points").glob("point-*.json")):
            (out / "experiment.json").unlink(missing_ok=True)
        raise
    return result


def _read_point(path: Path) -> list[Metrics]:
    recover = (
        "delete it to run that point again with --resume, or run without --resume into a new --out"
    )
    found = _read_record(path, "the point's record", recover)
    reps = found.get("replications")
    if not isinstance(reps, list) or not all(isinstance(r, dict) for r in reps):
        raise SweepError(
            f"{path}: has no list of replications: the point's record is damaged; {recover}"
        )
    return reps


def _run_all(
    exp: Experiment,
    out: Path,
    backend: Backend,
    progress: Callable[[int], None] | None,
    on_total: Callable[[int], None] | None,
    result: SweepResult,
    scenarios: dict[tuple[int, str], Scenario],
    todo: list[int],
    run_id: str,
    sides: int,
) -> None:
    points = result.points
    if exp.precision is None:
        n = exp.replications
        if on_total:
            on_total(n * len(points) * sides)
        if progress and len(todo) < len(points):
            progress(n * (len(points) - len(todo)) * sides)
        _run_round(
            exp, out, scenarios, todo, 0, n, backend, progress, result, run_id, final=lambda i: True
        )
    else:
        pr = exp.precision
        if on_total:
            on_total(pr.max_replications * len(points) * sides)
        have: dict[int, list[Metrics]] = {i: [] for i in todo}
        start, n = 0, min(pr.step, pr.max_replications)
        active = list(todo)
        while active:

            def final(i: int, start: int = start, n: int = n) -> bool:
                reps = have[i] + result.replications.get(i, [])
                return start + n >= pr.max_replications or _precise(
                    reps, pr.metrics, pr.relative_half_width
                )

            _run_round(
                exp,
                out,
                scenarios,
                active,
                start,
                n,
                backend,
                progress,
                result,
                run_id,
                final,
                have,
            )
            active = [
                i for i in active if i not in result.replications and i not in result.failures
            ]
            start += n
            n = min(pr.step, pr.max_replications - start)


def _precise(reps: list[Metrics], metrics: list[str], rel: float) -> bool:
    for m in metrics:
        iv = t_interval([r.get(m, math.nan) for r in reps])
        if iv.n < 2 or math.isnan(iv.half_width) or iv.half_width > rel * abs(iv.mean):
            return False
    return True


def _run_round(
    exp: Experiment,
    out: Path,
    scenarios: dict[tuple[int, str], Scenario],
    points: list[int],
    start: int,
    n: int,
    backend: Backend,
    progress: Callable[[int], None] | None,
    result: SweepResult,
    run_id: str,
    final: Callable[[int], bool],
    have: dict[int, list[Metrics]] | None = None,
) -> None:
    seeds = replication_seeds(exp.seed, start + n)
    chunks = chunk_ranges(n, backend.n_workers, start)
    sides = ["scenario", "counterfactual"] if exp.counterfactual else ["scenario"]
    tasks = [
        Task((i, side, c), scenarios[(i, side)], tuple(seeds[r] for r in chunk), tuple(chunk))
        for i in points
        for side in sides
        for c, chunk in enumerate(chunks)
    ]
    pieces: dict[int, dict[tuple[str, int], list[Metrics]]] = {i: {} for i in points}

    def on_result(task: Task, reps: list[Metrics]) -> None:
        i, side, c = cast(tuple[int, str, int], task.key)
        pieces[i][(side, c)] = reps
        if len(pieces[i]) == len(chunks) * len(sides):
            new = [r for k in range(len(chunks)) for r in pieces[i][("scenario", k)]]
            if exp.counterfactual:
                cf = [r for k in range(len(chunks)) for r in pieces[i][("counterfactual", k)]]
                new = with_avoided(new, cf)
            if have is not None:
                have[i].extend(new)
                reps_all = have[i]
            else:
                reps_all = new
            if final(i):
                _write_point(out, i, result.points[i], reps_all, seeds, run_id)
                result.replications[i] = reps_all
                result.ran_now.append(i)

    _, failures = run_tasks(tasks, backend, progress, on_result, raise_on_failure=False)
    for key, err in failures.items():
        result.failures[key[0]] = err  # type: ignore[index]


def _write_point(
    out: Path, i: int, point: Point, reps: list[Metrics], seeds: list[int], run_id: str
) -> None:
    write_atomic(
        _point_file(out, i),
        json.dumps(
            {
                "point": i,
                "values": point,
                "run": run_id,
                "seeds": seeds[: len(reps)],
                "replications": reps,
            }
        )
        + "\n",
    )


def base_point(result: SweepResult) -> int | None:
    """The point that is the base scenario itself (every varied key at its base value), if
    the design has one and it completed: the reference of ``difference_from_base``."""
    base = result.experiment.base_scenario()
    for i in sorted(result.replications):
        if all(base_value(base, k) == v for k, v in result.points[i].items()):
            return i
    return None


def sweep_csv(result: SweepResult, confidence: float = 0.95) -> str:
    """Tidy table: one row per point × metric, with the varied values and the interval;
    and the paired difference from the base point (point 0) where it applies."""
    keys = list(result.experiment.vary)
    base = base_point(result) if result.experiment.compare_to_base else None
    header = ["point", *keys, "metric", "mean", "std", "ci_low", "ci_high", "n"]
    if base is not None:
        header += ["difference_from_base", "difference_ci_low", "difference_ci_high"]
    rows: list[list[Any]] = [header]
    base_vals = result.replications.get(base, []) if base is not None else []
    for i in sorted(result.replications):
        reps = result.replications[i]
        metrics = list(dict.fromkeys(m for r in reps for m in r))
        point = result.points[i]
        for m in metrics:
            values = [r.get(m, math.nan) for r in reps]
            iv = t_interval(values, confidence)
            row = [
                i,
                *(point.get(k, "base") for k in keys),
                m,
                iv.mean,
                iv.std,
                iv.ci_low,
                iv.ci_high,
                iv.n,
            ]
            if base is not None:
                k = min(len(values), len(base_vals))
                d = t_interval(
                    [values[j] - base_vals[j].get(m, math.nan) for j in range(k)], confidence
                )
                row += [d.mean, d.ci_low, d.ci_high]
            rows.append(row)
    return csv_text(rows)


def sweep_replications_csv(result: SweepResult) -> str:
    keys = list(result.experiment.vary)
    metrics = list(
        dict.fromkeys(m for reps in result.replications.values() for r in reps for m in r)
    )
    seeds = replication_seeds(
        result.experiment.seed, max((len(v) for v in result.replications.values()), default=0)
    )
    rows: list[list[Any]] = [["point", *keys, "replication", "seed", *metrics]]
    for i in sorted(result.replications):
        for j, rep in enumerate(result.replications[i]):
            rows.append(
                [
                    i,
                    *(result.points[i].get(k, "base") for k in keys),
                    j,
                    seeds[j],
                    *(rep.get(m, "") for m in metrics),
                ]
            )
    return csv_text(rows)
