"""Read scenario files: TOML, ``extends`` chains, ``--set`` overrides, then validation.

The result is a frozen :class:`~sim.scenario.model.Scenario` or a
:class:`~sim.scenario.errors.ScenarioError` listing every problem with the file and
key path it comes from. Nothing here knows of SimPy or the engine.

Merging rules: a file that ``extends`` another overrides it key by key, recursively;
a distribution table (one with ``dist``) and a split (cohort shares, rates by cohort,
routes) replace the base's table whole, so no stale key from the base survives.
A file that names new cohorts (``[population] cohorts`` without some of the base's
names) replaces every table the base gives by cohort: those tables are dropped before
it is merged, and it must give each again for its cohorts (:mod:`sim.scenario.cohorts`).
"""

from __future__ import annotations

import copy
import json
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from sim import registry
from sim.scenario.checks import check_scenario
from sim.scenario.cohorts import drop_stale_cohort_tables, missing_cohort_tables
from sim.scenario.errors import Problem, ScenarioError, describe_value
from sim.scenario.filekind import not_a_scenario
from sim.scenario.files import UnreadableFile, read_text, read_toml
from sim.scenario.messages import problems_from_validation
from sim.scenario.model import Scenario, validate_scenario

__all__ = [
    "ScenarioSource",
    "apply_override",
    "load_scenario",
    "parse_override",
    "read_scenario_data",
    "replaced_whole",
    "scenario_from_dict",
]

REPLACED_WHOLE_TOP = frozenset({"cohorts", "rate_per_1000"})
"""Tables outside the services that an overriding file replaces whole (shares, rates by cohort)."""


def replaced_whole() -> frozenset[str]:
    """Tables that an overriding file replaces whole instead of merging into: the
    population's and demand's, and each registered kind's (its splits)."""
    out = set(REPLACED_WHOLE_TOP)
    for kind in registry.kinds():
        out |= kind.model.replaced_whole
    return frozenset(out)


Provenance = dict[tuple[str, ...], str]


def display_path(path: Path) -> str:
    """A path as the user would like to read it: relative to the working directory if inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _drop_nulls(data: dict[str, Any]) -> None:
    """JSON writes unset keys as null; TOML has no null, so a key left out means the same."""
    for key in [k for k, v in data.items() if v is None]:
        del data[key]
    for value in data.values():
        if isinstance(value, dict):
            _drop_nulls(value)


def _read_toml(path: Path, source: str) -> dict[str, Any]:
    """A scenario file's table (TOML, or a results folder's scenario.json), read through
    the one place that turns the system's errors into messages."""
    if path.suffix.lower() != ".json":
        data = read_toml(path, source, "a scenario file")
    else:  # a resolved scenario.json from a results directory
        try:
            text = read_text(path, "a scenario file")
        except UnreadableFile as err:
            raise ScenarioError([Problem(source, "", err.reason)]) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError([Problem(source, "", f"not valid JSON: {exc}")]) from None
        if not isinstance(data, dict):
            raise ScenarioError([Problem(source, "", "must hold a JSON object (a table of keys)")])
        _drop_nulls(data)
    if not data:
        raise ScenarioError(
            [
                Problem(
                    source,
                    "",
                    "the file is empty: a scenario needs at least population, demand and services",
                )
            ]
        )
    return data


def _leaves(data: dict[str, Any], prefix: tuple[str, ...], source: str, out: Provenance) -> None:
    whole = replaced_whole()
    for key, value in data.items():
        path = prefix + (key,)
        out[path] = source
        if isinstance(value, dict) and "dist" not in value and key not in whole:
            _leaves(value, path, source, out)


def _merge(
    base: dict[str, Any],
    top: dict[str, Any],
    prefix: tuple[str, ...],
    source: str,
    prov: Provenance,
) -> None:
    """Merge ``top`` into ``base`` in place, recording where each key came from."""
    whole = replaced_whole()
    for key, value in top.items():
        path = prefix + (key,)
        old = base.get(key)
        mergeable = (
            isinstance(value, dict)
            and isinstance(old, dict)
            and "dist" not in value
            and key not in whole
        )
        if mergeable:
            prov[path] = source
            _merge(old, value, path, source, prov)  # type: ignore[arg-type]  # a dict: mergeable
        else:
            for stale in [p for p in prov if p[: len(path)] == path]:
                del prov[stale]
            base[key] = value
            prov[path] = source
            if isinstance(value, dict):
                _leaves(value, path, source, prov)


def read_scenario_data(path: str | os.PathLike[str]) -> tuple[dict[str, Any], Provenance]:
    """The merged raw data of a scenario file and its ``extends`` chain, with provenance."""
    chain: list[tuple[Path, str, dict[str, Any]]] = []
    current = Path(path)
    seen: list[Path] = []
    source = display_path(current)
    while True:
        resolved = current.resolve()
        if resolved in seen:
            cycle = " -> ".join(display_path(p) for p in [*seen, resolved])
            raise ScenarioError([Problem(chain[-1][1], "extends", f"forms a cycle: {cycle}")])
        seen.append(resolved)
        data = _read_toml(current, source)
        wrong = not_a_scenario(data, source)
        if wrong is not None:
            raise ScenarioError([wrong])
        chain.append((current, source, data))
        parent = data.pop("extends", None)
        if parent is None:
            break
        if not isinstance(parent, str):
            raise ScenarioError(
                [
                    Problem(
                        source,
                        "extends",
                        f"must be a file name in quotes, got {describe_value(parent)}",
                    )
                ]
            )
        nxt = current.parent / parent
        if nxt.is_dir():
            raise ScenarioError(
                [Problem(source, "extends", f"{parent!r} is a directory, not a scenario file")]
            )
        if not nxt.is_file():
            raise ScenarioError(
                [
                    Problem(
                        source,
                        "extends",
                        f"no such file {parent!r} (looked for {display_path(nxt)})",
                    )
                ]
            )
        current, source = nxt, display_path(nxt)

    merged: dict[str, Any] = {}
    prov: Provenance = {}
    problems: list[Problem] = []
    for _, src, data in reversed(chain):
        dropped = drop_stale_cohort_tables(merged, data, prov)
        _merge(merged, data, (), src, prov)
        problems += missing_cohort_tables(merged, dropped, src)
    if problems:
        raise ScenarioError(problems)
    merged.setdefault("name", Path(path).stem)
    return merged, prov


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"services.ucr.staff=8"`` → (["services", "ucr", "staff"], 8).

    The value is read as a TOML value (numbers, booleans, quoted strings, lists, inline
    tables); anything that is not valid TOML is taken as a plain string.
    """
    key, sep, raw = text.partition("=")
    keys = [k.strip() for k in key.split(".")]
    if not sep or not all(keys):
        raise ScenarioError([Problem("--set", "", f"{text!r} must look like key.path=value")])
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return keys, value


def apply_override(
    data: dict[str, Any],
    prov: Provenance,
    keys: Sequence[str],
    value: Any,
    label: str = "--set",
    text: str | None = None,
) -> None:
    """Set ``keys`` (a key path) to ``value`` in raw scenario data, in place.

    Tables on the way are made if missing; a split or distribution touched becomes the
    override's as a whole. ``label`` is what problems with the key are said to come
    from (``--set``, or an experiment file); ``text`` is the override as the user wrote it.
    """
    text = text if text is not None else f"{'.'.join(keys)}={value}"
    node = data
    for i, key in enumerate(keys[:-1]):
        here = tuple(keys[: i + 1])
        if key not in node:
            node[key] = {}
            prov[here] = label  # a table the override made: its problems are the override's
        nxt = node[key]
        if not isinstance(nxt, dict):
            raise ScenarioError(
                [
                    Problem(
                        label,
                        ".".join(here),
                        f"is not a table, so {text!r} cannot set a key inside it",
                    )
                ]
            )
        if "dist" in nxt or key in replaced_whole():
            # A distribution or split is checked as a whole (it must sum to 1, or its keys
            # must suit its dist): once the override has changed part of it, it is the
            # override's, so a problem with the whole table names the override.
            prov[here] = label
        node = nxt
    path = tuple(keys)
    for stale in [p for p in prov if p[: len(path)] == path]:
        del prov[stale]
    node[keys[-1]] = copy.deepcopy(value)
    prov[path] = label
    if isinstance(value, dict):
        _leaves(value, path, label, prov)


def _apply_override(data: dict[str, Any], prov: Provenance, text: str) -> None:
    keys, value = parse_override(text)
    apply_override(data, prov, keys, value, "--set", text)


def scenario_from_dict(
    data: dict[str, Any], source: str = "<scenario>", provenance: Provenance | None = None
) -> Scenario:
    """Validate raw scenario data (as read from TOML) into a frozen Scenario."""
    prov = provenance or {}
    try:
        scenario = validate_scenario(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, data, prov, source)) from None
    problems = check_scenario(scenario, data, prov, source)
    if problems:
        raise ScenarioError(problems)
    return scenario


class ScenarioSource:
    """A scenario file read once: its merged data (``extends`` resolved) and provenance.

    Sweeps, searches and calibration make a scenario per point from it with
    :meth:`scenario`, applying ``{key path: value}`` to a copy of the data: no file is
    read again and no value goes through text.
    """

    def __init__(self, path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> None:
        self.path = Path(path)
        self.name = display_path(self.path)
        self.data, self.provenance = read_scenario_data(path)
        for text in overrides:
            _apply_override(self.data, self.provenance, text)

    def scenario(self, values: Mapping[str, Any] | None = None, label: str = "--set") -> Scenario:
        """The scenario with ``values`` (key path → value) set; problems with those keys
        are said to come from ``label``."""
        data, prov = copy.deepcopy(self.data), dict(self.provenance)
        for key, value in (values or {}).items():
            if isinstance(value, np.generic):  # a design's numpy number: as a plain one
                value = value.item()
            apply_override(data, prov, key.split("."), value, label)
        return scenario_from_dict(data, self.name, prov)


def load_scenario(path: str | os.PathLike[str], overrides: list[str] | None = None) -> Scenario:
    """Load, merge, override and validate a scenario file.

    ``overrides`` are ``key.path=value`` strings, as given to ``--set``.
    Raises :class:`ScenarioError` naming the file and key path of every problem.
    """
    data, prov = read_scenario_data(path)
    for text in overrides or []:
        _apply_override(data, prov, text)
    return scenario_from_dict(data, display_path(Path(path)), prov)
