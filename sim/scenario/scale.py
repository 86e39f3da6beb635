"""A new place from a shipped one: the population and every capacity scaled together.

``scaled_toml(path, population)`` writes a scenario file that ``extends`` the original
and sets the new population and, for every service, each capacity times
``population / original population``: clinicians on duty (``staff``, or each hour of a
``roster``), beds and caseload slots (``beds``), vehicles (``fleet``), the people on a
proactive team's caseload (``caseload``) and the patients in beds at the start (``initial_occupancy``, never more than the beds). Each is
rounded to the nearest whole number (halves up) and is at least 1 where the original
had at least 1, so no service is switched off by rounding. Rates per 1,000 people,
lengths of stay, visit lengths, routes, shares and unit costs are left as they are:
demand grows with the population by itself, and none of them depends on its size.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.scenario.loader import ScenarioSource, display_path
from sim.scenario.model import Scenario

__all__ = ["CAPACITY_FIELDS", "Scaled", "scale_count", "scaled_scenario", "scaled_toml"]

CAPACITY_FIELDS = ("staff", "roster", "beds", "fleet", "caseload", "initial_occupancy")
"""The keys of a service that hold a capacity (or a starting level) and scale with the place."""


def scale_count(value: int, factor: float) -> int:
    """``value × factor`` to the nearest whole number (halves up), at least 1 if value ≥ 1."""
    if value <= 0:
        return 0
    return max(1, math.floor(value * factor + 0.5))


@dataclass(frozen=True)
class Scaled:
    """What scaling changed: the factor and each key's old and new value."""

    original: Scenario
    population: int
    factor: float
    changes: dict[str, tuple[Any, Any]]
    """key path → (original value, scaled value)."""


def _scaled_values(scenario: Scenario, population: int) -> Scaled:
    factor = population / scenario.population.size
    changes: dict[str, tuple[Any, Any]] = {}
    for name, spec in scenario.services.items():
        beds = None
        for field in CAPACITY_FIELDS:
            value = getattr(spec, field, None)
            if value is None:
                continue
            if field == "roster":
                new: Any = [scale_count(v, factor) for v in value]
            else:
                new = scale_count(value, factor)
                if field == "beds":
                    beds = new
                if field == "initial_occupancy" and beds is not None:
                    new = min(new, beds)
            if new != value:
                changes[f"services.{name}.{field}"] = (value, new)
    return Scaled(scenario, population, factor, changes)


def scaled_scenario(path: str | os.PathLike[str], population: int) -> tuple[Scenario, Scaled]:
    """The scaled scenario (validated: a problem raises ScenarioError) and what changed."""
    source = ScenarioSource(path)
    original = source.scenario()
    scaled = _scaled_values(original, population)
    values: dict[str, Any] = {"population.size": population}
    values.update({k: new for k, (_, new) in scaled.changes.items()})
    return source.scenario(values, label="nhsim scale"), scaled


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        rows = [", ".join(str(v) for v in value[i : i + 24]) for i in range(0, len(value), 24)]
        return "[\n    " + ",\n    ".join(rows) + ",\n]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def _extends_path(original: Path, out: Path) -> str:
    try:
        return Path(os.path.relpath(original.resolve(), out.resolve().parent)).as_posix()
    except ValueError:  # another drive on Windows
        return original.resolve().as_posix()


def scaled_toml(path: str | os.PathLike[str], population: int, out: Path) -> tuple[str, Scaled]:
    """The text of the scaled scenario file to be written at ``out``, and what changed."""
    _, scaled = scaled_scenario(path, population)
    original = scaled.original
    was = original.population.size
    name = out.stem
    lines = [
        f"# {original.name} scaled to a population of {population:,} "
        f"(from {was:,}: a factor of {scaled.factor:.4g}).",
        "#",
        f"# Written by `nhsim scale {display_path(Path(path))} --population {population}`.",
        "# Rule: each capacity is the original times the factor, rounded to the nearest",
        "# whole number (halves up), and at least 1 where the original had at least 1:",
        "# clinicians on duty (staff, or each hour of a roster, hub clinicians included),",
        "# beds and caseload slots, ambulance fleets, and the patients in beds at the start",
        "# (initial_occupancy, at most the beds).",
        "# Not scaled: rates per 1,000 people stay as they are (demand grows with the",
        "# population by itself); lengths of stay, visit and call lengths, routes and",
        "# shares, unit and fixed costs and the run settings stay too. This is a starting point:",
        "# check each capacity against the place's own figures.",
        f'extends = "{_extends_path(Path(path), out)}"',
        f"name = {_toml_value(name)}",
        _toml_value_line(
            "description",
            f"{original.name} scaled to {population:,} people (nhsim scale)",
        ),
        "",
        "[population]",
        f"size = {population}",
    ]
    by_service: dict[str, list[tuple[str, Any, Any]]] = {}
    for key, (old, new) in scaled.changes.items():
        _, service, field = key.split(".")
        by_service.setdefault(service, []).append((field, old, new))
    for service, fields in by_service.items():
        lines += ["", f"[services.{service}]"]
        for field, old, new in fields:
            if isinstance(new, list):
                lines.append(f"# roster: was {sum(old):,} clinician-hours a week, now {sum(new):,}")
                lines.append(f"{field} = {_toml_value(new)}")
            else:
                lines.append(f"{field} = {new}  # was {old}")
    return "\n".join(lines) + "\n", scaled


def _toml_value_line(key: str, value: str) -> str:
    return f"{key} = {_toml_value(value)}"
