"""What a scenario file says about appraising its results: what its capacity costs, how
hours on a roster become whole-time equivalents, and when a result needs a warning.

- ``[costs.capacity.<svc>]`` (:class:`CapacityCost`): what a service costs for what it
  *holds*, used or not: its clinician-hours on duty (or whole-time equivalents), its
  beds or slots a day, its vehicle-hours, and a fixed cost a year. Activity costs (per
  conveyance, per admission...) stay at the top of ``[costs]``.
- ``[costs] hours_per_wte`` and ``productive_share`` turn a roster's clinician-hours a
  year into whole-time equivalents (``<svc>.wte``), with the defaults below.
- ``[warnings]`` (:class:`WarningSettings`): the thresholds of the warnings printed
  after the results (:mod:`sim.runs.warnings`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from sim import registry
from sim.scenario.types import Frozen

if TYPE_CHECKING:
    from sim.scenario.checks import Checker

__all__ = [
    "CAPACITY_PRICES",
    "HOURS_PER_WTE",
    "PRODUCTIVE_SHARE",
    "CapacityCost",
    "WarningSettings",
    "check_costs",
]

HOURS_PER_WTE = 37.5 * 52.14
"""Contracted hours of one whole-time equivalent a year: 37.5 hours a week (the NHS
standard week, NHS Terms and Conditions of Service Handbook, Agenda for Change) times
52.14 weeks: 1,955.25 hours."""

PRODUCTIVE_SHARE = 0.80
"""The share of contracted hours a whole-time clinician is on a roster: what is left
after annual leave and bank holidays (27 to 33 days plus 8 under Agenda for Change),
sickness (about 5% in NHS trusts, NHS England sickness absence statistics) and
training. Assumption: 0.80 (range 0.75 to 0.85), near the 41 to 42 working weeks a
year that the PSSRU unit costs assume for NHS staff (Jones et al., *Unit Costs of
Health and Social Care 2023*, PSSRU and University of York, 2024)."""

CAPACITY_PRICES = ("per_staffed_hour", "per_wte_year", "per_bed_day", "per_vehicle_hour")
"""The keys of ``[costs.capacity.<svc>]`` that price what a service holds; which apply
to a kind is in its registration (:attr:`sim.registry.Kind.capacity`)."""

_MAX_PRICE = 1e9  # pounds: far above any real unit cost, so that a slip of the keyboard is caught


class CapacityCost(Frozen):
    """What one service costs a year for the capacity it holds, used or not (pounds).

    A community team or hub is priced by its roster: ``per_staffed_hour`` (each
    clinician-hour on duty) or ``per_wte_year`` (each whole-time equivalent, from
    ``hours_per_wte`` and ``productive_share``), not both. A virtual ward, intermediate
    care or acute beds with finite ``beds``: ``per_bed_day`` (each bed or slot a day).
    An ambulance service with a finite ``fleet``: ``per_vehicle_hour``. Any service may
    add ``fixed_per_year`` (premises, equipment, management)."""

    per_staffed_hour: float | None = Field(
        None,
        ge=0,
        le=_MAX_PRICE,
        description="per clinician-hour on duty (the roster's hours, busy or not)",
    )
    per_wte_year: float | None = Field(
        None,
        ge=0,
        le=_MAX_PRICE,
        description="per whole-time equivalent a year (WTE = rostered hours a year ÷ "
        "hours_per_wte ÷ productive_share)",
    )
    per_bed_day: float | None = Field(
        None,
        ge=0,
        le=_MAX_PRICE,
        description="per bed or slot a day, whether in use or not (finite beds only)",
    )
    per_vehicle_hour: float | None = Field(
        None,
        ge=0,
        le=_MAX_PRICE,
        description="per vehicle-hour available (a finite fleet only)",
    )
    fixed_per_year: float | None = Field(
        None, ge=0, le=_MAX_PRICE, description="a fixed cost a year (premises, equipment...)"
    )

    def prices(self) -> dict[str, float]:
        """The prices given (``fixed_per_year`` included), by key."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class WarningSettings(Frozen):
    """When the results of a run get a warning (printed after the tables, and written to
    ``warnings.json``). Every threshold has a default; see the metrics reference."""

    occupancy: float = Field(
        0.95,
        gt=0,
        le=1,
        description="warn when a bed pool's or acute beds' occupancy, or a team's or hub's "
        "utilisation, is at or above this share",
    )
    ed_boarding_hours: float = Field(
        12.0,
        gt=0,
        le=8760,
        description="warn when patients admitted from the ED wait longer than this for a "
        "bed, on average (12 hours: the NHS 'trolley wait' measure, from the decision to admit)",
    )


def check_costs(scenario: Any, checker: Checker) -> None:
    """``[costs.capacity.<svc>]`` names services of the scenario, and prices only what
    each holds: the prices its kind registers (:attr:`sim.registry.Kind.capacity`), on a
    finite capacity (a service with unlimited beds or vehicles cannot be priced per bed
    or vehicle), with ``per_staffed_hour`` or ``per_wte_year``, not both."""
    costs = scenario.costs
    if costs is None:
        return
    services = scenario.services
    for name, cost in costs.capacity.items():
        path = ("costs", "capacity", name)
        spec = services.get(name)
        if spec is None:
            checker.add(path, checker.unknown(name, list(services), "service"))
            continue
        held = registry.get(spec.kind).capacity
        given = [k for k in CAPACITY_PRICES if getattr(cost, k) is not None]
        for key in given:
            if key not in held:
                keys = [*held, "fixed_per_year"]
                fits = ", ".join(keys[:-1]) + " or " + keys[-1] if len(keys) > 1 else keys[0]
                checker.add(
                    path + (key,),
                    f"{name!r} is a {spec.kind} service: its capacity is priced by {fits}",
                )
            elif (why := spec.unlimited()) is not None:
                checker.add(path + (key,), f"{name!r} {why}: it cannot be priced by {key}")
        if cost.per_staffed_hour is not None and cost.per_wte_year is not None:
            checker.add(path + ("per_wte_year",), "give per_staffed_hour or per_wte_year, not both")
