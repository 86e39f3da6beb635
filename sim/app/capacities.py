"""What the page lets a person change in a scenario: capacities and demand.

:func:`knobs_for` reads a scenario and lists a :class:`Knob` for every capacity it has
(community teams' and hubs' clinicians on duty, or a scale for a roster; their
opening hours; bed pools' and acute beds; ambulance vehicles) and a multiplier for
every demand source. A knob knows its scenario key, its bounds (never below 0, the
schema's own bound) and its help text. :func:`overrides` turns the values a person
chose into ``--set`` style overrides, only for what changed, so the unchanged
scenario is exactly the file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sim.app.tomlwriter import format_value
from sim.scenario import Scenario

__all__ = [
    "DEMAND_RANGE",
    "HOURS_CHOICES",
    "Knob",
    "describe",
    "knobs_for",
    "overrides",
    "unlimited_notes",
]

HOURS_CHOICES = ("08-18", "08-20", "08-22", "07-23", "00-24")
DEMAND_RANGE = (0.5, 2.0, 0.05)
"""Low, high and step of a demand multiplier."""

KnobKind = Literal["count", "scale", "multiplier", "hours"]


def upper_bound(value: int) -> int:
    """A slider's top: three times the file's value, or 20 more, whichever is larger."""
    return max(3 * value, value + 20)


@dataclass(frozen=True)
class Knob:
    """One thing the page can change, and how it becomes an override."""

    key: str
    """The scenario key it sets, e.g. ``services.ucr.staff``."""
    label: str
    """The widget's label, e.g. ``ucr: clinicians on duty``."""
    kind: KnobKind
    default: Any
    low: float = 0
    high: float = 0
    step: float = 1
    help: str = ""
    group: Literal["capacity", "demand"] = "capacity"
    base: Any = field(default=None, compare=False)
    """What a scale or a multiplier applies to: a roster, or a demand rate."""
    choices: tuple[str, ...] = ()

    def changed(self, value: Any) -> bool:
        if self.kind in ("scale", "multiplier"):
            return not math.isclose(float(value), float(self.default), abs_tol=1e-9)
        return bool(value != self.default)

    def override(self, value: Any) -> str:
        """The ``key.path=value`` that sets ``value``."""
        if self.kind == "count":
            return f"{self.key}={int(value)}"
        if self.kind == "hours":
            return f"{self.key}={format_value(str(value))}"
        if self.kind == "scale":
            return f"{self.key}={format_value([_round(v * float(value)) for v in self.base])}"
        m = float(value)
        if isinstance(self.base, dict):
            rates: Any = {k: v * m for k, v in self.base.items()}
        else:
            rates = self.base * m
        return f"{self.key}={format_value(rates)}"

    def describe(self, value: Any) -> str:
        if self.kind in ("scale", "multiplier"):
            return f"{self.label} ×{float(value):g}"
        return f"{self.label} {self.default} → {value}"


def _round(x: float) -> int:
    """Half up, so that a scale of 1.5 on 1 clinician gives 2."""
    return math.floor(x + 0.5)


def _staffed(name: str, spec: Any, team: str) -> list[Knob]:
    out: list[Knob] = []
    if spec.staff is not None:
        v = int(spec.staff)
        out.append(
            Knob(
                f"services.{name}.staff",
                f"{name}: clinicians on duty",
                "count",
                v,
                0,
                upper_bound(v),
                1,
                f"How many {team} clinicians are on duty at once in opening hours "
                f"({spec.open_hours}, {spec.open_days}). The file says {v}; 0 switches the "
                "service off.",
            )
        )
        choices = tuple(dict.fromkeys([spec.open_hours, *HOURS_CHOICES]))
        out.append(
            Knob(
                f"services.{name}.open_hours",
                f"{name}: opening hours",
                "hours",
                spec.open_hours,
                help=f"The hours the {team} works each day, start to end (00-24 is around the "
                f"clock). The file says {spec.open_hours}.",
                choices=choices,
            )
        )
    elif spec.roster is not None:
        most = max(spec.roster)
        out.append(
            Knob(
                f"services.{name}.roster",
                f"{name}: roster scale",
                "scale",
                1.0,
                0.0,
                3.0,
                0.1,
                f"This {team} is rostered hour by hour (up to {most} clinicians on duty). "
                "The scale multiplies every hour's clinicians, rounded to whole people: "
                "1 is the roster in the file, 2 doubles it, 0 switches the service off.",
                base=tuple(spec.roster),
            )
        )
    return out


def _beds(name: str, spec: Any, kind: str) -> list[Knob]:
    if getattr(spec, "beds", None) is None:
        return []
    v = int(spec.beds)
    if kind == "acute":
        text = (
            "Acute hospital beds. When every bed is taken, an admitted patient waits in the ED "
            "for one."
        )
    else:
        what = "virtual ward" if kind == "virtual_ward" else "intermediate care service"
        full = f" goes to {spec.when_full}" if spec.when_full else " is turned away"
        text = (
            f"Beds (or places looked after at home) on the {what}. When all are in use, a "
            f"patient stepped up{full}, and a patient stepping down from hospital waits in "
            "the acute bed."
        )
    return [
        Knob(
            f"services.{name}.beds",
            f"{name}: beds",
            "count",
            v,
            0,
            upper_bound(v),
            1,
            f"{text} The file says {v}.",
        )
    ]


def _fleet(name: str, spec: Any) -> list[Knob]:
    if spec.fleet is None:
        return []
    v = int(spec.fleet)
    return [
        Knob(
            f"services.{name}.fleet",
            f"{name}: vehicles",
            "count",
            v,
            0,
            upper_bound(v),
            1,
            f"Ambulances available at once. A call waits for a free vehicle. The file says {v}.",
        )
    ]


def _caseload(name: str, spec: Any) -> list[Knob]:
    """A proactive team: its caseload, or its staff when the caseload is sized from them."""
    if spec.caseload is None:
        return _staffed(name, spec, "caseload team")
    v = int(spec.caseload)
    return [
        Knob(
            f"services.{name}.caseload",
            f"{name}: people on the caseload",
            "count",
            v,
            0,
            upper_bound(v),
            1,
            "People the proactive team holds on its caseload at once; the more of a "
            f"cohort it covers, the more of their urgent need it averts. The file says {v}; "
            "0 switches the team off.",
        )
    ]


BED_KINDS = frozenset({"virtual_ward", "intermediate_care", "acute"})
"""Kinds whose capacity is ``beds``."""

_KNOBS: dict[str, Callable[[str, Any], list[Knob]]] = {
    "community_response": lambda name, spec: _staffed(name, spec, "team"),
    "hub": lambda name, spec: _staffed(name, spec, "hub"),
    "virtual_ward": lambda name, spec: _beds(name, spec, spec.kind),
    "intermediate_care": lambda name, spec: _beds(name, spec, spec.kind),
    "acute": lambda name, spec: _beds(name, spec, spec.kind),
    "ambulance": lambda name, spec: _fleet(name, spec),
    "proactive_care": _caseload,
}
"""The sliders each kind of service gets (a kind not listed has none)."""


def knobs_for(scenario: Scenario) -> list[Knob]:
    """Every capacity of the scenario, then a multiplier for every demand source."""
    knobs: list[Knob] = []
    for name, spec in scenario.services.items():
        make = _KNOBS.get(spec.kind)
        if make is not None:
            knobs += make(name, spec)
    low, high, step = DEMAND_RANGE
    for name, src in scenario.demand.items():
        knobs.append(
            Knob(
                f"demand.{name}.rate_per_1000",
                f"{name}: demand multiplier",
                "multiplier",
                1.0,
                low,
                high,
                step,
                f"Scales how many patients come from {name} (to {src.to}) a year: 1 is the "
                "file's rate, 1.2 is a fifth more.",
                group="demand",
                base=src.rate_per_1000,
            )
        )
    return knobs


def unlimited_notes(scenario: Scenario) -> list[str]:
    """Capacities the file leaves unlimited, said in words (they have no slider)."""
    notes = []
    for name, spec in scenario.services.items():
        if spec.kind in BED_KINDS and getattr(spec, "beds", 0) is None:
            notes.append(f"{name}: beds unlimited in the file")
        elif spec.kind == "ambulance" and getattr(spec, "fleet", 0) is None:
            notes.append(f"{name}: vehicles unlimited in the file")
    return notes


def overrides(knobs: list[Knob], values: dict[str, Any]) -> list[str]:
    """``--set`` overrides for the knobs whose value differs from the file's."""
    return [
        k.override(values[k.key]) for k in knobs if k.key in values and k.changed(values[k.key])
    ]


def describe(knobs: list[Knob], values: dict[str, Any]) -> list[str]:
    """The changes in words: ``ucr: clinicians on duty 1 → 2``."""
    return [
        k.describe(values[k.key]) for k in knobs if k.key in values and k.changed(values[k.key])
    ]
