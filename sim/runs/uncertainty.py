"""Run an uncertainty analysis: every parameter set's counterfactual and scenario, paired.

Every parameter set (and the base values, the scenario files' own) runs the same
replication seeds on both sides, so each set's avoided figures are paired as in
``nhsim compare``, and differences between sets are the parameters' doing, not the
random numbers'. Each set is written to ``sets/set-NNNN.json`` atomically as soon as
both of its sides complete, the base values to ``sets/base.json``; ``resume=True``
reads them back and runs only the rest, so Ctrl-C or a killed process loses no
completed set, and a resumed run gives exactly the result of an uninterrupted one.
The folder's stamp (``experiment.json``) names what the sets depend on (the scenarios
as resolved, the inputs, the design, the seed and replications): a folder of another
experiment is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from sim.engine.streams import replication_seeds
from sim.output.files import folder_is_empty, write_atomic
from sim.runs.backends import Backend, BackendError
from sim.runs.experiment_file import Experiment
from sim.runs.sweep import SweepError
from sim.runs.tasks import Task, chunk_ranges, run_tasks
from sim.runs.uncertainty_design import (
    Input,
    ParameterSet,
    parameter_sets,
    resolve_inputs,
    set_scenario,
)
from sim.runs.uncertainty_spec import MAX_PARAMETER_SETS
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.files import UnreadableFile, read_text
from sim.scenario.loader import display_path
from sim.scenario.model import Scenario

__all__ = [
    "BASE",
    "Plan",
    "UncertaintyError",
    "UncertaintyResult",
    "plan",
    "run_uncertainty",
    "sides_of",
]

Metrics = dict[str, float]
Sides = dict[str, list[Metrics]]
"""A set's replications by side: ``counterfactual`` (if any) and ``scenario``."""

BASE = -1
"""The key of the base values (the scenario files' own) among the sets."""


class UncertaintyError(SweepError):
    """The output folder holds another experiment, is complete without --resume, or holds
    a record that cannot be read."""


@dataclass(frozen=True)
class Plan:
    """What an uncertainty analysis runs: its inputs, its parameter sets and their scenarios."""

    experiment: Experiment
    inputs: list[Input]
    sets: list[ParameterSet]
    scenarios: dict[tuple[int, str], Scenario]

    @property
    def sides(self) -> list[str]:
        return sides_of(self.experiment)


def sides_of(exp: Experiment) -> list[str]:
    return ["counterfactual", "scenario"] if exp.counterfactual else ["scenario"]


def plan(exp: Experiment) -> Plan:
    """The inputs and parameter sets of ``exp``, with every set's scenarios built: a value
    a key does not allow is found here, before any folder is made or work done."""
    if not exp.uncertainty:
        raise ScenarioError(
            [
                Problem(
                    display_path(Path(exp.path)),
                    "uncertainty",
                    "is required: the scenario keys whose values are uncertain, each with its "
                    'distribution, e.g. "services.ucr.patience_hours" = { dist = "triangular", '
                    'low = 2, mode = 4, high = 8, source = "assumption" }',
                )
            ]
        )
    inputs = resolve_inputs(exp)
    if exp.sampling.method == "saltelli":
        total = exp.sampling.sets * (len(inputs) + 2)
        if total > MAX_PARAMETER_SETS:
            raise ScenarioError(
                [
                    Problem(
                        display_path(Path(exp.path)),
                        "sampling.sets",
                        f"a saltelli design of {exp.sampling.sets} rows and {len(inputs)} inputs "
                        f"runs {total:,} parameter sets, more than {MAX_PARAMETER_SETS:,}: "
                        "use fewer rows, or a sobol design",
                    )
                ]
            )
    sets = parameter_sets(exp, inputs)
    scenarios: dict[tuple[int, str], Scenario] = {}
    for side in sides_of(exp):
        cf = side == "counterfactual"
        scenarios[(BASE, side)] = set_scenario(exp, inputs, None, cf)
        for pset in sets:
            scenarios[(pset.index, side)] = set_scenario(exp, inputs, pset, cf)
    return Plan(exp, inputs, sets, scenarios)


@dataclass
class UncertaintyResult:
    """The replications of every completed parameter set (and of the base values)."""

    plan: Plan
    data: dict[int, Sides] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    ran_now: list[int] = field(default_factory=list)
    """Sets run in this invocation (the others were read back by --resume)."""

    @property
    def experiment(self) -> Experiment:
        return self.plan.experiment

    def values(self, i: int, metric: str) -> np.ndarray:
        """The metric at each replication of set ``i``: ``avoided.<m>`` is counterfactual
        minus scenario, replication by replication; any other metric is the scenario's."""
        sides = self.data[i]
        if metric.startswith("avoided.") and "counterfactual" in sides:
            m = metric.removeprefix("avoided.")
            return np.array(
                [
                    cf.get(m, math.nan) - sc.get(m, math.nan)
                    for cf, sc in zip(sides["counterfactual"], sides["scenario"])
                ],
                dtype=float,
            )
        side = "scenario"
        if metric.startswith("counterfactual.") and "counterfactual" in sides:
            side, metric = "counterfactual", metric.removeprefix("counterfactual.")
        return np.array([r.get(metric, math.nan) for r in sides[side]], dtype=float)

    def table(self, sets: list[int], metric: str) -> np.ndarray:
        """Sets × replications of a metric (rows in the order of ``sets``)."""
        rows = [self.values(i, metric) for i in sets]
        if not rows:
            return np.zeros((0, self.experiment.replications))
        return np.vstack(rows)

    def metric_names(self) -> list[str]:
        names: dict[str, None] = {}
        for sides in self.data.values():
            for rep in sides["scenario"][:1]:
                names.update(dict.fromkeys(rep))
        return list(names)


def digest(exp: Experiment, scenarios: dict[tuple[int, str], Scenario]) -> str:
    """What the sets depend on: the resolved scenarios of each side, the inputs, the
    design, the seed and the replications (not the decision, the report or the name, so
    that these can change and a complete folder be read again)."""
    what = {
        "sides": {
            side: scenarios[(BASE, side)].model_dump(mode="json", by_alias=True)
            for side in sides_of(exp)
        },
        "uncertainty": {
            k: v.model_dump(mode="json", by_alias=True) for k, v in exp.uncertainty.items()
        },
        "sampling": exp.sampling.model_dump(mode="json"),
        "seed": exp.seed,
        "replications": exp.replications,
    }
    text = json.dumps(what, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def set_file(out: Path, i: int) -> Path:
    return out / "sets" / ("base.json" if i == BASE else f"set-{i:04d}.json")


_RECOVER = "delete it, or run without --resume into a new --out"


def _read_record(path: Path, what: str, recover: str = _RECOVER) -> dict[str, Any]:
    try:
        found = json.loads(read_text(path, "a file"))
    except UnreadableFile as err:
        raise UncertaintyError(f"{path}: {err.reason}: {what} cannot be read; {recover}") from None
    except json.JSONDecodeError as exc:
        raise UncertaintyError(
            f"{path}: not valid JSON ({exc}): {what} is damaged; {recover}"
        ) from None
    if not isinstance(found, dict):
        raise UncertaintyError(f"{path}: not a JSON object: {what} is damaged; {recover}")
    return found


def _check_out(out: Path, stamp_digest: str, resume: bool) -> None:
    stamp = out / "experiment.json"
    if stamp.exists():
        found = _read_record(stamp, "the analysis's stamp (experiment.json)")
        if found.get("digest") != stamp_digest:
            raise UncertaintyError(
                f"{out}/ holds another experiment's results (or this file or its scenarios "
                "have changed since); remove it or use --out"
            )
        if not resume:
            raise UncertaintyError(
                f"{out}/ already holds this experiment: use --resume to continue it, or --out"
            )
    elif not folder_is_empty(out):
        raise UncertaintyError(
            f"{out}/ already exists and is not an experiment's directory; remove it or use --out"
        )


def _read_set(path: Path, sides: list[str], n: int) -> Sides:
    recover = (
        "delete it to run that set again with --resume, or run without --resume into a new --out"
    )
    found = _read_record(path, "the parameter set's record", recover)
    reps = found.get("replications")
    if not isinstance(reps, dict):
        reps = {}
    ok = all(
        isinstance(reps.get(s), list)
        and len(reps[s]) == n
        and all(isinstance(r, dict) for r in reps[s])
        for s in sides
    )
    if not ok:
        raise UncertaintyError(
            f"{path}: has no {n} replications of each side: the record is damaged; {recover}"
        )
    return {s: reps[s] for s in sides}


def run_uncertainty(
    the_plan: Plan,
    out: Path,
    backend: Backend | None = None,
    resume: bool = False,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> UncertaintyResult:
    """Run (or finish) every parameter set and the base values, writing each as it completes."""
    backend = backend or Backend()
    exp = the_plan.experiment
    sides = the_plan.sides
    stamp = digest(exp, the_plan.scenarios)
    _check_out(out, stamp, resume)
    result = UncertaintyResult(the_plan)
    counts = {BASE: exp.sampling.base_replications}
    counts.update({p.index: exp.replications for p in the_plan.sets})
    for i, n in counts.items():
        f = set_file(out, i)
        if f.exists():
            result.data[i] = _read_set(f, sides, n)
    write_atomic(
        out / "experiment.json",
        json.dumps(
            {"experiment": exp.name, "digest": stamp, "definition": exp.model_dump(mode="json")},
            indent=2,
        )
        + "\n",
    )
    todo = [i for i in counts if i not in result.data]
    if on_total:
        on_total(sum(counts.values()) * len(sides))
    if progress and len(todo) < len(counts):
        progress(sum(n for i, n in counts.items() if i in result.data) * len(sides))
    seeds = replication_seeds(exp.seed, max(counts.values()))
    tasks = []
    for i in todo:
        for side in sides:
            for c, chunk in enumerate(chunk_ranges(counts[i], backend.n_workers)):
                tasks.append(
                    Task(
                        (i, side, c),
                        the_plan.scenarios[(i, side)],
                        tuple(seeds[r] for r in chunk),
                        tuple(chunk),
                    )
                )
    chunks = {i: len(chunk_ranges(counts[i], backend.n_workers)) for i in todo}
    pieces: dict[int, dict[tuple[str, int], list[Metrics]]] = {i: {} for i in todo}

    def on_result(task: Task, reps: list[Metrics]) -> None:
        i, side, c = cast(tuple[int, str, int], task.key)
        pieces[i][(side, c)] = reps
        if len(pieces[i]) < chunks[i] * len(sides):
            return
        data = {s: [r for k in range(chunks[i]) for r in pieces[i][(s, k)]] for s in sides}
        _write_set(out, i, the_plan, data, seeds[: counts[i]])
        result.data[i] = data
        result.ran_now.append(i)

    try:
        _, failures = run_tasks(tasks, backend, progress, on_result, raise_on_failure=False)
    except BackendError:
        if not any((out / "sets").glob("*.json")):
            (out / "experiment.json").unlink(missing_ok=True)
        raise
    for key, err in failures.items():
        result.failures[cast(tuple[int, str, int], key)[0]] = err
    return result


def _write_set(out: Path, i: int, the_plan: Plan, data: Sides, seeds: list[int]) -> None:
    record: dict[str, Any] = {"set": "base" if i == BASE else i}
    if i != BASE:
        pset = the_plan.sets[i]
        record.update(
            role=pset.role,
            row=pset.row,
            swapped=pset.swapped,
            unit=list(pset.unit),
            values=pset.values,
        )
    record.update(seeds=seeds, replications=data)
    write_atomic(set_file(out, i), json.dumps(record) + "\n")
