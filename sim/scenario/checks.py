"""Checks across a validated scenario: the network holds together.

Every route names a service that exists (or ``home``) and of a kind that can take
patients from there; per-cohort values name the population's cohorts; each staffed
service has either a staff count or a roster; a patience has an escalation route;
every service is reached by some demand or route; and every patient has a way out.
"""

from __future__ import annotations

from typing import Any

from sim.scenario.errors import Problem, closest
from sim.scenario.messages import source_of
from sim.scenario.model import (
    HOME,
    AcuteBeds,
    Ambulance,
    ClinicalHub,
    CommunityResponse,
    EmergencyDepartment,
    IntermediateCare,
    Outcome,
    Scenario,
    Staffed,
    VirtualWard,
)
from sim.scenario.services import ON_SCENE_OUTCOMES

__all__ = ["check_scenario", "links_of", "routes_of"]

Path = tuple[str, ...]

# Which kinds a route may send patients to.
_ROUTABLE = (
    "community_response",
    "ambulance",
    "virtual_ward",
    "intermediate_care",
    "ed",
    "acute",
    "outcome",
)
_HUB_DESTINATIONS = ("community_response", "virtual_ward", "intermediate_care", "outcome")


def routes_of(scenario: Scenario) -> list[tuple[Path, dict[str, float], tuple[str, ...]]]:
    """Every split that sends patients to services: key path, split, kinds allowed."""
    out: list[tuple[Path, dict[str, float], tuple[str, ...]]] = []
    for name, svc in scenario.services.items():
        base = ("services", name)
        if isinstance(svc, CommunityResponse):
            out.append((base + ("after_visit",), svc.after_visit, _ROUTABLE))
            if svc.escalation is not None:
                out.append((base + ("escalation",), svc.escalation, _ROUTABLE))
        elif isinstance(svc, ClinicalHub):
            out.append((base + ("destinations",), svc.destinations, _HUB_DESTINATIONS))
        elif isinstance(svc, (VirtualWard, IntermediateCare)):
            out.append((base + ("at_end",), svc.at_end, _ROUTABLE))
        elif isinstance(svc, AcuteBeds):
            out.append((base + ("discharge",), svc.discharge, _ROUTABLE))
    return out


def links_of(scenario: Scenario) -> list[tuple[Path, str, tuple[str, ...]]]:
    """Every single-target reference: key path, target, kinds allowed."""
    out: list[tuple[Path, str, tuple[str, ...]]] = []
    for name, svc in scenario.services.items():
        base = ("services", name)
        if isinstance(svc, Ambulance):
            out.append((base + ("convey_to",), svc.convey_to, ("ed", "outcome")))
            if svc.hub is not None:
                out.append((base + ("hub",), svc.hub, ("hub",)))
        elif isinstance(svc, (VirtualWard, IntermediateCare)) and svc.when_full is not None:
            out.append((base + ("when_full",), svc.when_full, _ROUTABLE))
        elif isinstance(svc, EmergencyDepartment):
            out.append((base + ("admit_to",), svc.admit_to, ("acute", "outcome")))
    return out


def check_scenario(
    scenario: Scenario, data: dict[str, Any], provenance: dict[Path, str], default: str
) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: Path, message: str) -> None:
        problems.append(Problem(source_of(path, provenance, default), ".".join(path), message))

    services = scenario.services
    cohorts = list(scenario.population.cohorts)

    def unknown(target: str, allowed: list[str], what: str) -> str:
        hint = closest(target, allowed)
        tail = f"; did you mean '{hint}'?" if hint else f"; known: {', '.join(allowed)}"
        return f"unknown {what} {target!r}{tail}"

    def check_target(path: Path, target: str, kinds: tuple[str, ...], allow_home: bool) -> None:
        if target == HOME:
            if not allow_home:
                add(path, "cannot be 'home' here")
            return
        svc = services.get(target)
        names = [n for n, s in services.items() if s.kind in kinds]
        if svc is None:
            add(path, unknown(target, ([HOME] if allow_home else []) + names, "service"))
        elif svc.kind not in kinds:
            add(
                path,
                f"{target!r} is a {svc.kind} service; expected one of kind: {', '.join(kinds)}",
            )

    def check_cohorts(path: Path, values: dict[str, Any], complete: bool) -> None:
        for cohort in values:
            if cohort not in cohorts:
                add(path + (cohort,), unknown(cohort, cohorts, "cohort"))
        absent = [c for c in cohorts if c not in values]
        if complete and absent:
            names = ", ".join(repr(c) for c in absent)
            add(path, f"has no value for cohort{'s' * (len(absent) > 1)} {names}")

    # demand
    for src_name, src in scenario.demand.items():
        check_target(("demand", src_name, "to"), src.to, _ROUTABLE, allow_home=False)
        if isinstance(src.rate_per_1000, dict):
            check_cohorts(("demand", src_name, "rate_per_1000"), src.rate_per_1000, complete=True)
        if src.hour_of_week is not None and (
            src.hour_of_day is not None or src.day_of_week is not None
        ):
            add(
                ("demand", src_name, "hour_of_week"),
                "give hour_of_week or hour_of_day/day_of_week, not both",
            )
        for key in ("hour_of_day", "day_of_week", "hour_of_week", "month_of_year"):
            weights = getattr(src, key)
            if weights is not None and sum(weights) <= 0:
                add(("demand", src_name, key), "must have at least one weight above 0")

    # routes and links
    for path, split, kinds in routes_of(scenario):
        for target in split:
            check_target(path + (target,), target, kinds, allow_home=True)
    for path, target, kinds in links_of(scenario):
        check_target(path, target, kinds, allow_home=path[-1] == "when_full")

    # each kind's own rules
    route_names = set(scenario.demand) | set(services)
    for name, svc in services.items():
        base = ("services", name)
        if isinstance(svc, Staffed):
            if svc.staff is not None and svc.roster is not None:
                add(base + ("roster",), "give staff or roster, not both")
            if svc.staff is None and svc.roster is None:
                add(base + ("staff",), "is required (clinicians on duty), unless a roster is given")
        if (
            isinstance(svc, CommunityResponse)
            and svc.patience_hours is not None
            and svc.escalation is None
        ):
            add(base + ("escalation",), "is required when patience_hours is set")
        if isinstance(svc, Ambulance):
            for key in svc.on_scene:
                if key not in ON_SCENE_OUTCOMES:
                    hint = closest(key, list(ON_SCENE_OUTCOMES))
                    tail = f"; did you mean '{hint}'?" if hint else ""
                    add(
                        base + ("on_scene", key),
                        f"unknown on-scene outcome {key!r}; choose from {', '.join(ON_SCENE_OUTCOMES)}{tail}",
                    )
            check_cohorts(base + ("on_scene_by_cohort",), svc.on_scene_by_cohort, complete=False)
            for cohort, split in svc.on_scene_by_cohort.items():
                for key in split:
                    if key not in ON_SCENE_OUTCOMES:
                        add(
                            base + ("on_scene_by_cohort", cohort, key),
                            f"unknown on-scene outcome {key!r}; choose from {', '.join(ON_SCENE_OUTCOMES)}",
                        )
            uses_hub = any(
                s.get("call_before_convey", 0) > 0
                for s in [svc.on_scene, *svc.on_scene_by_cohort.values()]
            )
            if uses_hub and svc.hub is None:
                add(base + ("hub",), "is required when on_scene has call_before_convey")
        if isinstance(svc, EmergencyDepartment):
            if isinstance(svc.admission_probability, dict):
                check_cohorts(
                    base + ("admission_probability",), svc.admission_probability, complete=True
                )
            for route, prob in svc.admission_by_route.items():
                if route not in route_names:
                    add(
                        base + ("admission_by_route", route),
                        unknown(route, sorted(route_names), "service or demand source"),
                    )
                if isinstance(prob, dict):
                    check_cohorts(base + ("admission_by_route", route), prob, complete=True)
        if isinstance(svc, AcuteBeds):
            if isinstance(svc.short_stay_probability, dict):
                check_cohorts(
                    base + ("short_stay_probability",), svc.short_stay_probability, complete=True
                )
            for pathway in svc.discharge_delay_days:
                if pathway not in svc.discharge:
                    add(
                        base + ("discharge_delay_days", pathway),
                        unknown(pathway, list(svc.discharge), "discharge pathway"),
                    )
        by_source = [
            ("admission_by_source", getattr(svc, "admission_by_source", {})),
            ("short_stay_by_source", getattr(svc, "short_stay_by_source", {})),
        ]
        for key, table in by_source:
            for src, prob in table.items():
                if src not in scenario.demand:
                    add(base + (key, src), unknown(src, sorted(scenario.demand), "demand source"))
                if isinstance(prob, dict):
                    check_cohorts(base + (key, src), prob, complete=True)
        beds, occupied = getattr(svc, "beds", None), getattr(svc, "initial_occupancy", 0)
        if beds is not None and occupied > beds:
            add(base + ("initial_occupancy",), f"must be <= beds ({beds}), got {occupied}")

    if problems:
        return problems

    # the network as a graph: reachability and a way out
    succ: dict[str, set[str]] = {n: set() for n in services}
    for path, split, _ in routes_of(scenario):
        succ[path[1]].update(split)
    for path, target, _ in links_of(scenario):
        succ[path[1]].add(target)
    for name, svc in services.items():
        if isinstance(svc, Ambulance) and svc.on_scene.get("treated", 0) > 0:
            succ[name].add(HOME)
        if isinstance(svc, EmergencyDepartment):
            succ[name].add(HOME)  # not admitted
    reached = {src.to for src in scenario.demand.values()}
    frontier = list(reached)
    while frontier:
        n = frontier.pop()
        for m in succ.get(n, ()):
            if m != HOME and m not in reached:
                reached.add(m)
                frontier.append(m)
    for name in services:
        if name not in reached:
            add(
                ("services", name),
                "is never reached: no demand source or route sends patients to it",
            )

    exits = {n for n, s in services.items() if isinstance(s, (Outcome, ClinicalHub))}
    changed = True
    while changed:
        changed = False
        for n, targets in succ.items():
            if n not in exits and any(t == HOME or t in exits for t in targets):
                exits.add(n)
                changed = True
    for name in services:
        if name not in exits:
            add(
                ("services", name),
                "has no way out: every route from it leads back into the network without reaching home or an outcome",
            )

    for name, svc in services.items():
        if (
            isinstance(svc, (VirtualWard, IntermediateCare))
            and svc.beds is not None
            and svc.when_full is None
        ):
            senders = [
                n for n, t in succ.items() if name in t and not isinstance(services[n], AcuteBeds)
            ]
            senders += [f"demand.{n}" for n, src in scenario.demand.items() if src.to == name]
            if senders:
                add(
                    ("services", name, "when_full"),
                    f"is required: {', '.join(senders)} step(s) patients up into it and it has {svc.beds} beds",
                )
    return problems
