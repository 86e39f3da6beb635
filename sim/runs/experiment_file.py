"""Experiment files (``experiments/*.toml``): a base scenario, what to vary, how.

An experiment names a base scenario (relative to the experiment file), the keys to
vary and a design (``grid``, ``one_at_a_time`` or ``latin_hypercube``), replications
per point or a target precision, the metrics to report, and optionally a capacity
``[search]``. It is validated like a scenario: unknown keys are errors with the
closest key suggested, and every problem names the file and key path.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from sim.runs.replications import MAX_REPLICATIONS
from sim.runs.uncertainty_spec import Decision, Sampling
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.filekind import not_an_experiment
from sim.scenario.files import read_toml
from sim.scenario.loader import ScenarioSource, display_path
from sim.scenario.messages import problems_from_validation
from sim.scenario.model import Scenario
from sim.scenario.types import Frozen
from sim.scenario.uncertain import Uncertain

__all__ = [
    "Constraint",
    "Experiment",
    "Point",
    "Range",
    "design_points",
    "experiment_error",
    "load_experiment",
]

Value = int | float | str | bool


class Range(Frozen):
    """A continuous or whole-number range, for Latin hypercube designs and searches."""

    low: float = Field(description="smallest value")
    high: float = Field(description="largest value")
    integer: bool = Field(False, description="round to whole numbers (capacities)")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"needs low < high, got low={self.low:g}, high={self.high:g}")
        return self


class Design(Frozen):
    kind: Literal["grid", "one_at_a_time", "latin_hypercube"] = Field(
        "grid",
        description="every combination; each key alone around the base; or a Latin hypercube",
    )
    samples: int = Field(20, ge=2, description="points of a Latin hypercube")


class Precision(Frozen):
    """Add replications until the 95% interval's half-width is within a share of the mean."""

    metrics: list[str] = Field(min_length=1, description="metrics that must reach the precision")
    relative_half_width: float = Field(
        gt=0, lt=1, description="e.g. 0.05: half-width within 5% of the mean"
    )
    max_replications: int = Field(
        100, ge=2, le=MAX_REPLICATIONS, description="stop adding replications here"
    )
    step: int = Field(10, ge=1, description="replications added at a time")


class Constraint(Frozen):
    """A standard a search must meet with the stated confidence."""

    metric: str = Field(description="metric name, e.g. ucr.seen_within_target")
    at_least: float | None = Field(
        None, description="the metric's lower confidence bound must be >= this"
    )
    at_most: float | None = Field(
        None, description="the metric's upper confidence bound must be <= this"
    )

    @model_validator(mode="after")
    def _one(self) -> Constraint:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least or at_most")
        return self

    def holds(self, low: float, high: float) -> bool:
        if self.at_least is not None:
            return low >= self.at_least
        return high <= self.at_most  # type: ignore[operator]

    def describe(self) -> str:
        return (
            f"{self.metric} >= {self.at_least:g}"
            if self.at_least is not None
            else f"{self.metric} <= {self.at_most:g}"
        )


class Search(Frozen):
    """Find the least capacities at which every constraint holds with ``confidence``."""

    capacities: dict[str, Annotated[list[int], Field(min_length=2, max_length=2)]] = Field(
        min_length=1,
        max_length=2,
        description="one or two keys, each [least, most] whole numbers to try",
    )
    constraints: list[Constraint] = Field(min_length=1, description="standards to meet")
    confidence: float = Field(
        0.95, gt=0.5, lt=1, description="one-sided confidence that each constraint holds"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Search:
        for key, (least, most) in self.capacities.items():
            if least > most:
                raise ValueError(
                    f"capacities {key!r}: needs [least, most] with least <= most, got [{least}, {most}]"
                )
        return self


class CalibrationSpec(Frozen):
    """What ``nhsim calibrate EXPERIMENT`` fits (see docs/guides/calibrate.md)."""

    targets: dict[str, float] = Field(
        min_length=1,
        description="metric = observed value; 'avoided.<metric>' for counterfactual minus scenario",
    )
    free: dict[str, Range] = Field(min_length=1, description="scenario key = { low, high } to fit")
    tolerance: float = Field(0.02, gt=0, lt=1, description="relative error accepted as a fit")


class Experiment(Frozen):
    """An experiment file."""

    name: str = Field(
        "experiment", description="results go to results/<name>/ (default: the file's name)"
    )
    description: str = Field("", description="what the experiment asks")
    scenario: str = Field(description="the base scenario file, relative to this file")
    set: list[str] = Field(
        default_factory=list, description="key.path=value overrides of the base scenario"
    )
    replications: int = Field(10, ge=1, le=MAX_REPLICATIONS, description="replications per point")
    seed: int = Field(2024, ge=0, description="seed: every point uses the same replication seeds")
    design: Design = Field(
        default_factory=lambda: Design.model_validate({}),
        description="how the varied values are combined",
    )
    vary: dict[str, list[Value] | Range] = Field(
        default_factory=dict,
        description="scenario key paths and their values (a list, or a range for a hypercube)",
    )
    precision: Precision | None = Field(
        None, description="replications by target precision instead"
    )
    report: list[str] = Field(
        default_factory=lambda: ["ambulance.conveyances", "admissions.total", "acute.bed_days"],
        description="metrics to print and plot",
    )
    compare_to_base: bool = Field(
        True, description="also report each point's paired difference from the base"
    )
    target: dict[str, float] = Field(
        default_factory=dict,
        description="reference lines on plots: metric = value (e.g. a 0.70 standard)",
    )
    search: Search | None = Field(None, description="a capacity search (nhsim search)")
    counterfactual: str | None = Field(
        None,
        description="a counterfactual scenario file: adds avoided.<metric> (counterfactual − point) to every point",
    )
    calibration: CalibrationSpec | None = Field(None, description="a calibration (nhsim calibrate)")
    published: dict[str, float] = Field(
        default_factory=dict,
        description="published figures to set the model against (nhsim reproduce): metric or avoided.<metric> = value",
    )
    uncertainty: dict[str, Uncertain] = Field(
        default_factory=dict,
        description="scenario key paths whose values are uncertain, each with its distribution "
        "and source (nhsim uncertainty)",
    )
    sampling: Sampling = Field(
        default_factory=lambda: Sampling.model_validate({}),
        description="how nhsim uncertainty draws its parameter sets",
    )
    decision: Decision = Field(
        default_factory=lambda: Decision.model_validate({}),
        description="what the choice between counterfactual and scenario rests on (nhsim uncertainty)",
    )

    # set by the loader
    path: str = Field("", description="(set by nhsim) where the file was read from", exclude=True)
    _sources: dict[str, ScenarioSource] = PrivateAttr(default_factory=dict)

    def source(self) -> ScenarioSource:
        """The base scenario file with the experiment's ``set``, read once: each point's
        scenario is made from it with ``source().scenario({key: value})``."""
        cached = self._sources.get("scenario")
        if cached is None:
            cached = self._sources["scenario"] = ScenarioSource(self.scenario_path(), self.set)
        return cached

    def counterfactual_source(self) -> ScenarioSource:
        """The counterfactual file with the experiment's ``set``, read once."""
        path = self.counterfactual_path()
        assert path is not None, "the experiment names no counterfactual"
        cached = self._sources.get("counterfactual")
        if cached is None:
            cached = self._sources["counterfactual"] = ScenarioSource(path, self.set)
        return cached

    def base_scenario(self) -> Scenario:
        """The base scenario with the experiment's ``set`` (a problem names this file's key)."""
        try:
            return self.source().scenario()
        except ScenarioError as err:
            raise experiment_error(self, err) from None

    def scenario_path(self) -> Path:
        return Path(self.path).parent / self.scenario

    def counterfactual_path(self) -> Path | None:
        return Path(self.path).parent / self.counterfactual if self.counterfactual else None

    def digest(self) -> str:
        """Identifies what the experiment computes, so a resumed sweep continues the same one
        (the tables of ``nhsim uncertainty`` are no part of a sweep)."""
        text = json.dumps(
            self.model_dump(mode="json", exclude={"uncertainty", "sampling", "decision"}),
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file, and check its base scenario loads."""
    path = Path(path)
    source = display_path(path)
    data = read_toml(path, source, "an experiment file")
    if not data:
        raise ScenarioError(
            [Problem(source, "", "the file is empty: an experiment needs at least a scenario")]
        )
    wrong = not_an_experiment(data, source)
    if wrong is not None:
        raise ScenarioError([wrong])
    data.setdefault("name", path.stem)
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            problems_from_validation(exc, data, {}, source, root=Experiment)
        ) from None
    exp = exp.model_copy(update={"path": str(path)})
    base = exp.base_scenario()  # raises ScenarioError naming the scenario file
    if exp.counterfactual:
        try:
            exp.counterfactual_source().scenario()
        except ScenarioError as err:
            raise experiment_error(exp, err) from None
    problems = []
    keys = list(exp.vary) + (list(exp.search.capacities) if exp.search else [])
    keys += list(exp.calibration.free) if exp.calibration else []
    for key in keys:
        try:
            exp.source().scenario({key: _probe(base, key)})
        except ScenarioError as err:
            where = (
                "vary"
                if key in exp.vary
                else "search.capacities"
                if exp.search and key in exp.search.capacities
                else "calibration.free"
            )
            problems.append(
                Problem(
                    source,
                    f"{where}.{key}",
                    f"not a key of the scenario: {err.problems[0].message}",
                )
            )
    if problems:
        raise ScenarioError(problems)
    for key, least_most in (exp.search.capacities if exp.search else {}).items():
        for value in dict.fromkeys(least_most):  # a search tries both ends: check them now
            try:
                exp.source().scenario({key: value})
            except ScenarioError as err:
                problems += experiment_error(exp, err, {key: value}, "search.capacities").problems
    if problems:
        raise ScenarioError(problems)
    from sim.runs.uncertainty_design import check_inputs

    problems = check_inputs(exp)
    if problems:
        raise ScenarioError(problems)
    return exp


def _owner(path: str, keys: Mapping[str, Value]) -> str | None:
    """The key of ``keys`` that a problem at ``path`` is about (the same, inside or around it)."""
    for key in keys:
        if path == key or path.startswith(key + ".") or key.startswith(path + "."):
            return key
    return None


def experiment_error(
    exp: Experiment,
    err: ScenarioError,
    values: Mapping[str, Value] | None = None,
    where: str = "vary",
) -> ScenarioError:
    """``err`` with the problems of the experiment's own overrides named as its keys.

    An experiment sets scenario keys as ``--set`` would (its ``set``, then a point's
    ``values``), so the loader names ``--set``; the person reading wrote this file:
    ``experiments/x.toml: vary.services.ucr.staff: must be >= 0, got -1``."""
    source = display_path(Path(exp.path))
    problems = []
    for p in err.problems:
        if p.source != "--set":
            problems.append(p)
            continue
        key = _owner(p.path, values or {}) if p.path else None
        if key is not None:
            message = p.message if p.path == key else f"{p.path}: {p.message}"
            problems.append(Problem(source, f"{where}.{key}", message))
        else:
            problems.append(
                Problem(source, "set", f"{p.path}: {p.message}" if p.path else p.message)
            )
    return ScenarioError(problems)


def _probe(scenario: Scenario, key: str) -> Any:
    """The scenario's current value at ``key`` (to check that the key exists): setting it
    changes nothing if it does, and a missing key is reported as unknown."""
    node: Any = scenario.model_dump(mode="json", by_alias=True)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return 0
        node = node[part]
    return node if not isinstance(node, dict) else {}


Point = dict[str, Value]


def base_value(scenario: Scenario, key: str) -> Any:
    node: Any = scenario.model_dump(mode="json", by_alias=True)
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def design_points(exp: Experiment, base: Scenario) -> list[Point]:
    """The points of the design, in a fixed order (point 0 is the base where it applies)."""
    keys = list(exp.vary)
    if not keys:
        return [{}]
    kind = exp.design.kind
    if kind == "grid":
        lists = [_values(exp.vary[k], k, exp.path) for k in keys]
        return [dict(zip(keys, combo)) for combo in itertools.product(*lists)]
    if kind == "one_at_a_time":
        points: list[Point] = [{}]
        for k in keys:
            for v in _values(exp.vary[k], k, exp.path):
                if v != base_value(base, k):
                    points.append({k: v})
        return points
    from scipy.stats import qmc

    sampler = qmc.LatinHypercube(d=len(keys), seed=exp.seed)
    unit = sampler.random(exp.design.samples)
    points = []
    for row in unit:
        point: Point = {}
        for k, u in zip(keys, row):
            r = exp.vary[k]
            if not isinstance(r, Range):
                raise ScenarioError(
                    [
                        Problem(
                            display_path(Path(exp.path)),
                            f"vary.{k}",
                            "a latin_hypercube design needs { low, high } ranges",
                        )
                    ]
                )
            x = r.low + u * (r.high - r.low)
            point[k] = round(x) if r.integer else float(x)
        points.append(point)
    return points


def _values(v: list[Value] | Range, key: str, source: str = "") -> list[Value]:
    if isinstance(v, Range):
        if not v.integer:
            raise ScenarioError(
                [
                    Problem(
                        display_path(Path(source)) if source else "",
                        f"vary.{key}",
                        "a range in a grid needs integer = true (or list the values)",
                    )
                ]
            )
        return list(range(int(v.low), int(v.high) + 1))
    return list(v)
