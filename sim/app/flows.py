"""Where patients went: flows between services, from the route metrics of a run.

Each route a scenario describes has a metric counting the patients who took it
(``<svc>.after_visit.<dest>``, ``<svc>.escalated.<dest>``, ``ambulance.conveyances``,
``<pool>.at_end.<dest>``, ``ed.admitted``, ``acute.discharged.<dest>``, ...). Their means
over the replications are the widths of a Sankey diagram's links. A route back to a
service met earlier on the way (a step-down to the virtual ward after an admission
that came from it) is drawn to a second node for that service, ``virtual_ward
(again)``, because a Sankey diagram cannot draw a loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.scenario import Scenario
from sim.scenario.model import HOME
from sim.scenario.services import (
    AcuteBeds,
    Ambulance,
    ClinicalHub,
    CommunityResponse,
    EmergencyDepartment,
    IntermediateCare,
    VirtualWard,
)

__all__ = ["Link", "hospital_services", "route_links", "sankey_figure", "without_loops"]


@dataclass(frozen=True)
class Link:
    """Patients a year going from one service (or demand source) to another."""

    source: str
    target: str
    value: float
    label: str


Add = Callable[[str, str, "str | float", str], None]


def _team_links(name: str, spec: CommunityResponse, means: dict[str, float], add: Add) -> None:
    for dest in spec.after_visit:
        add(name, dest, f"{name}.after_visit.{dest}", "after the visit")
    for dest in spec.escalation or {}:
        add(name, dest, f"{name}.escalated.{dest}", "escalated: not reached in time")


def _hub_links(name: str, spec: ClinicalHub, means: dict[str, float], add: Add) -> None:
    for dest in spec.destinations:
        add(name, dest, f"{name}.diverted.{dest}", "not conveyed")


def _ambulance_links(name: str, spec: Ambulance, means: dict[str, float], add: Add) -> None:
    add(name, HOME, f"{name}.treated_on_scene", "treated on scene")
    if spec.hub:
        add(name, spec.hub, f"{name}.not_conveyed_after_call", "call before convey")
    add(name, spec.convey_to, f"{name}.conveyances", "conveyed")


def _pool_links(
    name: str, spec: VirtualWard | IntermediateCare, means: dict[str, float], add: Add
) -> None:
    for dest in spec.at_end:
        add(name, dest, f"{name}.at_end.{dest}", "at the end of the stay")
    add(name, spec.when_full or HOME, f"{name}.blocked", "full: sent on")


def _ed_links(name: str, spec: EmergencyDepartment, means: dict[str, float], add: Add) -> None:
    attendances = means.get(f"{name}.attendances", math.nan)
    admitted = means.get(f"{name}.admitted", math.nan)
    add(name, spec.admit_to, admitted, "admitted")
    add(name, HOME, attendances - admitted, "not admitted")


def _acute_links(name: str, spec: AcuteBeds, means: dict[str, float], add: Add) -> None:
    for dest in spec.discharge:
        add(name, dest, f"{name}.discharged.{dest}", "discharged")


_LINKS: dict[str, Callable[[str, Any, dict[str, float], Add], None]] = {
    "community_response": _team_links,
    "hub": _hub_links,
    "ambulance": _ambulance_links,
    "virtual_ward": _pool_links,
    "intermediate_care": _pool_links,
    "ed": _ed_links,
    "acute": _acute_links,
}
"""How each kind's routes show on the flow diagram (from its route metrics)."""

HOSPITAL_KINDS = frozenset({"ambulance", "ed", "acute"})
"""The kinds on the hospital's side of the flow."""


def route_links(scenario: Scenario, means: dict[str, float]) -> list[Link]:
    """Every route of ``scenario`` with a positive mean count a year in ``means``."""
    links: list[Link] = []

    def add(source: str, target: str, metric: str | float, label: str) -> None:
        value = means.get(metric, math.nan) if isinstance(metric, str) else metric
        if value is not None and math.isfinite(value) and value > 0:
            links.append(Link(source, target, float(value), label))

    for name, src in scenario.demand.items():
        add(f"{name} (demand)", src.to, f"demand.{name}.arrivals", "new patients")
    for name, spec in scenario.services.items():
        draw = _LINKS.get(spec.kind)
        if draw is not None:
            draw(name, spec, means, add)
    return links


def hospital_services(scenario: Scenario) -> set[str]:
    """The services that are the hospital's side of the flow: ambulances, EDs, acute beds."""
    return {name for name, spec in scenario.services.items() if spec.kind in HOSPITAL_KINDS}


def without_loops(links: list[Link]) -> list[Link]:
    """The links with every route back to an earlier service sent to a copy of it."""
    graph: dict[str, list[int]] = {}
    for i, link in enumerate(links):
        graph.setdefault(link.source, []).append(i)
    targets = {link.target for link in links}
    roots = [s for s in dict.fromkeys(link.source for link in links) if s not in targets]
    redirected: dict[int, str] = {}
    state: dict[str, int] = {}  # 1 on the path being walked, 2 finished

    def visit(node: str) -> None:
        state[node] = 1
        for i in graph.get(node, []):
            target = links[i].target
            if state.get(target) == 1:
                redirected[i] = f"{target} (again)"
            elif target not in state:
                visit(target)
        state[node] = 2

    for root in roots + list(graph):
        if root not in state:
            visit(root)
    return [
        Link(link.source, redirected.get(i, link.target), link.value, link.label)
        for i, link in enumerate(links)
    ]


HOME_COLOUR = "rgba(118, 134, 146, 0.35)"
HOSPITAL_COLOUR = "rgba(237, 139, 0, 0.45)"
COMMUNITY_COLOUR = "rgba(0, 94, 184, 0.30)"


def _colour(target: str, hospital: set[str]) -> str:
    name = target.removesuffix(" (again)")
    if name == HOME:
        return HOME_COLOUR
    return HOSPITAL_COLOUR if name in hospital else COMMUNITY_COLOUR


def sankey_figure(links: list[Link], title: str, hospital: set[str] | None = None) -> Any:
    """A plotly Sankey diagram of ``links`` (patients a year); links into ``hospital``
    (the ambulance, ED and acute beds) in orange, home in grey, the rest in blue."""
    hospital = hospital or set()
    import plotly.graph_objects as go

    links = without_loops(links)
    nodes = list(dict.fromkeys([x for link in links for x in (link.source, link.target)]))
    index = {n: i for i, n in enumerate(nodes)}
    colours = [_colour(link.target, hospital) for link in links]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": nodes, "pad": 18, "thickness": 16, "color": "#005EB8"},
            link={
                "source": [index[link.source] for link in links],
                "target": [index[link.target] for link in links],
                "value": [link.value for link in links],
                "customdata": [link.label for link in links],
                "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata}: "
                "%{value:,.0f} a year<extra></extra>",
                "color": colours,
            },
            valueformat=",.0f",
            valuesuffix=" a year",
        )
    )
    fig.update_layout(title=title, height=max(360, 42 * len(nodes)), margin={"t": 50, "b": 10})
    return fig
