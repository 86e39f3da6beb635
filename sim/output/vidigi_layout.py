"""Where an animation's stages are drawn: one per queue or row of resources of each
service, in two columns, and the number of resources drawn at each (vidigi's layout
table and ``scenario`` mapping; see :mod:`sim.output.vidigi_log`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.engine.roster import week_roster
from sim.scenario.model import (
    AcuteBeds,
    Ambulance,
    ClinicalHub,
    CommunityResponse,
    EmergencyDepartment,
    IntermediateCare,
    Scenario,
    VirtualWard,
)

__all__ = ["ARRIVAL", "DEPART", "Stage", "capacities", "layout", "stages"]

ARRIVAL = "arrival"
DEPART = "depart"
"""The anchors where patients come in and leave (vidigi's ``arrival_departure`` events)."""


@dataclass(frozen=True)
class Stage:
    """A place on the animation: a queue, or a row of numbered resources."""

    event: str
    event_type: str  # "queue" or "resource_use"
    label: str
    service: str
    column: int
    capacity: int | None = None
    """Resources drawn (``resource_use`` stages): beds, or the most clinicians on shift."""

    @property
    def resource(self) -> str | None:
        """The name of the capacity in the ``scenario`` mapping vidigi is given."""
        return self.event if self.event_type == "resource_use" and self.capacity else None


_ACRONYMS = {"ucr", "ed", "ic", "vw", "gp", "sdec", "cbc"}


def _pretty(name: str) -> str:
    """A service name as a board would write it: ``ic_beds`` → ``IC beds``."""
    words = [w.upper() if w.lower() in _ACRONYMS else w for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _most_on_shift(spec: CommunityResponse | ClinicalHub) -> int:
    """The most clinicians on duty in any hour of the week."""
    return int(week_roster(spec).max())  # type: ignore[arg-type]


def _team(name: str, spec: CommunityResponse) -> list[Stage]:
    label = _pretty(name)
    return [
        Stage(f"{name}.wait", "queue", f"{label}: waiting for a visit", name, 0),
        Stage(
            f"{name}.visit",
            "resource_use",
            f"{label}: clinicians visiting",
            name,
            0,
            _most_on_shift(spec),
        ),
    ]


def _hub(name: str, spec: ClinicalHub) -> list[Stage]:
    label = _pretty(name)
    return [
        Stage(f"{name}.wait", "queue", f"{label}: crews waiting to talk", name, 0),
        Stage(
            f"{name}.call",
            "resource_use",
            f"{label}: clinicians on a call",
            name,
            0,
            _most_on_shift(spec),
        ),
    ]


def _ambulance(name: str, spec: Ambulance) -> list[Stage]:
    label = _pretty(name)
    scene = f"{label}: 999 call, crew on the way or on scene"
    convey = f"{label}: conveying to {_pretty(spec.convey_to)}"
    return [
        Stage(f"{name}.scene", "queue", scene, name, 0),
        Stage(f"{name}.convey", "queue", convey, name, 0),
    ]


def _ed(name: str, spec: EmergencyDepartment) -> list[Stage]:
    return [Stage(f"{name}.attend", "queue", f"{_pretty(name)}: attending", name, 1)]


def _acute(name: str, spec: AcuteBeds) -> list[Stage]:
    label = _pretty(name)
    if spec.beds is None:
        return [Stage(f"{name}.bed", "queue", f"{label}: in a bed", name, 1)]
    return [
        Stage(f"{name}.boarding", "queue", f"{label}: waiting in ED for a bed", name, 1),
        Stage(f"{name}.bed", "resource_use", f"{label}: beds", name, 1, spec.beds),
    ]


def _pool(name: str, spec: VirtualWard | IntermediateCare) -> list[Stage]:
    label = _pretty(name)
    what = (
        "slots"
        if spec.kind == "virtual_ward" or getattr(spec, "setting", "bed") == "home"
        else "beds"
    )
    if spec.beds is None:
        return [Stage(f"{name}.bed", "queue", f"{label}: in care", name, 1)]
    return [Stage(f"{name}.bed", "resource_use", f"{label}: {what}", name, 1, spec.beds)]


_STAGES: dict[str, tuple[int, Callable[[str, Any], list[Stage]]]] = {
    "community_response": (0, _team),
    "hub": (1, _hub),
    "ambulance": (2, _ambulance),
    "ed": (3, _ed),
    "acute": (3, _acute),
    "virtual_ward": (4, _pool),
    "intermediate_care": (4, _pool),
}
"""Each kind the animation draws: its place in the layout order and its stages. A kind
not listed (a counted outcome, a kind added later) has no stage of its own."""


def stages(scenario: Scenario) -> list[Stage]:
    """Every stage of the scenario's services, in the order they are laid out.

    Column 0 holds the community and 999 services, column 1 the hospital and the bed
    pools."""
    drawn = [(name, spec) for name, spec in scenario.services.items() if spec.kind in _STAGES]
    out: list[Stage] = []
    for group in sorted({order for order, _ in _STAGES.values()}):
        for name, spec in drawn:
            order, build = _STAGES[spec.kind]
            if order == group:
                out.extend(build(name, spec))
    return out


def capacities(scenario: Scenario) -> dict[str, int]:
    """Resources drawn at each resource stage: vidigi's ``scenario`` mapping."""
    return {s.event: s.capacity for s in stages(scenario) if s.resource and s.capacity}


def layout(
    scenario: Scenario,
    wrap: int = 20,
    gap: float = 12.0,
    row_gap: float = 30.0,
    queue_rows: int = 2,
) -> list[dict[str, object]]:
    """vidigi's layout table: one row per stage (``event``, ``x``, ``y``, ``label``,
    ``resource``), plus the ``arrival`` and ``depart`` anchors.

    Stages are stacked top to bottom in two columns; a queue gets ``queue_rows`` rows
    (longer queues show as "+ n more"), a resource stage one row per ``wrap`` resources.
    Queues and resources build rightwards from their anchor, the label to its left.
    """
    width = wrap * gap
    columns_x = (width * 1.35, width * 3.35)
    heights: dict[int, list[tuple[Stage, float]]] = {0: [], 1: []}
    for s in stages(scenario):
        rows = queue_rows if s.event_type == "queue" else max(1, -(-(s.capacity or 1) // wrap))
        heights[s.column].append((s, rows * row_gap))
    space = 1.6 * row_gap
    total = max(sum(h + space for _, h in col) for col in heights.values())
    table: list[dict[str, object]] = []
    for column, placed in heights.items():
        y = total
        for s, h in placed:
            y -= h
            table.append(
                {
                    "event": s.event,
                    "x": columns_x[column],
                    "y": y,
                    "label": s.label,
                    "resource": s.resource,
                }
            )
            y -= space
    table.append(
        {
            "event": ARRIVAL,
            "x": columns_x[0],
            "y": total + row_gap,
            "label": "New patients",
            "resource": None,
        }
    )
    table.append(
        {
            "event": DEPART,
            "x": columns_x[1] + width * 1.25,
            "y": 0.0,
            "label": "Leaving",
            "resource": None,
        }
    )
    return table
