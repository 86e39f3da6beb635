"""Shared helpers for the test suite: the repository root and an event-log recorder."""

from __future__ import annotations

import json
import math
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


class Recorder:
    """An event log for :func:`sim.engine.run_replication`: keeps every movement in order,
    and each patient's cohort index (``cohorts``), checking that it never changes."""

    def __init__(self) -> None:
        self.events: list[tuple[float, int, str, str, str]] = []
        self.cohorts: dict[int, int] = {}

    def __call__(
        self, time: float, patient: int, service: str, event: str, detail: str, cohort: int
    ) -> None:
        self.events.append((time, patient, service, event, detail))
        known = self.cohorts.setdefault(patient, cohort)
        assert known == cohort, f"patient {patient} logged in cohort {cohort}, earlier {known}"

    def of(self, service: str, event: str | None = None) -> list[tuple[float, int, str, str, str]]:
        """The events at ``service`` (of kind ``event`` if given), in log order."""
        return [e for e in self.events if e[2] == service and (event is None or e[3] == event)]

    def by_patient(
        self, service: str | None = None
    ) -> dict[int, list[tuple[float, int, str, str, str]]]:
        """Each patient's events (at ``service`` if given), in log order."""
        out: dict[int, list[tuple[float, int, str, str, str]]] = defaultdict(list)
        for e in self.events:
            if service is None or e[2] == service:
                out[e[1]].append(e)
        return dict(out)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


# -- writing TOML (the standard library only reads it) ------------------------------------


def _toml_key(key: str) -> str:
    return json.dumps(key)  # always quoted: keys such as "services.ucr.staff" keep their dots


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"TOML helper: cannot write {value!r}")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    raise TypeError(f"TOML helper: cannot write {type(value).__name__}")


def toml_dumps(data: dict[str, Any], _prefix: tuple[str, ...] = ()) -> str:
    """``data`` as TOML: scalars, lists and inline tables first, then each sub-table."""
    lines = [
        f"{_toml_key(k)} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)
    ]
    for k, v in data.items():
        if isinstance(v, dict):
            path = (*_prefix, k)
            lines.append("")
            lines.append("[" + ".".join(_toml_key(p) for p in path) + "]")
            lines.append(toml_dumps(v, path).strip("\n"))
    return "\n".join(lines) + "\n"


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` to ``path`` as TOML (checked to read back equal) and return the path."""
    text = toml_dumps(data)
    assert tomllib.loads(text) == data, "TOML helper did not round-trip"
    path.write_text(text, encoding="utf-8")
    return path


# A small valid scenario in the shape of configs/teaching.toml (no name: it defaults
# to the file's stem), shared by the scenario-loading and bad-input tests.
SMALL_SCENARIO = """\
description = "a small valid scenario for the tests"

[run]
days = 30
warmup_days = 2
replications = 2
seed = 7

[population]
size = 20000
cohorts = { young = 0.8, frail = 0.2 }

[demand.referrals]
to = "ucr"
rate_per_1000 = { young = 2, frail = 40 }

[services.ucr]
kind = "community_response"
staff = 2
open_hours = "08-20"
open_days = "mon-sun"
visit_minutes = { dist = "lognormal", mean = 90, sd = 40 }
target_hours = 2.0
patience_hours = 6.0
escalation = { ambulance = 0.5, ed = 0.5 }
after_visit = { home = 0.7, ed = 0.3 }

[services.ambulance]
kind = "outcome"
description = "a 999 call"

[services.ed]
kind = "outcome"
description = "an ED attendance"
"""
