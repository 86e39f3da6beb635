"""Which kind of file a TOML file is, so that a file given to the wrong command is named.

A scenario file describes a place (``population``, ``demand``, ``services``); an
experiment file names a base scenario and what to do with it (``scenario``, ``vary``,
``[search]``, ``[calibration]``, ``[published]``). Given the other kind, a command
says what the file is and which command takes it, instead of listing every key as
unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.scenario.errors import Problem

__all__ = ["not_a_scenario", "not_an_experiment"]

SCENARIO_KEYS = frozenset({"population", "demand", "services"})
EXPERIMENT_KEYS = frozenset(
    {"scenario", "vary", "design", "search", "calibration", "published", "precision", "uncertainty"}
)


def _experiment_commands(data: Mapping[str, Any]) -> list[str]:
    """The commands that take an experiment file, by the tables it has."""
    tables = (
        ("vary", "sweep"),
        ("search", "search"),
        ("calibration", "calibrate"),
        ("uncertainty", "uncertainty"),
    )
    out = [command for key, command in (*tables, ("published", "reproduce")) if key in data]
    return out or ["sweep"]


def not_a_scenario(data: Mapping[str, Any], source: str) -> Problem | None:
    """A problem if ``data`` is an experiment file rather than a scenario file."""
    if SCENARIO_KEYS & set(data) or not EXPERIMENT_KEYS & set(data):
        return None
    commands = " or ".join(f"`nhsim {c} {source}`" for c in _experiment_commands(data))
    return Problem(
        source,
        "",
        "is an experiment file (it names a base scenario and what to do with it), not a "
        f"scenario file: run it with {commands}",
    )


def not_an_experiment(data: Mapping[str, Any], source: str) -> Problem | None:
    """A problem if ``data`` is a scenario file rather than an experiment file."""
    if "scenario" in data or not SCENARIO_KEYS & set(data):
        return None
    return Problem(
        source,
        "",
        "is a scenario file (it describes a place: population, demand and services), not an "
        f"experiment file: run it with `nhsim run {source}` or compare it with `nhsim compare`; "
        "`nhsim sweep` and `nhsim search` take an experiment file (such as "
        "experiments/ucr_vw_grid.toml) that names a scenario to vary",
    )
