"""The parameter sets of an uncertainty analysis: inputs checked, points drawn, values set.

:func:`resolve_inputs` checks an experiment's ``[uncertainty]`` table against its
scenarios: each key exists and holds a number (a split, for a Dirichlet), the
counterfactual has the same value (an uncertain input is a fact about the place, the
same whichever option is chosen), and the ends of each distribution are values the
key allows. :func:`parameter_sets` draws the design on the unit cube and turns each
point into values through the inputs' inverse distribution functions:

- ``sobol``: scrambled Sobol points (``scipy.stats.qmc.Sobol``), space-filling and
  nested (the first 64 of 256 points are themselves a balanced design);
- ``latin_hypercube``: a Latin hypercube of ``sets`` points;
- ``saltelli``: two Sobol matrices A and B and, for each input, A with that input's
  coordinates taken from B (Saltelli et al. 2010), row by row: sets × (inputs + 2)
  parameter sets, from which first-order and total Sobol indices need no model.

Whole-number keys (clinicians, beds) take the nearest whole number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.scenario.errors import Problem, ScenarioError, describe_value
from sim.scenario.loader import display_path
from sim.scenario.uncertain import EDGE, UncertainDirichlet

if TYPE_CHECKING:
    from sim.runs.experiment_file import Experiment
    from sim.scenario.model import Scenario

__all__ = [
    "Input",
    "ParameterSet",
    "check_inputs",
    "overrides",
    "parameter_sets",
    "resolve_inputs",
    "set_scenario",
]

LABEL = "<uncertainty>"
"""What the loader is told an input's values come from (renamed to the experiment's key)."""


@dataclass(frozen=True)
class Input:
    """An uncertain input as the design uses it."""

    key: str
    spec: Any  # an Uncertain model
    integer: bool
    base: Any
    columns: tuple[int, ...]

    def value(self, unit: np.ndarray) -> Any:
        x = self.spec.value([float(unit[c]) for c in self.columns])
        return math.floor(x + 0.5) if self.integer else x


@dataclass(frozen=True)
class ParameterSet:
    """One parameter set: where it sits in the design and the value of each input."""

    index: int
    role: str
    """``sample`` (a point of a space-filling design), or ``A``, ``B``, ``AB`` (Saltelli)."""
    row: int
    """The design's row (Saltelli: the base row the set belongs to)."""
    unit: tuple[float, ...]
    values: dict[str, Any] = field(default_factory=dict)
    swapped: str | None = None
    """For an ``AB`` set: the input whose coordinates came from B."""


def _dump(scenario: Scenario) -> dict[str, Any]:
    return scenario.model_dump(mode="json", by_alias=True)


def _at(tree: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return _MISSING
        tree = tree[part]
    return tree


_MISSING = object()


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _where(exp: Experiment, key: str) -> tuple[str, str]:
    return display_path(Path(exp.path)), f"uncertainty.{key}"


def resolve_inputs(exp: Experiment) -> list[Input]:
    """The experiment's inputs, in the file's order, each with its columns of the design;
    raises :class:`ScenarioError` naming the experiment's key of every problem."""
    problems = check_inputs(exp)
    if problems:
        raise ScenarioError(problems)
    base = _dump(exp.base_scenario())
    out, col = [], 0
    for key, spec in exp.uncertainty.items():
        width = spec.width()
        value = _at(base, key)
        out.append(
            Input(
                key,
                spec,
                isinstance(value, int) and not isinstance(value, bool),
                value,
                tuple(range(col, col + width)),
            )
        )
        col += width
    return out


def check_inputs(exp: Experiment) -> list[Problem]:
    """Every problem with the experiment's ``[uncertainty]`` table (none: an empty list)."""
    if not exp.uncertainty:
        return []
    base_scenario = exp.base_scenario()
    base = _dump(base_scenario)
    cf = _dump(exp.counterfactual_source().scenario()) if exp.counterfactual else None
    problems: list[Problem] = []
    for key, spec in exp.uncertainty.items():
        source, where = _where(exp, key)
        keys = [key, *spec.also]
        found = [p for k in keys for p in _key_problems(exp, base, cf, key, k, spec)]
        if found:
            problems += found
            continue
        ends: list[Any] = [spec.value([EDGE]), spec.value([1 - EDGE])] if spec.width() == 1 else []
        integer = _is_number(_at(base, key)) and isinstance(_at(base, key), int)
        for end, label in zip(ends, ("smallest", "largest")):
            value: float = math.floor(end + 0.5) if integer else end
            try:
                exp.source().scenario(overrides_of(key, spec, value), LABEL)
            except ScenarioError as err:
                why = _first_own(err)
                if "must sum to 1" in why and spec.rest is None:
                    why += "; name the share that takes the rest of the split, e.g. " + _rest_hint(
                        base, key
                    )
                problems.append(
                    Problem(
                        source,
                        where,
                        f"the distribution's {label} value, {describe_value(value)}, is not "
                        f"allowed here: {why}",
                    )
                )
                break
    return problems


def _rest_hint(base: dict[str, Any], key: str) -> str:
    parent, _, leaf = key.rpartition(".")
    table = _at(base, parent) if parent else base
    others = [k for k in table if k != leaf] if isinstance(table, dict) else []
    return f'rest = "{others[0]}"' if others else 'rest = "<share>"'


def _first_own(err: ScenarioError) -> str:
    """The loader's message about the values an input set (the first if several)."""
    own = [p for p in err.problems if p.source == LABEL] or err.problems
    p = own[0]
    return f"{p.path}: {p.message}" if p.source != LABEL and p.path else p.message


def _key_problems(
    exp: Experiment,
    base: dict[str, Any],
    cf: dict[str, Any] | None,
    name: str,
    key: str,
    spec: Any,
) -> list[Problem]:
    source, where = _where(exp, name)
    if key != name:
        where = f"{where}.also"
    value = _at(base, key)
    if value is _MISSING:
        try:
            exp.source().scenario({key: 0}, LABEL)
            why = "not a key of the scenario"
        except ScenarioError as err:
            why = f"not a key of the scenario: {_first_own(err)}"
        return [Problem(source, where, why if key == name else f"{key!r}: {why}")]
    label = "" if key == name else f"{key!r}: "
    if isinstance(spec, UncertainDirichlet):
        if not (isinstance(value, dict) and value and all(_is_number(v) for v in value.values())):
            return [
                Problem(
                    source, where, f"a dirichlet needs a split here, got {describe_value(value)}"
                )
            ]
        if set(value) != set(spec.alphas()):
            return [
                Problem(
                    source,
                    where,
                    f"the dirichlet's shares ({', '.join(spec.alphas())}) must be the split's "
                    f"destinations ({', '.join(value)})",
                )
            ]
    elif isinstance(value, dict) and "dist" in value:
        return [
            Problem(
                source,
                where,
                f"{label}holds a distribution table: make one of its parameters uncertain, "
                f"e.g. {key}.{next((k for k in value if k != 'dist'), 'mean')}",
            )
        ]
    elif not _is_number(value):
        return [
            Problem(
                source,
                where,
                f"{label}holds {describe_value(value)}, not a number: only a number (or a split, "
                "with a dirichlet) can be uncertain",
            )
        ]
    if spec.rest is not None:
        parent, _, _ = key.rpartition(".")
        sibling = f"{parent}.{spec.rest}" if parent else spec.rest
        table = _at(base, parent) if parent else base
        if spec.rest == key.rpartition(".")[2] or not isinstance(table, dict):
            return [
                Problem(
                    source, f"{where}.rest", f"{spec.rest!r} must be another share of the split"
                )
            ]
        if spec.rest not in table:
            choices = ", ".join(k for k in table if k != key.rpartition(".")[2])
            return [
                Problem(
                    source,
                    f"{where}.rest",
                    f"{spec.rest!r} is not a share of {parent}; its other shares: {choices}",
                )
            ]
        keys = [key, sibling]
    else:
        keys = [key]
    if cf is not None:
        for k in keys:
            ours, theirs = _at(base, k), _at(cf, k)
            if ours != theirs:
                return [
                    Problem(
                        source,
                        where,
                        f"{label}the scenario ({describe_value(ours)}) and the counterfactual "
                        f"({describe_value(theirs)}) differ at {k}: a key that defines an option "
                        "cannot be an uncertain fact about the place",
                    )
                ]
    return []


def overrides_of(key: str, spec: Any, value: Any) -> dict[str, Any]:
    """The key paths one input sets to ``value`` (its ``also`` keys; ``rest`` to its sibling)."""
    out: dict[str, Any] = {}
    for k in [key, *spec.also]:
        out[k] = value
        if spec.rest is not None:
            parent = k.rpartition(".")[0]
            out[f"{parent}.{spec.rest}" if parent else spec.rest] = "rest"
    return out


def overrides(inputs: list[Input], values: Mapping[str, Any]) -> dict[str, Any]:
    """The key paths a parameter set changes, from its inputs' values."""
    out: dict[str, Any] = {}
    for inp in inputs:
        if inp.key in values:
            out.update(overrides_of(inp.key, inp.spec, values[inp.key]))
    return out


def _design_rng(seed: int) -> np.random.Generator:
    """The design's own stream, apart from the replications' seeds."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x5A17E111,)))


def unit_points(method: str, rows: int, width: int, seed: int) -> np.ndarray:
    """The design's points on the unit cube: ``rows`` × ``width`` (Saltelli: × 2 width)."""
    from scipy.stats import qmc

    rng = _design_rng(seed)
    if method == "latin_hypercube":
        return np.asarray(qmc.LatinHypercube(d=width, seed=rng).random(rows))
    dim = 2 * width if method == "saltelli" else width
    return np.asarray(qmc.Sobol(d=dim, scramble=True, seed=rng).random_base2(int(math.log2(rows))))


def parameter_sets(exp: Experiment, inputs: list[Input]) -> list[ParameterSet]:
    """Every parameter set of the design, in order (Saltelli: A, B, then each AB, row by row)."""
    method, rows = exp.sampling.method, exp.sampling.sets
    width = sum(len(i.columns) for i in inputs)
    points = unit_points(method, rows, width, exp.seed)

    def make(
        index: int, role: str, row: int, unit: np.ndarray, swapped: str | None = None
    ) -> ParameterSet:
        values = {i.key: i.value(unit) for i in inputs}
        return ParameterSet(index, role, row, tuple(float(x) for x in unit), values, swapped)

    out: list[ParameterSet] = []
    for r, point in enumerate(points):
        if method != "saltelli":
            out.append(make(len(out), "sample", r, point))
            continue
        a, b = point[:width], point[width:]
        out.append(make(len(out), "A", r, a))
        out.append(make(len(out), "B", r, b))
        for inp in inputs:
            ab = a.copy()
            ab[list(inp.columns)] = b[list(inp.columns)]
            out.append(make(len(out), "AB", r, ab, inp.key))
    return out


def set_scenario(
    exp: Experiment, inputs: list[Input], pset: ParameterSet | None, counterfactual: bool
) -> Scenario:
    """A side's scenario with a parameter set's values (``None``: the base values);
    a value a key does not allow is named as the experiment's ``uncertainty`` key."""
    source = exp.counterfactual_source() if counterfactual else exp.source()
    values = overrides(inputs, pset.values) if pset is not None else {}
    try:
        return source.scenario(values, LABEL)
    except ScenarioError as err:
        if pset is None:
            raise
        file, _ = _where(exp, "")
        own = [p for p in err.problems if p.source == LABEL]
        if not own:
            raise
        path = own[0].path
        key = next(
            (
                i.key
                for i in inputs
                for k in overrides_of(i.key, i.spec, 0)
                if path == k or path.startswith(k + ".") or k.startswith(path + ".")
            ),
            inputs[0].key,
        )
        value = pset.values.get(key)
        raise ScenarioError(
            [
                Problem(
                    file,
                    f"uncertainty.{key}",
                    f"parameter set {pset.index} draws {describe_value(value)}, which is not "
                    f"allowed here: {own[0].path}: {own[0].message}",
                )
            ]
        ) from None
