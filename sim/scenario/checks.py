"""Checks across a validated scenario: the network holds together.

Every route names a service that exists (or ``home``); rates name the population's
cohorts; each team has either a staff count or a roster; a patience has an
escalation route; every service is reached by some demand or route.
"""

from __future__ import annotations

from typing import Any

from sim.scenario.errors import Problem, closest
from sim.scenario.messages import source_of
from sim.scenario.model import HOME, CommunityResponse, Scenario

__all__ = ["check_scenario", "routes_of"]


def routes_of(scenario: Scenario) -> list[tuple[tuple[str, ...], dict[str, float]]]:
    """Every split that sends patients somewhere, with its key path."""
    out: list[tuple[tuple[str, ...], dict[str, float]]] = []
    for name, svc in scenario.services.items():
        if isinstance(svc, CommunityResponse):
            out.append((("services", name, "after_visit"), svc.after_visit))
            if svc.escalation is not None:
                out.append((("services", name, "escalation"), svc.escalation))
    return out


def check_scenario(
    scenario: Scenario, data: dict[str, Any], provenance: dict[tuple[str, ...], str], default: str
) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: tuple[str, ...], message: str) -> None:
        problems.append(Problem(source_of(path, provenance, default), ".".join(path), message))

    services = list(scenario.services)
    cohorts = list(scenario.population.cohorts)

    def unknown(target: str, allowed: list[str], what: str) -> str:
        hint = closest(target, allowed)
        tail = f"; did you mean '{hint}'?" if hint else f"; known: {', '.join(allowed)}"
        return f"unknown {what} {target!r}{tail}"

    reached: set[str] = set()
    for src_name, src in scenario.demand.items():
        if src.to not in scenario.services:
            add(("demand", src_name, "to"), unknown(src.to, services, "service"))
        reached.add(src.to)
        if isinstance(src.rate_per_1000, dict):
            for cohort in src.rate_per_1000:
                if cohort not in cohorts:
                    add(("demand", src_name, "rate_per_1000", cohort), unknown(cohort, cohorts, "cohort"))
            absent = [c for c in cohorts if c not in src.rate_per_1000]
            if absent:
                names = ", ".join(repr(c) for c in absent)
                add(("demand", src_name, "rate_per_1000"), f"has no rate for cohort{'s' * (len(absent) > 1)} {names}")
        if src.hour_of_week is not None and (src.hour_of_day is not None or src.day_of_week is not None):
            add(("demand", src_name, "hour_of_week"), "give hour_of_week or hour_of_day/day_of_week, not both")
        for key in ("hour_of_day", "day_of_week", "hour_of_week", "month_of_year"):
            weights = getattr(src, key)
            if weights is not None and sum(weights) <= 0:
                add(("demand", src_name, key), "must have at least one weight above 0")

    for path, split in routes_of(scenario):
        for target in split:
            if target != HOME and target not in scenario.services:
                add(path + (target,), unknown(target, [HOME, *services], "destination"))
            reached.add(target)

    routing_ok = not problems
    routing_ok = not problems
    for name, svc in scenario.services.items():
        if isinstance(svc, CommunityResponse):
            if svc.staff is not None and svc.roster is not None:
                add(("services", name, "roster"), "give staff or roster, not both")
            if svc.staff is None and svc.roster is None:
                add(("services", name, "staff"), "is required (clinicians on duty), unless a roster is given")
            if svc.patience_hours is not None and svc.escalation is None:
                add(("services", name, "escalation"), "is required when patience_hours is set")
        if routing_ok and name not in reached:
            add(("services", name), "is never reached: no demand source or route sends patients to it")
    return problems
