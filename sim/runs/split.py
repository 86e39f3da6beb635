"""A package split into its parts: what each change of a scenario avoids on its own.

A scenario that adds "2 more UCR clinicians and 10 more virtual ward beds" is two
changes. :func:`package_changes` finds them: the keys where the two resolved scenarios
differ (a distribution or a split counts as one key, since it is one choice; a name,
a description and the run settings are not changes). :func:`split` runs the
counterfactual with each change alone, and with all of them, on the same replication
seeds as the counterfactual: every part is paired with the counterfactual and with
the others, so "what the clinicians alone avoid" and "what the beds alone avoid" can be
set beside "what the package avoids" and the sum of the parts.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.runs.backends import Backend
from sim.runs.compare import Comparison, compare
from sim.runs.replications import Results, run
from sim.runs.stats import Interval, t_interval
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario, replaced_whole, scenario_from_dict
from sim.scenario.model import Scenario

__all__ = [
    "Change",
    "Part",
    "Split",
    "changes_from_overrides",
    "package_changes",
    "parts_of",
    "split",
    "split_csv_rows",
]

NOT_CHANGES = frozenset({"name", "description", "run"})
"""Keys that tell scenarios apart without changing what is simulated (or how it is run)."""

MISSING = object()


@dataclass(frozen=True)
class Change:
    """One part of a package: a key path and its value in the counterfactual and the scenario
    (``MISSING`` where one of them does not have it)."""

    key: str
    before: Any
    after: Any

    def describe(self) -> str:
        return f"{self.key}: {_show(self.before)} -> {_show(self.after)}"


def _show(value: Any) -> str:
    if value is MISSING or value is None:
        return "(none)"
    if isinstance(value, dict):
        if "dist" in value:
            inner = ", ".join(f"{k}={v:g}" for k, v in value.items() if isinstance(v, int | float))
            return f"{value['dist']}({inner})"
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return f"[{len(value)} values]"
    return str(value)


def _dump(scenario: Scenario) -> dict[str, Any]:
    data = scenario.model_dump(mode="json", by_alias=True)
    _drop_nulls(data)
    return data


def _drop_nulls(data: dict[str, Any]) -> None:
    for key in [k for k, v in data.items() if v is None]:
        del data[key]
    for value in data.values():
        if isinstance(value, dict):
            _drop_nulls(value)


def _walk(a: Any, b: Any, path: tuple[str, ...], whole: frozenset[str], out: list[Change]) -> None:
    unit = (
        not isinstance(a, dict)
        or not isinstance(b, dict)
        or "dist" in a
        or "dist" in b
        or (path and path[-1] in whole)
    )
    if unit:
        if a != b:
            out.append(Change(".".join(path), a, b))
        return
    for key in list(dict.fromkeys([*a, *b])):
        if not path and key in NOT_CHANGES:
            continue
        _walk(a.get(key, MISSING), b.get(key, MISSING), (*path, key), whole, out)


def package_changes(counterfactual: Scenario, scenario: Scenario) -> list[Change]:
    """The keys where ``scenario`` differs from ``counterfactual``, each with both values."""
    out: list[Change] = []
    _walk(_dump(counterfactual), _dump(scenario), (), replaced_whole(), out)
    return out


def with_change(counterfactual: Scenario, change: Change) -> Scenario:
    """The counterfactual with one change made (named after the change)."""
    data = _dump(counterfactual)
    keys = change.key.split(".")
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    if change.after is MISSING:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = copy.deepcopy(change.after)
    data["name"] = f"{counterfactual.name}+{change.key}"
    return scenario_from_dict(data, f"{counterfactual.name} with {change.key} changed")


def changes_from_overrides(
    counterfactual_path: Any, overrides: Sequence[str]
) -> list[tuple[Change, Scenario]]:
    """For a ``--set`` variant: each ``--set`` applied alone to the counterfactual file (a
    ``--set`` of a name or a run setting is not a part: it is applied to every part)."""
    base = load_scenario(counterfactual_path)
    common = [t for t in overrides if t.partition(".")[0].partition("=")[0].strip() in NOT_CHANGES]
    out = []
    for text in overrides:
        if text in common:
            continue
        part = load_scenario(counterfactual_path, [*common, text])
        key = text.partition("=")[0].strip()
        found = package_changes(base, part)
        before = found[0].before if len(found) == 1 else MISSING
        after = found[0].after if len(found) == 1 else text.partition("=")[2].strip()
        change = Change(key, before, after)
        out.append((change, part.model_copy(update={"name": f"{base.name}+{key}"})))
    return out


PartSpec = tuple[Change, Scenario | None, str]
"""A part to run: the change, the counterfactual with it (None if it cannot be made alone),
and why not."""


def parts_of(counterfactual: Scenario, scenario: Scenario) -> list[PartSpec]:
    """One part per key where the scenarios differ (:func:`package_changes`)."""
    out: list[PartSpec] = []
    for change in package_changes(counterfactual, scenario):
        try:
            out.append((change, with_change(counterfactual, change), ""))
        except ScenarioError as err:
            out.append((change, None, _reason(err)))
    return out


@dataclass
class Part:
    """One change alone against the counterfactual (``comparison`` None if it cannot be made
    alone, with the reason in ``problem``)."""

    change: Change
    comparison: Comparison | None
    problem: str = ""


@dataclass
class Split:
    """Each part alone, and the package whole, all against the same counterfactual runs."""

    whole: Comparison
    parts: list[Part] = field(default_factory=list)

    def sum_of_parts(self, metric: str, confidence: float = 0.95) -> Interval:
        """Interval of the sum of what the parts avoid alone (paired by replication)."""
        done = [p.comparison for p in self.parts if p.comparison is not None]
        if not done:
            return Interval(math.nan, math.nan, math.nan, math.nan, 0)
        cf = self.whole.counterfactual.values(metric)
        total = np.zeros_like(cf)
        for c in done:
            total += cf - c.scenario.values(metric)
        return t_interval(total, confidence)


def split(
    counterfactual: Scenario,
    scenario: Scenario,
    replications: int,
    seed: int,
    parts: Sequence[PartSpec] | None = None,
    backend: Backend | None = None,
    progress: Callable[[int], None] | None = None,
    whole: Comparison | None = None,
) -> Split:
    """Compare the counterfactual with the whole scenario and with each part alone.

    ``parts``: (change, the counterfactual with that change, or None and why it cannot be
    made alone); by default one per :func:`package_changes`. ``whole``: the comparison
    of the whole scenario if it has been run already (on the same seeds)."""
    if parts is None:
        parts = parts_of(counterfactual, scenario)
    if whole is None:
        whole = compare(
            counterfactual, scenario, replications, seed, backend=backend, progress=progress
        )
    out = Split(whole)
    for change, variant, problem in parts:
        if variant is None:
            out.parts.append(Part(change, None, problem))
            continue
        results: Results = run(variant, replications, seed, backend=backend, progress=progress)
        out.parts.append(Part(change, Comparison(whole.counterfactual, results)))
    return out


def _reason(err: ScenarioError) -> str:
    first = err.problems[0]
    more = f" (and {len(err.problems) - 1} more)" if len(err.problems) > 1 else ""
    where = f"{first.path}: " if first.path else ""
    return f"cannot be made alone ({where}{first.message}{more})"


def split_csv_rows(result: Split, metrics: Sequence[str]) -> list[list[Any]]:
    """``split.csv``: one row per part (then the sum of the parts and the whole) × metric."""
    rows: list[list[Any]] = [["part", "change", "metric", "avoided_mean", "ci_low", "ci_high", "n"]]
    for k, part in enumerate(result.parts, start=1):
        for m in metrics:
            if part.comparison is None:
                rows.append([k, part.change.describe(), m, "", "", "", 0])
                continue
            iv = part.comparison.avoided(m)
            rows.append([k, part.change.describe(), m, iv.mean, iv.ci_low, iv.ci_high, iv.n])
    for name, get in (
        ("sum of the parts", result.sum_of_parts),
        ("all together", result.whole.avoided),
    ):
        for m in metrics:
            iv = get(m)
            rows.append([name, "", m, iv.mean, iv.ci_low, iv.ci_high, iv.n])
    return rows
